/**
 * Composites used by losses and classifiers: `softmax`, `logSoftmax`,
 * `oneHot`.
 *
 * @module
 */
import { type DType, isFloat } from "../dtype.ts";
import { normalizeAxes } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { arange, asTensor, type TensorLike } from "./creation.ts";
import { astype, equal, exp, log, sub } from "./elementwise.ts";
import { expandDims } from "./layout.ts";
import { maxShift, sum } from "./reduce.ts";

/**
 * `x - logsumexp(x, axis)`: log-probabilities along `axis` (one axis or
 * several, as in `jax.nn.log_softmax`). Integer inputs give float32.
 * Computed as `(x - m) - log(sum(exp(x - m)))` with `m` the maximum (no
 * gradient of its own), so that large inputs keep their precision: adding
 * `m` back and subtracting it again, as `x - logsumexp(x)` does, rounds
 * the result to the spacing of floats near `m`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.logSoftmax(np.array([0, 0])); // [-0.693, -0.693]
 * ```
 */
export function logSoftmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  let t = asTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, "float32");
  const axes = normalizeAxes("logSoftmax", axis, t.ndim);
  const shifted = sub(t, maxShift(t, axes));
  return sub(shifted, log(sum(exp(shifted), axes, true)));
}

/**
 * Probabilities along `axis` (`exp(logSoftmax(x))`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.softmax(np.array([[1, 1], [0, Math.log(3)]]), -1); // [[0.5, 0.5], [0.25, 0.75]]
 * ```
 */
export function softmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  const t = asTensor(x);
  normalizeAxes("softmax", axis, t.ndim);
  return exp(logSoftmax(t, axis));
}

/**
 * One-hot encoding of labels along a new last axis, as `jax.nn.one_hot`:
 * `out[..., k] = labels[...] == k`, so labels outside `[0, numClasses)` (or
 * not integral) give an all-zero row.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.oneHot(np.array([0, 2], { dtype: "int32" }), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(labels: TensorLike, numClasses: number, options: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const l = asTensor(labels, "int32");
  if (l.dtype === "bool") throw new TypeError(`oneHot: labels must be numbers, got a bool tensor [${l.shape}]`);
  const hit = equal(expandDims(l, -1), arange(numClasses));
  return astype(hit, options.dtype ?? "float32");
}
