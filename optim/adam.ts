/**
 * Adam and AdamW: `scaleByAdam` (bias-corrected first and second moments)
 * and the optimizers built on it.
 *
 * @module
 */
import { zerosLike } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { adamLeafUpdate } from "./adam_update.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { chain, type GradientTransformation, type LearningRate, type Updates } from "./transform.ts";
import { addDecayedWeights, type DecayMask } from "./weight_decay.ts";

/** State of {@link scaleByAdam}. */
export interface ScaleByAdamState {
  /** Updates so far (0 before the first). */
  count: number;
  /** First moment (EMA of the gradients), shaped like the params. */
  mu: Updates;
  /** Second moment (EMA of the squared gradients), shaped like the params. */
  nu: Updates;
}

/** Options of {@link scaleByAdam}. */
export interface ScaleByAdamOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  b2?: number;
  /** Added to the root of the second moment. Default 1e-8. */
  eps?: number;
  /** Added to the second moment inside the root. Default 0. */
  epsRoot?: number;
}

const ADAM_OPTIONS = ["b1", "b2", "eps", "epsRoot"] as const;

function adamOptions(fn: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = options;
  checkOption(fn, "b1", b1, { min: 0, max: 1, maxOpen: true });
  checkOption(fn, "b2", b2, { min: 0, max: 1, maxOpen: true });
  checkOption(fn, "eps", eps, { min: 0 });
  checkOption(fn, "epsRoot", epsRoot, { min: 0 });
  return { b1, b2, eps, epsRoot };
}

/**
 * Rescales updates by Adam's rule (`optax.scale_by_adam`): with `t` the
 * update number from 1, `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g^2`,
 * update `= (m/(1-b1^t)) / (sqrt(v/(1-b2^t) + epsRoot) + eps)`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByAdam();
 * const p = { w: np.zeros([2]) };
 * t.update({ w: np.array([3, -2]) }, t.init(p)); // first step: [~1, ~-1]
 * ```
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  checkOptionNames("scaleByAdam", options, ADAM_OPTIONS);
  const { b1, b2, eps, epsRoot } = adamOptions("scaleByAdam", options);
  return {
    init: (params) => ({
      count: 0,
      mu: map((p: Tensor) => zerosLike(p), params) as Updates,
      nu: map((p: Tensor) => zerosLike(p), params) as Updates,
    }),
    update: (updates, state) => {
      const count = state.count + 1;
      const c1 = 1 / (1 - b1 ** count), c2 = 1 / (1 - b2 ** count);
      const [out, mu, nu] = mapLeaves(
        "scaleByAdam",
        [["updates", updates], ["mu (first moment)", state.mu], ["nu (second moment)", state.nu]],
        3,
        (g, m, v) => adamLeafUpdate(g, m, v, { b1, b2, eps, epsRoot, c1, c2 }),
      );
      return [out as typeof updates, { count, mu, nu }];
    },
  };
}

/**
 * Adam (`optax.adam`): `chain(scaleByAdam, scaleByLearningRate(lr))`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.adam(1e-3);
 * const params = { w: np.array([1, 2]) };
 * const [updates, state] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params));
 * optim.applyUpdates(params, updates); // { w: [0.999, 2.001] }
 * ```
 */
export function adam(learningRate: LearningRate, options: ScaleByAdamOptions = {}): GradientTransformation {
  checkOptionNames("adam", options, ADAM_OPTIONS);
  checkLearningRate("adam", learningRate);
  adamOptions("adam", options);
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

/** Options of {@link adamw}. */
export interface AdamWOptions extends ScaleByAdamOptions {
  /** Decoupled weight decay factor. Default 1e-4. */
  weightDecay?: number;
  /** Which parameters are decayed (see {@link addDecayedWeights}). Default all. */
  mask?: DecayMask;
}

/**
 * AdamW (`optax.adamw`): Adam with decoupled weight decay,
 * `-lr * (adamUpdate + weightDecay * p)`; needs `params` in `update`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.adamw(1e-3, { weightDecay: 1e-2 });
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params), params);
 * ```
 */
export function adamw(learningRate: LearningRate, options: AdamWOptions = {}): GradientTransformation {
  checkOptionNames("adamw", options, [...ADAM_OPTIONS, "weightDecay", "mask"]);
  checkLearningRate("adamw", learningRate);
  const { weightDecay = 1e-4, mask, ...adamOpts } = options;
  adamOptions("adamw", adamOpts);
  checkOption("adamw", "weightDecay", weightDecay, { min: 0 });
  return chain(scaleByAdam(adamOpts), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate));
}
