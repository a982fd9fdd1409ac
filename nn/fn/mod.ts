/**
 * `fn`: spyx's losses and activity regularizers, as higher-order
 * functions. Traces are batch-major `[B, T, C]` unless `timeAxis` says
 * otherwise; targets are int32 class indices.
 *
 * @example
 * ```ts
 * import { fn, grad, np } from "../../mod.ts";
 * const loss = fn.integralCrossentropy();
 * const traces = np.zeros([2, 5, 3]);
 * const targets = np.array([0, 1], { dtype: "int32" });
 * const g = grad((t) => loss(t, targets))(traces); // shape [2, 5, 3]
 * ```
 *
 * @module
 */
export { integralCrossentropy, type IntegralCrossentropyOptions } from "./integral_crossentropy.ts";
export { integralAccuracy, type IntegralAccuracyOptions } from "./integral_accuracy.ts";
export { mseSpikerate, type MseSpikerateOptions } from "./mse_spikerate.ts";
export { silenceReg } from "./silence_reg.ts";
export { type Norm, sparsityReg } from "./sparsity_reg.ts";
