import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { np } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import { build, f64, numel, randomTensor, randomValues, ravel, rng, seedArb } from "./support/arbitraries.ts";

const RUNS = { numRuns: 15 };

/** numpy matmul by definition: vectors promoted and the added axis dropped, batch axes broadcast. */
function refMatmul(a: number[], as: number[], b: number[], bs: number[]): { data: number[]; shape: number[] } {
  const A = as.length === 1 ? [1, as[0]] : as, B = bs.length === 1 ? [bs[0], 1] : bs;
  const m = A[A.length - 2], k = A[A.length - 1], n = B[B.length - 1];
  const ba = A.slice(0, -2), bb = B.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: nb }, (_, i) => {
    const x = ba[i - (nb - ba.length)] ?? 1, y = bb[i - (nb - bb.length)] ?? 1;
    return Math.max(x, y);
  });
  const read = (data: number[], shape: number[], bIdx: number[], r: number, c: number) => {
    const lead = shape.slice(0, -2);
    const off = bIdx.length - lead.length;
    const idx = [...lead.map((d, i) => (d === 1 ? 0 : bIdx[i + off])), r, c];
    return data[ravel(idx, shape)];
  };
  const full = [...batch, m, n];
  const data = build(full, (idx) => {
    const bIdx = idx.slice(0, -2), i = idx[idx.length - 2], j = idx[idx.length - 1];
    let s = 0;
    for (let p = 0; p < k; p++) s += read(a, A, bIdx, i, p) * read(b, B, bIdx, p, j);
    return s;
  });
  let shape = full;
  if (as.length === 1) shape = [...batch, n];
  if (bs.length === 1) shape = as.length === 1 ? [...batch] : [...batch, m];
  return { data, shape };
}

/** einsum by definition: loop over every assignment of every label. */
function refEinsum(spec: string, ops: { data: number[]; shape: number[] }[]): { data: number[]; shape: number[] } {
  const [lhs, out] = spec.split("->");
  const ins = lhs.split(",");
  const size = new Map<string, number>();
  ins.forEach((l, k) => [...l].forEach((c, i) => size.set(c, Math.max(size.get(c) ?? 1, ops[k].shape[i]))));
  const labels = [...size.keys()];
  const outShape = [...out].map((c) => size.get(c)!);
  const res = new Array<number>(numel(outShape)).fill(0);
  const dims = labels.map((l) => size.get(l)!);
  for (let f = 0; f < numel(dims); f++) {
    let rem = f;
    const val = new Map<string, number>();
    for (let i = labels.length - 1; i >= 0; i--) {
      val.set(labels[i], rem % dims[i]);
      rem = Math.floor(rem / dims[i]);
    }
    let p = 1;
    ins.forEach((l, k) => {
      const idx = [...l].map((c, i) => (ops[k].shape[i] === 1 ? 0 : val.get(c)!));
      p *= ops[k].data[ravel(idx, ops[k].shape)];
    });
    res[ravel([...out].map((c) => val.get(c)!), outShape)] += p;
  }
  return { data: res, shape: outShape };
}

/** Random matmul operand shapes: vectors, matrices, batched with broadcasting batch axes. */
function matmulShapes(seed: number): [number[], number[]] {
  const r = rng(seed);
  const m = 1 + Math.floor(r() * 3), k = 1 + Math.floor(r() * 3), n = 1 + Math.floor(r() * 3);
  const kind = Math.floor(r() * 6);
  const batch = () => Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.4 ? 1 : 2));
  switch (kind) {
    case 0:
      return [[k], [k]];
    case 1:
      return [[k], [...batch(), k, n]];
    case 2:
      return [[...batch(), m, k], [k]];
    case 3:
      return [[m, k], [k, n]];
    default: {
      const b = batch();
      return [[...b.map((d) => (r() < 0.5 ? 1 : d)), m, k], [
        ...b.slice(Math.floor(r() * 2)).map((d) => (r() < 0.3 ? 1 : d)),
        k,
        n,
      ]];
    }
  }
}

const EINSUM_CASES: [string, number[][]][] = [
  ["ij,jk->ik", [[2, 3], [3, 4]]],
  ["bti,ih->bth", [[2, 3, 2], [2, 3]]],
  ["bij,bjk->bik", [[2, 2, 3], [2, 3, 2]]],
  ["ij,ij->ij", [[2, 3], [2, 3]]],
  ["ij,ij->", [[2, 3], [2, 3]]],
  ["i,i->", [[4], [4]]],
  ["i,j->ij", [[2], [3]]],
  ["ij,jk->ki", [[2, 3], [3, 2]]],
  ["ijk,jl->lik", [[2, 3, 2], [3, 2]]],
  ["ij,kj->", [[2, 3], [2, 3]]],
  ["ij,j->i", [[2, 3], [1]]],
  ["bi,bj->bij", [[1, 2], [3, 2]]],
  ["ij->ji", [[2, 3]]],
  ["ij->j", [[2, 3]]],
  ["ijk->", [[2, 1, 3]]],
  ["ijk->kj", [[2, 2, 3]]],
];

describe("linear algebra forward", () => {
  test("matmul of vectors, matrices and broadcast batches matches the definition", () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const [sa, sb] = matmulShapes(seed);
        const a = randomValues(numel(sa), seed), b = randomValues(numel(sb), seed + 1);
        const got = np.matmul(f64(a, sa), f64(b, sb));
        const want = refMatmul(a, sa, b, sb);
        assert.deepEqual(got.shape, want.shape, `[${sa}] @ [${sb}]`);
        assertAllClose(got.dataSync(), want.data, { rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 40 },
    );
  });

  test("matmul keeps integer dtypes, promotes mixed ones, handles empty contractions", () => {
    const i = np.matmul(np.array([[1, 2]], { dtype: "int32" }), np.array([[3], [4]], { dtype: "int32" }));
    assert.equal(i.dtype, "int32");
    assert.deepEqual(i.toArray(), [[11]]);
    assert.equal(
      np.matmul(np.ones([2, 2], { dtype: "int32" }), np.ones([2, 2], { dtype: "float64" })).dtype,
      "float64",
    );
    assert.deepEqual(np.matmul(np.zeros([2, 0]), np.zeros([0, 3])).toArray(), [[0, 0, 0], [0, 0, 0]]);
    assert.ok(Number.isNaN(np.matmul(np.array([NaN, 1]), np.array([1, 1])).item()));
  });

  test("dot: scalars, inner products, matrices and the N-d contraction", () => {
    assert.deepEqual(np.dot(2, np.array([1, 2])).toArray(), [2, 4]);
    assert.equal(np.dot(np.array([1, 2, 3]), np.array([4, 5, 6])).item(), 32);
    assert.deepEqual(np.dot(np.array([[1, 2], [3, 4]]), np.array([1, 1])).toArray(), [3, 7]);
    fc.assert(
      fc.property(seedArb, (seed) => {
        const r = rng(seed);
        const k = 1 + Math.floor(r() * 3);
        const sa = [...Array.from({ length: Math.floor(r() * 3) }, () => 1 + Math.floor(r() * 2)), k];
        const sb = [1 + Math.floor(r() * 2), 1 + Math.floor(r() * 2), k, 1 + Math.floor(r() * 2)];
        const a = randomValues(numel(sa), seed), b = randomValues(numel(sb), seed + 1);
        const got = np.dot(f64(a, sa), f64(b, sb));
        // dot(a, b)[i..., j..., m] = sum_p a[i..., p] * b[j..., p, m]
        const outShape = [...sa.slice(0, -1), ...sb.slice(0, -2), sb[sb.length - 1]];
        const want = build(outShape, (idx) => {
          const ia = idx.slice(0, sa.length - 1), ib = idx.slice(sa.length - 1, -1), m = idx[idx.length - 1];
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ravel([...ia, p], sa)] * b[ravel([...ib, p, m], sb)];
          return s;
        });
        assert.deepEqual(got.shape, outShape);
        assertAllClose(got.dataSync(), want, { rtol: 1e-12, atol: 1e-12 });
      }),
      RUNS,
    );
  });

  for (const [spec, shapes] of EINSUM_CASES) {
    test(`einsum "${spec}" matches the definition`, () => {
      const ops = shapes.map((s, k) => ({ data: randomValues(numel(s), 11 + k), shape: s }));
      const got = np.einsum(spec, ...ops.map((o) => f64(o.data, o.shape)));
      const want = refEinsum(spec, ops);
      assert.deepEqual(got.shape, want.shape);
      assertAllClose(got.dataSync(), want.data, { rtol: 1e-12, atol: 1e-12 });
    });
  }

  test("einsum implicit output is the sorted labels seen once", () => {
    const a = randomTensor([2, 3], 1), b = randomTensor([3, 4], 2);
    assert.deepEqual(np.einsum("ij,jk", a, b).dataSync(), np.einsum("ij,jk->ik", a, b).dataSync());
    assert.deepEqual(np.einsum("ba", a).shape, [3, 2]);
    assert.deepEqual(np.einsum(" i j -> j i ", a).shape, [3, 2]);
  });
});

describe("linear algebra gradients (central differences, float64)", () => {
  test("matmul (vectors, matrices, batched, broadcast batch)", () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const [sa, sb] = matmulShapes(seed);
        checkGradients(np.matmul, [randomTensor(sa, seed), randomTensor(sb, seed + 1)]);
      }),
      { numRuns: 25 },
    );
  });

  test("dot", () => {
    checkGradients(np.dot, [randomTensor([3], 1), randomTensor([3], 2)]);
    checkGradients(np.dot, [randomTensor([2, 3], 1), randomTensor([3], 2)]);
    checkGradients(np.dot, [randomTensor([2, 3], 1), randomTensor([2, 3, 2], 2)]);
    checkGradients(np.dot, [randomTensor([], 1), randomTensor([2, 2], 2)]);
  });

  for (const [spec, shapes] of EINSUM_CASES) {
    test(`einsum "${spec}"`, () => {
      checkGradients((...xs) => np.einsum(spec, ...xs), shapes.map((s, k) => randomTensor(s, 5 + k)));
    });
  }
});

describe("linear algebra errors name the op and the shapes", () => {
  test("matmul", () => {
    assert.throws(
      () => np.matmul(np.zeros([3, 4]), np.zeros([5, 6])),
      /^RangeError: matmul: shapes \[3,4\] and \[5,6\] are incompatible on the contracted axis \(4 vs 5\)/,
    );
    assert.throws(() => np.matmul(np.zeros([3]), np.zeros([4])), /matmul: shapes \[3\] and \[4\] are incompatible/);
    assert.throws(
      () => np.matmul(np.zeros([]), np.zeros([2])),
      /matmul: operands must have at least one axis, got shapes \[\] and \[2\]/,
    );
    assert.throws(
      () => np.matmul(np.zeros([2, 1, 3]), np.zeros([3, 3, 1])),
      /matmul: batch axes of shapes \[2,1,3\] and \[3,3,1\] cannot be broadcast together/,
    );
  });

  test("dot and einsum", () => {
    assert.throws(
      () => np.dot(np.zeros([2, 3]), np.zeros([2, 2, 4])),
      /dot: shapes \[2,3\] and \[2,2,4\] are incompatible on the contracted axis \(3 vs 2\)/,
    );
    assert.throws(() => np.einsum("ij,jk->ik", np.zeros([2, 3])), /einsum: "ij,jk->ik" names 2 operands, got 1/);
    assert.throws(
      () => np.einsum("ij,jk,kl->il", np.zeros([1, 1]), np.zeros([1, 1]), np.zeros([1, 1])),
      /einsum: .* \(1 or 2 supported\)/,
    );
    assert.throws(() => np.einsum("ij->i", np.zeros([2])), /einsum: operand 0 has shape \[2\] but subscripts "ij"/);
    assert.throws(
      () => np.einsum("ij,jk->ik", np.zeros([2, 3]), np.zeros([4, 2])),
      /einsum: label j has sizes 3 and 4 in "ij,jk->ik" with shapes \[2,3\], \[4,2\]/,
    );
    assert.throws(() => np.einsum("ii->i", np.zeros([2, 2])), /einsum: repeated label within "ii" is not supported/);
    assert.throws(() => np.einsum("ij->k", np.zeros([2, 2])), /einsum: output label k is not in the inputs/);
    assert.throws(() => np.einsum("ij->ii", np.zeros([2, 2])), /einsum: repeated output label in "ij->ii"/);
    assert.throws(() => np.einsum("...i->i", np.zeros([2, 2])), /einsum: cannot parse "...i->i"/);
  });
});
