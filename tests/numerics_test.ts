/**
 * Numerics that held for small inputs only: the softmax family for any
 * finite float32 input, forward and backward, against float64 references
 * computed here in plain JavaScript with the maximum subtracted; float ->
 * int conversion with XLA's saturation; number leaves under `grad`.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fn, grad, np, optim, type Tensor, valueAndGrad } from "../mod.ts";
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import { rng } from "./support/arbitraries.ts";
import { assertAllClose } from "./support/numeric.ts";

/** float64 references over the rows of a [rows, n] matrix (values already rounded to float32). */
function rowsOf(values: readonly number[], n: number): number[][] {
  return Array.from({ length: values.length / n }, (_, r) => values.slice(r * n, (r + 1) * n));
}

function refLogSoftmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
  return row.map((v) => v - m - Math.log(s));
}

function refLogsumexp(row: readonly number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
}

/**
 * Rows of `n` float32 values: an offset (0 up to 3e38, either sign) plus
 * spreads from 1e-3 to 30, so that each row's differences are representable
 * but the offset dwarfs them (x - logsumexp(x) loses them).
 */
const rowsArbitrary = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 6 }),
  offset: fc.constantFrom(0, 1, 3e4, -3e4, 1e6, 1e15, -1e30, 1e30, 3e38, -3e38),
  spread: fc.constantFrom(1e-3, 1, 30),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

function float32Rows(p: { rows: number; n: number; offset: number; spread: number; seed: number }): number[] {
  const r = rng(p.seed);
  return Array.from({ length: p.rows * p.n }, () => Math.fround(p.offset + p.spread * (2 * r() - 1)));
}

const RUNS = { numRuns: 60 };
const TOL = { rtol: 1e-5, atol: 1e-5 };

describe("numerics: the softmax family is stable in float32", () => {
  test("the issue's cases", () => {
    assert.deepEqual(np.softmax(np.array([1e30, 1e30])).toArray(), [0.5, 0.5]);
    const x = [3e4, 3e4 + 1, 3e4 + 2];
    assertAllClose(np.logSoftmax(np.array(x)).dataSync(), refLogSoftmax(x), { rtol: 1e-6, atol: 1e-6 });
    // Equal large traces: every class equally likely, so the loss is log(C) whatever the smoothing.
    const loss = fn.integralCrossentropy()(np.full([2, 5, 4], 2e4), np.array([0, 3], { dtype: "int32" }));
    assertAllClose([loss.item() as number], [Math.log(4)], { rtol: 1e-6, atol: 0 });
  });

  test("logSoftmax, softmax and logsumexp forward against float64", () => {
    fc.assert(
      fc.property(rowsArbitrary, (p) => {
        const values = float32Rows(p);
        const x = np.array(values, { shape: [p.rows, p.n] });
        const ref = rowsOf(values, p.n).map(refLogSoftmax);
        assertAllClose(np.logSoftmax(x).dataSync(), ref.flat(), TOL, "logSoftmax");
        assertAllClose(np.softmax(x).dataSync(), ref.flat().map(Math.exp), TOL, "softmax");
        const lse = rowsOf(values, p.n).map(refLogsumexp);
        assertAllClose(np.logsumexp(x, -1).dataSync(), lse, { rtol: 1e-6, atol: 1e-5 }, "logsumexp");
      }),
      RUNS,
    );
  });

  test("their gradients against float64: c - softmax * sum(c), and softmax", () => {
    fc.assert(
      fc.property(rowsArbitrary, (p) => {
        const values = float32Rows(p);
        const x = np.array(values, { shape: [p.rows, p.n] });
        const r = rng(p.seed + 1);
        const c = Array.from({ length: values.length }, () => 2 * r() - 1);
        const ct = np.array(c, { shape: [p.rows, p.n] });
        const soft = rowsOf(values, p.n).map(refLogSoftmax).map((row) => row.map(Math.exp));
        const cRows = rowsOf(c, p.n);
        const want = soft.flatMap((s, i) => {
          const total = cRows[i].reduce((a, v) => a + v, 0);
          return s.map((v, j) => cRows[i][j] - v * total);
        });
        const g = grad((t: Tensor) => np.sum(np.mul(np.logSoftmax(t), ct)))(x);
        assertAllClose(g.dataSync(), want, TOL, "d logSoftmax");
        const gl = grad((t: Tensor) => np.sum(np.mul(np.logsumexp(t, -1), np.sum(ct, -1))))(x);
        const wantL = soft.flatMap((s, i) => s.map((v) => v * cRows[i].reduce((a, u) => a + u, 0)));
        assertAllClose(gl.dataSync(), wantL, TOL, "d logsumexp");
      }),
      RUNS,
    );
  });

  test("softmax cross-entropy (probability and integer labels): loss and gradient", () => {
    fc.assert(
      fc.property(rowsArbitrary, (p) => {
        const values = float32Rows(p);
        const x = np.array(values, { shape: [p.rows, p.n] });
        const r = rng(p.seed + 2);
        const labels = Array.from({ length: p.rows }, () => Math.floor(r() * p.n));
        const hot = labels.flatMap((l) => Array.from({ length: p.n }, (_, j) => (j === l ? 1 : 0)));
        const logp = rowsOf(values, p.n).map(refLogSoftmax);
        const want = labels.map((l, i) => -logp[i][l]);
        const wantGrad = logp.flatMap((row, i) =>
          row.map((v, j) => (Math.exp(v) - (j === labels[i] ? 1 : 0)) / p.rows)
        );
        const y = np.array(labels, { dtype: "int32" });
        const [loss, g] = valueAndGrad((t: Tensor) => np.mean(optim.softmaxCrossEntropyWithIntegerLabels(t, y)))(x);
        assertAllClose([loss.item() as number], [want.reduce((a, v) => a + v, 0) / p.rows], TOL, "integer labels");
        assertAllClose(g.dataSync(), wantGrad, TOL, "d integer labels");
        const probs = np.array(hot, { shape: [p.rows, p.n] });
        const [loss2, g2] = valueAndGrad((t: Tensor) => np.mean(optim.softmaxCrossEntropy(t, probs)))(x);
        assertAllClose([loss2.item() as number], [loss.item() as number], TOL, "probability labels");
        assertAllClose(g2.dataSync(), wantGrad, TOL, "d probability labels");
      }),
      RUNS,
    );
  });

  test("a zero label against a log-probability below float range counts 0, not NaN", () => {
    // logSoftmax([-3e38, 3e38]) = [-6e38 (-Infinity in float32), 0].
    const loss = optim.softmaxCrossEntropy(np.array([[-3e38, 3e38]]), np.array([[0, 1]]));
    assert.ok(loss.dataSync()[0] === 0, `loss ${loss.dataSync()[0]}`);
    const g = grad((t: Tensor) => np.sum(optim.softmaxCrossEntropy(t, np.array([[0, 1]]))))(np.array([[-3e38, 3e38]]));
    assert.ok(Array.from(g.dataSync()).every((v) => v === 0), `gradient ${g.dataSync()}`);
  });

  test("integralCrossentropy on large traces against float64 (time sums exact in float32)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom(1e4, 1e5, 1e6),
        fc.constantFrom(0, 0.3),
        fc.integer({ min: 1, max: 1e6 }),
        (B, C, scale, smoothing, seed) => {
          const T = 4, r = rng(seed);
          // Integers below 2^24 / T: the float32 time sums are exact, so the oracle sees the library's logits.
          const traces = Array.from({ length: B * T * C }, () => scale + Math.floor(r() * 50));
          const targets = Array.from({ length: B }, () => Math.floor(r() * C));
          const logits = Array.from(
            { length: B },
            (_, b) =>
              Array.from({ length: C }, (_, c) => {
                let s = 0;
                for (let t = 0; t < T; t++) s += traces[(b * T + t) * C + c];
                return s;
              }),
          );
          const want = logits.reduce((acc, row, b) => {
            const lp = refLogSoftmax(row);
            return acc - lp.reduce((a, v, c) => a + v * ((c === targets[b] ? 1 - smoothing : 0) + smoothing / C), 0);
          }, 0) / B;
          const loss = fn.integralCrossentropy({ smoothing })(
            np.array(traces, { shape: [B, T, C] }),
            np.array(targets, { dtype: "int32" }),
          );
          assertAllClose([loss.item() as number], [want], { rtol: 1e-5, atol: 1e-5 }, "integralCrossentropy");
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** XLA's float -> int conversion, written out: truncate, saturate, NaN -> 0. */
function saturate(v: number, dtype: "int32" | "uint32"): number {
  const [lo, hi] = dtype === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  if (Number.isNaN(v)) return 0;
  return Math.min(hi, Math.max(lo, Math.trunc(v))) + 0; // + 0: an int has no -0
}

describe("numerics: float -> int conversion saturates (XLA)", () => {
  const special = [0, -0, 0.5, -0.5, 1.9999, -1.9999, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 3e9, -3e9];
  const more = [2 ** 32 - 1, 2 ** 32, 5e9, 1e30, -1e30, Infinity, -Infinity, NaN, 123456.789, -7.25];
  const inputs = [...special, ...more];

  for (const dtype of ["int32", "uint32"] as const) {
    test(`astype(float32 / float64, ${dtype}), np.array(..., { dtype }), np.full, fromTypedArray`, () => {
      const want64 = inputs.map((v) => saturate(v, dtype));
      const want32 = inputs.map((v) => saturate(Math.fround(v), dtype));
      const f64 = np.array(inputs, { dtype: "float64" });
      assert.deepEqual(Array.from(np.astype(f64, dtype).dataSync()), want64, "astype from float64");
      assert.deepEqual(Array.from(np.astype(np.astype(f64, "float32"), dtype).dataSync()), want32, "astype float32");
      assert.deepEqual(Array.from(np.array(inputs, { dtype }).dataSync()), want64, "np.array from numbers");
      assert.deepEqual(Array.from(np.array(f64, { dtype }).dataSync()), want64, "np.array from a tensor");
      const typed = fromTypedArray(new Float64Array(inputs), [inputs.length], dtype);
      assert.deepEqual(Array.from(typed.dataSync()), want64, "fromTypedArray");
      for (const v of [3e9, -Infinity, NaN]) {
        assert.deepEqual(Array.from(np.full([2], v, { dtype }).dataSync()), [saturate(v, dtype), saturate(v, dtype)]);
      }
    });
  }

  test("random floats match the oracle", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noDefaultInfinity: false }), { minLength: 1, maxLength: 20 }), (xs) => {
        for (const dtype of ["int32", "uint32"] as const) {
          const got = np.astype(np.array(xs, { dtype: "float64" }), dtype).dataSync();
          assert.deepEqual(Array.from(got), xs.map((v) => saturate(v, dtype)));
        }
      }),
      { numRuns: 100 },
    );
  });

  test("int -> int still wraps, as XLA's convert does", () => {
    assert.deepEqual(np.astype(np.array([-1, 7], { dtype: "int32" }), "uint32").toArray(), [4294967295, 7]);
    assert.deepEqual(np.astype(np.array([4294967295], { dtype: "uint32" }), "int32").toArray(), [-1]);
  });
});

describe("numerics: number leaves under grad", () => {
  test("grad(x => x * x)(3) is a float32 Tensor 6; a number leaf in params gets its gradient", () => {
    const g = grad((x: Tensor) => np.mul(x, x))(3 as unknown as Tensor);
    assert.equal(g.dtype, "float32");
    assert.deepEqual(g.shape, []);
    assert.equal(g.item(), 6);
    const params = { w: np.array([1, 2]), scale: 0.5 };
    const [value, gp] = valueAndGrad((p: typeof params) => np.sum(np.mul(p.w, p.scale)))(params);
    assert.equal(value.item(), 1.5);
    assert.deepEqual(gp.w.toArray(), [0.5, 0.5]);
    assert.equal(gp.scale.item(), 3);
    // Numbers in undifferentiated arguments stay numbers.
    assert.equal(grad((x: Tensor, k: number) => np.mul(x, k))(np.array(2), 4).item(), 4);
  });

  test("other non-tensor leaves of a differentiated argument are errors naming it", () => {
    const f = (p: { w: Tensor }) => np.sum(p.w);
    assert.throws(
      () => grad(f)({ w: np.ones([2]), act: "relu" } as never),
      /grad: argument 0 is differentiated, but its leaf at act is "relu"/,
    );
    assert.throws(
      () => grad((a: Tensor, b: Tensor) => np.sum(np.add(a, b)), { argnums: [0, 1] })(np.ones([1]), true as never),
      /grad: argument 1 is differentiated, but its leaf is true/,
    );
  });
});
