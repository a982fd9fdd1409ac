import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, type Tensor, vjp } from "../mod.ts";
import { checkGradients, loadReference, refTensor, relError } from "./support/numeric.ts";

type Pads = [number, number][];
interface Case {
  op: "sum" | "max";
  shape: number[];
  window: number[];
  strides: number[];
  padding: "SAME" | "VALID" | Pads;
  seed: number;
}

/** Distinct values (a shuffled ramp with gaps of 0.1), so every window has a unique maximum. */
function distinctValues(n: number, seed: number): Float64Array {
  const v = new Float64Array(n).map((_, i) => (i - n / 2) * 0.1 + 0.01);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

function resolvePads(c: Case): Pads {
  if (c.padding === "VALID") return c.shape.map(() => [0, 0]);
  if (c.padding === "SAME") {
    return c.shape.map((n, d) => {
      const out = Math.ceil(n / c.strides[d]);
      const total = Math.max(0, (out - 1) * c.strides[d] + c.window[d] - n);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  return c.padding;
}

/** Direct evaluation of the definition in float64: padding is 0 for sums and -Infinity for maxima. */
function referenceWindow(x: Float64Array, c: Case): { shape: number[]; data: Float64Array } {
  const pads = resolvePads(c);
  const outShape = c.shape.map((n, d) => Math.floor((n + pads[d][0] + pads[d][1] - c.window[d]) / c.strides[d]) + 1);
  if (outShape.some((n) => n <= 0)) return { shape: outShape, data: new Float64Array(0) };
  const data = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const nWin = c.window.reduce((a, b) => a * b, 1);
  const rank = c.shape.length;
  for (let flat = 0; flat < data.length; flat++) {
    const y = new Array<number>(rank);
    let r = flat;
    for (let d = rank - 1; d >= 0; d--) {
      y[d] = r % outShape[d];
      r = Math.floor(r / outShape[d]);
    }
    let acc = c.op === "sum" ? 0 : -Infinity;
    for (let w = 0; w < nWin; w++) {
      let rw = w, idx = 0, inside = true;
      const k = new Array<number>(rank);
      for (let d = rank - 1; d >= 0; d--) {
        k[d] = rw % c.window[d];
        rw = Math.floor(rw / c.window[d]);
      }
      for (let d = 0; d < rank; d++) {
        const xi = y[d] * c.strides[d] + k[d] - pads[d][0];
        if (xi < 0 || xi >= c.shape[d]) inside = false;
        idx = idx * c.shape[d] + xi;
      }
      const v = inside ? x[idx] : c.op === "sum" ? 0 : -Infinity;
      acc = c.op === "sum" ? acc + v : Math.max(acc, v);
    }
    data[flat] = acc;
  }
  return { shape: outShape, data };
}

/**
 * Random windows over ranks 1-4. With `coveringPads`, explicit pads stay in
 * [0, window - 1] so that no window lies wholly in the padding (a max over
 * padding alone is -Infinity, which finite differences cannot handle).
 */
function caseArb(op: "sum" | "max", maxSize: number, coveringPads = false): fc.Arbitrary<Case> {
  return fc.integer({ min: 1, max: 4 }).chain((rank) => {
    const perAxis = (min: number, max: number) =>
      fc.array(fc.integer({ min, max }), { minLength: rank, maxLength: rank });
    return fc.record({
      shape: perAxis(1, maxSize),
      window: perAxis(1, 3),
      strides: perAxis(1, 3),
      padKind: fc.constantFrom("VALID", "SAME", "explicit"),
      pads: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), {
        minLength: rank,
        maxLength: rank,
      }),
      seed: fc.integer({ min: 1, max: 1e9 }),
    }).map((r) => ({
      op,
      shape: r.shape,
      window: r.window,
      strides: r.strides,
      padding: r.padKind === "explicit"
        ? r.pads.map(([lo, hi], d): [number, number] =>
          coveringPads ? [Math.min(Math.max(lo, 0), r.window[d] - 1), Math.min(Math.max(hi, 0), r.window[d] - 1)] : [
            lo,
            hi,
          ]
        )
        : r.padKind as "SAME" | "VALID",
      seed: r.seed,
    }));
  });
}

/** Like `assertAllClose`, but a window wholly in -Infinity padding must give exactly -Infinity. */
function assertWindowClose(got: ArrayLike<number>, want: Float64Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = want[i];
    const ok = Number.isFinite(w) ? Math.abs(g - w) <= tol * (1 + Math.abs(w)) : g === w;
    assert.ok(ok, `${what}[${i}]: got ${g}, want ${w}`);
  }
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const run = (x: Tensor, c: Case) =>
  np.reduceWindow(x, { op: c.op, window: c.window, strides: c.strides, padding: c.padding });

describe("reduceWindow forward", () => {
  for (const op of ["sum", "max"] as const) {
    test(`${op}: matches direct evaluation of the definition (random ranks 1-4, padding kinds)`, () => {
      fc.assert(
        fc.property(caseArb(op, 5), (c) => {
          const x = distinctValues(size(c.shape), c.seed);
          const want = referenceWindow(x, c);
          fc.pre(want.data.length > 0);
          const got = run(np.array(x, { shape: c.shape, dtype: "float64" }), c);
          assert.deepEqual(got.shape, want.shape);
          assertWindowClose(got.dataSync(), want.data, 1e-12, "float64");
          const got32 = run(np.array(x, { shape: c.shape, dtype: "float32" }), c);
          assertWindowClose(got32.dataSync(), want.data, 1e-5, "float32");
        }),
        { numRuns: 30 },
      );
    });
  }

  test("closed forms: 2x2 pooling, SAME with -Infinity padding for max", () => {
    const x = np.reshape(np.arange(16, undefined, 1, { dtype: "float32" }), [1, 1, 4, 4]);
    const pool = { window: [1, 1, 2, 2], strides: [1, 1, 2, 2] };
    assert.deepEqual(np.reduceWindow(x, { op: "max", ...pool }).toArray(), [[[[5, 7], [13, 15]]]]);
    assert.deepEqual(np.reduceWindow(x, { op: "sum", ...pool }).toArray(), [[[[10, 18], [42, 50]]]]);
    // in 3, window 2, stride 1: SAME pads (0, 1); the last max window is [-3, pad] = -3, not 0.
    const neg = np.array([-1, -2, -3]);
    assert.deepEqual(np.reduceWindow(neg, { op: "max", window: [2], padding: "SAME" }).toArray(), [-1, -2, -3]);
    assert.deepEqual(np.reduceWindow(neg, { op: "sum", window: [2], padding: "SAME" }).toArray(), [-3, -5, -3]);
    // Negative padding crops; strides default to 1.
    assert.deepEqual(
      np.reduceWindow(np.array([1, 2, 3, 4]), { op: "sum", window: [2], padding: [[-1, 0]] }).toArray(),
      [
        5,
        7,
      ],
    );
    // Integer and bool inputs.
    const ints = np.array([3, 1, 4, 1, 5], { dtype: "int32" });
    const m = np.reduceWindow(ints, { op: "max", window: [2], strides: [2] });
    assert.equal(m.dtype, "int32");
    assert.deepEqual(m.toArray(), [3, 4]);
    const counts = np.reduceWindow(np.array([true, false, true, true]), { op: "sum", window: [2] });
    assert.equal(counts.dtype, "int32");
    assert.deepEqual(counts.toArray(), [1, 1, 2]);
  });

  test("golden sum pooling (shared/reference/sum_pool.json)", () => {
    const { cases } = loadReference("sum_pool.json");
    for (const c of cases) {
      const opts = {
        op: "sum" as const,
        window: c.window_shape_full,
        strides: c.strides_full,
        padding: c.padding,
      };
      const x = refTensor(c.input);
      const [y, back] = vjp((t: Tensor) => np.reduceWindow(t, opts), x);
      assert.deepEqual(y.shape, c.output.shape);
      assert.ok(relError(y.dataSync(), c.output.data) <= 1e-10, "forward");
      assert.ok(relError((back(refTensor(c.cot)) as Tensor[])[0].dataSync(), c.grad.data) <= 1e-10, "gradient");
      const y32 = np.reduceWindow(refTensor(c.input, "float32"), opts);
      assert.ok(relError(y32.dataSync(), c.output.data) <= 1e-4, "float32 forward");
    }
  });
});

describe("reduceWindow gradients", () => {
  for (const op of ["sum", "max"] as const) {
    test(`${op}: matches central differences (distinct values, random windows)`, () => {
      fc.assert(
        fc.property(caseArb(op, 4, true), (c) => {
          const x = distinctValues(size(c.shape), c.seed);
          fc.pre(referenceWindow(x, c).data.length > 0);
          checkGradients((t) => run(t, c), [np.array(x, { shape: c.shape, dtype: "float64" })], { seed: c.seed });
        }),
        { numRuns: 30 },
      );
    });
  }

  test("max sends the cotangent to the first maximum of each window (ties)", () => {
    const g = grad((t: Tensor) => np.sum(np.reduceWindow(t, { op: "max", window: [2] })))(np.zeros([4]));
    assert.deepEqual(g.toArray(), [1, 1, 1, 0]);
    const x = np.array([[1, 5, 5], [5, 2, 5]]);
    const g2 = grad((t: Tensor) => np.sum(np.reduceWindow(t, { op: "max", window: [2, 2] })))(x);
    assert.deepEqual(g2.toArray(), [[0, 2, 0], [0, 0, 0]]);
  });

  test("sum gradient counts the windows covering each element (overlapping, strided, padded)", () => {
    const g = grad((t: Tensor) =>
      np.sum(np.reduceWindow(t, { op: "sum", window: [3], strides: [2], padding: "SAME" }))
    )(
      np.zeros([6]),
    );
    // out 3, pads (0, 1): windows [0..2], [2..4], [4..6)
    assert.deepEqual(g.toArray(), [1, 1, 2, 1, 2, 1]);
  });

  test("second order: sum and max windows differentiate again (central differences)", () => {
    const c: Case = { op: "sum", shape: [2, 5], window: [1, 3], strides: [1, 2], padding: "SAME", seed: 3 };
    const x = np.array(distinctValues(10, 3), { shape: [2, 5], dtype: "float64" });
    checkGradients((t) => grad((u: Tensor) => np.sum(np.sin(run(u, c))))(t), [x]);
    // Distinct values keep every window's maximum away from a tie, where the max is smooth.
    const maxLoss = (u: Tensor) => np.sum(np.square(run(u, { ...c, op: "max" })));
    checkGradients((t) => grad(maxLoss)(t), [x]);
  });
});

describe("reduceWindow errors", () => {
  const x = np.ones([2, 3]);
  const throwsNamed = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e.message.startsWith("reduceWindow") && pattern.test(e.message));

  test("bad op, window, strides and padding", () => {
    throwsNamed(
      () => np.reduceWindow(x, { op: "min" as "max", window: [1, 1] }),
      /op must be "sum" or "max", got "min"/,
    );
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: [2] }), /window must be 2 .*\[2,3\].*\[2\]/);
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: [1, 0] }), /window/);
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: undefined as unknown as number[] }), /window/);
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: [1, 1], strides: [1, 0] }), /strides .*\[1,0\]/);
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: [1, 1], strides: [-1, 1] }), /strides/);
    throwsNamed(
      () => np.reduceWindow(x, { op: "sum", window: [1, 1], padding: "FULL" as "SAME" }),
      /unknown padding "FULL"/,
    );
    throwsNamed(() => np.reduceWindow(x, { op: "sum", window: [1, 1], padding: [[0, 0]] }), /padding/);
    throwsNamed(() => np.reduceWindow(x, { op: "max", window: [1, 4] }), /empty.*\[1,4\].*\[2,3\]/);
    throwsNamed(() => np.reduceWindow(x, { op: "max", window: [1, 2], padding: [[0, 0], [-1, -1]] }), /empty/);
  });
});
