/**
 * CPU kernels that move elements without arithmetic: transpose, broadcast,
 * strided slice, padding, concatenation, gather and its adjoint.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";
import { broadcastStrides, coalesce, forEachInnerRun } from "./elementwise.ts";

/** Gathers `x` through arbitrary per-axis source strides into a new dense array. */
function stridedCopy(
  x: TypedArray,
  outShape: Shape,
  srcStrides: number[],
  srcOffset: number,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  const c = coalesce(outShape, [srcStrides]);
  const inner = c.strides[0][c.shape.length - 1] ?? 0;
  forEachInnerRun(c.shape, c.strides, (o, [p], n) => {
    const base = p + srcOffset;
    if (inner === 1) {
      for (let i = 0; i < n; i++) out[o + i] = x[base + i];
    } else {
      for (let i = 0; i < n; i++) out[o + i] = x[base + i * inner];
    }
  });
  return out;
}

/**
 * Permutes axes: `out.shape[i] = shape[perm[i]]`.
 *
 * @example
 * ```ts
 * import { transposeKernel } from "./layout.ts";
 * transposeKernel(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0], "float32"); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transposeKernel(x: TypedArray, shape: Shape, perm: readonly number[], dtype: DType): TypedArray {
  const s = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  if (shape.length === 2 && perm[0] === 1) return transpose2d(x, shape[0], shape[1], dtype);
  return stridedCopy(x, outShape, perm.map((p) => s[p]), 0, dtype);
}

/** Cache-blocked 2-d transpose. */
function transpose2d(x: TypedArray, rows: number, cols: number, dtype: DType): TypedArray {
  const out = allocate(dtype, rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j];
      }
    }
  }
  return out;
}

/**
 * Repeats `x` along broadcast axes to fill `outShape`.
 *
 * @example
 * ```ts
 * import { broadcastKernel } from "./layout.ts";
 * broadcastKernel(new Float32Array([1, 2]), [2, 1], [2, 2], "float32"); // [1, 1, 2, 2]
 * ```
 */
export function broadcastKernel(x: TypedArray, shape: Shape, outShape: Shape, dtype: DType): TypedArray {
  return stridedCopy(x, outShape, broadcastStrides(shape, outShape), 0, dtype);
}

/**
 * Strided slice: `sizes[d]` elements from `starts[d]` in steps of `steps[d]`.
 *
 * @example
 * ```ts
 * import { sliceKernel } from "./layout.ts";
 * sliceKernel(new Float32Array([0, 1, 2, 3, 4]), [5], [1], [2], [2], "float32"); // [1, 3]
 * ```
 */
export function sliceKernel(
  x: TypedArray,
  shape: Shape,
  starts: readonly number[],
  sizes: readonly number[],
  steps: readonly number[],
  dtype: DType,
): TypedArray {
  const s = stridesOf(shape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += starts[d] * s[d];
  return stridedCopy(x, sizes, s.map((v, d) => v * steps[d]), offset, dtype);
}

/**
 * Constant padding with non-negative `[lo, hi]` widths per axis.
 *
 * @example
 * ```ts
 * import { padKernel } from "./layout.ts";
 * padKernel(new Float32Array([1, 2]), [2], [[1, 2]], 0, "float32"); // [0, 1, 2, 0, 0]
 * ```
 */
export function padKernel(
  x: TypedArray,
  shape: Shape,
  pads: readonly (readonly [number, number])[],
  value: number,
  dtype: DType,
): TypedArray {
  const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = allocate(dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  if (sizeOf(shape) === 0) return out;
  const os = stridesOf(outShape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += pads[d][0] * os[d];
  const innerStrides = stridesOf(shape);
  // Walk the source row by row; each row lands contiguously in the output.
  forEachInnerRun(shape, [os, innerStrides], (_o, [p, q], n) => {
    for (let i = 0; i < n; i++) out[offset + p + i] = x[q + i];
  });
  return out;
}

/**
 * Concatenates along `axis` (all other axes equal).
 *
 * @example
 * ```ts
 * import { concatKernel } from "./layout.ts";
 * const a = { data: new Float32Array([1, 2]), shape: [2, 1] }, b = { data: new Float32Array([3, 4]), shape: [2, 1] };
 * concatKernel([a, b], 1, "float32"); // [1, 3, 2, 4]
 * ```
 */
export function concatKernel(
  xs: readonly { data: TypedArray; shape: Shape }[],
  axis: number,
  dtype: DType,
): TypedArray {
  const outer = sizeOf(xs[0].shape.slice(0, axis));
  const chunks = xs.map((x) => sizeOf(x.shape.slice(axis)));
  const row = chunks.reduce((a, b) => a + b, 0);
  const out = allocate(dtype, outer * row);
  let col = 0;
  xs.forEach((x, k) => {
    const c = chunks[k];
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * c, o * c + c), o * row + col);
    col += c;
  });
  return out;
}

/**
 * `out[pre, i, post] = x[pre, indices[i], post]` (indices in range).
 *
 * @example
 * ```ts
 * import { gatherKernel } from "./layout.ts";
 * gatherKernel(new Float32Array([10, 20, 30]), [3], new Int32Array([2, 0, 2]), 0, "float32"); // [30, 10, 30]
 * ```
 */
export function gatherKernel(
  x: TypedArray,
  shape: Shape,
  indices: TypedArray,
  axis: number,
  dtype: DType,
): TypedArray {
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const m = indices.length;
  const out = allocate(dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const src = (o * len + indices[i]) * inner;
      out.set(x.subarray(src, src + inner), (o * m + i) * inner);
    }
  }
  return out;
}

/**
 * Adjoint of {@link gatherKernel}: accumulates rows into zeros.
 *
 * @example
 * ```ts
 * import { scatterAddKernel } from "./layout.ts";
 * scatterAddKernel(new Float32Array([1, 2, 3]), new Int32Array([2, 0, 2]), 0, [3], "float32"); // [2, 0, 4]
 * ```
 */
export function scatterAddKernel(
  updates: TypedArray,
  indices: TypedArray,
  axis: number,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const len = outShape[axis];
  const inner = sizeOf(outShape.slice(axis + 1));
  const outer = sizeOf(outShape.slice(0, axis));
  const m = indices.length;
  const out = allocate(dtype, sizeOf(outShape));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const dst = (o * len + indices[i]) * inner;
      const src = (o * m + i) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] += updates[src + j];
    }
  }
  return out;
}
