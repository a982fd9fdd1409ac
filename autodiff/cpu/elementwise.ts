/**
 * CPU kernels of the element-wise primitives: unary maps, broadcast binary
 * maps, `where` and dtype casts.
 *
 * @module
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: (x) => x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)),
  abs: Math.abs,
  sign: (x) => x > 0 ? 1 : x < 0 ? -1 : x,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sin: Math.sin,
  cos: Math.cos,
  logicalNot: (x) => x === 0 ? 1 : 0,
};

/** numpy rounds halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b) ? NaN : a > b ? a : b,
  minimum: (a, b) => (a !== a || b !== b) ? NaN : a < b ? a : b,
  mod: (a, b) => {
    const r = a % b;
    return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
  },
  equal: (a, b) => a === b ? 1 : 0,
  notEqual: (a, b) => a !== b ? 1 : 0,
  greater: (a, b) => a > b ? 1 : 0,
  greaterEqual: (a, b) => a >= b ? 1 : 0,
  less: (a, b) => a < b ? 1 : 0,
  lessEqual: (a, b) => a <= b ? 1 : 0,
  logicalAnd: (a, b) => a !== 0 && b !== 0 ? 1 : 0,
  logicalOr: (a, b) => a !== 0 || b !== 0 ? 1 : 0,
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

/** True for ops whose result is bool. */
export function isComparison(op: BinaryOp): boolean {
  return COMPARISONS.has(op);
}

/** Applies a unary function element-wise. */
export function unaryKernel(op: UnaryOp, x: TypedArray, dtype: DType): TypedArray {
  const outDtype = op === "logicalNot" ? "bool" : dtype;
  const out = allocate(outDtype, x.length);
  const f = UNARY[op];
  if (op === "neg") {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  } else if (op === "exp") {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  } else {
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  }
  return out;
}

/**
 * Strides of `shape` seen through a broadcast to `outShape`: broadcast axes
 * get stride 0.
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
 * Calls `body(outStart, aStart, bStart, n, aStep, bStep)` for every run of
 * the innermost axis of `outShape`, with the offsets of three broadcast
 * operands. Shared by the binary and `where` kernels.
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

/** Broadcast binary map; `a` and `b` share `dtype`. */
export function binaryKernel(
  op: BinaryOp,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const outDtype = isComparison(op) ? "bool" : dtype;
  const n = sizeOf(outShape);
  const out = allocate(outDtype, n);
  const f = BINARY[op];
  if (a.length === n && b.length === n) {
    switch (op) {
      case "add":
        for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
        return out;
      case "sub":
        for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
        return out;
      case "mul":
        for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
        return out;
      default:
        for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
        return out;
    }
  }
  if (b.length === 1) {
    const bv = b[0];
    if (op === "mul") { for (let i = 0; i < n; i++) out[i] = a[i] * bv; }
    else if (op === "add") { for (let i = 0; i < n; i++) out[i] = a[i] + bv; }
    else for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
    return out;
  }
  if (a.length === 1) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return out;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const ia = sa[sa.length - 1], ib = sb[sb.length - 1];
  forEachInnerRun(outShape, [sa, sb], (o, [pa, pb], len) => {
    for (let i = 0; i < len; i++) out[o + i] = f(a[pa + i * ia], b[pb + i * ib]);
  });
  return out;
}

/** Broadcast select: `cond ? a : b`. */
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
  const sc = broadcastStrides(cShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const last = outShape.length - 1;
  const ic = sc[last] ?? 0, ia = sa[last] ?? 0, ib = sb[last] ?? 0;
  forEachInnerRun(outShape, [sc, sa, sb], (o, [pc, pa, pb], len) => {
    for (let i = 0; i < len; i++) {
      out[o + i] = cond[pc + i * ic] ? a[pa + i * ia] : b[pb + i * ib];
    }
  });
  return out;
}

/** Converts element type; float to int truncates toward zero, like numpy. */
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
