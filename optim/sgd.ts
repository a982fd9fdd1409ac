/**
 * Momentum (`trace`) and stochastic gradient descent (`sgd`).
 *
 * @module
 */
import { add, astype, mul } from "../autodiff/ops/elementwise.ts";
import { zerosLike } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { chain, type GradientTransformation, identity, type LearningRate, type Updates } from "./transform.ts";

/** State of {@link trace}: the running momentum, shaped like the params. */
export interface TraceState {
  /** `m = g + decay * m`, one tensor per parameter. */
  trace: Updates;
}

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Momentum factor in [0, 1). Default 0.9. */
  decay?: number;
  /** Nesterov momentum: the update is `g + decay * m` with the new `m`. Default false. */
  nesterov?: boolean;
}

/**
 * Heavy-ball momentum (`optax.trace`): `m = g + decay*m`; the update is
 * `m`, or `g + decay*m` with `nesterov`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.trace({ decay: 0.5 });
 * const p = { w: np.zeros([1]) };
 * const [, s] = t.update({ w: np.ones([1]) }, t.init(p));
 * t.update({ w: np.ones([1]) }, s); // [{ w: [1.5] }, ...]
 * ```
 */
export function trace(options: TraceOptions = {}): GradientTransformation<TraceState> {
  checkOptionNames("trace", options, ["decay", "nesterov"]);
  const { decay = 0.9, nesterov = false } = options;
  checkOption("trace", "decay", decay, { min: 0, max: 1, maxOpen: true });
  return {
    init: (params) => ({ trace: map((p: Tensor) => zerosLike(p), params) as Updates }),
    update: (updates, state) => {
      const [out, next] = mapLeaves("trace", [["updates", updates], ["trace state", state.trace]], 2, (g, m) => {
        const m1 = astype(add(g, mul(m, decay)), m.dtype);
        return [nesterov ? add(g, mul(m1, decay)) : m1, m1];
      });
      return [out as typeof updates, { trace: next }];
    },
  };
}

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Momentum factor in [0, 1); omitted means plain SGD. */
  momentum?: number;
  /** Nesterov momentum (needs `momentum`). Default false. */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (`optax.sgd`): `-lr * g`, or with momentum
 * `-lr * m` where `m = g + momentum*m` (`-lr * (g + momentum*m)` with
 * `nesterov`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.sgd(0.1, { momentum: 0.9 });
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([1, 1]) }, opt.init(params));
 * optim.applyUpdates(params, updates); // { w: [0.9, 1.9] }
 * ```
 */
export function sgd(learningRate: LearningRate, options: SgdOptions = {}): GradientTransformation {
  checkOptionNames("sgd", options, ["momentum", "nesterov"]);
  checkLearningRate("sgd", learningRate);
  const { momentum, nesterov = false } = options;
  if (nesterov && momentum === undefined) {
    throw new TypeError("sgd: nesterov: true needs a momentum value");
  }
  if (momentum !== undefined) checkOption("sgd", "momentum", momentum, { min: 0, max: 1, maxOpen: true });
  return chain(
    momentum === undefined ? identity() : trace({ decay: momentum, nesterov }),
    scaleByLearningRate(learningRate),
  );
}
