/**
 * CPU kernels of windowed reductions (`reduceWindow` sum/max over every
 * axis) and of the max window's adjoint, XLA's select-and-scatter.
 *
 * Windows that lie wholly inside the input (the common case of pooling) take
 * a fast path over precomputed flat offsets; only windows that touch the
 * padding check bounds per axis.
 *
 * @module
 */
import type { WindowParams } from "../ops/window.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";

/** Geometry shared by the kernels: offsets and coordinates of window points. */
interface WindowGeometry {
  readonly rank: number;
  readonly size: number;
  /** Flat input offset of each window point relative to the window's origin. */
  readonly offsets: Int32Array;
  /** Coordinates of each window point, `[point * rank + axis]`. */
  readonly coords: Int32Array;
  readonly inStrides: number[];
}

function geometry(shape: Shape, window: readonly number[]): WindowGeometry {
  const rank = shape.length;
  const size = sizeOf(window);
  const inStrides = stridesOf(shape);
  const offsets = new Int32Array(size);
  const coords = new Int32Array(size * rank);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < size; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) {
      coords[i * rank + d] = idx[d];
      off += idx[d] * inStrides[d];
    }
    offsets[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < window[d]) break;
      idx[d] = 0;
    }
  }
  return { rank, size, offsets, coords, inStrides };
}

/**
 * Calls `visit(outIndex, starts, inside, origin)` for every output position:
 * `starts[d]` is the window's first input index on axis `d` (negative inside
 * the low padding), `inside` whether the whole window lies in the input, and
 * `origin` the flat input offset of the window start (valid when `inside`).
 */
function forEachWindow(
  shape: Shape,
  outShape: Shape,
  params: WindowParams,
  inStrides: readonly number[],
  visit: (outIndex: number, starts: Int32Array, inside: boolean, origin: number) => void,
): void {
  const rank = shape.length;
  const total = sizeOf(outShape);
  const y = new Array<number>(rank).fill(0);
  const starts = new Int32Array(rank);
  for (let o = 0; o < total; o++) {
    let inside = true, origin = 0;
    for (let d = 0; d < rank; d++) {
      const s = y[d] * params.strides[d] - params.padding[d][0];
      starts[d] = s;
      if (s < 0 || s + params.window[d] > shape[d]) inside = false;
      origin += s * inStrides[d];
    }
    visit(o, starts, inside, origin);
    for (let d = rank - 1; d >= 0; d--) {
      if (++y[d] < outShape[d]) break;
      y[d] = 0;
    }
  }
}

/** Flat input offset of window point `i`, or -1 when it falls on padding. */
function pointOffset(g: WindowGeometry, shape: Shape, starts: Int32Array, i: number): number {
  let off = 0;
  for (let d = 0; d < g.rank; d++) {
    const x = starts[d] + g.coords[i * g.rank + d];
    if (x < 0 || x >= shape[d]) return -1;
    off += x * g.inStrides[d];
  }
  return off;
}

/**
 * Sum or max of `x` over windows (one window extent, stride and `[lo, hi]`
 * padding per axis); padding counts as 0 for sums and -Infinity for maxima.
 *
 * @example
 * ```ts
 * const params = { window: [2], strides: [2], padding: [[0, 0]] as [number, number][] };
 * reduceWindowKernel("max", new Float32Array([1, 3, 2, 0]), [4], params, [2], "float32"); // [3, 2]
 * ```
 */
export function reduceWindowKernel(
  op: "sum" | "max",
  x: TypedArray,
  shape: Shape,
  params: WindowParams,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  const g = geometry(shape, params.window);
  const { offsets, size } = g;
  if (op === "sum") {
    forEachWindow(shape, outShape, params, g.inStrides, (o, starts, inside, origin) => {
      let acc = 0;
      if (inside) {
        for (let i = 0; i < size; i++) acc += x[origin + offsets[i]];
      } else {
        for (let i = 0; i < size; i++) {
          const off = pointOffset(g, shape, starts, i);
          if (off >= 0) acc += x[off];
        }
      }
      out[o] = acc;
    });
  } else {
    forEachWindow(shape, outShape, params, g.inStrides, (o, starts, inside, origin) => {
      let best = -Infinity;
      if (inside) {
        for (let i = 0; i < size; i++) {
          const v = x[origin + offsets[i]];
          if (v > best || Number.isNaN(v)) best = v;
          if (Number.isNaN(best)) break;
        }
      } else {
        for (let i = 0; i < size; i++) {
          const off = pointOffset(g, shape, starts, i);
          if (off < 0) continue;
          const v = x[off];
          if (v > best || Number.isNaN(v)) best = v;
          if (Number.isNaN(best)) break;
        }
      }
      out[o] = best;
    });
  }
  return out;
}

/**
 * Adjoint of a max window: each element of `cot` (one per window) is added
 * to the input position of the first maximum of its window, as XLA's
 * select-and-scatter with a `>=` selector does. Windows lying wholly in the
 * padding drop their cotangent.
 *
 * @example
 * ```ts
 * const params = { window: [2], strides: [2], padding: [[0, 0]] as [number, number][] };
 * selectAndScatterMaxKernel(new Float32Array([1, 3, 2, 2]), [4], new Float32Array([5, 7]), [2], params, "float32");
 * // [0, 5, 7, 0]
 * ```
 */
export function selectAndScatterMaxKernel(
  x: TypedArray,
  shape: Shape,
  cot: TypedArray,
  cotShape: Shape,
  params: WindowParams,
  dtype: DType,
): TypedArray {
  const acc = new Float64Array(sizeOf(shape));
  const g = geometry(shape, params.window);
  const { offsets, size } = g;
  forEachWindow(shape, cotShape, params, g.inStrides, (o, starts, inside, origin) => {
    let best = -Infinity, at = -1;
    for (let i = 0; i < size; i++) {
      const off = inside ? origin + offsets[i] : pointOffset(g, shape, starts, i);
      if (off < 0) continue;
      const v = x[off];
      if (at < 0 || v > best) {
        best = v;
        at = off;
      }
    }
    if (at >= 0) acc[at] += cot[o];
  });
  const out = allocate(dtype, acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i];
  return out;
}

/**
 * The transpose of {@link selectAndScatterMaxKernel}: for each window, the
 * element of `h` at the position of the first maximum of `x` in that window
 * (0 for a window wholly in the padding). The forward derivative of a max
 * window, and the derivative of select-and-scatter with respect to its
 * cotangent.
 *
 * @example
 * ```ts
 * const params = { window: [2], strides: [2], padding: [[0, 0]] as [number, number][] };
 * windowSelectMaxKernel(new Float32Array([1, 3, 2, 2]), [4], new Float32Array([5, 6, 7, 8]), params, [2], "float32");
 * // [6, 7]
 * ```
 */
export function windowSelectMaxKernel(
  x: TypedArray,
  shape: Shape,
  h: TypedArray,
  params: WindowParams,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  const g = geometry(shape, params.window);
  const { offsets, size } = g;
  forEachWindow(shape, outShape, params, g.inStrides, (o, starts, inside, origin) => {
    let best = -Infinity, at = -1;
    for (let i = 0; i < size; i++) {
      const off = inside ? origin + offsets[i] : pointOffset(g, shape, starts, i);
      if (off < 0) continue;
      const v = x[off];
      if (at < 0 || v > best) {
        best = v;
        at = off;
      }
    }
    out[o] = at >= 0 ? h[at] : 0;
  });
  return out;
}
