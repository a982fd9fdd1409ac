/**
 * The optax loss helpers that spyx's `fn` builds on: label smoothing,
 * softmax cross-entropy, squared error and the Huber loss. All are
 * element-wise or per-row compositions of differentiable ops.
 *
 * @module
 */
import { Tracer } from "../autodiff/core/trace.ts";
import { isFloat } from "../autodiff/dtype.ts";
import { logSoftmax, oneHot } from "../autodiff/ops/activation.ts";
import { asTensor, type TensorLike } from "../autodiff/ops/creation.ts";
import { abs, add, astype, equal, minimum, mul, neg, square, sub, where } from "../autodiff/ops/elementwise.ts";
import { checkValues } from "../autodiff/ops/identity.ts";
import { sum } from "../autodiff/ops/reduce.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOption } from "./checks.ts";

function floatTensor(x: TensorLike): Tensor {
  const t = asTensor(x);
  return isFloat(t.dtype) ? t : astype(t, "float32");
}

function sameShape(fn: string, a: Tensor, b: Tensor, what: string): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${fn}: logits/predictions have shape [${a.shape}] but ${what} has shape [${b.shape}]`);
  }
}

/**
 * Throws unless every entry of the integer tensor `targets` is a class
 * index in `[0, numClasses)`: one-hot encoding would turn any other value
 * into an all-zero label row, and the loss would quietly ignore the sample.
 * Returns the targets to use. Under a transformation (`vmap` over the
 * targets) their values cannot be read here: the `check_values` primitive
 * checks them where they are computed.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * checkClassIndices("integralCrossentropy", np.array([0, 2], { dtype: "int32" }), 3); // ok
 * ```
 */
export function checkClassIndices(fn: string, targets: Tensor, numClasses: number): Tensor {
  if (targets instanceof Tracer) {
    return checkValues(targets, { min: 0, max: numClasses - 1, integer: true, what: `${fn}: targets` });
  }
  const data = targets.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v < numClasses)) {
      throw new RangeError(
        `${fn}: target ${v} at flat index ${i} is not a class index in [0, ${numClasses}) ` +
          `(the last axis has ${numClasses} classes)`,
      );
    }
  }
  return targets;
}

/**
 * `(1 - alpha) * labels + alpha / numClasses` over the last axis
 * (`optax.smooth_labels`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.smoothLabels(np.array([[0, 1]]), 0.2); // [[0.1, 0.9]]
 * ```
 */
export function smoothLabels(labels: TensorLike, alpha: number): Tensor {
  checkOption("smoothLabels", "alpha", alpha, { min: 0, max: 1 });
  const l = floatTensor(labels);
  if (l.ndim === 0) throw new RangeError("smoothLabels: labels must have a class axis, got a scalar");
  const numClasses = l.shape[l.ndim - 1];
  return add(mul(l, 1 - alpha), alpha / numClasses);
}

/**
 * `-sum(labels * logSoftmax(logits), -1)`: cross-entropy per row against
 * probability labels of the same shape (`optax.softmax_cross_entropy`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.softmaxCrossEntropy(np.array([[0, 0]]), np.array([[1, 0]])); // [log 2]
 * ```
 */
export function softmaxCrossEntropy(logits: TensorLike, labels: TensorLike): Tensor {
  const z = floatTensor(logits), l = floatTensor(labels);
  sameShape("softmaxCrossEntropy", z, l, "labels");
  return neg(sum(labelledLogProbabilities(l, logSoftmax(z, -1)), -1));
}

/**
 * `labels * logProbabilities`, 0 where a label is 0: a log-probability of
 * -Infinity (a logit that is finite but more than float range below the
 * largest) would otherwise make 0 * -Infinity = NaN.
 */
function labelledLogProbabilities(labels: Tensor, logProbabilities: Tensor): Tensor {
  return where(equal(labels, 0), 0, mul(labels, logProbabilities));
}

/**
 * Cross-entropy per row against integer class labels of shape
 * `logits.shape[:-1]` (`optax.softmax_cross_entropy_with_integer_labels`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.softmaxCrossEntropyWithIntegerLabels(np.array([[0, 0]]), np.array([1], { dtype: "int32" })); // [log 2]
 * ```
 */
export function softmaxCrossEntropyWithIntegerLabels(logits: TensorLike, labels: TensorLike): Tensor {
  const fn = "softmaxCrossEntropyWithIntegerLabels";
  const z = floatTensor(logits), l = asTensor(labels, "int32");
  if (l.dtype !== "int32" && l.dtype !== "uint32") {
    throw new TypeError(`${fn}: labels must be an int32 tensor, got ${l.dtype}`);
  }
  if (z.ndim !== l.ndim + 1 || l.shape.some((d, i) => d !== z.shape[i])) {
    throw new RangeError(`${fn}: labels of shape [${l.shape}] do not match logits of shape [${z.shape}]`);
  }
  const hot = oneHot(checkClassIndices(fn, l, z.shape[z.ndim - 1]), z.shape[z.ndim - 1], { dtype: z.dtype });
  return neg(sum(labelledLogProbabilities(hot, logSoftmax(z, -1)), -1));
}

/**
 * `(predictions - targets)^2` element-wise (`optax.squared_error`); targets
 * default to 0.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.squaredError(np.array([1, 3]), np.array([0, 1])); // [1, 4]
 * ```
 */
export function squaredError(predictions: TensorLike, targets?: TensorLike): Tensor {
  const p = floatTensor(predictions);
  if (targets === undefined) return square(p);
  const t = asTensor(targets, p.dtype);
  if (t.ndim !== 0) sameShape("squaredError", p, t, "targets");
  return square(sub(p, t));
}

/**
 * Huber loss element-wise (`optax.huber_loss`): with `e = predictions -
 * targets`, `0.5 e^2` where `|e| <= delta` and `delta * (|e| - 0.5 delta)`
 * beyond. Targets default to 0.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.huberLoss(np.array([0.5, -3])); // [0.125, 2.5]
 * ```
 */
export function huberLoss(predictions: TensorLike, targets?: TensorLike, delta = 1): Tensor {
  checkOption("huberLoss", "delta", delta, { min: 0, minOpen: true });
  const p = floatTensor(predictions);
  let e = p;
  if (targets !== undefined) {
    const t = asTensor(targets, p.dtype);
    if (t.ndim !== 0) sameShape("huberLoss", p, t, "targets");
    e = sub(p, t);
  }
  const a = abs(e);
  const quadratic = minimum(a, delta);
  // Written as optax does, so the gradient is e inside and delta*sign(e) outside without a branch.
  return add(mul(square(quadratic), 0.5), mul(sub(a, quadratic), delta));
}
