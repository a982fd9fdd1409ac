/**
 * NIR's array layout against spyx-ts's. NIR describes one sample without
 * batch or time axes and puts channels first (`[C, H, W]`, `[C, L]`, as
 * PyTorch); spyx-ts, like Haiku, runs channels last (`[H, W, C]`, `[L, C]`).
 * A one-dimensional shape (`[N]`) is the same in both. Every per-sample
 * array of two or more axes is converted by moving the first axis to the
 * end (import) or the last axis to the front (export).
 *
 * @module
 */
import { np, type Tensor } from "../autodiff/mod.ts";

/**
 * NIR's per-sample shape in spyx-ts's layout.
 *
 * @example
 * ```ts
 * ourShape([2, 34, 34]); // [34, 34, 2]
 * ourShape([10]); // [10]
 * ```
 */
export function ourShape(nirShape: readonly number[]): number[] {
  return nirShape.length >= 2 ? [...nirShape.slice(1), nirShape[0]] : nirShape.slice();
}

/**
 * spyx-ts's per-sample shape in NIR's layout.
 *
 * @example
 * ```ts
 * nirShape([34, 34, 2]); // [2, 34, 34]
 * ```
 */
export function nirShape(ourShape: readonly number[]): number[] {
  const n = ourShape.length;
  return n >= 2 ? [ourShape[n - 1], ...ourShape.slice(0, n - 1)] : ourShape.slice();
}

/**
 * A per-sample NIR array (channels first) as float64 values in spyx-ts's
 * layout (channels last).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * toOurLayout(np.array([[1, 2], [3, 4]])); // Float64Array [1, 3, 2, 4] (shape [2, 2] transposed)
 * ```
 */
export function toOurLayout(t: Tensor): Float64Array {
  const x = np.astype(t, "float64");
  if (x.ndim < 2) return x.dataSync() as Float64Array;
  const perm = [...Array.from({ length: x.ndim - 1 }, (_, i) => i + 1), 0];
  return np.transpose(x, perm).dataSync() as Float64Array;
}

/**
 * Values in spyx-ts's layout (shape `ours`) as a NIR tensor (channels
 * first) of `dtype`.
 *
 * @example
 * ```ts
 * toNirLayout(new Float64Array([1, 3, 2, 4]), [2, 2], "float32").toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export function toNirLayout(values: Float64Array, ours: readonly number[], dtype: "float32" | "float64"): Tensor {
  const x = np.fromTypedArray(values, ours.slice(), "float64");
  const n = ours.length;
  const moved = n >= 2 ? np.transpose(x, [n - 1, ...Array.from({ length: n - 1 }, (_, i) => i)]) : x;
  return np.astype(moved, dtype);
}

/**
 * Converts a batched tensor `[M, ...ours]` (channels last) to NIR's layout
 * `[M, ...nir]` (channels first) or back (`toNir = false`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * batchedLayout(np.zeros([5, 4, 4, 8]), true).shape; // [5, 8, 4, 4]
 * ```
 */
export function batchedLayout(x: Tensor, toNir: boolean): Tensor {
  const r = x.ndim - 1; // per-sample rank
  if (r < 2) return x;
  const rest = Array.from({ length: r - 1 }, (_, i) => i + 1);
  return np.transpose(x, toNir ? [0, r, ...rest] : [0, ...rest.map((a) => a + 1), 1]);
}

/**
 * Product of a shape.
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * True when two shapes are equal.
 *
 * @example
 * ```ts
 * sameShape([1, 2], [1, 2]); // true
 * ```
 */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A tensor's values as float64, in its own layout (for weights, whose axes
 * are not a sample's).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * valuesOf(np.array([[1, 2], [3, 4]])); // Float64Array [1, 2, 3, 4]
 * ```
 */
export function valuesOf(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/**
 * float64 values as a tensor of `shape` and `dtype`, in their own layout.
 *
 * @example
 * ```ts
 * tensorOf(new Float64Array([1, 2]), [2], "float32").dtype; // "float32"
 * ```
 */
export function tensorOf(values: Float64Array, shape: readonly number[], dtype: "float32" | "float64"): Tensor {
  return np.astype(np.fromTypedArray(values, shape.slice(), "float64"), dtype);
}
