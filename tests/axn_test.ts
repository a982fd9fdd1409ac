import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { axn, grad, np, type Tensor, vjp } from "../mod.ts";
import { assertAllClose, loadReference, relError } from "./support/numeric.ts";

type Ref = { shape: number[]; data: number[] };
interface SurrogateCase {
  activation: { name: string; k?: number; width?: number; height?: number };
  u: Ref;
  forward: Ref;
  grad: Ref;
}

/** The activation named by a reference activation object, with its parameters. */
function fromReference(a: SurrogateCase["activation"]): axn.SpikeActivation {
  switch (a.name) {
    case "superspike":
      return axn.superspike(a.k);
    case "arctan":
      return axn.arctan(a.k);
    case "tanh":
      return axn.tanh(a.k);
    case "boxcar":
      return axn.boxcar(a.width, a.height);
    case "triangular":
      return axn.triangular(a.k);
  }
  throw new Error(`unknown activation ${a.name}`);
}

const spikeGrad = (act: (u: Tensor) => Tensor) => grad((u: Tensor) => np.sum(act(u)));

const BUILT_INS: [string, () => axn.SpikeActivation][] = [
  ["superspike", () => axn.superspike()],
  ["arctan", () => axn.arctan()],
  ["tanh", () => axn.tanh()],
  ["boxcar", () => axn.boxcar()],
  ["triangular", () => axn.triangular()],
  ["straightThrough", () => axn.straightThrough()],
  ["sigmoid", () => axn.sigmoid()],
  ["fastSigmoid", () => axn.fastSigmoid()],
];

describe("axn: surrogates.json", () => {
  const { cases } = loadReference("surrogates.json") as { cases: SurrogateCase[] };

  test("there are ten cases covering the five spyx surrogates", () => {
    assert.equal(cases.length, 10);
    assert.deepEqual(
      [...new Set(cases.map((c) => c.activation.name))].sort(),
      ["arctan", "boxcar", "superspike", "tanh", "triangular"],
    );
  });

  for (const c of cases) {
    const label = JSON.stringify(c.activation);
    test(`${label}: forward and gradient in float64`, () => {
      const act = fromReference(c.activation);
      const u = np.array(c.u.data, { shape: c.u.shape, dtype: "float64" });
      const y = act(u);
      assert.equal(y.dtype, "float64");
      assert.deepEqual(Array.from(y.dataSync()), c.forward.data);
      const g = spikeGrad(act)(u) as Tensor;
      assert.equal(g.dtype, "float64");
      assertAllClose(g.dataSync(), c.grad.data, { rtol: 1e-12, atol: 1e-300 }, `${label} grad`);
      // The scalar form that fused kernels use gives the same values.
      const scalar = c.u.data.map((v) => act.surrogate!.grad(v));
      assertAllClose(scalar, c.grad.data, { rtol: 1e-12, atol: 1e-300 }, `${label} surrogate.grad`);
    });

    test(`${label}: forward and gradient in float32`, () => {
      const act = fromReference(c.activation);
      const u = np.array(c.u.data, { shape: c.u.shape, dtype: "float32" });
      const y = act(u);
      assert.equal(y.dtype, "float32");
      assert.deepEqual(Array.from(y.dataSync()), c.forward.data);
      const g = spikeGrad(act)(u) as Tensor;
      assert.equal(g.dtype, "float32");
      const e = relError(g.dataSync(), c.grad.data);
      assert.ok(e <= 1e-5, `${label} float32 grad: relative error ${e}`);
    });
  }

  test("metadata names and parameters follow the reference objects", () => {
    for (const c of cases) {
      const { name, ...params } = c.activation;
      const s = fromReference(c.activation).surrogate!;
      assert.equal(s.name, name);
      assert.deepEqual({ ...s.params }, params);
    }
  });
});

describe("axn: snnTorch surrogates", () => {
  // Each surrogate is the derivative of a smooth function F; central
  // differences of F are an independent oracle (away from F's kinks).
  const antiderivatives: [string, axn.SpikeActivation, (u: number) => number][] = [
    ["straightThrough", axn.straightThrough(), (u) => u],
    ["sigmoid(25)", axn.sigmoid(), (u) => 1 / (1 + Math.exp(-25 * u))],
    ["sigmoid(4)", axn.sigmoid(4), (u) => 1 / (1 + Math.exp(-4 * u))],
    ["fastSigmoid(25)", axn.fastSigmoid(), (u) => u / (1 + 25 * Math.abs(u))],
    ["fastSigmoid(3)", axn.fastSigmoid(3), (u) => u / (1 + 3 * Math.abs(u))],
  ];
  for (const [label, act, F] of antiderivatives) {
    test(`${label}: gradient is the derivative of its smooth counterpart`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -2, max: 2, noNaN: true }).filter((v) => Math.abs(v) > 1e-3), {
            minLength: 1,
            maxLength: 8,
          }),
          (us) => {
            const g = spikeGrad(act)(np.array(us, { dtype: "float64" })) as Tensor;
            const h = 1e-6;
            const want = us.map((u) => (F(u + h) - F(u - h)) / (2 * h));
            assertAllClose(g.dataSync(), want, { rtol: 1e-6, atol: 1e-9 }, label);
          },
        ),
        { numRuns: 15 },
      );
    });
  }

  test("closed-form values at 0 and in the far tails (no overflow to NaN)", () => {
    const u = np.array([0, -1000, 1000], { dtype: "float64" });
    assertAllClose((spikeGrad(axn.sigmoid(25))(u) as Tensor).dataSync(), [6.25, 0, 0], { atol: 0 });
    assertAllClose((spikeGrad(axn.fastSigmoid(25))(u) as Tensor).dataSync(), [1, 1 / 25001 ** 2, 1 / 25001 ** 2]);
    assertAllClose((spikeGrad(axn.tanh(1))(u) as Tensor).dataSync(), [1, 0, 0], { atol: 0 });
    assertAllClose((spikeGrad(axn.straightThrough())(u) as Tensor).dataSync(), [1, 1, 1], { atol: 0 });
    const u32 = np.array([0, -200, 200]);
    for (const [name, make] of BUILT_INS) {
      const g = (spikeGrad(make())(u32) as Tensor).dataSync();
      assert.ok(Array.from(g).every(Number.isFinite), `${name}: ${g}`);
    }
  });
});

describe("axn: properties of every built-in", () => {
  const values = fc.array(
    fc.oneof(fc.constant(0), fc.constant(-0), fc.double({ min: -5, max: 5, noNaN: true })),
    { minLength: 1, maxLength: 10 },
  );

  for (const [name, make] of BUILT_INS) {
    test(`${name}: forward is the strict step in the input's dtype; backward is g * surrogate.grad(u)`, () => {
      const act = make();
      fc.assert(
        fc.property(values, fc.constantFrom("float32" as const, "float64" as const), (us, dtype) => {
          const u = np.array(us, { dtype });
          const y = act(u);
          assert.equal(y.dtype, dtype);
          const uq = Array.from(u.dataSync());
          assert.deepEqual(Array.from(y.dataSync()), uq.map((v) => (v > 0 ? 1 : 0)));
          // A non-uniform cotangent checks the product with g element by element.
          const cot = np.array(us.map((_, i) => i - 2.5), { dtype });
          const [, back] = vjp(act, u);
          const [g] = back(cot) as Tensor[];
          const want = uq.map((v, i) => (i - 2.5) * act.surrogate!.grad(v));
          assertAllClose(g.dataSync(), want, { rtol: dtype === "float64" ? 1e-12 : 2e-6, atol: 1e-30 }, name);
        }),
        { numRuns: 20 },
      );
    });
  }

  test("metadata is attached, frozen and matches the constructor arguments", () => {
    const ss = axn.superspike(10);
    assert.equal(ss.surrogate!.name, "superspike");
    assert.deepEqual({ ...ss.surrogate!.params }, { k: 10 });
    assert.ok(Object.isFrozen(ss.surrogate) && Object.isFrozen(ss.surrogate!.params));
    assert.deepEqual({ ...axn.boxcar().surrogate!.params }, { width: 2, height: 0.5 });
    assert.deepEqual({ ...axn.arctan().surrogate!.params }, { k: 2 });
    assert.deepEqual({ ...axn.tanh().surrogate!.params }, { k: 1 });
    assert.deepEqual({ ...axn.triangular().surrogate!.params }, { k: 2 });
    assert.deepEqual({ ...axn.superspike().surrogate!.params }, { k: 25 });
    assert.deepEqual({ ...axn.sigmoid().surrogate!.params }, { k: 25 });
    assert.deepEqual({ ...axn.fastSigmoid().surrogate!.params }, { k: 25 });
    assert.deepEqual({ ...axn.straightThrough().surrogate!.params }, {});
  });
});

describe("axn: heaviside and custom", () => {
  test("heaviside is strict at 0, keeps the dtype and has zero gradient", () => {
    const u = np.array([-1, -0, 0, 1e-30, 2], { dtype: "float64" });
    const y = axn.heaviside(u);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(Array.from(y.dataSync()), [0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from((grad((v: Tensor) => np.sum(axn.heaviside(v)))(u) as Tensor).dataSync()), [
      0,
      0,
      0,
      0,
      0,
    ]);
  });

  test("custom: backward is g * bwd(u), forward heaviside by default or the given fwd", () => {
    const bump = (u: Tensor) => np.exp(np.neg(np.square(u)));
    const act = axn.custom(bump);
    assert.equal(act.surrogate, undefined);
    const us = [-1.5, -0.2, 0, 0.3, 2];
    const u = np.array(us, { dtype: "float64" });
    assert.deepEqual(Array.from(act(u).dataSync()), [0, 0, 0, 1, 1]);
    const [, back] = vjp(act, u);
    const [g] = back(np.array([1, 2, 3, 4, 5], { dtype: "float64" })) as Tensor[];
    assertAllClose(g.dataSync(), us.map((v, i) => (i + 1) * Math.exp(-v * v)), { rtol: 1e-14 });

    const shifted = axn.custom(bump, (v: Tensor) => np.astype(np.greater(v, 0.25), v.dtype));
    assert.deepEqual(Array.from(shifted(u).dataSync()), [0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(shifted(np.array([0.2, 0.3])).dataSync()), [0, 1]);
    const gs = spikeGrad(shifted)(u) as Tensor;
    assertAllClose(gs.dataSync(), us.map((v) => Math.exp(-v * v)), { rtol: 1e-14 });
  });

  test("bad arguments", () => {
    assert.throws(() => axn.superspike(-1), /axn\.superspike: k must be a positive finite number, got -1/);
    assert.throws(() => axn.arctan(NaN), /axn\.arctan: k must be a positive finite number, got NaN/);
    assert.throws(() => axn.tanh(0), /axn\.tanh: k must be/);
    assert.throws(() => axn.triangular(Infinity), /axn\.triangular: k must be/);
    assert.throws(() => axn.sigmoid(-2), /axn\.sigmoid: k must be/);
    assert.throws(() => axn.fastSigmoid(0), /axn\.fastSigmoid: k must be/);
    assert.throws(() => axn.boxcar(0), /axn\.boxcar: width must be a positive finite number, got 0/);
    assert.throws(() => axn.boxcar(2, NaN), /axn\.boxcar: height must be a finite number, got NaN/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => axn.custom("nope" as any), /axn\.custom: bwd must be a function, got "nope"/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => axn.custom((u) => u, 3 as any), /axn\.custom: fwd must be a function, got 3/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => axn.superspike()(0.5 as any), /axn\.superspike: expected a Tensor, got 0\.5/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => axn.heaviside([1] as any), /axn\.heaviside: expected a Tensor, got \[1\]/);
    const wrongShape = axn.custom(() => np.ones([3]));
    assert.throws(
      () => spikeGrad(wrongShape)(np.ones([2])),
      /axn\.custom: bwd must return a Tensor of the input's shape \[2\], got a float32 tensor of shape \[3\]/,
    );
  });
});
