import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type DType, grad, np, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import {
  awayFromZero,
  broadcastPairArb,
  f64,
  numel,
  randomTensor,
  randomValues,
  refBinary,
  rng,
  seedArb,
  shapeArb,
} from "./support/arbitraries.ts";

const RUNS = { numRuns: 15 };

type Unary = (x: Tensor) => Tensor;
interface UnaryCase {
  name: string;
  op: Unary;
  ref: (x: number) => number;
  /** Sampling interval of the gradient test. */
  lo: number;
  hi: number;
  /** Keep |x| >= lo (for abs, whose derivative jumps at 0). */
  signed?: boolean;
}

const UNARY: UnaryCase[] = [
  { name: "neg", op: np.neg, ref: (x) => -x, lo: -2, hi: 2 },
  { name: "exp", op: np.exp, ref: Math.exp, lo: -2, hi: 2 },
  { name: "log", op: np.log, ref: Math.log, lo: 0.3, hi: 3 },
  { name: "log1p", op: np.log1p, ref: Math.log1p, lo: -0.6, hi: 2 },
  { name: "expm1", op: np.expm1, ref: Math.expm1, lo: -2, hi: 2 },
  { name: "sqrt", op: np.sqrt, ref: Math.sqrt, lo: 0.3, hi: 3 },
  { name: "tanh", op: np.tanh, ref: Math.tanh, lo: -2, hi: 2 },
  { name: "sigmoid", op: np.sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), lo: -4, hi: 4 },
  { name: "abs", op: np.abs, ref: Math.abs, lo: 0.1, hi: 2, signed: true },
  { name: "sin", op: np.sin, ref: Math.sin, lo: -3, hi: 3 },
  { name: "cos", op: np.cos, ref: Math.cos, lo: -3, hi: 3 },
  { name: "square", op: np.square, ref: (x) => x * x, lo: -2, hi: 2 },
  { name: "reciprocal", op: np.reciprocal, ref: (x) => 1 / x, lo: 0.3, hi: 2, signed: true },
];

type Binary = (a: Tensor, b: Tensor) => Tensor;
interface BinaryCase {
  name: string;
  op: Binary;
  ref: (a: number, b: number) => number;
  /** Values of a and b for the gradient test. */
  values: (n: number, seed: number, which: 0 | 1) => number[];
}

const anyValues = (n: number, seed: number) => randomValues(n, seed, -2, 2);
// a on odd tenths, b on even tenths: never tied, at least 0.08 apart.
const untied = (n: number, seed: number, which: 0 | 1) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => (2 * Math.floor(r() * 20 - 10) + which) * 0.1 + 0.01 * r());
};

const BINARY: BinaryCase[] = [
  { name: "add", op: np.add, ref: (a, b) => a + b, values: anyValues },
  { name: "sub", op: np.sub, ref: (a, b) => a - b, values: anyValues },
  { name: "mul", op: np.mul, ref: (a, b) => a * b, values: anyValues },
  {
    name: "div",
    op: np.div,
    ref: (a, b) => a / b,
    values: (n, s, w) => (w === 0 ? anyValues(n, s) : awayFromZero(n, s, 0.4, 2)),
  },
  {
    name: "pow",
    op: np.pow,
    ref: Math.pow,
    values: (n, s, w) => (w === 0 ? randomValues(n, s, 0.3, 2) : randomValues(n, s, -2, 2)),
  },
  { name: "maximum", op: np.maximum, ref: (a, b) => (a > b ? a : b), values: untied },
  { name: "minimum", op: np.minimum, ref: (a, b) => (a < b ? a : b), values: untied },
];

const SPECIALS = [-3.5, -1, -0.25, 0, 0.5, 2, 7];

describe("element-wise forward", () => {
  for (const c of UNARY) {
    test(`${c.name} matches Math on float64 and keeps float32`, () => {
      const xs = SPECIALS.filter((v) => c.name !== "reciprocal" || v !== 0);
      const got = c.op(np.array(xs, { dtype: "float64" }));
      assert.equal(got.dtype, "float64");
      assertAllClose(got.dataSync(), xs.map(c.ref), { rtol: 1e-14, atol: 1e-300 }, c.name);
      const got32 = c.op(np.array(xs, { dtype: "float32" }));
      assert.equal(got32.dtype, "float32");
      assertAllClose(got32.dataSync(), xs.map((v) => c.ref(Math.fround(v))), { rtol: 1e-6, atol: 1e-30 }, c.name);
    });
  }

  test("float functions of integer tensors give float32; neg/abs/sign keep int32", () => {
    const i = np.array([1, 4, 9], { dtype: "int32" });
    for (const op of [np.exp, np.log, np.sqrt, np.tanh, np.sigmoid, np.sin, np.cos, np.log1p, np.expm1]) {
      assert.equal(op(i).dtype, "float32");
    }
    assert.deepEqual(np.sqrt(i).toArray(), [1, 2, 3]);
    assert.equal(np.neg(i).dtype, "int32");
    assert.deepEqual(np.neg(i).toArray(), [-1, -4, -9]);
    assert.deepEqual(np.abs(np.array([-3, 2], { dtype: "int32" })).toArray(), [3, 2]);
    assert.deepEqual(np.sign(np.array([-3, 0, 2], { dtype: "int32" })).toArray(), [-1, 0, 1]);
    assert.equal(np.floor(i).dtype, "int32");
  });

  test("sign keeps signed zeros and NaN; floor/ceil; round halves to even", () => {
    const s = np.sign(np.array([-2, -0, 0, 3, NaN], { dtype: "float64" })).dataSync();
    assert.ok(Object.is(s[0], -1) && Object.is(s[1], -0) && Object.is(s[2], 0) && s[3] === 1 && Number.isNaN(s[4]));
    const xs = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, 3];
    assert.deepEqual(
      Array.from(np.round(np.array(xs, { dtype: "float64" })).dataSync()).map((v) => v + 0),
      [0, 2, 2, 0, -2, -2, 2, 3, -3, 3],
    );
    assert.deepEqual(np.floor(np.array([-1.5, 1.5])).toArray(), [-2, 1]);
    assert.deepEqual(np.ceil(np.array([-1.5, 1.5])).toArray(), [-1, 2]);
  });

  test("sigmoid and exp stay finite/exact at the extremes", () => {
    const y = np.sigmoid(np.array([-1000, -40, 0, 40, 1000], { dtype: "float64" })).dataSync();
    assert.equal(y[0], 0);
    assert.ok(Math.abs(y[1] - Math.exp(-40)) < 1e-30);
    assert.equal(y[2], 0.5);
    assert.equal(y[4], 1);
    assert.deepEqual(np.exp(np.array([-Infinity, Infinity])).toArray(), [0, Infinity]);
    assert.ok(Number.isNaN(np.log(np.array([-1])).item()));
  });

  for (
    const c of [
      ...BINARY,
      { name: "mod", op: np.mod, ref: (a: number, b: number) => a - b * Math.floor(a / b), values: anyValues },
    ]
  ) {
    test(`${c.name} broadcasts like numpy (random shapes, size-1 axes)`, () => {
      fc.assert(
        fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
          const av = c.values(numel(sa), seed, 0), bv = c.values(numel(sb), seed + 1, 1);
          if (c.name === "mod") bv.forEach((v, i) => (bv[i] = Math.abs(v) < 0.1 ? 0.5 : v));
          const got = c.op(f64(av, sa), f64(bv, sb));
          const want = refBinary(c.ref, av, sa, bv, sb);
          assert.deepEqual(got.shape, want.shape);
          assertAllClose(got.dataSync(), want.data, { rtol: 1e-12, atol: 1e-12 }, c.name);
        }),
        RUNS,
      );
    });
  }

  test("comparisons and logical ops broadcast and give bool", () => {
    const cmp: [string, Binary, (a: number, b: number) => boolean][] = [
      ["greater", np.greater, (a, b) => a > b],
      ["less", np.less, (a, b) => a < b],
      ["greaterEqual", np.greaterEqual, (a, b) => a >= b],
      ["lessEqual", np.lessEqual, (a, b) => a <= b],
      ["equal", np.equal, (a, b) => a === b],
      ["notEqual", np.notEqual, (a, b) => a !== b],
      ["logicalAnd", np.logicalAnd, (a, b) => a !== 0 && b !== 0],
      ["logicalOr", np.logicalOr, (a, b) => a !== 0 || b !== 0],
    ];
    fc.assert(
      fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
        // Few distinct values so that ties occur.
        const av = randomValues(numel(sa), seed).map((v) => Math.round(v * 2));
        const bv = randomValues(numel(sb), seed + 7).map((v) => Math.round(v * 2));
        for (const [name, op, ref] of cmp) {
          const got = op(f64(av, sa), f64(bv, sb));
          assert.equal(got.dtype, "bool", name);
          const want = refBinary((a, b) => (ref(a, b) ? 1 : 0), av, sa, bv, sb);
          assert.deepEqual(Array.from(got.dataSync()), want.data, name);
        }
      }),
      RUNS,
    );
    assert.deepEqual(np.logicalNot(np.array([0, 2, -1])).toArray(), [true, false, false]);
    assert.equal(np.equal(NaN, NaN).item(), 0);
    assert.equal(np.notEqual(NaN, NaN).item(), 1);
  });

  test("maximum and minimum propagate NaN from either side", () => {
    for (const op of [np.maximum, np.minimum]) {
      const a = np.array([NaN, 1, NaN, 2], { dtype: "float64" }), b = np.array([1, NaN, NaN, 3], { dtype: "float64" });
      const y = op(a, b).dataSync();
      assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[1]) && Number.isNaN(y[2]) && !Number.isNaN(y[3]));
    }
  });

  test("mod takes the sign of the divisor and keeps integer dtypes", () => {
    assert.deepEqual(
      np.mod(np.array([-3, 3, -3, 3], { dtype: "int32" }), np.array([2, 2, -2, -2], { dtype: "int32" })).toArray(),
      [
        1,
        1,
        -1,
        -1,
      ],
    );
    assert.equal(np.mod(np.array([5], { dtype: "int32" }), 3).dtype, "int32");
    assertAllClose(np.mod(np.array([5.5, -5.5], { dtype: "float64" }), 2).dataSync(), [1.5, 0.5]);
  });

  test("dtype promotion follows the lattice bool < uint32 < int32 < float32 < float64", () => {
    const rank: DType[] = ["bool", "uint32", "int32", "float32", "float64"];
    for (const a of rank) {
      for (const b of rank) {
        const want = rank[Math.max(rank.indexOf(a), rank.indexOf(b))];
        const got = np.maximum(np.zeros([2], { dtype: a }), np.zeros([2], { dtype: b }));
        assert.equal(got.dtype, want, `${a} with ${b}`);
      }
    }
  });

  test("JS numbers are weakly typed scalars", () => {
    const cases: [DType, number | boolean, DType][] = [
      ["int32", 1, "int32"],
      ["int32", 1.5, "float32"],
      ["uint32", 2, "uint32"],
      ["bool", 1, "int32"],
      ["bool", true, "bool"],
      ["float32", 1e300, "float32"],
      ["float64", 2, "float64"],
      ["float64", 0.1, "float64"],
    ];
    for (const [dt, v, want] of cases) {
      assert.equal(np.add(np.ones([2], { dtype: dt }), v).dtype, want, `${dt} + ${v}`);
      assert.equal(np.add(v, np.ones([2], { dtype: dt })).dtype, want, `${v} + ${dt}`);
    }
    // The scalar is converted at the tensor's precision, not float32 first.
    assert.equal(np.add(np.zeros([1], { dtype: "float64" }), 0.1).item(), 0.1);
    assert.deepEqual(np.add(np.array([1, 2], { dtype: "int32" }), 1).toArray(), [2, 3]);
    assert.equal(np.add(2, 3).dtype, "float32");
  });

  test("div is true division (integers give float32); integer arithmetic stays integer", () => {
    const a = np.array([7, -7], { dtype: "int32" }), b = np.array([2, 2], { dtype: "int32" });
    const q = np.div(a, b);
    assert.equal(q.dtype, "float32");
    assert.deepEqual(q.toArray(), [3.5, -3.5]);
    assert.equal(np.mul(a, b).dtype, "int32");
    assert.deepEqual(np.sub(a, b).toArray(), [5, -9]);
    assert.deepEqual(np.add(np.array([true, false]), np.array([true, true])).toArray(), [true, true]);
    assert.deepEqual(np.div(1, np.array([0, -0], { dtype: "float64" })).toArray(), [Infinity, -Infinity]);
  });

  test("where broadcasts condition and both branches; numbers and non-bool conditions", () => {
    fc.assert(
      fc.property(shapeArb(0, 3), seedArb, (out, seed) => {
        const r = rng(seed);
        const shapes = [0, 1, 2].map(() =>
          out.slice(Math.floor(r() * (out.length + 1))).map((d) => (r() < 0.3 ? 1 : d))
        );
        const cv = randomValues(numel(shapes[0]), seed).map((v) => (v > 0 ? 1 : 0));
        const av = randomValues(numel(shapes[1]), seed + 1), bv = randomValues(numel(shapes[2]), seed + 2);
        const cond = np.array(cv.map((v) => v === 1), { shape: shapes[0] });
        const got = np.where(cond, f64(av, shapes[1]), f64(bv, shapes[2]));
        const ab = refBinary((a, b) => a - b, av, shapes[1], bv, shapes[2]);
        const full = refBinary((c, d) => c + d, cv, shapes[0], ab.data.map(() => 0), ab.shape);
        assert.deepEqual(got.shape, full.shape);
        const pick = refBinary((c, _z) => c, cv, shapes[0], full.data, full.shape).data;
        const aFull = refBinary((a) => a, av, shapes[1], full.data, full.shape).data;
        const bFull = refBinary((b) => b, bv, shapes[2], full.data, full.shape).data;
        assertAllClose(got.dataSync(), pick.map((c, i) => (c ? aFull[i] : bFull[i])));
      }),
      RUNS,
    );
    assert.deepEqual(np.where(np.array([2, 0, -1]), 1, 0).toArray(), [1, 0, 1]);
    const w = np.where(np.array([true, false]), np.array([1, 2], { dtype: "int32" }), 0.5);
    assert.equal(w.dtype, "float32");
    assert.deepEqual(w.toArray(), [1, 0.5]);
  });

  test("clip bounds values, keeps NaN and dtype, tolerates missing bounds, gives hi when lo > hi", () => {
    const x = np.array([-2, -0.5, 0.5, 2, NaN], { dtype: "float64" });
    const y = np.clip(x, -1, 1).dataSync();
    assert.deepEqual(Array.from(y.slice(0, 4)), [-1, -0.5, 0.5, 1]);
    assert.ok(Number.isNaN(y[4]));
    assert.deepEqual(Array.from(np.clip(x, null, 0).dataSync().slice(0, 4)), [-2, -0.5, 0, 0]);
    assert.deepEqual(Array.from(np.clip(x, 0).dataSync().slice(0, 4)), [0, 0, 0.5, 2]);
    assert.deepEqual(np.clip(np.array([0, 5]), 3, 1).toArray(), [1, 1]);
    const i = np.clip(np.array([-5, 5, 1], { dtype: "int32" }), 0, 2);
    assert.equal(i.dtype, "int32");
    assert.deepEqual(i.toArray(), [0, 2, 1]);
    const lo = np.array([[0], [1]]);
    assert.deepEqual(np.clip(np.array([0.5, 2]), lo, 1.5).toArray(), [[0.5, 1.5], [1, 1.5]]);
  });

  test("astype converts as numpy: truncation toward zero, non-zero is true, float32 rounding", () => {
    const x = np.array([-1.7, -0.2, 0, 0.9, 2.5, NaN], { dtype: "float64" });
    assert.deepEqual(np.astype(np.array([-1.7, -0.2, 0.9, 2.5]), "int32").toArray(), [-1, 0, 0, 2]);
    assert.deepEqual(np.astype(x, "bool").toArray(), [true, true, false, true, true, true]);
    assert.deepEqual(np.astype(np.array([true, false]), "float32").toArray(), [1, 0]);
    assert.equal(np.astype(np.array([0.1], { dtype: "float64" }), "float32").item(), Math.fround(0.1));
    const same = np.array([1, 2]);
    assert.equal(np.astype(same, "float32"), same);
  });
});

describe("element-wise gradients (central differences, float64)", () => {
  for (const c of UNARY) {
    test(`${c.name}`, () => {
      fc.assert(
        fc.property(shapeArb(0, 3), seedArb, (shape, seed) => {
          const v = c.signed
            ? awayFromZero(numel(shape), seed, c.lo, c.hi)
            : randomValues(numel(shape), seed, c.lo, c.hi);
          checkGradients(c.op, [f64(v, shape)]);
        }),
        RUNS,
      );
    });
  }

  for (const c of BINARY) {
    test(`${c.name} with broadcasting`, () => {
      fc.assert(
        fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
          checkGradients(c.op, [f64(c.values(numel(sa), seed, 0), sa), f64(c.values(numel(sb), seed + 1, 1), sb)]);
        }),
        RUNS,
      );
    });
  }

  test("where (gradients to both branches, broadcast)", () => {
    fc.assert(
      fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
        const cond = np.greater(randomTensor(sa.length >= sb.length ? sa : sb, seed + 5), 0);
        checkGradients((a, b) => np.where(cond, a, b), [randomTensor(sa, seed), randomTensor(sb, seed + 1)]);
      }),
      RUNS,
    );
  });

  test("clip (to x inside the bounds, to the bounds where they are taken)", () => {
    fc.assert(
      fc.property(shapeArb(0, 3), seedArb, (shape, seed) => {
        // Keep x at least 0.05 from both bounds so the derivative is defined.
        const v = randomValues(numel(shape), seed, -2, 2).map((u) => (Math.abs(Math.abs(u) - 1) < 0.05 ? u * 0.5 : u));
        checkGradients((x, lo, hi) => np.clip(x, lo, hi), [f64(v, shape), f64([-1], []), f64([1], [])]);
      }),
      RUNS,
    );
  });

  test("mod: d/da = 1, d/db = -floor(a/b)", () => {
    const a = np.array([5.5, -3.2, 7.1], { dtype: "float64" }), b = np.array([2, 1.5, -3], { dtype: "float64" });
    const [ga, gb] = grad((a, b) => np.sum(np.mod(a, b)), { argnums: [0, 1] })(a, b);
    assert.deepEqual(ga.toArray(), [1, 1, 1]);
    assert.deepEqual(gb.toArray(), [-2, 3, 3]);
  });

  test("astype float32 <-> float64 passes gradients through, with the input's dtype", () => {
    fc.assert(
      fc.property(shapeArb(1, 2), seedArb, (shape, seed) => {
        // The float32 round trip adds ~1e-7 relative noise: use a wide step on a linear function.
        checkGradients((x) => np.astype(np.mul(np.astype(x, "float32"), 3), "float64"), [randomTensor(shape, seed)], {
          eps: 1e-2,
          rtol: 1e-4,
          atol: 1e-4,
        });
      }),
      RUNS,
    );
    const x32 = np.array([1, 2], { dtype: "float32" });
    const g = grad((x) => np.sum(np.square(np.astype(x, "float64"))))(x32);
    assert.equal(g.dtype, "float32");
    assert.deepEqual(g.toArray(), [2, 4]);
    // No gradient through integer casts (JAX: float0).
    const gi = grad((x) => np.sum(np.astype(np.astype(x, "int32"), "float64")))(np.array([1.5], { dtype: "float64" }));
    assert.deepEqual(gi.toArray(), [0]);
  });

  test("maximum/minimum split the gradient evenly at ties; sign/floor/round have zero gradient", () => {
    const x = np.array([1, 2], { dtype: "float64" }), y = np.array([1, 3], { dtype: "float64" });
    const [gx, gy] = grad((a, b) => np.sum(np.maximum(a, b)), { argnums: [0, 1] })(x, y);
    assert.deepEqual(gx.toArray(), [0.5, 0]);
    assert.deepEqual(gy.toArray(), [0.5, 1]);
    for (const op of [np.sign, np.floor, np.ceil, np.round]) {
      assert.deepEqual(grad((a) => np.sum(op(a)))(np.array([0.3, -1.2], { dtype: "float64" })).toArray(), [0, 0]);
    }
  });

  test("pow at zero: d/dx 0^0 is 0, d/dy 0^y is 0 (no NaN)", () => {
    const [gx, gy] = grad((a, b) => np.sum(np.pow(a, b)), { argnums: [0, 1] })(
      np.array([0, 0, 2], { dtype: "float64" }),
      np.array([0, 2, 3], { dtype: "float64" }),
    );
    assert.deepEqual(gx.toArray(), [0, 0, 12]);
    assertAllClose(gy.dataSync(), [0, 0, 8 * Math.log(2)]);
  });
});

describe("second derivatives (grad of grad)", () => {
  for (const c of UNARY) {
    test(`${c.name}`, () => {
      fc.assert(
        fc.property(shapeArb(1, 2), seedArb, (shape, seed) => {
          const v = c.signed
            ? awayFromZero(numel(shape), seed, c.lo, c.hi)
            : randomValues(numel(shape), seed, c.lo, c.hi);
          checkGradients((x) => grad((y: Tensor) => np.sum(c.op(y)))(x), [f64(v, shape)], { rtol: 1e-4 });
        }),
        { numRuns: 8 },
      );
    });
  }

  for (const c of BINARY) {
    test(`${c.name}`, () => {
      fc.assert(
        fc.property(broadcastPairArb(2), seedArb, ([sa, sb], seed) => {
          const a = f64(c.values(numel(sa), seed, 0), sa), b = f64(c.values(numel(sb), seed + 1, 1), sb);
          checkGradients(
            (x, y) => {
              const [gx, gy] = grad((p: Tensor, q: Tensor) => np.sum(np.mul(c.op(p, q), c.op(p, q))), {
                argnums: [0, 1],
              })(x, y);
              return np.concatenate([np.reshape(gx, [-1]), np.reshape(gy, [-1])]);
            },
            [a, b],
            { rtol: 1e-4 },
          );
        }),
        { numRuns: 8 },
      );
    });
  }

  test("closed form: d2/dx2 of x^3 is 6x and of sin is -sin", () => {
    const x = np.array([-1.5, 0.25, 2], { dtype: "float64" });
    const d2 = grad((y) => np.sum(grad((z: Tensor) => np.sum(np.pow(z, 3)))(y)))(x);
    assertAllClose(d2.dataSync(), [-9, 1.5, 12], { rtol: 1e-12 });
    const s2 = grad((y) => np.sum(grad((z: Tensor) => np.sum(np.sin(z)))(y)))(x);
    assertAllClose(s2.dataSync(), [-1.5, 0.25, 2].map((v) => -Math.sin(v)), { rtol: 1e-12 });
  });

  test("third derivative of exp through where and clip", () => {
    const d1 = (f: Unary) => (y: Tensor) => grad((z: Tensor) => np.sum(f(z)))(y);
    const f = (z: Tensor) => np.where(np.greater(z, 0), np.exp(z), np.clip(z, -0.5, null));
    const x = np.array([0.5, 1, -0.2, -1], { dtype: "float64" });
    const d3 = d1(d1(d1(f)))(x);
    assertAllClose(d3.dataSync(), [Math.exp(0.5), Math.exp(1), 0, 0], { rtol: 1e-12 });
  });
});

describe("element-wise errors name the op and the shapes", () => {
  test("binary shape mismatch", () => {
    const a = np.zeros([2, 3]), b = np.zeros([4]);
    for (const [name, op] of Object.entries({ add: np.add, sub: np.sub, mul: np.mul, div: np.div, pow: np.pow })) {
      assert.throws(
        () => op(a, b),
        new RegExp(`^RangeError: ${name}: shapes \\[2,3\\] and \\[4\\] cannot be broadcast`),
      );
    }
    assert.throws(() => np.maximum(a, b), /maximum: shapes \[2,3\] and \[4\]/);
    assert.throws(() => np.greater(a, np.zeros([3, 2])), /greater: shapes \[2,3\] and \[3,2\]/);
    assert.throws(() => np.logicalAnd(a, b), /logicalAnd: shapes \[2,3\] and \[4\]/);
    assert.throws(() => np.mod(a, b), /mod: shapes \[2,3\] and \[4\]/);
  });

  test("where, clip, astype, neg", () => {
    assert.throws(
      () => np.where(np.zeros([2], { dtype: "bool" }), np.zeros([3]), 0),
      /where: shapes \[2\] \(condition\), \[3\] and \[\] cannot be broadcast/,
    );
    assert.throws(
      () => np.clip(np.zeros([2, 3]), np.zeros([4]), null),
      /clip: shapes \[2,3\] and \[4\] cannot be broadcast/,
    );
    // deno-lint-ignore no-explicit-any
    assert.throws(() => np.astype(np.zeros([2]), "float16" as any), /astype: unknown dtype "float16"/);
    assert.throws(() => np.neg(np.array([true])), /neg: negation of a bool tensor of shape \[1\]/);
    assert.throws(() => np.add(np.zeros([2]), [[1], [2, 3]]), /np\.array: ragged nested array/);
  });
});
