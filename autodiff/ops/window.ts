/**
 * The windowed reduction primitive (`jax.lax.reduce_window` for sum and
 * max, the basis of pooling) and its differentiation rules.
 *
 * - sum: the cotangent is spread back over each window, i.e. a window sum
 *   (stride 1) of the cotangent dilated by the strides and padded by
 *   `window - 1 - lo` before: pads, reshapes and the primitive itself, so it
 *   runs on every backend and is differentiable again.
 * - max: select-and-scatter routes each cotangent to the first maximum of
 *   its window (XLA's `select_and_scatter` with `>=`); its transpose,
 *   window-select, picks each window's element at that position. The two
 *   are each other's derivative with respect to the cotangent, and
 *   window-select is also the max window's forward derivative, so max
 *   pooling has derivatives of every order in both modes.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { type Aval, definePrimitive, type Primitive } from "../core/primitive.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { astype } from "./elementwise.ts";
import { broadcastTo, pad, reshape, slice } from "./layout.ts";
import { type Padding, resolvePadding } from "./conv.ts";

/** Options of a windowed reduction over every axis. */
export interface WindowParams {
  readonly window: readonly number[];
  readonly strides: readonly number[];
  readonly padding: readonly (readonly [number, number])[];
}

/** Options of {@link reduceWindow}, named as in `jax.lax.reduce_window`. */
export interface ReduceWindowOptions {
  /** The reduction: `"sum"` (padding counts 0) or `"max"` (padding counts -Infinity). */
  op: "sum" | "max";
  /** Window extent on every axis. */
  window: readonly number[];
  /** Stride on every axis (default all 1). */
  strides?: readonly number[];
  /** `"SAME"`, `"VALID"` (the default) or `[lo, hi]` per axis (negative crops). */
  padding?: Padding;
}

const OP = "reduceWindow";

function windowOutShape(shape: readonly number[], p: WindowParams): number[] {
  return shape.map((n, d) => {
    const span = n + p.padding[d][0] + p.padding[d][1] - p.window[d];
    return span < 0 ? 0 : Math.floor(span / p.strides[d]) + 1;
  });
}

/** The window params with a leading batch axis of window and stride 1. */
function batchedParams(p: WindowParams): WindowParams {
  return { window: [1, ...p.window], strides: [1, ...p.strides], padding: [[0, 0], ...p.padding] };
}

function windowAval([x]: readonly Aval[], p: WindowParams): Aval[] {
  return [{ shape: windowOutShape(x.shape, p), dtype: x.dtype }];
}

/** Window sums. */
export const REDUCE_WINDOW_SUM: Primitive<WindowParams> = definePrimitive<WindowParams>({
  name: "reduce_window_sum",
  abstractEval: windowAval,
  vjp: ([x], _o, p) => sumWindowVjp(x.shape, p),
  jvp: ([x], [t], p) => [[bind1(REDUCE_WINDOW_SUM, [x], p)], [t && bind1(REDUCE_WINDOW_SUM, [t], p)]],
  batch: ([x], [d], p, size) => [[bind1(REDUCE_WINDOW_SUM, [batchFirst(x, d, size)], batchedParams(p))], [0]],
});

/** Window maxima. */
export const REDUCE_WINDOW_MAX: Primitive<WindowParams> = definePrimitive<WindowParams>({
  name: "reduce_window_max",
  abstractEval: windowAval,
  vjp: ([x], _o, p) => ([g]) => [g && selectAndScatterMax(x, g, p)],
  jvp: ([x], [t], p) => [[bind1(REDUCE_WINDOW_MAX, [x], p)], [t && windowSelectMax(x, t, p)]],
  batch: ([x], [d], p, size) => [[bind1(REDUCE_WINDOW_MAX, [batchFirst(x, d, size)], batchedParams(p))], [0]],
});

/** `(x, cot)`: each window's cotangent added at the first maximum of `x` in it (shape of `x`). */
export const SELECT_AND_SCATTER_MAX: Primitive<WindowParams> = definePrimitive<WindowParams>({
  name: "select_and_scatter_max",
  abstractEval: ([x]) => [x],
  // Linear in the cotangent; piecewise constant in x.
  vjp: ([x], _o, p) => ([g]) => [null, g && windowSelectMax(x, g, p)],
  jvp: ([x, c], [, tc], p) => [[bind1(SELECT_AND_SCATTER_MAX, [x, c], p)], [tc && selectAndScatterMax(x, tc, p)]],
  batch: ([x, c], [dx, dc], p, size) => [
    [bind1(SELECT_AND_SCATTER_MAX, [batchFirst(x, dx, size), batchFirst(c, dc, size)], batchedParams(p))],
    [0],
  ],
});

/** `(x, h)`: each window's element of `h` at the first maximum of `x` in it (shape of the windows). */
export const WINDOW_SELECT_MAX: Primitive<WindowParams> = definePrimitive<WindowParams>({
  name: "window_select_max",
  abstractEval: ([x, h], p) => windowAval([{ shape: x.shape, dtype: h.dtype }], p),
  vjp: ([x], _o, p) => ([g]) => [null, g && selectAndScatterMax(x, g, p)],
  jvp: ([x, h], [, th], p) => [[bind1(WINDOW_SELECT_MAX, [x, h], p)], [th && windowSelectMax(x, th, p)]],
  batch: ([x, h], [dx, dh], p, size) => [
    [bind1(WINDOW_SELECT_MAX, [batchFirst(x, dx, size), batchFirst(h, dh, size)], batchedParams(p))],
    [0],
  ],
});

function reduceWindowPrim(op: "sum" | "max", x: Tensor, params: WindowParams): Tensor {
  return bind1(op === "sum" ? REDUCE_WINDOW_SUM : REDUCE_WINDOW_MAX, [x], params);
}

/** A window sum's VJP reads only the input's shape (built apart so as not to hold the input). */
function sumWindowVjp(shape: readonly number[], params: WindowParams): VjpFn {
  return ([g]) => [g && sumWindowTranspose(g, shape, params)];
}

function selectAndScatterMax(x: Tensor, cot: Tensor, params: WindowParams): Tensor {
  return bind1(SELECT_AND_SCATTER_MAX, [x, cot], params);
}

function windowSelectMax(x: Tensor, h: Tensor, params: WindowParams): Tensor {
  return bind1(WINDOW_SELECT_MAX, [x, h], params);
}

/** Inserts `factor - 1` zeros between neighbours along every axis. */
function interleaveZeros(x: Tensor, factors: readonly number[]): Tensor {
  let out = x;
  factors.forEach((f, d) => {
    const n = out.shape[d];
    if (f === 1 || n === 0) return;
    const before = out.shape.slice(0, d), after = out.shape.slice(d + 1);
    const withAxis = reshape(out, [...before, n, 1, ...after]);
    const pads = withAxis.shape.map((): [number, number] => [0, 0]);
    pads[d + 1] = [0, f - 1];
    const spread = reshape(pad(withAxis, pads), [...before, n * f, ...after]);
    const limits = spread.shape.slice();
    limits[d] = (n - 1) * f + 1;
    out = slice(spread, spread.shape.map(() => 0), limits);
  });
  return out;
}

/** Adjoint of a window sum: every input element gets the sum of the cotangents of the windows covering it. */
function sumWindowTranspose(g: Tensor, inShape: readonly number[], p: WindowParams): Tensor {
  if (p.strides.every((s, d) => s === p.window[d])) {
    // Windows tile the padded input (pooling): each element just receives
    // its window's cotangent, a broadcast, with the padding cut off.
    const tiled = broadcastTo(
      reshape(g, g.shape.flatMap((n) => [n, 1])),
      g.shape.flatMap((n, d) => [n, p.window[d]]),
    );
    const flat = reshape(tiled, g.shape.map((n, d) => n * p.window[d]));
    return pad(flat, inShape.map((n, d): [number, number] => [-p.padding[d][0], n - flat.shape[d] + p.padding[d][0]]));
  }
  const spread = interleaveZeros(g, p.strides);
  const pads = inShape.map((n, d): [number, number] => {
    const before = p.window[d] - 1 - p.padding[d][0];
    return [before, n + p.window[d] - 1 - spread.shape[d] - before];
  });
  return reduceWindowPrim("sum", pad(spread, pads), {
    window: p.window,
    strides: p.window.map(() => 1),
    padding: p.window.map((): [number, number] => [0, 0]),
  });
}

function positiveInts(what: string, v: readonly number[] | undefined, x: Tensor, fallback: number): number[] {
  const vals = v ?? x.shape.map(() => fallback);
  if (!Array.isArray(vals) || vals.length !== x.ndim || !vals.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new RangeError(
      `${OP}: ${what} must be ${x.ndim} positive integers (one per axis of shape [${x.shape}]), got ${
        JSON.stringify(v)
      }`,
    );
  }
  return vals.slice();
}

/**
 * Sum or max over sliding windows, `jax.lax.reduce_window` with `lax.add` or
 * `lax.max`: `window` and `strides` name every axis (use 1 on batch and
 * channel axes for pooling). Padding is XLA's: SAME gives
 * `out = ceil(in / stride)` per axis, padded with 0 for sums and -Infinity
 * for maxima. Gradients: a sum spreads the cotangent over each window; a max
 * sends it to the first maximum of each window. Windows that do not fit in
 * the padded input (an empty output) are an error.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * const x = np.reshape(np.arange(16), [1, 1, 4, 4]);
 * const pooled = np.reduceWindow(x, { op: "max", window: [1, 1, 2, 2], strides: [1, 1, 2, 2] });
 * pooled.toArray(); // [[[[5, 7], [13, 15]]]]
 * ```
 */
export function reduceWindow(x: TensorLike, options: ReduceWindowOptions): Tensor {
  let t = asTensor(x);
  const op = options?.op;
  if (op !== "sum" && op !== "max") {
    throw new RangeError(`${OP}: op must be "sum" or "max", got ${JSON.stringify(op)}`);
  }
  if (op === "sum" && t.dtype === "bool") t = astype(t, "int32");
  if (options.window === undefined) {
    throw new RangeError(`${OP}: window must be given for every axis of shape [${t.shape}]`);
  }
  const window = positiveInts("window", options.window, t, 1);
  const strides = positiveInts("strides", options.strides, t, 1);
  const padding = resolvePadding(OP, options.padding ?? "VALID", t.shape, window, strides);
  const params: WindowParams = { window, strides, padding };
  const outShape = windowOutShape(t.shape, params);
  if (outShape.some((n) => n === 0)) {
    throw new RangeError(
      `${OP}: the output would be empty: window [${window}] does not fit in shape [${t.shape}] padded by ${
        JSON.stringify(padding)
      }`,
    );
  }
  return reduceWindowPrim(op, t, params);
}
