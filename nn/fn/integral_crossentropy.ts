/**
 * `fn.integralCrossentropy`: softmax cross-entropy of the time-summed
 * traces, spyx's default classification loss.
 *
 * @module
 */
import { oneHot } from "../../autodiff/ops/activation.ts";
import type { TensorLike } from "../../autodiff/ops/creation.ts";
import { mean, sum } from "../../autodiff/ops/reduce.ts";
import type { Tensor } from "../../autodiff/tensor.ts";
import { checkOption, checkOptionNames } from "../../optim/checks.ts";
import { smoothLabels, softmaxCrossEntropy } from "../../optim/losses.ts";
import { checkTraces } from "./traces.ts";

/** Options of {@link integralCrossentropy}. */
export interface IntegralCrossentropyOptions {
  /** Label smoothing in [0, 1]. Default 0.3, spyx's default. */
  smoothing?: number;
  /** Axis of time in the traces. Default 1 (batch-major `[B, T, C]`). */
  timeAxis?: number;
}

/**
 * Builds `(traces, targets) => loss`: `logits = sum over time of traces`,
 * `labels = oneHot(targets) * (1 - smoothing) + smoothing / C`, and the
 * batch mean of `-sum_c labels * logSoftmax(logits)` (spyx
 * `integral_crossentropy`). `targets` are int32 class indices.
 *
 * @example
 * ```ts
 * import { fn, np } from "../../mod.ts";
 * const loss = fn.integralCrossentropy({ smoothing: 0 });
 * const traces = np.zeros([2, 4, 3]); // [batch, time, classes]
 * loss(traces, np.array([0, 2], { dtype: "int32" })); // log(3)
 * ```
 */
export function integralCrossentropy(
  options: IntegralCrossentropyOptions = {},
): (traces: TensorLike, targets: TensorLike) => Tensor {
  const name = "integralCrossentropy";
  checkOptionNames(name, options, ["smoothing", "timeAxis"]);
  const { smoothing = 0.3, timeAxis = 1 } = options;
  checkOption(name, "smoothing", smoothing, { min: 0, max: 1 });
  return (traces, targets) => {
    const c = checkTraces(name, traces, targets, timeAxis);
    const logits = sum(c.traces, c.timeAxis);
    const labels = smoothLabels(oneHot(c.targets, c.numClasses, { dtype: logits.dtype }), smoothing);
    return mean(softmaxCrossEntropy(logits, labels));
  };
}
