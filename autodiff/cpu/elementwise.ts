/**
 * CPU kernels of the element-wise primitives: unary maps, broadcast binary
 * maps, `where` and dtype casts.
 *
 * Each op has its own loop function instead of one loop calling a per-op
 * closure per element: a shared call site would see every op and stay
 * megamorphic, which costs several times the arithmetic itself. Broadcasts
 * are reduced to runs along the innermost (coalesced) axis, so the common
 * cases (`[B, n] op [n]`, `[B, n] op [B, 1]`) are one tight loop per row.
 *
 * @module
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";

type UnaryLoop = (x: TypedArray, out: TypedArray) => void;

/** numpy rounds halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function sigmoidOf(x: number): number {
  // Two branches so that exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const UNARY: Record<UnaryOp, UnaryLoop> = {
  neg: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  },
  exp: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  },
  log: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]);
  },
  log1p: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.log1p(x[i]);
  },
  expm1: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.expm1(x[i]);
  },
  sqrt: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]);
  },
  tanh: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
  },
  sigmoid: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = sigmoidOf(x[i]);
  },
  abs: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  },
  sign: (x, out) => {
    // `v` itself for 0, -0 and NaN.
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v > 0 ? 1 : v < 0 ? -1 : v;
    }
  },
  floor: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.floor(x[i]);
  },
  ceil: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.ceil(x[i]);
  },
  round: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = roundHalfEven(x[i]);
  },
  sin: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.sin(x[i]);
  },
  cos: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.cos(x[i]);
  },
  logicalNot: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] === 0 ? 1 : 0;
  },
};

/**
 * One run of a binary op: `out[o + i] = a[pa + i*sa] (op) b[pb + i*sb]` for
 * `i < n`.
 */
type BinaryRun = (
  out: TypedArray,
  o: number,
  a: TypedArray,
  pa: number,
  sa: number,
  b: TypedArray,
  pb: number,
  sb: number,
  n: number,
) => void;

const BINARY: Record<BinaryOp, BinaryRun> = {
  add: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] + b[pb];
  },
  sub: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] - b[pb];
  },
  mul: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] * b[pb];
  },
  div: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] / b[pb];
  },
  pow: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = Math.pow(a[pa], b[pb]);
  },
  maximum: (out, o, a, pa, sa, b, pb, sb, n) => {
    // NaN propagates, as in numpy.
    for (let i = 0; i < n; i++, pa += sa, pb += sb) {
      const x = a[pa], y = b[pb];
      out[o + i] = x !== x || y !== y ? NaN : x > y ? x : y;
    }
  },
  minimum: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) {
      const x = a[pa], y = b[pb];
      out[o + i] = x !== x || y !== y ? NaN : x < y ? x : y;
    }
  },
  mod: (out, o, a, pa, sa, b, pb, sb, n) => {
    // The result takes the sign of the divisor (numpy), not of the dividend (JS `%`).
    for (let i = 0; i < n; i++, pa += sa, pb += sb) {
      const y = b[pb];
      const r = a[pa] % y;
      out[o + i] = r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
    }
  },
  equal: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] === b[pb] ? 1 : 0;
  },
  notEqual: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] !== b[pb] ? 1 : 0;
  },
  greater: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] > b[pb] ? 1 : 0;
  },
  greaterEqual: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] >= b[pb] ? 1 : 0;
  },
  less: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] < b[pb] ? 1 : 0;
  },
  lessEqual: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] <= b[pb] ? 1 : 0;
  },
  logicalAnd: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] !== 0 && b[pb] !== 0 ? 1 : 0;
  },
  logicalOr: (out, o, a, pa, sa, b, pb, sb, n) => {
    for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o + i] = a[pa] !== 0 || b[pb] !== 0 ? 1 : 0;
  },
};

const COMPARISONS = new Set<BinaryOp>([
  "equal",
  "notEqual",
  "greater",
  "greaterEqual",
  "less",
  "lessEqual",
  "logicalAnd",
  "logicalOr",
]);

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
  UNARY[op](x, out);
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
  const run = BINARY[op];
  // Fast paths: equal sizes mean equal layouts; a one-element operand is a scalar.
  if (a.length === n && (b.length === n || b.length === 1)) {
    run(out, 0, a, 0, 1, b, 0, b.length === n ? 1 : 0, n);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    run(out, 0, a, 0, 0, b, 0, 1, n);
    return out;
  }
  const c = coalesce(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  const [sa, sb] = c.strides;
  const ia = sa[sa.length - 1] ?? 0, ib = sb[sb.length - 1] ?? 0;
  forEachInnerRun(c.shape, c.strides, (o, [pa, pb], len) => run(out, o, a, pa, ia, b, pb, ib, len));
  return out;
}

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
  const out = allocate(dtype, sizeOf(outShape));
  const c = coalesce(outShape, [
    broadcastStrides(cShape, outShape),
    broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape),
  ]);
  const last = c.shape.length - 1;
  const [sc, sa, sb] = c.strides;
  const ic = sc[last] ?? 0, ia = sa[last] ?? 0, ib = sb[last] ?? 0;
  forEachInnerRun(c.shape, c.strides, (o, [pc, pa, pb], len) => {
    for (let i = 0; i < len; i++, pc += ic, pa += ia, pb += ib) out[o + i] = cond[pc] ? a[pa] : b[pb];
  });
  return out;
}

/**
 * Converts element type; float to int truncates toward zero, like numpy,
 * and anything non-zero (NaN included) is `true`.
 *
 * @example
 * ```ts
 * import { castKernel } from "./elementwise.ts";
 * castKernel(new Float32Array([-1.5, 2.7]), "int32"); // Int32Array [-1, 2]
 * ```
 */
export function castKernel(x: TypedArray, to: DType): TypedArray {
  const out = allocate(to, x.length);
  if (to === "bool") {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else if (to === "int32" || to === "uint32") {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  } else {
    out.set(x);
  }
  return out;
}
