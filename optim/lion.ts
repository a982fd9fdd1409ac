/**
 * Lion (evolved sign momentum): `scaleByLion` and `lion`.
 *
 * @module
 */
import { add, astype, mul, sign } from "../autodiff/ops/elementwise.ts";
import { zerosLike } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { chain, type GradientTransformation, type LearningRate, type Updates } from "./transform.ts";
import { addDecayedWeights, type DecayMask } from "./weight_decay.ts";

/** Options of {@link scaleByLion}. */
export interface ScaleByLionOptions {
  /** Interpolation between momentum and gradient for the update's sign, in [0, 1]. Default 0.9. */
  b1?: number;
  /** Decay of the momentum, in [0, 1]. Default 0.99. */
  b2?: number;
}

/** State of {@link scaleByLion}. */
export interface ScaleByLionState {
  /** Updates so far. */
  count: number;
  /** Momentum, shaped like the params. */
  mu: Updates;
}

function lionOptions(fn: string, options: ScaleByLionOptions): Required<ScaleByLionOptions> {
  const { b1 = 0.9, b2 = 0.99 } = options;
  checkOption(fn, "b1", b1, { min: 0, max: 1 });
  checkOption(fn, "b2", b2, { min: 0, max: 1 });
  return { b1, b2 };
}

/**
 * Lion's scaling (`optax.scale_by_lion`): update `sign(b1*m + (1-b1)*g)`,
 * then `m = b2*m + (1-b2)*g`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByLion();
 * t.update({ w: np.array([0.3, -2, 0]) }, t.init({ w: np.zeros([3]) })); // [{ w: [1, -1, 0] }, ...]
 * ```
 */
export function scaleByLion(options: ScaleByLionOptions = {}): GradientTransformation<ScaleByLionState> {
  checkOptionNames("scaleByLion", options, ["b1", "b2"]);
  const { b1, b2 } = lionOptions("scaleByLion", options);
  return {
    init: (params) => ({ count: 0, mu: map((p: Tensor) => zerosLike(p), params) as Updates }),
    update: (updates, state) => {
      const [out, mu] = mapLeaves("scaleByLion", [["updates", updates], ["mu (momentum)", state.mu]], 2, (g, m) => [
        sign(add(mul(m, b1), mul(g, 1 - b1))),
        astype(add(mul(m, b2), mul(g, 1 - b2)), m.dtype),
      ]);
      return [out as typeof updates, { count: state.count + 1, mu }];
    },
  };
}

/** Options of {@link lion}. */
export interface LionOptions extends ScaleByLionOptions {
  /** Decoupled weight decay factor. Default 1e-3, optax's default. */
  weightDecay?: number;
  /** Which parameters are decayed (see {@link addDecayedWeights}). */
  mask?: DecayMask;
}

/**
 * Lion (`optax.lion`): `chain(scaleByLion, addDecayedWeights(weightDecay),
 * scaleByLearningRate(lr))`. As in optax, the default weight decay is 1e-3,
 * so `update` needs the params unless `weightDecay: 0`. Use a learning rate
 * 3-10x smaller than Adam's.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.lion(1e-4, { weightDecay: 0 });
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params)); // [-1e-4, 1e-4]
 * ```
 */
export function lion(learningRate: LearningRate, options: LionOptions = {}): GradientTransformation {
  checkOptionNames("lion", options, ["b1", "b2", "weightDecay", "mask"]);
  checkLearningRate("lion", learningRate);
  const { weightDecay = 1e-3, mask, ...lionOpts } = options;
  lionOptions("lion", lionOpts);
  checkOption("lion", "weightDecay", weightDecay, { min: 0 });
  return chain(scaleByLion(lionOpts), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate));
}
