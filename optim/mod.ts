/**
 * `optim`: optax-style gradient transformations, optimizers, schedules and
 * loss helpers. A transformation is `{init(params), update(grads, state,
 * params?)}`; `applyUpdates` adds the updates to the params.
 *
 * @example
 * ```ts
 * import { grad, np, optim, type Tensor } from "../mod.ts";
 * const loss = (p: { w: Tensor }) => np.sum(np.square(p.w));
 * const opt = optim.adam(optim.exponentialDecay({ initValue: 0.1, transitionSteps: 10, decayRate: 0.5 }));
 * let params = { w: np.array([1, -2]) };
 * let state = opt.init(params);
 * for (let i = 0; i < 3; i++) {
 *   const [updates, next] = opt.update(grad(loss)(params), state, params);
 *   [params, state] = [optim.applyUpdates(params, updates), next];
 * }
 * ```
 *
 * @module
 */
export {
  applyUpdates,
  chain,
  type GradientTransformation,
  identity,
  type LearningRate,
  type OptState,
  type ParamTree,
  type Schedule,
  type Updates,
} from "./transform.ts";
export {
  type CountState,
  scale,
  scaleByLearningRate,
  type ScaleByLearningRateOptions,
  scaleBySchedule,
} from "./scale.ts";
export { sgd, type SgdOptions, trace, type TraceOptions, type TraceState } from "./sgd.ts";
export { adam, adamw, type AdamWOptions, scaleByAdam, type ScaleByAdamOptions, type ScaleByAdamState } from "./adam.ts";
export {
  type RmsForm,
  rmsprop,
  type RmspropOptions,
  scaleByRms,
  type ScaleByRmsOptions,
  type ScaleByRmsState,
  scaleByStddev,
  type ScaleByStddevState,
} from "./rmsprop.ts";
export { adagrad, scaleByRss, type ScaleByRssOptions, type ScaleByRssState } from "./adagrad.ts";
export { lion, type LionOptions, scaleByLion, type ScaleByLionOptions, type ScaleByLionState } from "./lion.ts";
export { clip, clipByGlobalNorm, globalNorm } from "./clip.ts";
export { addDecayedWeights, type AddDecayedWeightsOptions, type DecayMask } from "./weight_decay.ts";
export {
  constant,
  cosineDecay,
  type CosineDecayOptions,
  exponentialDecay,
  type ExponentialDecayOptions,
  joinSchedules,
  linearSchedule,
  type LinearScheduleOptions,
  piecewiseConstant,
  type PiecewiseConstantOptions,
  polynomialSchedule,
  type PolynomialScheduleOptions,
  warmupCosineDecay,
  type WarmupCosineDecayOptions,
} from "./schedules.ts";
export {
  huberLoss,
  smoothLabels,
  softmaxCrossEntropy,
  softmaxCrossEntropyWithIntegerLabels,
  squaredError,
} from "./losses.ts";
