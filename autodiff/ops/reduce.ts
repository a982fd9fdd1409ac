/**
 * Reductions (`sum`, `max`, `min`, `prod`, `argmax`, `argmin`) and the
 * composites built on them (`mean`, `var`, `std`, `logsumexp`).
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { isFloat } from "../dtype.ts";
import { normalizeAxes, normalizeAxis, shapesEqual } from "../shape.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { add, astype, div, equal, exp, log, mul, sqrt, square, sub, where } from "./elementwise.ts";
import { stopGradient } from "./identity.ts";
import { broadcastTo, reshape } from "./layout.ts";

/** An axis argument: one axis, several, or all (`undefined`/`null`). */
export type Axis = number | readonly number[] | null | undefined;

/** Parameters of the reductions: the axes reduced away (sorted, distinct). */
export interface ReduceParams {
  readonly axes: readonly number[];
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceAval(x: { shape: readonly number[]; dtype: Tensor["dtype"] }, axes: readonly number[]) {
  return [{ shape: x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype }];
}

/** A reduction's batching: the batch axis first, the reduced axes after it. */
function reduceBatch(prim: Primitive<ReduceParams>) {
  return (
    [x]: readonly Tensor[],
    [d]: readonly (number | null)[],
    { axes }: ReduceParams,
    size: number,
  ): [Tensor[], number[]] => [[bind1(prim, [batchFirst(x, d, size)], { axes: axes.map((a) => a + 1) })], [0]];
}

/** Sum over axes. */
export const REDUCE_SUM: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "reduce_sum",
  abstractEval: ([x], { axes }) => reduceAval(x, axes),
  vjp: ([x], _o, { axes }) => sumVjp(x.shape, keptShape(x.shape, axes)),
  jvp: ([x], [t], p) => [[bind1(REDUCE_SUM, [x], p)], [t && bind1(REDUCE_SUM, [t], p)]],
  batch: (v, d, p, n) => reduceBatch(REDUCE_SUM)(v, d, p, n),
});

/** A maximum's or minimum's derivative: the cotangent shared equally by the ties. */
function extremumRule(prim: () => Primitive<ReduceParams>) {
  return {
    vjp: ([x]: readonly Tensor[], [y]: readonly Tensor[], { axes }: ReduceParams): VjpFn => selectVjp(x, y, axes),
    jvp: ([x]: readonly Tensor[], [t]: readonly (Tensor | null)[], p: ReduceParams): [Tensor[], (Tensor | null)[]] => {
      const y = bind1(prim(), [x], p);
      return [[y], [t && sum(mul(t, tieShare(x, y, p.axes)), p.axes)]];
    },
  };
}

/** Maximum over axes. */
export const REDUCE_MAX: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "reduce_max",
  abstractEval: ([x], { axes }) => reduceAval(x, axes),
  ...extremumRule(() => REDUCE_MAX),
  batch: (v, d, p, n) => reduceBatch(REDUCE_MAX)(v, d, p, n),
});

/** Minimum over axes. */
export const REDUCE_MIN: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "reduce_min",
  abstractEval: ([x], { axes }) => reduceAval(x, axes),
  ...extremumRule(() => REDUCE_MIN),
  batch: (v, d, p, n) => reduceBatch(REDUCE_MIN)(v, d, p, n),
});

/** Product over axes. */
export const REDUCE_PROD: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "reduce_prod",
  abstractEval: ([x], { axes }) => reduceAval(x, axes),
  vjp: ([x], [y], { axes }) => prodVjp(x, y, axes),
  jvp: ([x], [t], p) => {
    const y = bind1(REDUCE_PROD, [x], p);
    if (t === null) return [[y], [null]];
    const yB = broadcastTo(reshape(y, keptShape(x.shape, p.axes)), x.shape);
    return [[y], [sum(mul(t, prodOthers(x, p.axes, yB)), p.axes)]];
  },
  batch: (v, d, p, n) => reduceBatch(REDUCE_PROD)(v, d, p, n),
});

const REDUCTIONS = { sum: REDUCE_SUM, max: REDUCE_MAX, min: REDUCE_MIN, prod: REDUCE_PROD };

function reducePrim(op: keyof typeof REDUCTIONS, name: string, x: TensorLike, axis: Axis, keepdims: boolean): Tensor {
  let t = asTensor(x);
  if ((op === "sum" || op === "prod") && t.dtype === "bool") t = astype(t, "int32");
  const axes = normalizeAxes(name, axis, t.ndim);
  if ((op === "max" || op === "min") && axes.some((a) => t.shape[a] === 0)) {
    throw new RangeError(`${name}: zero-size reduction over an axis of length 0 (shape [${t.shape}])`);
  }
  let out = axes.length === 0 ? t : bind1(REDUCTIONS[op], [t], { axes });
  if (keepdims) out = reshape(out, keptShape(t.shape, axes));
  return out;
}

/**
 * The VJP of a sum: the cotangent broadcast back. It holds the shapes only;
 * the broadcast array it returns is the consumer's cotangent, dropped by the
 * backward pass as soon as that consumer's VJP has run.
 */
function sumVjp(shape: readonly number[], kept: readonly number[]): VjpFn {
  return ([g]) => [g && broadcastTo(reshape(g, kept), shape)];
}

/** Where `x` equals its reduced extremum `y`, `1 / (number of ties)`, else 0. */
function tieShare(x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const kept = keptShape(x.shape, axes);
  const hit = astype(equal(x, broadcastTo(reshape(y, kept), x.shape)), x.dtype);
  return div(hit, broadcastTo(reshape(sum(hit, axes), kept), x.shape));
}

/** The VJP of `max` or `min`, which reads the input and the result: split among ties, as JAX does. */
function selectVjp(x: Tensor, y: Tensor, axes: readonly number[]): VjpFn {
  return ([g]) => {
    if (!g) return [null];
    const gB = broadcastTo(reshape(g, keptShape(x.shape, axes)), x.shape);
    return [mul(gB, tieShare(x, y, axes))];
  };
}

/** The VJP of `prod`. */
function prodVjp(x: Tensor, y: Tensor, axes: readonly number[]): VjpFn {
  return ([g]) => {
    if (!g) return [null];
    const kept = keptShape(x.shape, axes);
    const gB = broadcastTo(reshape(g, kept), x.shape);
    const yB = broadcastTo(reshape(y, kept), x.shape);
    return [mul(gB, prodOthers(x, axes, yB))];
  };
}

/** Product of the other elements of each reduced group, exact when zeros occur. */
function prodOthers(t: Tensor, axes: readonly number[], yB: Tensor): Tensor {
  const kept = keptShape(t.shape, axes);
  const isZero = equal(t, 0);
  const safe = where(isZero, 1, t);
  const nonzeroProd = broadcastTo(reshape(prod(safe, axes), kept), t.shape);
  const zeros = broadcastTo(reshape(sum(isZero, axes), kept), t.shape);
  return where(isZero, where(equal(zeros, 1), nonzeroProd, 0), div(yB, safe));
}

/**
 * Sums `g` over the axes along which `shape` was broadcast, giving a tensor
 * of exactly `shape` (the adjoint of broadcasting).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sumToShape(np.ones([4, 3]), [3]); // [4, 4, 4]
 * ```
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes), shape);
}

/**
 * Sum over `axis` (all axes by default). Bool sums count as int32.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sum(np.array([[1, 2], [3, 4]]), -1, true); // [[3], [7]]
 * ```
 */
export function sum(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  return reducePrim("sum", "sum", x, axis, keepdims);
}

/**
 * Maximum over `axis`; the gradient is shared equally by ties.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.max(np.array([[1, 5], [3, 2]]), 0); // [3, 5]
 * ```
 */
export function max(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  return reducePrim("max", "max", x, axis, keepdims);
}

/**
 * Minimum over `axis`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.min(np.array([[1, 5], [3, 2]]), 0); // [1, 2]
 * ```
 */
export function min(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  return reducePrim("min", "min", x, axis, keepdims);
}

/**
 * Product over `axis`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.prod(np.array([2, 3, 4])); // 24
 * ```
 */
export function prod(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  return reducePrim("prod", "prod", x, axis, keepdims);
}

/**
 * Mean over `axis`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.mean(np.array([[1, 2], [3, 4]]), 0); // [2, 3]
 * ```
 */
export function mean(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  let t = asTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, "float32");
  const axes = normalizeAxes("mean", axis, t.ndim);
  const count = axes.reduce((n, a) => n * t.shape[a], 1);
  return div(sum(t, axes, keepdims), count);
}

/**
 * Variance over `axis` with `ddof` delta degrees of freedom.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.var(np.array([1, 2, 3, 4])); // 1.25
 * np.var(np.array([1, 2, 3, 4]), 0, false, 1); // 1.667 (ddof = 1)
 * ```
 */
export function variance(x: TensorLike, axis?: Axis, keepdims = false, ddof = 0): Tensor {
  return varianceOf("var", x, axis, keepdims, ddof);
}

function varianceOf(name: string, x: TensorLike, axis: Axis, keepdims: boolean, ddof: number): Tensor {
  let t = asTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, "float32");
  const axes = normalizeAxes(name, axis, t.ndim);
  if (!Number.isInteger(ddof) || ddof < 0) {
    throw new RangeError(`${name}: ddof must be a non-negative integer, got ${ddof}`);
  }
  const count = axes.reduce((n, a) => n * t.shape[a], 1);
  const centered = sub(t, mean(t, axes, true));
  return div(sum(square(centered), axes, keepdims), count - ddof);
}

/**
 * Standard deviation over `axis`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.std(np.array([1, 3])); // 1
 * ```
 */
export function std(x: TensorLike, axis?: Axis, keepdims = false, ddof = 0): Tensor {
  return sqrt(varianceOf("std", x, axis, keepdims, ddof));
}

/**
 * The maximum of float `t` over `axes` (kept as length-1 axes), 0 where it
 * is infinite, with a zero derivative: the shift that keeps `exp` in range
 * in the softmax family, a constant to autodiff (their results do not
 * depend on it).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * maxShift(np.array([[1, 3], [-Infinity, -Infinity]]), [1]); // [[3], [0]]
 * ```
 */
export function maxShift(t: Tensor, axes: readonly number[]): Tensor {
  const m = stopGradient(max(t, axes, true));
  // inf - inf is NaN: an all-infinite group is shifted by 0 instead.
  return where(equal(sub(m, m), 0), m, 0);
}

/**
 * `log(sum(exp(x)))` over `axis`, computed stably (the maximum is
 * subtracted first and gets no gradient of its own).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.logsumexp(np.array([[1000, 1000]]), -1); // [1000.693]
 * ```
 */
export function logsumexp(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  let t = asTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, "float32");
  const axes = normalizeAxes("logsumexp", axis, t.ndim);
  const shift = maxShift(t, axes);
  let out = add(log(sum(exp(sub(t, shift)), axes, true)), shift);
  if (!keepdims) out = reshape(out, t.shape.filter((_, i) => !axes.includes(i)));
  return out;
}

/** Parameters of `argmax`/`argmin`: the axis reduced away. */
export interface ArgReduceParams {
  readonly axis: number;
}

function argPrimitive(name: "argmax" | "argmin"): Primitive<ArgReduceParams> {
  const prim: Primitive<ArgReduceParams> = definePrimitive<ArgReduceParams>({
    name,
    abstractEval: ([x], { axis }) => [{ shape: x.shape.filter((_, i) => i !== axis), dtype: "int32" }],
    nonDifferentiable: true,
    batch: ([x], [d], { axis }, size) => [[bind1(prim, [batchFirst(x, d, size)], { axis: axis + 1 })], [0]],
  });
  return prim;
}

/** Index of the first maximum along an axis. */
export const ARGMAX: Primitive<ArgReduceParams> = argPrimitive("argmax");
/** Index of the first minimum along an axis. */
export const ARGMIN: Primitive<ArgReduceParams> = argPrimitive("argmin");

function argReduce(op: "argmax" | "argmin", x: TensorLike, axis: number | null | undefined, keepdims: boolean): Tensor {
  const original = asTensor(x);
  const t = axis === undefined || axis === null ? reshape(original, [original.size]) : original;
  const ax = normalizeAxis(op, axis ?? 0, t.ndim);
  if (t.shape[ax] === 0) throw new RangeError(`${op}: empty axis ${ax} in shape [${original.shape}]`);
  const out = bind1(op === "argmax" ? ARGMAX : ARGMIN, [t], { axis: ax });
  if (!keepdims) return out;
  // Without an axis every axis of the input was reduced.
  return reshape(out, t === original ? keptShape(t.shape, [ax]) : original.shape.map(() => 1));
}

/**
 * Index of the first maximum along `axis` (of the flattened array when
 * omitted), int32.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.argmax(np.array([[1, 3, 3], [2, 0, 1]]), -1); // int32 [1, 0]
 * ```
 */
export function argmax(x: TensorLike, axis?: number | null, keepdims = false): Tensor {
  return argReduce("argmax", x, axis, keepdims);
}

/**
 * Index of the first minimum along `axis`, int32.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.argmin(np.array([[1, 3], [0, 4]]), 0); // int32 [1, 0]
 * ```
 */
export function argmin(x: TensorLike, axis?: number | null, keepdims = false): Tensor {
  return argReduce("argmin", x, axis, keepdims);
}
