/**
 * The CPU backend's element-wise, reduction and layout kernels against
 * naive multi-index loops, over random shapes that reach every path they
 * pick between: size-1 and long axes (rows of `set`, tiles of transposes,
 * doubled broadcast blocks), broadcasts on either side, every permutation
 * and every subset of reduced axes, in every dtype the kernel takes.
 * Results must match exactly: the kernels only reorder the walk, never the
 * arithmetic.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { BinaryOp, UnaryOp } from "../autodiff/cpu/elementwise.ts";
import type { ReduceOp } from "../autodiff/cpu/reduce.ts";
import { allocate, type DType, type TypedArray } from "../autodiff/dtype.ts";
import { binaryKernel, isComparison, unaryKernel, whereKernel } from "../autodiff/cpu/elementwise.ts";
import { broadcastKernel, padKernel, sliceKernel, transposeKernel } from "../autodiff/cpu/layout.ts";
import { reduceKernel } from "../autodiff/cpu/reduce.ts";
import { broadcastRead, numel, ravel, rng, seedArb, unravel } from "./support/arbitraries.ts";

const RUNS = { numRuns: 80 };
const DTYPES: DType[] = ["float32", "float64", "int32", "uint32", "bool"];
const SPECIALS = [NaN, -0, 0, Infinity, -Infinity];

/** Values of `dtype`: floats on a coarse grid (ties for comparisons) with NaN, ±0 and ±Infinity mixed in. */
function values(dtype: DType, n: number, seed: number): TypedArray {
  const r = rng(seed), out = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (dtype === "bool") out[i] = u < 0.5 ? 1 : 0;
    else if (dtype === "int32") out[i] = Math.floor(u * 21) - 10;
    else if (dtype === "uint32") out[i] = Math.floor(u * 21);
    else out[i] = u < 0.1 ? SPECIALS[Math.floor(u * 50)] : Math.round(u * 16) / 4 - 2;
  }
  return out;
}

/** Axis lengths: mostly short (size 1 included), sometimes long enough for the block and tile paths, rarely 0. */
const dimArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 3, arbitrary: fc.constantFrom(17, 33, 70) },
  { weight: 1, arbitrary: fc.constant(0) },
);

function shapesArb(maxRank: number, maxSize = 6000): fc.Arbitrary<number[]> {
  return fc.array(dimArb, { maxLength: maxRank }).filter((s) => numel(s) <= maxSize);
}

/** Element-by-element equality that tells -0 from 0 and NaN from everything but NaN. */
function assertSame(got: TypedArray, want: TypedArray, what: string): void {
  assert.equal(got.constructor, want.constructor, `${what}: array type`);
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/** One of `shape`'s broadcast inputs: some leading axes dropped, some axes set to 1. */
function shrink(shape: readonly number[], r: () => number): number[] {
  return shape.slice(Math.floor(r() * (shape.length + 1) * 0.5)).map((d) => (r() < 0.35 ? 1 : d));
}

/** numpy's broadcast of shapes that do broadcast; a length-0 axis stays 0 against 1. */
function broadcastOf(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    const dims = shapes.map((s) => s[i - rank + s.length] ?? 1).filter((d) => d !== 1);
    return dims.length > 0 ? dims[0] : 1;
  });
}

function shuffled(n: number, r: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const UNARY_REF: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  abs: Math.abs,
  sign: (x) => (Number.isNaN(x) || x === 0 ? x : Math.sign(x)),
  floor: Math.floor,
  ceil: Math.ceil,
  round: (x) => {
    const f = Math.floor(x), d = x - f;
    const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
    // A zero keeps the sign of `x`, as numpy's does.
    return r === 0 ? Math.sign(x) * 0 : r;
  },
  sin: Math.sin,
  cos: Math.cos,
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

const BINARY_REF: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: (x, y) => x ** y,
  // On a tie (0 and -0) the second operand wins.
  maximum: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? x : y),
  minimum: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? x : y),
  mod: (x, y) => {
    const r = x % y;
    return r !== 0 && Math.sign(r) !== Math.sign(y) ? r + y : r;
  },
  equal: (x, y) => Number(x === y),
  notEqual: (x, y) => Number(x !== y),
  greater: (x, y) => Number(x > y),
  greaterEqual: (x, y) => Number(x >= y),
  less: (x, y) => Number(x < y),
  lessEqual: (x, y) => Number(x <= y),
  logicalAnd: (x, y) => Number(x !== 0 && y !== 0),
  logicalOr: (x, y) => Number(x !== 0 || y !== 0),
};

const REDUCE_REF: Record<ReduceOp, [number, (acc: number, v: number) => number]> = {
  sum: [0, (a, v) => a + v],
  prod: [1, (a, v) => a * v],
  // On a tie (0 and -0) the first element wins.
  max: [-Infinity, (a, v) => (Number.isNaN(a) || Number.isNaN(v) ? NaN : v > a ? v : a)],
  min: [Infinity, (a, v) => (Number.isNaN(a) || Number.isNaN(v) ? NaN : v < a ? v : a)],
};

/** `out[i] = at(multi-index of i)` stored into an array of `dtype`, which converts like the kernels' stores. */
function refArray(dtype: DType, shape: readonly number[], at: (idx: number[]) => number): TypedArray {
  const out = allocate(dtype, numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = at(unravel(i, shape));
  return out;
}

describe("element-wise kernels against multi-index loops", () => {
  test("unary: every op and dtype", () => {
    fc.assert(
      fc.property(
        shapesArb(3),
        fc.constantFrom(...(Object.keys(UNARY_REF) as UnaryOp[])),
        fc.constantFrom<DType>("float32", "float64", "int32"),
        seedArb,
        (shape, op, dtype, seed) => {
          const x = values(dtype, numel(shape), seed);
          const want = refArray(
            op === "logicalNot" ? "bool" : dtype,
            shape,
            (idx) => UNARY_REF[op](x[ravel(idx, shape)]),
          );
          assertSame(unaryKernel(op, x, dtype), want, `${op} ${dtype} [${shape}]`);
        },
      ),
      RUNS,
    );
  });

  test("binary: same shapes, scalars, row and column broadcasts, every op and dtype", () => {
    fc.assert(
      fc.property(
        shapesArb(4),
        fc.constantFrom(...(Object.keys(BINARY_REF) as BinaryOp[])),
        fc.constantFrom(...DTYPES),
        seedArb,
        (out, op, dtype, seed) => {
          const r = rng(seed);
          const aShape = shrink(out, r), bShape = shrink(out, r);
          const shape = broadcastOf(aShape, bShape);
          const a = values(dtype, numel(aShape), seed + 1), b = values(dtype, numel(bShape), seed + 2);
          const want = refArray(
            isComparison(op) ? "bool" : dtype,
            shape,
            (idx) => BINARY_REF[op](broadcastRead(a, aShape, idx), broadcastRead(b, bShape, idx)),
          );
          const got = binaryKernel(op, a, aShape, b, bShape, shape, dtype);
          assertSame(got, want, `${op} ${dtype} [${aShape}] [${bShape}]`);
        },
      ),
      RUNS,
    );
  });

  test("where: each of the three operands broadcast or not", () => {
    fc.assert(
      fc.property(shapesArb(4), fc.constantFrom(...DTYPES), seedArb, (out, dtype, seed) => {
        const r = rng(seed);
        const cShape = shrink(out, r), aShape = shrink(out, r), bShape = shrink(out, r);
        const shape = broadcastOf(cShape, aShape, bShape);
        const c = values("bool", numel(cShape), seed + 1);
        const a = values(dtype, numel(aShape), seed + 2), b = values(dtype, numel(bShape), seed + 3);
        const want = refArray(
          dtype,
          shape,
          (idx) => broadcastRead(c, cShape, idx) !== 0 ? broadcastRead(a, aShape, idx) : broadcastRead(b, bShape, idx),
        );
        const got = whereKernel(c, cShape, a, aShape, b, bShape, shape, dtype);
        assertSame(got, want, `where ${dtype} [${cShape}] [${aShape}] [${bShape}]`);
      }),
      RUNS,
    );
  });
});

describe("reduce kernel against a multi-index loop", () => {
  test("every subset of axes, every op, folded in float64 in index order", () => {
    fc.assert(
      fc.property(
        shapesArb(5),
        fc.constantFrom<ReduceOp>("sum", "prod", "max", "min"),
        fc.constantFrom<DType>("float32", "float64", "int32", "bool"),
        seedArb,
        (shape, op, dtype, seed) => {
          const r = rng(seed);
          const axes = shape.map((_, i) => i).filter(() => r() < 0.5);
          const x = values(dtype, numel(shape), seed + 1);
          const outShape = shape.filter((_, i) => !axes.includes(i));
          const [init, f] = REDUCE_REF[op];
          // Independent of the kernel's blocking: visit `x` in flat order, each element into its output slot.
          const acc = new Array<number>(numel(outShape)).fill(init);
          for (let i = 0; i < x.length; i++) {
            const o = ravel(unravel(i, shape).filter((_, d) => !axes.includes(d)), outShape);
            acc[o] = f(acc[o], x[i]);
          }
          const want = allocate(dtype, acc.length);
          want.set(acc);
          assertSame(reduceKernel(op, x, shape, axes, dtype), want, `${op} ${dtype} [${shape}] axes [${axes}]`);
        },
      ),
      RUNS,
    );
  });
});

describe("layout kernels against multi-index loops", () => {
  test("transpose: every permutation, kept and moved last axes", () => {
    fc.assert(
      fc.property(shapesArb(5, 20000), fc.constantFrom(...DTYPES), seedArb, (shape, dtype, seed) => {
        const perm = shuffled(shape.length, rng(seed));
        const x = values(dtype, numel(shape), seed + 1);
        const outShape = perm.map((p) => shape[p]);
        const want = refArray(dtype, outShape, (idx) => {
          const src = new Array<number>(shape.length);
          perm.forEach((p, d) => (src[p] = idx[d]));
          return x[ravel(src, shape)];
        });
        assertSame(transposeKernel(x, shape, perm, dtype), want, `${dtype} [${shape}] perm [${perm}]`);
      }),
      RUNS,
    );
  });

  test("broadcastTo: scalars, leading, trailing and interleaved broadcast axes", () => {
    fc.assert(
      fc.property(shapesArb(4, 20000), fc.constantFrom(...DTYPES), seedArb, (outShape, dtype, seed) => {
        const shape = shrink(outShape, rng(seed));
        const x = values(dtype, numel(shape), seed + 1);
        const want = refArray(dtype, outShape, (idx) => broadcastRead(x, shape, idx));
        assertSame(broadcastKernel(x, shape, outShape, dtype), want, `${dtype} [${shape}] to [${outShape}]`);
      }),
      RUNS,
    );
  });

  test("broadcastTo: block copies along kept and broadcast axes", () => {
    // Big enough that every layout goes through fill/set and copyWithin doubling, which small random shapes rarely do.
    const pairs: [number[], number[]][] = [
      [[1], [33, 70]],
      [[130], [70, 130]],
      [[70, 1], [70, 130]],
      [[3, 1, 130], [3, 33, 130]],
      [[2, 1, 1, 130], [2, 3, 33, 130]],
      [[1, 3, 1, 70], [5, 3, 17, 70]],
      [[4, 1, 2, 1, 65], [4, 9, 2, 3, 65]],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.constantFrom(...DTYPES), seedArb, ([shape, outShape], dtype, seed) => {
        const x = values(dtype, numel(shape), seed);
        const want = refArray(dtype, outShape, (idx) => broadcastRead(x, shape, idx));
        assertSame(broadcastKernel(x, shape, outShape, dtype), want, `${dtype} [${shape}] to [${outShape}]`);
      }),
      { numRuns: 40 },
    );
  });

  test("slice: random starts, sizes and steps", () => {
    fc.assert(
      fc.property(shapesArb(4, 20000), fc.constantFrom(...DTYPES), seedArb, (shape, dtype, seed) => {
        const r = rng(seed);
        const steps = shape.map(() => 1 + Math.floor(r() * 3));
        const starts = shape.map((d) => Math.floor(r() * d));
        const sizes = shape.map((d, i) => Math.min(d, 1 + Math.floor(r() * Math.ceil((d - starts[i]) / steps[i]))));
        const x = values(dtype, numel(shape), seed + 1);
        const want = refArray(dtype, sizes, (idx) => x[ravel(idx.map((v, d) => starts[d] + v * steps[d]), shape)]);
        const got = sliceKernel(x, shape, starts, sizes, steps, dtype);
        assertSame(got, want, `${dtype} [${shape}] starts [${starts}] sizes [${sizes}] steps [${steps}]`);
      }),
      RUNS,
    );
  });

  test("pad: random widths and fill value", () => {
    fc.assert(
      fc.property(shapesArb(4, 20000), fc.constantFrom(...DTYPES), seedArb, (shape, dtype, seed) => {
        const r = rng(seed);
        const pads = shape.map((): [number, number] => [Math.floor(r() * 3), Math.floor(r() * 3)]);
        const value = dtype === "bool" ? 1 : 7;
        const x = values(dtype, numel(shape), seed + 1);
        const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
        const want = refArray(dtype, outShape, (idx) => {
          const src = idx.map((v, d) => v - pads[d][0]);
          return src.every((v, d) => v >= 0 && v < shape[d]) ? x[ravel(src, shape)] : value;
        });
        assertSame(padKernel(x, shape, pads, value, dtype), want, `${dtype} [${shape}] pads ${JSON.stringify(pads)}`);
      }),
      RUNS,
    );
  });

  test("float32 elements move as bits: a NaN payload survives transpose and broadcast", () => {
    const bits = new Int32Array([0x7fa00001, 0x7fc00002, 1, -1, 0x7f800001, 5]);
    const x = new Float32Array(bits.buffer);
    const t = transposeKernel(x, [2, 3], [1, 0], "float32");
    assert.deepEqual([...new Int32Array(t.buffer)], [0x7fa00001, -1, 0x7fc00002, 0x7f800001, 1, 5]);
    const b = broadcastKernel(x.subarray(0, 1), [1], [40], "float32");
    assert.deepEqual([...new Int32Array(b.buffer)], new Array(40).fill(0x7fa00001));
  });
});
