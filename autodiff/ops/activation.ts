/**
 * Composites used by losses and classifiers: `softmax`, `logSoftmax`,
 * `oneHot`.
 *
 * @module
 */
import { isFloat } from "../dtype.ts";
import { normalizeAxis } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { arange, asTensor, type TensorLike } from "./creation.ts";
import { astype, equal, exp, sub } from "./elementwise.ts";
import { expandDims } from "./layout.ts";
import { logsumexp } from "./reduce.ts";
import type { DType } from "../dtype.ts";

/**
 * `x - logsumexp(x, axis)`: log-probabilities along `axis`.
 *
 * @example
 * ```ts
 * logSoftmax(logits);
 * ```
 */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  let t = asTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, "float32");
  normalizeAxis("logSoftmax", axis, t.ndim);
  return sub(t, logsumexp(t, axis, true));
}

/**
 * Probabilities along `axis` (`exp(logSoftmax(x))`).
 *
 * @example
 * ```ts
 * softmax(logits, -1);
 * ```
 */
export function softmax(x: TensorLike, axis = -1): Tensor {
  return exp(logSoftmax(x, axis));
}

/**
 * One-hot encoding of integer labels along a new last axis; labels outside
 * `[0, numClasses)` give an all-zero row, as in `jax.nn.one_hot`.
 *
 * @example
 * ```ts
 * oneHot(array([0, 2], { dtype: "int32" }), 3); // [[1,0,0],[0,0,1]]
 * ```
 */
export function oneHot(labels: TensorLike, numClasses: number, options: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const l = asTensor(labels, "int32");
  if (isFloat(l.dtype)) throw new TypeError(`oneHot: labels must be integers, got dtype ${l.dtype}`);
  const hit = equal(expandDims(astype(l, "int32"), -1), arange(numClasses));
  return astype(hit, options.dtype ?? "float32");
}
