import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import {
  awayFromZero,
  distinctValues,
  f64,
  numel,
  randomTensor,
  randomValues,
  refReduce,
  rng,
  seedArb,
  shapeArb,
} from "./support/arbitraries.ts";

const RUNS = { numRuns: 15 };

type AxisArg = number | number[] | undefined;

/** A random axis argument for rank `nd`: all axes, one (maybe negative) or a subset (as an array). */
function pickAxes(nd: number, seed: number): { arg: AxisArg; axes: number[] } {
  const r = rng(seed);
  const mode = r();
  if (mode < 0.2 || nd === 0) return { arg: undefined, axes: Array.from({ length: nd }, (_, i) => i) };
  const signed = (a: number) => (r() < 0.5 ? a - nd : a);
  if (mode < 0.55) {
    const a = Math.floor(r() * nd);
    return { arg: signed(a), axes: [a] };
  }
  const axes = Array.from({ length: nd }, (_, i) => i).filter(() => r() < 0.5);
  return { arg: axes.map(signed).reverse(), axes };
}

function keptShape(shape: number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const reduceCases: {
  name: string;
  op: (x: Tensor, axis?: AxisArg, keepdims?: boolean) => Tensor;
  ref: (data: number[], shape: number[], axes: number[]) => number[];
}[] = [
  { name: "sum", op: np.sum, ref: (d, s, a) => refReduce(d, s, a, (x, y) => x + y, 0).data },
  { name: "prod", op: np.prod, ref: (d, s, a) => refReduce(d, s, a, (x, y) => x * y, 1).data },
  { name: "max", op: np.max, ref: (d, s, a) => refReduce(d, s, a, Math.max, -Infinity).data },
  { name: "min", op: np.min, ref: (d, s, a) => refReduce(d, s, a, Math.min, Infinity).data },
  {
    name: "mean",
    op: np.mean,
    ref: (d, s, a) => {
      const n = a.reduce((k, i) => k * s[i], 1);
      return refReduce(d, s, a, (x, y) => x + y, 0).data.map((v) => v / n);
    },
  },
  {
    name: "var",
    op: np.var,
    ref: (d, s, a) => naiveVar(d, s, a, 0),
  },
  {
    name: "std",
    op: np.std,
    ref: (d, s, a) => naiveVar(d, s, a, 0).map(Math.sqrt),
  },
  {
    name: "logsumexp",
    op: np.logsumexp,
    ref: (d, s, a) => refReduce(d, s, a, (x, y) => x + Math.exp(y), 0).data.map(Math.log),
  },
];

function naiveVar(d: number[], s: number[], a: number[], ddof: number): number[] {
  const n = a.reduce((k, i) => k * s[i], 1);
  const mean = refReduce(d, s, a, (x, y) => x + y, 0).data.map((v) => v / n);
  const sq = refReduce(d, s, a, (x, y) => x + y * y, 0).data;
  // Two-pass would be more accurate; E[x^2] - E[x]^2 is exact enough for values near 1.
  return sq.map((v, i) => (v - n * mean[i] * mean[i]) / (n - ddof));
}

describe("reductions forward", () => {
  for (const c of reduceCases) {
    test(`${c.name} over random axes (negative, several, all), keepdims`, () => {
      fc.assert(
        fc.property(shapeArb(0, 4), seedArb, fc.boolean(), (shape, seed, keepdims) => {
          const values = distinctValues(numel(shape), seed).map((v) => v + 0.5);
          const { arg, axes } = pickAxes(shape.length, seed + 1);
          const got = c.op(f64(values, shape), arg, keepdims);
          const wantShape = keepdims ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
          assert.deepEqual(got.shape, wantShape);
          assertAllClose(got.dataSync(), c.ref(values, shape, axes), { rtol: 1e-10, atol: 1e-10 }, c.name);
        }),
        RUNS,
      );
    });
  }

  test("var and std with ddof", () => {
    const x = f64([1, 2, 3, 4, 6, 8], [2, 3]);
    assertAllClose(np.var(x, 1, false, 1).dataSync(), [1, 4]);
    assertAllClose(np.std(x, 1, true, 1).dataSync(), [1, 2]);
    assert.deepEqual(np.std(x, 1, true, 1).shape, [2, 1]);
    assertAllClose(np.var(x).dataSync(), naiveVar([1, 2, 3, 4, 6, 8], [2, 3], [0, 1], 0));
  });

  test("result dtypes: bool sums/products count as int32, integer means are float32", () => {
    const b = np.array([[true, false, true], [true, true, true]]);
    assert.equal(np.sum(b).dtype, "int32");
    assert.equal(np.sum(b).item(), 5);
    assert.deepEqual(np.sum(b, 1).toArray(), [2, 3]);
    assert.equal(np.prod(b, 1).dtype, "int32");
    assert.deepEqual(np.prod(b, 1).toArray(), [0, 1]);
    const i = np.array([[1, 2], [3, 4]], { dtype: "int32" });
    assert.equal(np.sum(i).dtype, "int32");
    assert.equal(np.max(i).dtype, "int32");
    assert.equal(np.max(i).item(), 4);
    assert.equal(np.mean(i).dtype, "float32");
    assert.equal(np.mean(i).item(), 2.5);
    assert.equal(np.var(i).dtype, "float32");
    assert.equal(np.max(b).dtype, "bool");
    assert.equal(np.min(b).item(), 0);
    assert.equal(np.sum(np.array([1, 2], { dtype: "float64" })).dtype, "float64");
  });

  test("max/min propagate NaN over leading and trailing axes", () => {
    const x = f64([1, NaN, 3, 4, 5, 6], [2, 3]);
    for (const op of [np.max, np.min]) {
      const rows = op(x, 1).dataSync();
      assert.ok(Number.isNaN(rows[0]) && !Number.isNaN(rows[1]));
      const cols = op(x, 0).dataSync();
      assert.ok(!Number.isNaN(cols[0]) && Number.isNaN(cols[1]) && !Number.isNaN(cols[2]));
      assert.ok(Number.isNaN(op(x).item()));
    }
    assert.equal(np.max(f64([-Infinity, -Infinity], [2])).item(), -Infinity);
  });

  test("empty reductions: sum 0, prod 1, mean NaN; axis [] is the identity", () => {
    const e = np.zeros([2, 0]);
    assert.deepEqual(np.sum(e, 1).toArray(), [0, 0]);
    assert.deepEqual(np.prod(e, 1).toArray(), [1, 1]);
    assert.ok(Number.isNaN(np.mean(e).item()));
    assert.deepEqual(np.sum(e, 0).shape, [0]);
    const x = f64([1, 2, 3], [3]);
    assert.deepEqual(np.sum(x, []).toArray(), [1, 2, 3]);
    assert.equal(np.sum(f64([5], [])).item(), 5);
    assert.deepEqual(np.sum(f64([5], []), undefined, true).shape, []);
  });

  test("logsumexp is stable for large, -inf and +inf inputs", () => {
    assertAllClose(np.logsumexp(f64([1000, 1000], [2])).dataSync(), [1000 + Math.log(2)], { rtol: 1e-15 });
    assertAllClose(np.logsumexp(f64([-1000, -1000], [2])).dataSync(), [-1000 + Math.log(2)], { rtol: 1e-15 });
    assert.equal(np.logsumexp(f64([-Infinity, -Infinity], [2])).item(), -Infinity);
    assert.equal(np.logsumexp(f64([Infinity, 1], [2])).item(), Infinity);
    assertAllClose(np.logsumexp(f64([-Infinity, 0], [2])).dataSync(), [0]);
    const g = grad((x) => np.logsumexp(x))(f64([1000, 1000], [2]));
    assertAllClose(g.dataSync(), [0.5, 0.5]);
  });

  test("argmax/argmin: first of ties, NaN wins, flattened without axis, keepdims", () => {
    const x = f64([1, 5, 5, 0, -2, -2], [2, 3]);
    const am = np.argmax(x, 1);
    assert.equal(am.dtype, "int32");
    assert.deepEqual(am.toArray(), [1, 0]);
    assert.deepEqual(np.argmin(x, -1).toArray(), [0, 1]);
    assert.deepEqual(np.argmax(x, 0).toArray(), [0, 0, 0]);
    assert.equal(np.argmax(x).item(), 1);
    assert.equal(np.argmin(x).item(), 4);
    assert.deepEqual(np.argmax(x, 1, true).shape, [2, 1]);
    assert.deepEqual(np.argmax(x, undefined, true).shape, [1, 1]);
    assert.equal(np.argmax(f64([1, NaN, 7, NaN], [4])).item(), 1);
    assert.equal(np.argmin(f64([NaN, -5], [2])).item(), 0);
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
        const v = randomValues(numel(shape), seed).map((u) => Math.round(u * 3) + 0); // + 0: no -0
        const ax = Math.floor(rng(seed)() * shape.length);
        const got = np.argmax(f64(v, shape), ax).dataSync();
        const best = refReduce(v, shape, [ax], Math.max, -Infinity).data;
        // The index found holds the maximum, and no earlier index does.
        const stride = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
        Array.from(got).forEach((k, o) => {
          const outer = Math.floor(o / stride), inner = o % stride;
          const at = (j: number) => v[(outer * shape[ax] + j) * stride + inner];
          assert.equal(at(k), best[o]);
          for (let j = 0; j < k; j++) assert.ok(at(j) < best[o]);
        });
      }),
      RUNS,
    );
  });
});

describe("classifier composites forward", () => {
  test("softmax and logSoftmax against the closed form, any axis or axes", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
        const v = randomValues(numel(shape), seed, -3, 3);
        const { arg, axes } = pickAxes(shape.length, seed + 2);
        const axis = arg ?? -1;
        const used = arg === undefined ? [shape.length - 1] : axes;
        const lse = np.logsumexp(f64(v, shape), used, true).dataSync();
        const lseRef = refReduce(v, shape, used, (a, b) => a + Math.exp(b), 0).data.map(Math.log);
        assertAllClose(lse, lseRef, { rtol: 1e-12 });
        const ls = np.logSoftmax(f64(v, shape), axis);
        const sm = np.softmax(f64(v, shape), axis);
        const sums = refReduce(sm.dataSync(), shape, used, (a, b) => a + b, 0).data;
        assertAllClose(sums, sums.map(() => 1), { rtol: 1e-12 });
        assertAllClose(np.exp(ls).dataSync(), sm.dataSync(), { rtol: 1e-12 });
      }),
      RUNS,
    );
    const p = np.softmax(np.array([[1, 1], [0, Math.log(3)]], { dtype: "float64" }));
    assertAllClose(p.dataSync(), [0.5, 0.5, 0.25, 0.75], { rtol: 1e-14 });
    const big = np.softmax(np.array([1000, 0, -1000], { dtype: "float64" })).dataSync();
    assert.deepEqual(Array.from(big), [1, Math.exp(-1000), 0]);
    assert.equal(np.softmax(np.array([1, 2], { dtype: "int32" })).dtype, "float32");
  });

  test("oneHot: new last axis, out-of-range rows are zero, dtype option", () => {
    const o = np.oneHot(np.array([[0, 2], [3, -1]], { dtype: "int32" }), 3);
    assert.equal(o.dtype, "float32");
    assert.deepEqual(o.toArray(), [[[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0]]]);
    assert.deepEqual(np.oneHot(1, 2, { dtype: "int32" }).toArray(), [0, 1]);
    assert.deepEqual(np.oneHot(np.array([1, 0.5]), 2).toArray(), [[0, 1], [0, 0]]);
  });
});

describe("reduction gradients (central differences, float64)", () => {
  for (const c of reduceCases) {
    test(`${c.name}`, () => {
      fc.assert(
        fc.property(shapeArb(0, 3), seedArb, fc.boolean(), (shape, seed, keepdims) => {
          const { arg, axes } = pickAxes(shape.length, seed + 3);
          const groupSize = axes.reduce((k, a) => k * shape[a], 1);
          // std needs a non-zero spread in every group.
          if (c.name === "std" && groupSize < 2) return;
          const values = c.name === "prod"
            ? awayFromZero(numel(shape), seed, 0.5, 1.5)
            : distinctValues(numel(shape), seed).map((v) => v * 3);
          checkGradients((x) => c.op(x, arg, keepdims), [f64(values, shape)]);
        }),
        RUNS,
      );
    });
  }

  for (const [name, op] of [["softmax", np.softmax], ["logSoftmax", np.logSoftmax]] as const) {
    test(`${name}`, () => {
      fc.assert(
        fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
          const axis = Math.floor(rng(seed)() * shape.length) - shape.length;
          checkGradients((x) => op(x, axis), [randomTensor(shape, seed, -2, 2)]);
        }),
        RUNS,
      );
    });
  }

  test("prod with zeros: closed form (one zero gets the product of the others, two zeros give 0)", () => {
    const g = grad((x) => np.sum(np.prod(x, 1)))(f64([2, 0, 3, 0, 0, 5, 2, 3, 4], [3, 3]));
    assert.deepEqual(g.toArray(), [[0, 6, 0], [0, 0, 0], [12, 8, 6]]);
  });

  test("max/min share the gradient among ties", () => {
    const g = grad((x) => np.sum(np.max(x, -1)))(f64([1, 3, 3, 2, 0, 1], [2, 3]));
    assert.deepEqual(g.toArray(), [[0, 0.5, 0.5], [1, 0, 0]]);
    const gm = grad((x) => np.min(x))(f64([1, 1, 2, 1], [4]));
    assertAllClose(gm.dataSync(), [1 / 3, 1 / 3, 0, 1 / 3]);
  });
});

describe("reduction errors name the op and the offending axes/shapes", () => {
  test("axes", () => {
    const x = np.zeros([2, 3]);
    for (const [name, op] of Object.entries({ sum: np.sum, max: np.max, min: np.min, prod: np.prod, mean: np.mean })) {
      assert.throws(() => op(x, 2), new RegExp(`${name}: axis 2 is out of bounds for an array of rank 2`));
      assert.throws(() => op(x, [0, -2]), new RegExp(`${name}: repeated axis in \\[0,-2\\]`));
    }
    assert.throws(() => np.var(x, -3), /var: axis -3 is out of bounds/);
    assert.throws(() => np.std(x, 5), /std: axis 5 is out of bounds/);
    assert.throws(() => np.logsumexp(x, 1.5), /logsumexp: axis 1.5 is out of bounds/);
    assert.throws(() => np.argmax(x, 2), /argmax: axis 2 is out of bounds/);
    assert.throws(() => np.softmax(x, 2), /softmax: axis 2 is out of bounds/);
    assert.throws(() => np.logSoftmax(x, [0, 0]), /logSoftmax: repeated axis/);
  });

  test("empty axes and bad options", () => {
    assert.throws(
      () => np.max(np.zeros([2, 0]), 1),
      /max: zero-size reduction over an axis of length 0 \(shape \[2,0\]\)/,
    );
    assert.throws(() => np.min(np.zeros([0])), /min: zero-size reduction .*\[0\]/);
    assert.throws(() => np.argmin(np.zeros([3, 0]), 1), /argmin: empty axis 1 in shape \[3,0\]/);
    assert.throws(() => np.var(np.zeros([3]), 0, false, -1), /var: ddof must be a non-negative integer, got -1/);
    assert.throws(
      () => np.oneHot(np.array([1], { dtype: "int32" }), 0),
      /oneHot: numClasses must be a positive integer, got 0/,
    );
    assert.throws(() => np.oneHot(np.array([true]), 2), /oneHot: labels must be numbers, got a bool tensor \[1\]/);
  });
});
