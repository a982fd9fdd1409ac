import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { nn, np, type Tensor, vjp } from "../mod.ts";
import { assertRelClose, loadReference, refTensor } from "./support/numeric.ts";

type Arr = { shape: number[]; data: number[] };
interface PoolCase {
  window_shape: number | number[];
  strides: number | number[];
  padding: "VALID" | "SAME";
  channel_axis: number;
  window_shape_full: number[];
  strides_full: number[];
  input: Arr;
  output: Arr;
  cot: Arr;
  grad: Arr;
}
interface PopCase {
  num_classes: number;
  k: number;
  input: Arr;
  output: Arr;
  cot: Arr;
  grad: Arr;
}

const pools: PoolCase[] = loadReference("sum_pool.json").cases;
const pops: PopCase[] = loadReference("population_code.json").cases;
const precisions = [
  { dtype: "float64" as const, fwd: 1e-10, bwd: 1e-10 },
  { dtype: "float32" as const, fwd: 1e-4, bwd: 1e-4 },
];

/** Runs `f` on the case input and checks output and `d sum(out * cot) / d input`. */
function checkCase(f: (x: Tensor) => Tensor, c: PoolCase | PopCase, dtype: "float32" | "float64", tol: number) {
  const [out, back] = vjp(f, refTensor(c.input, dtype));
  assert.deepEqual(out.shape, c.output.shape);
  assert.equal(out.dtype, dtype);
  assertRelClose(out, c.output.data, tol, "output");
  const [g] = back(refTensor(c.cot, dtype)) as Tensor[];
  assert.deepEqual(g.shape, c.grad.shape);
  assertRelClose(g, c.grad.data, tol, "gradient");
}

const pooler = (w: number | number[], s: number | number[], p: "VALID" | "SAME", ch: number) =>
  nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.SumPool(w, s, p, ch).call(x)));

describe("sumPool golden cases (sum_pool.json)", () => {
  for (const { dtype, fwd, bwd } of precisions) {
    pools.forEach((c, i) => {
      const label = `case ${i}: window ${JSON.stringify(c.window_shape)}, strides ${
        JSON.stringify(c.strides)
      }, ${c.padding}, channel ${c.channel_axis}, input [${c.input.shape}] (${dtype})`;
      test(label, () => {
        checkCase((x) => nn.sumPool(x, c.window_shape, c.strides, c.padding, c.channel_axis), c, dtype, fwd);
        // The resolved window/strides, given explicitly, mean the same pooling.
        checkCase((x) => nn.sumPool(x, c.window_shape_full, c.strides_full, c.padding, c.channel_axis), c, dtype, bwd);
      });
    });
  }

  test("the SumPool module matches the function", () => {
    const c = pools.find((p) => typeof p.window_shape === "number" && p.channel_axis === 1)!;
    const net = pooler(c.window_shape, c.strides, c.padding, c.channel_axis);
    const x = refTensor(c.input);
    assertRelClose(net.apply({}, x), c.output.data, 1e-10, "SumPool output");
  });
});

describe("sumPool errors", () => {
  const x = np.ones([2, 6, 6, 3]);
  test("unknown padding strings are rejected", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => nn.sumPool(x, 2, 2, "same" as any), /sumPool: padding must be "VALID" or "SAME", got "same"/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => nn.sumPool(x, 2, 2, "FULL" as any), /got "FULL"/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => pooler(2, 2, "CIRCULAR" as any, -1).apply({}, x), /SumPool: padding must be/);
  });
  test("window lists longer than the rank, non-positive sizes and bad channel axes are rejected", () => {
    assert.throws(() => nn.sumPool(x, [1, 2, 2, 1, 1], 1), /windowShape must be an integer or a list of at most 4/);
    assert.throws(() => nn.sumPool(x, [0, 2], 1), /windowShape must hold positive integers/);
    assert.throws(() => nn.sumPool(x, 2, 1.5), /strides must hold positive integers/);
    assert.throws(() => nn.sumPool(x, 2, 2, "VALID", 4), /channelAxis 4 is out of range for an input of rank 4/);
  });
  test("a window larger than a VALID input is an error, not an empty result", () => {
    assert.throws(() => nn.sumPool(np.ones([1, 3, 2]), 4, 1), /output would be empty/);
  });
});

const population = (numClasses: number) =>
  nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.PopulationCode(numClasses).call(x)));

describe("PopulationCode golden cases (population_code.json)", () => {
  for (const { dtype, fwd, bwd } of precisions) {
    pops.forEach((c, i) => {
      test(`case ${i}: ${c.num_classes} classes x ${c.k} neurons (${dtype})`, () => {
        const net = population(c.num_classes);
        checkCase((x) => net.apply({}, x), c, dtype, Math.max(fwd, bwd));
      });
    });
  }

  test("works as a DeepRNN layer, class by class at every step", () => {
    const c = pops[0];
    const net = nn.withoutApplyRng(nn.transform((xs: Tensor) => {
      const core = new nn.DeepRNN([(v: Tensor) => np.neg(v), new nn.PopulationCode(c.num_classes)]);
      return nn.dynamicUnroll(core, xs, core.initialState(xs.shape[1]))[0];
    }));
    const x = refTensor(c.input);
    const xs = np.stack([x, np.mul(x, 2)], 0); // [T=2, B, C*k]
    const out = net.apply({}, xs);
    assert.deepEqual(out.shape, [2, ...c.output.shape]);
    const want = [...c.output.data.map((v) => -v), ...c.output.data.map((v) => -2 * v)];
    assertRelClose(out, want, 1e-12, "unrolled population code");
  });
});

describe("PopulationCode errors", () => {
  test("a width that is not a multiple of numClasses is rejected with both numbers", () => {
    assert.throws(
      () => population(3).apply({}, np.ones([2, 10])),
      /PopulationCode \(PopulationCode\): the last axis of shape \[2,10\] must be a positive multiple of numClasses 3/,
    );
  });
  test("numClasses must be a positive integer", () => {
    assert.throws(() => population(0).apply({}, np.ones([2, 4])), /numClasses must be a positive integer, got 0/);
    assert.throws(() => population(2.5).apply({}, np.ones([2, 4])), /got 2.5/);
  });
});
