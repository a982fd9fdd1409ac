import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type DType, np } from "../mod.ts";
import { assertAllClose } from "./support/numeric.ts";
import { numel, shapeArb } from "./support/arbitraries.ts";

const DTYPES: DType[] = ["float32", "float64", "int32", "uint32", "bool"];

describe("np.array", () => {
  test("nested arrays give their shape; flat values take options.shape", () => {
    const t = np.array([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, "float32");
    assert.equal(t.size, 6);
    assert.equal(t.ndim, 2);
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const f = np.array([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: "float64" });
    assert.deepEqual(f.toArray(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(np.array(5).shape, []);
    assert.equal(np.array(5).item(), 5);
    assert.deepEqual(np.array([]).shape, [0]);
    assert.deepEqual(np.array([[], []]).shape, [2, 0]);
  });

  test("dtypes: booleans give bool, typed arrays keep theirs, options convert as numpy", () => {
    assert.equal(np.array([true, false]).dtype, "bool");
    assert.equal(np.array(true).dtype, "bool");
    assert.equal(np.array(new Float64Array([1])).dtype, "float64");
    assert.equal(np.array(new Int32Array([1])).dtype, "int32");
    assert.equal(np.array(new Uint32Array([1])).dtype, "uint32");
    assert.equal(np.array(new Float32Array([1])).dtype, "float32");
    assert.deepEqual(np.array([1.9, -1.9, 0.5], { dtype: "int32" }).toArray(), [1, -1, 0]);
    assert.deepEqual(np.array([2, 0, -0.5], { dtype: "bool" }).toArray(), [true, false, true]);
    assert.equal(np.array([0.1], { dtype: "float32" }).item(), Math.fround(0.1));
    assert.equal(np.array([0.1], { dtype: "float64" }).item(), 0.1);
    const t = np.array([1.5, 2.5], { dtype: "float64" });
    assert.equal(np.array(t), t);
    assert.deepEqual(np.array(t, { dtype: "int32" }).toArray(), [1, 2]);
    assert.deepEqual(np.array(t, { shape: [2, 1] }).shape, [2, 1]);
  });

  test("values round-trip through dataSync for every dtype (property)", () => {
    fc.assert(
      fc.property(shapeArb(0, 3), fc.constantFrom(...DTYPES), (shape, dtype) => {
        const values = Array.from({ length: numel(shape) }, (_, i) => (dtype === "bool" ? i % 2 : i * 3));
        const t = np.array(values, { shape, dtype });
        assert.deepEqual(t.shape, shape);
        assert.equal(t.dtype, dtype);
        assert.deepEqual(Array.from(t.dataSync()), values);
      }),
      { numRuns: 20 },
    );
  });

  test("dataSync returns a copy", () => {
    const t = np.array([1, 2]);
    t.dataSync()[0] = 99;
    assert.deepEqual(t.toArray(), [1, 2]);
  });

  test("errors name np.array and the problem", () => {
    assert.throws(() => np.array([[1, 2], [3]]), /np\.array: ragged nested array: expected length 2 at depth 1/);
    assert.throws(() => np.array([[1, 2], 3] as never), /np\.array: ragged nested array/);
    assert.throws(
      () => np.array(["a"] as never),
      /np\.array: ragged or non-numeric nested array \(found "a" at depth 1\)/,
    );
    assert.throws(() => np.array([1, 2, 3], { shape: [2, 2] }), /np\.array: 3 values cannot take shape \[2,2\]/);
    assert.throws(() => np.array([1], { dtype: "int8" as DType }), /np\.array: unknown dtype "int8"/);
    assert.throws(() => np.array([1], { shape: [-1] }), /np\.array: invalid shape \[-1\]/);
    assert.throws(
      () => np.fromTypedArray(new Float32Array(3), [2, 2]),
      /fromTypedArray: 3 values do not fill shape \[2,2\]/,
    );
  });
});

describe("constant fills", () => {
  test("zeros, ones, full: shapes (array or number), dtypes, values", () => {
    fc.assert(
      fc.property(shapeArb(0, 3), fc.constantFrom(...DTYPES), (shape, dtype) => {
        const z = np.zeros(shape, { dtype }), o = np.ones(shape, { dtype }), f = np.full(shape, 3, { dtype });
        for (const t of [z, o, f]) {
          assert.deepEqual(t.shape, shape);
          assert.equal(t.dtype, dtype);
        }
        assert.ok(z.dataSync().every((v) => v === 0));
        assert.ok(o.dataSync().every((v) => v === 1));
        assert.ok(f.dataSync().every((v) => v === (dtype === "bool" ? 1 : 3)));
      }),
      { numRuns: 20 },
    );
    assert.deepEqual(np.zeros(3).shape, [3]);
    assert.equal(np.ones([2]).dtype, "float32");
    assert.equal(np.full([2], true).dtype, "bool");
    assert.deepEqual(np.full([2], 1.5, { dtype: "int32" }).toArray(), [1, 1]);
    assert.ok(Number.isNaN(np.full([1], NaN, { dtype: "float64" }).item()));
  });

  test("zerosLike and onesLike copy shape and dtype (or take a new dtype)", () => {
    const x = np.array([[1, 2]], { dtype: "int32" });
    assert.deepEqual(np.zerosLike(x).toArray(), [[0, 0]]);
    assert.equal(np.zerosLike(x).dtype, "int32");
    assert.equal(np.onesLike(x, { dtype: "float64" }).dtype, "float64");
    assert.deepEqual(np.onesLike(x).toArray(), [[1, 1]]);
    assert.deepEqual(np.zerosLike(2.5).shape, []);
  });

  test("errors", () => {
    assert.throws(() => np.zeros([2, -1]), /np\.full: invalid shape \[2,-1\]/);
    assert.throws(() => np.ones([1.5]), /np\.full: invalid shape \[1\.5\]/);
    assert.throws(() => np.zeros([2], { dtype: "complex64" as DType }), /np\.full: unknown dtype "complex64"/);
    assert.throws(() => np.full([2], "x" as never), /np\.full: fill value must be a number or boolean, got "x"/);
  });
});

describe("ranges and identities", () => {
  test("arange: integers give int32, floats float32; negative steps; empty ranges; options", () => {
    assert.deepEqual(np.arange(5).toArray(), [0, 1, 2, 3, 4]);
    assert.equal(np.arange(5).dtype, "int32");
    assert.deepEqual(np.arange(2, 5).toArray(), [2, 3, 4]);
    assert.deepEqual(np.arange(5, 0, -2).toArray(), [5, 3, 1]);
    assert.deepEqual(np.arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.equal(np.arange(0, 1, 0.25).dtype, "float32");
    assert.deepEqual(np.arange(3, 1).shape, [0]);
    assert.equal(np.arange(3, { dtype: "float64" }).dtype, "float64");
    assert.deepEqual(np.arange(1, 3, { dtype: "float32" }).toArray(), [1, 2]);
    assert.deepEqual(np.arange(0, 3, 1, { dtype: "bool" }).toArray(), [false, true, true]);
    fc.assert(
      fc.property(
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -4, max: 4 }),
        (a, b, s) => {
          if (s === 0) return;
          const want: number[] = [];
          for (let v = a; s > 0 ? v < b : v > b; v += s) want.push(v);
          assert.deepEqual(Array.from(np.arange(a, b, s).dataSync()), want);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("linspace includes both ends exactly", () => {
    assert.deepEqual(np.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    const t = np.linspace(-1, 0.3, 7, { dtype: "float64" }).dataSync();
    assert.equal(t[0], -1);
    assert.equal(t[6], 0.3);
    assertAllClose(t, Array.from({ length: 7 }, (_, i) => -1 + (i * 1.3) / 6), { rtol: 1e-15, atol: 1e-15 });
    assert.deepEqual(np.linspace(2, 3, 1).toArray(), [2]);
    assert.deepEqual(np.linspace(2, 3, 0).shape, [0]);
    assert.equal(np.linspace(0, 1).size, 50);
  });

  test("eye: square, rectangular, offset diagonals", () => {
    assert.deepEqual(np.eye(2).toArray(), [[1, 0], [0, 1]]);
    assert.deepEqual(np.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(np.eye(3, 2, { k: -1 }).toArray(), [[0, 0], [1, 0], [0, 1]]);
    assert.deepEqual(np.eye(2, 3, { k: 1, dtype: "int32" }).toArray(), [[0, 1, 0], [0, 0, 1]]);
    assert.deepEqual(np.eye(2, { k: 5 }).toArray(), [[0, 0], [0, 0]]);
    assert.equal(np.eye(2, { dtype: "float64" }).dtype, "float64");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: -4, max: 4 }),
        (n, m, k) => {
          const e = np.eye(n, m, { k }).dataSync();
          for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) assert.equal(e[i * m + j], j - i === k ? 1 : 0);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("errors", () => {
    assert.throws(() => np.arange(0, 1, 0), /np\.arange: invalid step 0/);
    assert.throws(
      () => np.arange(0, Infinity),
      /np\.arange: start and stop must be finite numbers, got 0 and Infinity/,
    );
    assert.throws(() => np.linspace(0, 1, -1), /np\.linspace: num must be a non-negative integer, got -1/);
    assert.throws(() => np.linspace(0, NaN, 3), /np\.linspace: start and stop must be finite/);
    assert.throws(
      () => np.eye(-1),
      /np\.eye: sizes must be non-negative integers and k an integer, got n=-1, m=-1, k=0/,
    );
    assert.throws(() => np.eye(2, 2.5), /np\.eye: .* m=2\.5/);
    assert.throws(() => np.eye(2, { dtype: "half" as DType }), /np\.eye: unknown dtype "half"/);
  });
});

describe("tensor basics", () => {
  test("item, toArray of bool, dispose", () => {
    assert.throws(() => np.zeros([2]).item(), /Tensor\.item: tensor of shape \[2\] has 2 elements, not 1/);
    assert.deepEqual(np.array([[true], [false]]).toArray(), [[true], [false]]);
    const t = np.ones([2]);
    t.dispose();
    assert.ok(t.isDisposed);
    assert.throws(() => np.add(t, 1), /Tensor: use of a disposed tensor of shape \[2\]/);
  });
});
