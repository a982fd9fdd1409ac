/**
 * `fn.mseSpikerate`: mean squared error between firing rates and a target
 * rate for the correct class.
 *
 * @module
 */
import { oneHot } from "../../autodiff/ops/activation.ts";
import type { TensorLike } from "../../autodiff/ops/creation.ts";
import { mul, square, sub } from "../../autodiff/ops/elementwise.ts";
import { mean } from "../../autodiff/ops/reduce.ts";
import type { Tensor } from "../../autodiff/tensor.ts";
import { checkOption, checkOptionNames } from "../../optim/checks.ts";
import { smoothLabels } from "../../optim/losses.ts";
import { checkTraces } from "./traces.ts";

/** Options of {@link mseSpikerate}. */
export interface MseSpikerateOptions {
  /** Target rate factor of the correct class (>= 0). Default 0.25. */
  sparsity?: number;
  /** Label smoothing in [0, 1]. Default 0. */
  smoothing?: number;
  /** Axis of time in the traces. Default 1 (batch-major `[B, T, C]`). */
  timeAxis?: number;
}

/**
 * Builds `(traces, targets) => loss` (spyx `mse_spikerate`): with `T` the
 * number of steps, `rate = mean over time of traces`, `labels =
 * oneHot(targets) * (1 - smoothing) + smoothing / C`, and the loss is the
 * mean over batch and classes of `(rate - labels * sparsity * T)^2`. (spyx
 * compares the mean rate with a target scaled by `T`; kept as is so that
 * ported code trains the same.)
 *
 * @example
 * ```ts
 * import { fn, np } from "../../mod.ts";
 * const loss = fn.mseSpikerate({ sparsity: 0.25 });
 * const traces = np.ones([1, 4, 2]); // rate 1 for both classes
 * loss(traces, np.array([0], { dtype: "int32" })); // ((1 - 1)^2 + (1 - 0)^2) / 2 = 0.5
 * ```
 */
export function mseSpikerate(options: MseSpikerateOptions = {}): (traces: TensorLike, targets: TensorLike) => Tensor {
  const name = "mseSpikerate";
  checkOptionNames(name, options, ["sparsity", "smoothing", "timeAxis"]);
  const { sparsity = 0.25, smoothing = 0, timeAxis = 1 } = options;
  checkOption(name, "sparsity", sparsity, { min: 0 });
  checkOption(name, "smoothing", smoothing, { min: 0, max: 1 });
  return (traces, targets) => {
    const c = checkTraces(name, traces, targets, timeAxis);
    const rate = mean(c.traces, c.timeAxis);
    const labels = smoothLabels(oneHot(c.targets, c.numClasses, { dtype: rate.dtype }), smoothing);
    return mean(square(sub(rate, mul(labels, sparsity * c.steps))));
  };
}
