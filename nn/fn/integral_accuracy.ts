/**
 * `fn.integralAccuracy`: classification accuracy of the time-summed traces.
 *
 * @module
 */
import type { TensorLike } from "../../autodiff/ops/creation.ts";
import { astype, equal } from "../../autodiff/ops/elementwise.ts";
import { argmax, mean, sum } from "../../autodiff/ops/reduce.ts";
import type { Tensor } from "../../autodiff/tensor.ts";
import { checkOptionNames } from "../../optim/checks.ts";
import { checkTraces } from "./traces.ts";

/** Options of {@link integralAccuracy}. */
export interface IntegralAccuracyOptions {
  /** Axis of time in the traces. Default 1 (batch-major `[B, T, C]`). */
  timeAxis?: number;
}

/**
 * Builds `(traces, targets) => [accuracy, preds]`: `preds` (int32) is the
 * argmax over classes of the time-summed traces (the first on ties) and
 * `accuracy` the fraction of `preds` equal to `targets`, a scalar of the
 * traces' float dtype (spyx `integral_accuracy`).
 *
 * @example
 * ```ts
 * import { fn, np } from "../../mod.ts";
 * const traces = np.array([[[0, 1], [0, 1]], [[2, 0], [1, 0]]]); // [batch 2, time 2, classes 2]
 * const [acc, preds] = fn.integralAccuracy()(traces, np.array([1, 1], { dtype: "int32" }));
 * // acc 0.5, preds [1, 0]
 * ```
 */
export function integralAccuracy(
  options: IntegralAccuracyOptions = {},
): (traces: TensorLike, targets: TensorLike) => [Tensor, Tensor] {
  const name = "integralAccuracy";
  checkOptionNames(name, options, ["timeAxis"]);
  const { timeAxis = 1 } = options;
  return (traces, targets) => {
    const c = checkTraces(name, traces, targets, timeAxis);
    const preds = argmax(sum(c.traces, c.timeAxis), -1);
    const hits = astype(equal(preds, astype(c.targets, "int32")), c.traces.dtype);
    return [mean(hits), preds];
  };
}
