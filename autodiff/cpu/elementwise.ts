/**
 * CPU kernels of the element-wise primitives: unary maps, broadcast binary
 * maps, `where` and dtype casts.
 *
 * Every loop is compiled per op and dtype (see `specialize.ts`): a loop
 * shared by ops or dtypes sees many functions or array types and goes
 * megamorphic, which costs far more than the arithmetic. Broadcasts are
 * coalesced and visited as 2-d blocks of rows in which each operand is
 * either contiguous or one value, so `[B, n] op [n]`, `[B, n] op [B, 1]`,
 * same-shape and scalar operands all run as one tight loop per row.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";
import { compileLoop } from "./specialize.ts";
import { type BinaryOp, COMPARISONS, type UnaryOp } from "../ops/elementwise_names.ts";

export type { BinaryOp, UnaryOp } from "../ops/elementwise_names.ts";

/** Each op as statements that set `v` from `x` (and `y`); numpy semantics. */
const UNARY: Record<UnaryOp, string> = {
  neg: "v = -x;",
  exp: "v = Math.exp(x);",
  log: "v = Math.log(x);",
  log1p: "v = Math.log1p(x);",
  expm1: "v = Math.expm1(x);",
  sqrt: "v = Math.sqrt(x);",
  tanh: "v = Math.tanh(x);",
  // Two branches so that exp never overflows.
  sigmoid: "if (x >= 0) v = 1 / (1 + Math.exp(-x)); else { const e = Math.exp(x); v = e / (1 + e); }",
  abs: "v = Math.abs(x);",
  // `x` itself for 0, -0 and NaN.
  sign: "v = x > 0 ? 1 : x < 0 ? -1 : x;",
  floor: "v = Math.floor(x);",
  ceil: "v = Math.ceil(x);",
  // Halves round to even.
  round: "v = Math.round(x); if (Math.abs(x % 1) === 0.5 && v % 2 !== 0) v -= 1;",
  sin: "v = Math.sin(x);",
  cos: "v = Math.cos(x);",
  logicalNot: "v = x === 0 ? 1 : 0;",
};

const BINARY: Record<BinaryOp, string> = {
  add: "v = x + y;",
  sub: "v = x - y;",
  mul: "v = x * y;",
  div: "v = x / y;",
  pow: "v = Math.pow(x, y);",
  // NaN propagates.
  maximum: "v = x !== x || y !== y ? NaN : x > y ? x : y;",
  minimum: "v = x !== x || y !== y ? NaN : x < y ? x : y;",
  // The result takes the sign of the divisor, not of the dividend as JS `%` does.
  mod: "v = x % y; if (v !== 0 && (v < 0) !== (y < 0)) v += y;",
  equal: "v = x === y ? 1 : 0;",
  notEqual: "v = x !== y ? 1 : 0;",
  greater: "v = x > y ? 1 : 0;",
  greaterEqual: "v = x >= y ? 1 : 0;",
  less: "v = x < y ? 1 : 0;",
  lessEqual: "v = x <= y ? 1 : 0;",
  logicalAnd: "v = x !== 0 && y !== 0 ? 1 : 0;",
  logicalOr: "v = x !== 0 || y !== 0 ? 1 : 0;",
};

/**
 * True for ops whose result is bool.
 *
 * @example
 * ```ts
 * import { isComparison } from "./elementwise.ts";
 * isComparison("less"); // true
 * ```
 */
export function isComparison(op: BinaryOp): boolean {
  return COMPARISONS.has(op);
}

/**
 * Applies a unary function element-wise.
 *
 * @example
 * ```ts
 * import { unaryKernel } from "./elementwise.ts";
 * unaryKernel("neg", new Float32Array([1, -2]), "float32"); // Float32Array [-1, 2]
 * ```
 */
export function unaryKernel(op: UnaryOp, x: TypedArray, dtype: DType): TypedArray {
  const out = allocate(op === "logicalNot" ? "bool" : dtype, x.length);
  const loop = compileLoop<(src: TypedArray, out: TypedArray) => void>(
    `unary ${op} ${dtype}`,
    ["src", "out"],
    () => `for (let i = 0; i < src.length; i++) { const x = src[i]; let v = 0; ${UNARY[op]} out[i] = v; }`,
  );
  loop(x, out);
  return out;
}

/**
 * Strides of `shape` seen through a broadcast to `outShape`: broadcast axes
 * get stride 0.
 *
 * @example
 * ```ts
 * import { broadcastStrides } from "./elementwise.ts";
 * broadcastStrides([3, 1], [2, 3, 4]); // [0, 1, 0]
 * ```
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const s = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const src = i - off;
    return src < 0 || shape[src] === 1 ? 0 : s[src];
  });
}

/**
 * Drops length-1 axes and merges neighbouring axes that every operand walks
 * contiguously, so that runs along the last axis are as long as possible.
 * The output is taken to be dense (row-major over `outShape`).
 *
 * @example
 * ```ts
 * import { coalesce } from "./elementwise.ts";
 * coalesce([2, 3, 4], [[12, 4, 1], [0, 0, 1]]); // { shape: [6, 4], strides: [[4, 1], [0, 1]] }
 * ```
 */
export function coalesce(outShape: Shape, strides: readonly number[][]): { shape: number[]; strides: number[][] } {
  const shape: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => out[k][last] === s[d] * outShape[d]);
    if (mergeable) {
      shape[last] *= outShape[d];
      strides.forEach((s, k) => (out[k][last] = s[d]));
    } else {
      shape.push(outShape[d]);
      strides.forEach((s, k) => out[k].push(s[d]));
    }
  }
  return { shape, strides: out };
}

/**
 * Calls `body(outStart, starts, n)` for every run of the innermost axis of
 * `outShape`, with the offsets of any number of broadcast operands (their
 * per-axis `strides`). Shared by the element-wise and layout kernels.
 *
 * @example
 * ```ts
 * import { forEachInnerRun } from "./elementwise.ts";
 * forEachInnerRun([2, 3], [[3, 1]], (o, [p], n) => console.log(o, p, n)); // 0 0 3, then 3 3 3
 * ```
 */
export function forEachInnerRun(
  outShape: Shape,
  strides: readonly number[][],
  body: (outStart: number, starts: number[], n: number) => void,
): void {
  const nd = outShape.length;
  if (nd === 0) {
    body(0, strides.map(() => 0), 1);
    return;
  }
  const inner = outShape[nd - 1];
  const total = sizeOf(outShape);
  if (total === 0) return;
  const idx = new Array<number>(nd - 1).fill(0);
  const starts = strides.map(() => 0);
  for (let o = 0; o < total; o += inner) {
    body(o, starts, inner);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < strides.length; k++) starts[k] += strides[k][d];
      if (idx[d] < outShape[d]) break;
      for (let k = 0; k < strides.length; k++) starts[k] -= strides[k][d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Calls `body(starts)` for every multi-index of `shape` in row-major order,
 * with the offsets of operands of the given per-axis `strides`.
 *
 * @example
 * ```ts
 * import { forEachIndex } from "./elementwise.ts";
 * forEachIndex([2, 2], [[1, 2]], ([p]) => console.log(p)); // 0, 2, 1, 3
 * ```
 */
export function forEachIndex(shape: Shape, strides: readonly number[][], body: (starts: number[]) => void): void {
  // A trailing length-1 axis makes every index a run of its own.
  forEachInnerRun([...shape, 1], strides.map((s) => [...s, 0]), (_, starts) => body(starts));
}

/** A coalesced strided walk seen as 2-d blocks of rows; see {@link rowLayout}. */
export interface RowLayout {
  /** Elements per row. */
  n: number;
  /** Per operand, the distance between neighbours within a row. */
  inner: number[];
  /** Per operand, the distance between consecutive rows of a block. */
  step: number[];
  /** The axes that blocks are iterated over, and the operands' strides along them. */
  outer: { shape: number[]; strides: number[][] };
}

/**
 * Coalesces a strided walk over `outShape` and splits it into rows (the
 * last axis) grouped in blocks (the axis before), so that a compiled loop
 * does a whole block per call.
 *
 * @example
 * ```ts
 * import { rowLayout } from "./elementwise.ts";
 * rowLayout([4, 3], [[3, 1], [0, 1]]); // { n: 3, inner: [1, 1], step: [3, 0], outer: { shape: [4], ... } }
 * ```
 */
export function rowLayout(outShape: Shape, strides: readonly number[][]): RowLayout {
  const c = coalesce(outShape, strides);
  // A single element still makes one row.
  const shape = c.shape.length > 0 ? c.shape : [1];
  const s = c.shape.length > 0 ? c.strides : c.strides.map(() => [1]);
  const k = shape.length;
  return {
    n: shape[k - 1],
    inner: s.map((t) => t[k - 1]),
    step: s.map((t) => t[k - 2] ?? 0),
    outer: { shape: shape.slice(0, -1), strides: s.map((t) => t.slice(0, -1)) },
  };
}

/**
 * Calls `body(o, starts, m)` for each block of `m` rows of a
 * {@link RowLayout}: `o` is the block's start in a dense output, `starts`
 * the operands' offsets of its first row.
 *
 * @example
 * ```ts
 * import { forEachRowBlock, rowLayout } from "./elementwise.ts";
 * forEachRowBlock(rowLayout([2, 4, 3], [[1, 2, 8]]), (o, [p], m) => console.log(o, p, m)); // 0 0 4, then 12 1 4
 * ```
 */
export function forEachRowBlock(rows: RowLayout, body: (o: number, starts: number[], m: number) => void): void {
  forEachInnerRun(rows.outer.shape, rows.outer.strides, (o, starts, m) => body(o * rows.n, starts, m));
}

/** An operand read as one value per row (`s`, inner stride 0) or contiguously (`v`). */
type Form = "s" | "v";

function form(inner: number): Form {
  return inner === 0 ? "s" : "v";
}

/**
 * The loop body's prelude and element expression for operand `name` at
 * offset `p`: a per-row value is read once per row.
 */
function operand(name: string, p: string, f: Form): { row: string; at: string } {
  return f === "s" ? { row: `const ${name}r = ${name}[${p}];`, at: `${name}r` } : { row: "", at: `${name}[${p} + i]` };
}

type BinaryLoop = (
  out: TypedArray,
  o: number,
  a: TypedArray,
  pa: number,
  ra: number,
  b: TypedArray,
  pb: number,
  rb: number,
  m: number,
  n: number,
) => void;

/**
 * Broadcast binary map; `a` and `b` share `dtype`, comparisons give bool.
 *
 * @example
 * ```ts
 * import { binaryKernel } from "./elementwise.ts";
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([10, 20]);
 * binaryKernel("add", a, [2, 2], b, [2], [2, 2], "float32"); // [11, 22, 13, 24]
 * ```
 */
export function binaryKernel(
  op: BinaryOp,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(isComparison(op) ? "bool" : dtype, n);
  if (n === 0) return out;
  // Equal sizes mean equal layouts and a one-element operand is a scalar: one
  // row, without the cost of working out the broadcast (it dominates small ops).
  if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
    binaryLoop(op, dtype, a.length === n ? "v" : "s", b.length === n ? "v" : "s")(out, 0, a, 0, 0, b, 0, 0, 1, n);
    return out;
  }
  const rows = rowLayout(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  // Dense broadcast operands have inner stride 1, or 0 along a broadcast axis.
  const loop = binaryLoop(op, dtype, form(rows.inner[0]), form(rows.inner[1]));
  const [ra, rb] = rows.step;
  forEachRowBlock(rows, (o, [pa, pb], m) => loop(out, o, a, pa, ra, b, pb, rb, m, rows.n));
  return out;
}

function binaryLoop(op: BinaryOp, dtype: DType, fa: Form, fb: Form): BinaryLoop {
  return compileLoop<BinaryLoop>(
    `binary ${op} ${dtype} ${fa}${fb}`,
    ["out", "o", "a", "pa", "ra", "b", "pb", "rb", "m", "n"],
    () => {
      const x = operand("a", "pa", fa), y = operand("b", "pb", fb);
      return `for (let r = 0; r < m; r++, o += n, pa += ra, pb += rb) {
  ${x.row} ${y.row}
  for (let i = 0; i < n; i++) { const x = ${x.at}, y = ${y.at}; let v = 0; ${BINARY[op]} out[o + i] = v; }
}`;
    },
  );
}

type WhereLoop = (
  out: TypedArray,
  o: number,
  c: TypedArray,
  pc: number,
  rc: number,
  a: TypedArray,
  pa: number,
  ra: number,
  b: TypedArray,
  pb: number,
  rb: number,
  m: number,
  n: number,
) => void;

/**
 * Broadcast select: `cond ? a : b`.
 *
 * @example
 * ```ts
 * import { whereKernel } from "./elementwise.ts";
 * const c = new Uint8Array([1, 0]);
 * whereKernel(c, [2], new Float32Array([1, 2]), [2], new Float32Array([9]), [], [2], "float32"); // [1, 9]
 * ```
 */
export function whereKernel(
  cond: TypedArray,
  cShape: Shape,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtype, n);
  if (n === 0) return out;
  const whole = (x: TypedArray) => x.length === n || x.length === 1;
  if (whole(cond) && whole(a) && whole(b)) {
    const f = (x: TypedArray) => (x.length === n ? "v" : "s");
    whereLoop(cond, dtype, f(cond), f(a), f(b))(out, 0, cond, 0, 0, a, 0, 0, b, 0, 0, 1, n);
    return out;
  }
  const rows = rowLayout(outShape, [
    broadcastStrides(cShape, outShape),
    broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape),
  ]);
  const [fc, fa, fb] = rows.inner.map(form);
  const loop = whereLoop(cond, dtype, fc, fa, fb);
  const [rc, ra, rb] = rows.step;
  forEachRowBlock(rows, (o, [pc, pa, pb], m) => loop(out, o, cond, pc, rc, a, pa, ra, b, pb, rb, m, rows.n));
  return out;
}

function whereLoop(cond: TypedArray, dtype: DType, fc: Form, fa: Form, fb: Form): WhereLoop {
  return compileLoop<WhereLoop>(
    `where ${cond.constructor.name} ${dtype} ${fc}${fa}${fb}`,
    ["out", "o", "c", "pc", "rc", "a", "pa", "ra", "b", "pb", "rb", "m", "n"],
    () => {
      const z = operand("c", "pc", fc), x = operand("a", "pa", fa), y = operand("b", "pb", fb);
      return `for (let r = 0; r < m; r++, o += n, pc += rc, pa += ra, pb += rb) {
  ${z.row} ${x.row} ${y.row}
  for (let i = 0; i < n; i++) out[o + i] = ${z.at} ? ${x.at} : ${y.at};
}`;
    },
  );
}

/**
 * Converts element type. Float to int follows XLA: truncation toward zero,
 * saturation at the integer type's range (`3e9` is 2147483647 as int32,
 * `-Infinity` is 0 as uint32) and NaN to 0; int to int wraps modulo 2^32;
 * anything non-zero (NaN included) is `true`.
 *
 * @example
 * ```ts
 * import { castKernel } from "./elementwise.ts";
 * castKernel(new Float32Array([-1.5, 2.7, 3e9, NaN]), "int32"); // Int32Array [-1, 2, 2147483647, 0]
 * ```
 */
export function castKernel(x: TypedArray, to: DType): TypedArray {
  const out = allocate(to, x.length);
  if (to === "bool") {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else if ((to === "int32" || to === "uint32") && (x instanceof Float32Array || x instanceof Float64Array)) {
    // A plain store wraps (3e9 -> -1294967296, Infinity -> 0); in range it truncates, and NaN stores as 0.
    const lo = to === "int32" ? -2147483648 : 0, hi = to === "int32" ? 2147483647 : 4294967295;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v >= hi ? hi : v <= lo ? lo : v;
    }
  } else if (to === "int32" || to === "uint32") {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  } else {
    out.set(x);
  }
  return out;
}

/**
 * A JS number as an element of `dtype`, converted as {@link castKernel}
 * converts a float: saturating truncation for int32/uint32 (NaN to 0),
 * non-zero to 1 for bool.
 *
 * @example
 * ```ts
 * import { numberToElement } from "./elementwise.ts";
 * numberToElement(-Infinity, "int32"); // -2147483648
 * ```
 */
export function numberToElement(v: number, dtype: DType): number {
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  if (dtype === "int32") {
    return v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : v === v ? Math.trunc(v) : 0;
  }
  if (dtype === "uint32") return v >= 4294967295 ? 4294967295 : v <= 0 ? 0 : v === v ? Math.trunc(v) : 0;
  return v;
}
