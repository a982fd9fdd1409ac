import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import {
  broadcastRead,
  build,
  f64,
  numel,
  randomTensor,
  randomValues,
  ravel,
  rng,
  seedArb,
  shapeArb,
} from "./support/arbitraries.ts";

const RUNS = { numRuns: 15 };

/** `build` from a source tensor: each output element reads `src` at `from(idx)` (or `fill` for null). */
function gatherRef(
  src: ArrayLike<number>,
  srcShape: readonly number[],
  outShape: readonly number[],
  from: (idx: number[]) => number[] | null,
  fill = 0,
): number[] {
  return build(outShape, (idx) => {
    const s = from(idx);
    return s === null ? fill : src[ravel(s, srcShape)];
  });
}

function randomPerm(n: number, r: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** A random strided slice of `shape`: starts, limits, strides and the result shape. */
function randomSlice(shape: number[], seed: number) {
  const r = rng(seed);
  const starts = shape.map((d) => Math.floor(r() * d));
  const limits = shape.map((d, i) => starts[i] + 1 + Math.floor(r() * (d - starts[i])));
  const strides = shape.map(() => 1 + Math.floor(r() * 3));
  const sizes = starts.map((s, i) => Math.ceil((limits[i] - s) / strides[i]));
  return { starts, limits, strides, sizes };
}

/** Random pad widths in [-1, 2] that never crop a whole axis away. */
function randomPads(shape: number[], seed: number): [number, number][] {
  const r = rng(seed);
  return shape.map((d) => {
    const lo = Math.floor(r() * 4) - 1, hi = Math.floor(r() * 4) - 1;
    return Math.max(0, -lo) + Math.max(0, -hi) > d ? [Math.max(lo, 0), hi] : [lo, hi];
  });
}

describe("layout forward", () => {
  test("reshape keeps row-major order, infers -1, accepts a number", () => {
    const x = np.arange(6);
    assert.deepEqual(np.reshape(x, [2, -1]).toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(np.reshape(np.reshape(x, [3, 2]), 6).toArray(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(np.reshape(np.array([7]), []).shape, []);
    assert.deepEqual(np.reshape(np.zeros([0, 3]), [-1, 3]).shape, [0, 3]);
  });

  test("transpose, swapaxes, moveaxis move elements as numpy", () => {
    fc.assert(
      fc.property(shapeArb(1, 4), seedArb, (shape, seed) => {
        const r = rng(seed);
        const v = randomValues(numel(shape), seed);
        const perm = randomPerm(shape.length, r);
        const outShape = perm.map((p) => shape[p]);
        const inverseRead = (idx: number[]) => {
          const src = new Array<number>(shape.length);
          perm.forEach((p, k) => (src[p] = idx[k]));
          return src;
        };
        const t = np.transpose(f64(v, shape), perm);
        assert.deepEqual(t.shape, outShape);
        assert.deepEqual(Array.from(t.dataSync()), gatherRef(v, shape, outShape, inverseRead));
        const rev = np.transpose(f64(v, shape));
        assert.deepEqual(rev.shape, shape.slice().reverse());
        const a = Math.floor(r() * shape.length), b = Math.floor(r() * shape.length);
        const swapPerm = shape.map((_, i) => (i === a ? b : i === b ? a : i));
        assert.deepEqual(
          np.swapaxes(f64(v, shape), a - shape.length, b).dataSync(),
          np.transpose(f64(v, shape), swapPerm).dataSync(),
        );
        const movePerm = shape.map((_, i) => i).filter((i) => i !== a);
        movePerm.splice(b, 0, a);
        const moved = np.moveaxis(f64(v, shape), a, b - shape.length);
        assert.deepEqual(moved.shape, movePerm.map((p) => shape[p]));
        assert.deepEqual(moved.dataSync(), np.transpose(f64(v, shape), movePerm).dataSync());
      }),
      RUNS,
    );
  });

  test("expandDims and squeeze", () => {
    const x = np.zeros([2, 3]);
    assert.deepEqual(np.expandDims(x, 0).shape, [1, 2, 3]);
    assert.deepEqual(np.expandDims(x, -1).shape, [2, 3, 1]);
    assert.deepEqual(np.expandDims(x, 2).shape, [2, 3, 1]);
    assert.deepEqual(np.expandDims(x, -3).shape, [1, 2, 3]);
    assert.deepEqual(np.expandDims(x, [0, -1]).shape, [1, 2, 3, 1]);
    assert.deepEqual(np.expandDims(x, [1, 3]).shape, [2, 1, 3, 1]);
    const y = np.zeros([1, 2, 1, 3, 1]);
    assert.deepEqual(np.squeeze(y).shape, [2, 3]);
    assert.deepEqual(np.squeeze(y, -1).shape, [1, 2, 1, 3]);
    assert.deepEqual(np.squeeze(y, [0, 2]).shape, [2, 3, 1]);
    assert.deepEqual(np.squeeze(np.array([[5]])).toArray(), 5);
  });

  test("broadcastTo repeats along size-1 and new leading axes", () => {
    fc.assert(
      fc.property(shapeArb(0, 3), seedArb, (out, seed) => {
        const r = rng(seed);
        const shape = out.slice(Math.floor(r() * (out.length + 1))).map((d) => (r() < 0.4 ? 1 : d));
        const v = randomValues(numel(shape), seed);
        const got = np.broadcastTo(f64(v, shape), out);
        assert.deepEqual(got.shape, out);
        assert.deepEqual(Array.from(got.dataSync()), build(out, (idx) => broadcastRead(v, shape, idx)));
      }),
      RUNS,
    );
    assert.deepEqual(np.broadcastTo(np.array([1]), [0]).shape, [0]);
  });

  test("slice with strides", () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 5), seedArb, (shape, seed) => {
        const v = randomValues(numel(shape), seed);
        const { starts, limits, strides, sizes } = randomSlice(shape, seed);
        const got = np.slice(f64(v, shape), starts, limits, strides);
        assert.deepEqual(got.shape, sizes);
        const want = gatherRef(v, shape, sizes, (idx) => idx.map((i, d) => starts[d] + i * strides[d]));
        assert.deepEqual(Array.from(got.dataSync()), want);
      }),
      RUNS,
    );
    assert.deepEqual(np.slice(np.arange(5), [1], [4]).toArray(), [1, 2, 3]);
    assert.deepEqual(np.slice(np.arange(5), [2], [2]).shape, [0]);
  });

  test("pad with positive, negative and mixed widths and a constant", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
        const v = randomValues(numel(shape), seed);
        const pads = randomPads(shape, seed);
        const got = np.pad(f64(v, shape), pads, 7);
        const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
        assert.deepEqual(got.shape, outShape);
        const want = gatherRef(v, shape, outShape, (idx) => {
          const src = idx.map((i, d) => i - pads[d][0]);
          return src.every((s, d) => s >= 0 && s < shape[d]) ? src : null;
        }, 7);
        assert.deepEqual(Array.from(got.dataSync()), want);
      }),
      RUNS,
    );
    assert.deepEqual(np.pad(np.array([[1, 2]]), 1).toArray(), [[0, 0, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0]]);
    assert.deepEqual(np.pad(np.array([[1, 2]]), [1, 0]).toArray(), [[0, 0, 0], [0, 1, 2]]);
    assert.deepEqual(np.pad(np.array([[1, 2]]), [[0, 1]]).toArray(), [[1, 2, 0], [0, 0, 0]]);
    const i = np.pad(np.array([1], { dtype: "int32" }), [[1, 1]], 9);
    assert.equal(i.dtype, "int32");
    assert.deepEqual(i.toArray(), [9, 1, 9]);
  });

  test("concatenate, stack and split", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, fc.integer({ min: 1, max: 3 }), (shape, seed, k) => {
        const r = rng(seed);
        const ax = Math.floor(r() * shape.length);
        const shapes = Array.from({ length: k }, () => shape.map((d, i) => (i === ax ? Math.floor(r() * 3) : d)));
        const vals = shapes.map((s, j) => randomValues(numel(s), seed + j));
        const got = np.concatenate(vals.map((v, j) => f64(v, shapes[j])), ax - shape.length);
        const outShape = shape.map((d, i) => (i === ax ? shapes.reduce((n, s) => n + s[ax], 0) : d));
        assert.deepEqual(got.shape, outShape);
        const want = build(outShape, (idx) => {
          let at = idx[ax], j = 0;
          while (at >= shapes[j][ax]) at -= shapes[j++][ax];
          return vals[j][ravel(idx.map((i, d) => (d === ax ? at : i)), shapes[j])];
        });
        assert.deepEqual(Array.from(got.dataSync()), want);
        // split at the same boundaries gives the parts back.
        const cuts = shapes.slice(0, -1).map((_, j) => shapes.slice(0, j + 1).reduce((n, s) => n + s[ax], 0));
        const parts = np.split(got, cuts, ax);
        assert.equal(parts.length, k);
        parts.forEach((p, j) => {
          assert.deepEqual(p.shape, shapes[j]);
          assert.deepEqual(Array.from(p.dataSync()), vals[j]);
        });
        // stack = concatenate of expanded copies.
        const st = np.stack([f64(vals[0], shapes[0]), f64(vals[0], shapes[0])], ax);
        assert.deepEqual(st.shape, [...shapes[0].slice(0, ax), 2, ...shapes[0].slice(ax)]);
        const want2 = build(st.shape, (idx) => vals[0][ravel(idx.filter((_, d) => d !== ax), shapes[0])]);
        assert.deepEqual(Array.from(st.dataSync()), want2);
      }),
      RUNS,
    );
    assert.deepEqual(np.split(np.arange(6), 3).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(np.split(np.arange(5), [-2, 10]).map((t) => t.toArray()), [[0, 1, 2], [3, 4], []]);
    assert.deepEqual(np.split(np.arange(4), [3, 1]).map((t) => t.toArray()), [[0, 1, 2], [], [1, 2, 3]]);
    assert.deepEqual(np.stack([np.array(1), np.array(2)]).toArray(), [1, 2]);
    const mixed = np.concatenate([np.array([1], { dtype: "int32" }), np.array([0.5], { dtype: "float64" })]);
    assert.equal(mixed.dtype, "float64");
    assert.deepEqual(mixed.toArray(), [1, 0.5]);
  });

  test("take with negative and nested indices, with and without an axis", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
        const r = rng(seed);
        const ax = Math.floor(r() * shape.length);
        const n = shape[ax];
        const idxShape = [1 + Math.floor(r() * 2), 1 + Math.floor(r() * 3)];
        const idx = Array.from({ length: numel(idxShape) }, () => Math.floor(r() * 2 * n) - n);
        const v = randomValues(numel(shape), seed);
        const got = np.take(f64(v, shape), np.array(idx, { shape: idxShape, dtype: "int32" }), ax);
        const outShape = [...shape.slice(0, ax), ...idxShape, ...shape.slice(ax + 1)];
        assert.deepEqual(got.shape, outShape);
        const want = gatherRef(v, shape, outShape, (o) => {
          const k = idx[ravel(o.slice(ax, ax + 2), idxShape)];
          return [...o.slice(0, ax), k < 0 ? k + n : k, ...o.slice(ax + 2)];
        });
        assert.deepEqual(Array.from(got.dataSync()), want);
      }),
      RUNS,
    );
    const x = np.array([[10, 20], [30, 40]]);
    assert.deepEqual(np.take(x, [3, 0]).toArray(), [40, 10]);
    assert.deepEqual(np.take(x, 1, 1).toArray(), [20, 40]);
    assert.deepEqual(np.take(x, [[1], [0]], 0).shape, [2, 1, 2]);
    assert.deepEqual(np.take(np.array([true, false]), [1, 1]).toArray(), [false, false]);
  });

  test("flip, roll, repeat, tile", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (shape, seed) => {
        const r = rng(seed);
        const v = randomValues(numel(shape), seed);
        const x = f64(v, shape);
        const ax = Math.floor(r() * shape.length);
        // flip
        assert.deepEqual(
          Array.from(np.flip(x, ax).dataSync()),
          gatherRef(v, shape, shape, (i) => i.map((k, d) => (d === ax ? shape[d] - 1 - k : k))),
        );
        assert.deepEqual(
          Array.from(np.flip(x).dataSync()),
          gatherRef(v, shape, shape, (i) => i.map((k, d) => shape[d] - 1 - k)),
        );
        // roll: out[i] = x[i - shift]
        const shift = Math.floor(r() * 9) - 4;
        const mod = (a: number, n: number) => ((a % n) + n) % n;
        assert.deepEqual(
          Array.from(np.roll(x, shift, ax - shape.length).dataSync()),
          gatherRef(v, shape, shape, (i) => i.map((k, d) => (d === ax ? mod(k - shift, shape[d]) : k))),
        );
        assert.deepEqual(
          Array.from(np.roll(x, shift).dataSync()),
          v.map((_, i) => v[mod(i - shift, v.length)]),
        );
        // repeat
        const reps = Math.floor(r() * 3);
        const rep = np.repeat(x, reps, ax);
        const repShape = shape.map((d, i) => (i === ax ? d * reps : d));
        assert.deepEqual(rep.shape, repShape);
        assert.deepEqual(
          Array.from(rep.dataSync()),
          gatherRef(v, shape, repShape, (i) => i.map((k, d) => (d === ax ? Math.floor(k / reps) : k))),
        );
        // tile (reps may be shorter or longer than the rank)
        const tr = Array.from({ length: 1 + Math.floor(r() * 3) }, () => 1 + Math.floor(r() * 2));
        const nd = Math.max(tr.length, shape.length);
        const s = [...new Array(nd - shape.length).fill(1), ...shape];
        const t = [...new Array(nd - tr.length).fill(1), ...tr];
        const tileShape = s.map((d, i) => d * t[i]);
        const tiled = np.tile(x, tr);
        assert.deepEqual(tiled.shape, tileShape);
        assert.deepEqual(Array.from(tiled.dataSync()), build(tileShape, (i) => v[ravel(i.map((k, d) => k % s[d]), s)]));
      }),
      RUNS,
    );
    assert.deepEqual(np.roll(np.array([[1, 2], [3, 4]]), [1, 1], [0, 1]).toArray(), [[4, 3], [2, 1]]);
    assert.deepEqual(np.repeat(np.array([[1, 2]]), [1, 3], 1).toArray(), [[1, 2, 2, 2]]);
    assert.deepEqual(np.repeat(np.array([[1, 2], [3, 4]]), 2).toArray(), [1, 1, 2, 2, 3, 3, 4, 4]);
    assert.deepEqual(np.tile(np.array([1, 2]), 2).toArray(), [1, 2, 1, 2]);
    assert.equal(np.flip(np.array([1, 2], { dtype: "int32" })).dtype, "int32");
  });
});

describe("layout gradients (central differences, float64)", () => {
  const prop = (body: (shape: number[], seed: number, r: () => number) => void, minRank = 1, maxDim = 3) => {
    fc.assert(
      fc.property(shapeArb(minRank, 3, maxDim), seedArb, (shape, seed) => body(shape, seed, rng(seed + 99))),
      RUNS,
    );
  };

  test("reshape", () =>
    prop((shape, seed) => checkGradients((x) => np.reshape(x, [-1]), [randomTensor(shape, seed)]), 0));
  test("transpose", () =>
    prop((shape, seed, r) => {
      const perm = randomPerm(shape.length, r);
      checkGradients((x) => np.transpose(x, perm), [randomTensor(shape, seed)]);
    }));
  test("swapaxes", () =>
    prop((shape, seed, r) => {
      const a = Math.floor(r() * shape.length), b = Math.floor(r() * shape.length);
      checkGradients((x) => np.swapaxes(x, a, b), [randomTensor(shape, seed)]);
    }));
  test("moveaxis", () =>
    prop((shape, seed, r) => {
      const a = Math.floor(r() * shape.length), b = Math.floor(r() * shape.length);
      checkGradients((x) => np.moveaxis(x, a, -1 - b), [randomTensor(shape, seed)]);
    }));
  test("expandDims and squeeze", () =>
    prop((shape, seed, r) => {
      const a = Math.floor(r() * (shape.length + 1));
      checkGradients((x) => np.squeeze(np.expandDims(np.mul(x, x), a), a), [randomTensor(shape, seed)]);
      checkGradients((x) => np.squeeze(x), [randomTensor(shape.map((d) => (r() < 0.5 ? 1 : d)), seed)]);
    }, 0));
  test("broadcastTo", () =>
    prop((shape, seed, r) => {
      const small = shape.slice(Math.floor(r() * shape.length)).map((d) => (r() < 0.5 ? 1 : d));
      checkGradients((x) => np.broadcastTo(x, shape), [randomTensor(small, seed)]);
    }, 0));
  test("slice (with strides)", () =>
    prop(
      (shape, seed) => {
        const { starts, limits, strides } = randomSlice(shape, seed);
        checkGradients((x) => np.slice(x, starts, limits, strides), [randomTensor(shape, seed)]);
      },
      1,
      5,
    ));
  test("pad (negative widths included)", () =>
    prop((shape, seed) => {
      const pads = randomPads(shape, seed);
      checkGradients((x) => np.pad(x, pads, 0.5), [randomTensor(shape, seed)]);
    }));
  test("concatenate and stack", () =>
    prop((shape, seed, r) => {
      const ax = Math.floor(r() * shape.length);
      const other = shape.map((d, i) => (i === ax ? 1 + Math.floor(r() * 2) : d));
      checkGradients((a, b) => np.concatenate([a, b, a], ax), [
        randomTensor(shape, seed),
        randomTensor(other, seed + 1),
      ]);
      checkGradients((a, b) => np.stack([a, b], -1), [randomTensor(shape, seed), randomTensor(shape, seed + 2)]);
    }));
  test("split", () =>
    prop((shape, seed, r) => {
      const ax = Math.floor(r() * shape.length);
      const cut = Math.floor(r() * (shape[ax] + 1));
      checkGradients((x) => {
        const [a, b] = np.split(x, [cut], ax);
        return np.concatenate([np.reshape(np.mul(a, 2), [-1]), np.reshape(np.exp(b), [-1])]);
      }, [randomTensor(shape, seed)]);
    }));
  test("take (repeated and negative indices accumulate)", () =>
    prop((shape, seed, r) => {
      const ax = Math.floor(r() * shape.length);
      const n = shape[ax];
      const idx = np.array(Array.from({ length: 4 }, () => Math.floor(r() * 2 * n) - n), { dtype: "int32" });
      checkGradients((x) => np.take(x, idx, ax), [randomTensor(shape, seed)]);
    }));
  test("flip and roll", () =>
    prop((shape, seed, r) => {
      const ax = Math.floor(r() * shape.length);
      checkGradients((x) => np.mul(np.flip(x, ax), x), [randomTensor(shape, seed)]);
      const shift = Math.floor(r() * 7) - 3;
      checkGradients((x) => np.mul(np.roll(x, shift, ax), x), [randomTensor(shape, seed)]);
    }));
  test("repeat and tile", () =>
    prop((shape, seed, r) => {
      const ax = Math.floor(r() * shape.length);
      checkGradients((x) => np.repeat(x, 2, ax), [randomTensor(shape, seed)]);
      checkGradients((x) => np.tile(x, [2, 1, 2]), [randomTensor(shape, seed)]);
    }));

  test("take and repeat have second derivatives", () => {
    const x = f64([0.5, -1, 2], [3]);
    const idx = np.array([0, 2, 2, -1], { dtype: "int32" });
    const d2 = grad((y) => np.sum(grad((z: Tensor) => np.sum(np.pow(np.take(z, idx), 3)))(y)))(x);
    // d/dz_i sum_k z_{idx_k}^3 = c_i * 3 z_i^2 with c = [1, 0, 3]; d2 = 6 c_i z_i.
    assertAllClose(d2.dataSync(), [3, 0, 36]);
  });
});

describe("layout errors name the op and the shapes", () => {
  const x = np.zeros([2, 3]);
  test("reshape, transpose, broadcastTo, squeeze, expandDims, swapaxes, moveaxis", () => {
    assert.throws(() => np.reshape(x, [4]), /reshape: cannot reshape array of shape \[2,3\] \(size 6\) into \[4\]/);
    assert.throws(() => np.reshape(x, [-1, -1]), /reshape: more than one -1 in \[-1,-1\]/);
    assert.throws(() => np.reshape(x, [-1, 4]), /reshape: cannot reshape array of shape \[2,3\]/);
    assert.throws(() => np.transpose(x, [0, 0]), /transpose: axes \[0,0\] are not a permutation of 2 axes/);
    assert.throws(() => np.transpose(x, [0]), /transpose: axes \[0\] are not a permutation of 2 axes/);
    assert.throws(() => np.transpose(x, [0, 2]), /transpose: axis 2 is out of bounds for an array of rank 2/);
    assert.throws(() => np.broadcastTo(x, [2, 2]), /broadcastTo: cannot broadcast shape \[2,3\] to \[2,2\]/);
    assert.throws(() => np.broadcastTo(x, [3]), /broadcastTo: cannot broadcast shape \[2,3\] to \[3\]/);
    assert.throws(() => np.squeeze(x, 0), /squeeze: axis 0 of shape \[2,3\] has length 2, not 1/);
    assert.throws(() => np.expandDims(x, 3), /expandDims: axis 3 is out of bounds for an array of rank 3/);
    assert.throws(() => np.expandDims(x, [0, 0]), /expandDims: repeated axis in \[0,0\]/);
    assert.throws(() => np.swapaxes(x, 0, 2), /swapaxes: axis 2 is out of bounds/);
    assert.throws(() => np.moveaxis(x, -3, 0), /moveaxis: axis -3 is out of bounds/);
  });

  test("slice and pad", () => {
    assert.throws(
      () => np.slice(x, [0], [1]),
      /slice: starts \[0\], limits \[1\] and strides \[1,1\] must each have 2 entries for shape \[2,3\]/,
    );
    assert.throws(() => np.slice(x, [0, 2], [2, 4]), /slice: invalid range 2:4:1 on axis 1 of shape \[2,3\]/);
    assert.throws(() => np.slice(x, [0, 0], [2, 3], [1, 0]), /slice: invalid range 0:3:0 on axis 1/);
    assert.throws(() => np.slice(x, [1, 0], [0, 3]), /slice: invalid range 1:0:1 on axis 0/);
    assert.throws(
      () => np.pad(x, [[1, 1], [1, 1], [1, 1]]),
      /pad: need one integer \[lo, hi\] pair per axis of shape \[2,3\]/,
    );
    assert.throws(
      () => np.pad(x, [[0, 0], [0.5, 1]]),
      /pad: need one integer \[lo, hi\] pair per axis of shape \[2,3\]/,
    );
    assert.throws(
      () => np.pad(x, [[0, 0], [-2, -2]]),
      /pad: negative widths \[-2, -2\] remove more than the 3 elements of axis 1 of shape \[2,3\]/,
    );
  });

  test("concatenate, stack, split", () => {
    assert.throws(
      () => np.concatenate([x, np.zeros([3, 3])], 1),
      /concatenate: shapes \[2,3\], \[3,3\] differ off axis 1/,
    );
    assert.throws(() => np.concatenate([x, np.zeros([3])]), /concatenate: shapes \[2,3\], \[3\] differ off axis 0/);
    assert.throws(
      () => np.concatenate([np.array(1), np.array(2)]),
      /concatenate: zero-dimensional arrays cannot be concatenated \(shapes \[\], \[\]\)/,
    );
    assert.throws(() => np.concatenate([]), /concatenate: need at least one array/);
    assert.throws(() => np.concatenate([x], 2), /concatenate: axis 2 is out of bounds/);
    assert.throws(() => np.stack([x, np.zeros([3, 2])]), /stack: all shapes must match, got \[2,3\], \[3,2\]/);
    assert.throws(() => np.stack([x], 3), /stack: axis 3 is out of bounds/);
    assert.throws(() => np.split(x, 2, 1), /split: axis 1 of length 3 cannot be split into 2 equal sections/);
    assert.throws(
      () => np.split(x, [1.5], 1),
      /split: sections must be a positive integer or an array of integer indices/,
    );
  });

  test("take, roll, repeat, tile", () => {
    assert.throws(() => np.take(x, [2], 0), /take: index 2 is out of bounds for axis 0 of shape \[2,3\]/);
    assert.throws(() => np.take(x, [-7]), /take: index -7 is out of bounds for axis 0 of shape \[6\]/);
    assert.throws(() => np.take(x, np.array([0.5])), /take: indices must be integers, got dtype float32 \[1\]/);
    assert.throws(() => np.take(x, [0.5]), /take: indices must be integers, got \[0.5\]/);
    assert.throws(
      () => np.roll(x, [1, 2], 0),
      /roll: need one integer shift per axis, got shift \[1,2\] for axes \[0\]/,
    );
    assert.throws(() => np.roll(x, [1, 2]), /roll: without an axis the shift must be one number, got \[1,2\]/);
    assert.throws(() => np.roll(x, 1, 2), /roll: axis 2 is out of bounds/);
    assert.throws(
      () => np.repeat(x, -1, 0),
      /repeat: repeats must be a non-negative integer or 2 of them for axis 0 of shape \[2,3\], got -1/,
    );
    assert.throws(() => np.repeat(x, [1, 2], 1), /repeat: .* 3 of them for axis 1 of shape \[2,3\], got \[1,2\]/);
    assert.throws(() => np.tile(x, [-1]), /tile: reps must be non-negative integers, got \[-1\]/);
  });
});
