/**
 * Adaptive LIF: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { constant, spike } from "../../autodiff/cell/expr.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkDecayOption, decayParameter, runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link ALIF}. */
export interface ALIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
  /** Adaptation decay, same convention as `beta`. */
  gamma?: number;
}

/** The parameters of one ALIF step (decays already clipped to [0, 1]). */
export interface ALIFParams {
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Adaptation decay, scalar or `hiddenShape`. */
  gamma: Tensor;
}

/**
 * The ALIF cell: `th = A + thr; S = spike(V - th); V' = beta*V + x - S*th;
 * A' = gamma*A + (1 - gamma)*S`; output `S`. Gradients flow through the
 * adaptive threshold `th` too.
 */
export const ALIF_CELL: Cell = defineCell({
  name: "ALIF",
  state: ["v", "a"],
  params: ["beta", "gamma"],
  step: ({ state: { v, a }, params: { beta, gamma }, x, threshold }) => {
    const th = a.add(threshold);
    const s = spike(v.sub(th));
    return {
      next: { v: beta.mul(v).add(x).sub(s.mul(th)), a: gamma.mul(a).add(constant(1).sub(gamma).mul(s)) },
      output: s,
    };
  },
});

/**
 * One ALIF step from the old state `(v, a)`:
 * `th = thr + A; S = spike(V - th); V' = beta*V + x - S*th;
 * A' = gamma*A + (1 - gamma)*S`. Returns `[S, V', A']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * const p = { beta: np.array(0.5), gamma: np.array(0.5) };
 * alifStep(p, np.array([0]), np.array([1.5]), np.array([0.2]), 1, axn.superspike()); // [[1], [-0.45], [0.6]]
 * ```
 */
export function alifStep(
  p: ALIFParams,
  x: Tensor,
  v: Tensor,
  a: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor, Tensor] {
  const [s, [vNext, aNext]] = runStep(ALIF_CELL, [v, a], [p.beta, p.gamma], x, null, threshold, activation);
  return [s, vNext, aNext];
}

/**
 * Adaptive LIF neurons (spyx `ALIF`): a LIF whose effective threshold
 * `thr + A` grows with each spike and relaxes by `gamma`; the output is the
 * spikes. Parameters `beta`, `gamma` (used clipped to [0, 1]). State
 * `[V, A]` packed along the last axis: `[batch, ...hiddenShape]` with the
 * last axis doubled.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.ALIF([3], { beta: 0.9, gamma: 0.8 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2)); // state [2, 6]
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, va] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class ALIF extends SpikingNeuron {
  /** The model's cell. */
  static readonly cell: Cell = ALIF_CELL;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;
  /** The scalar initial adaptation decay, or undefined for per-neuron decays. */
  readonly gamma: number | undefined;

  constructor(hiddenShape: readonly number[], options: ALIFOptions = {}) {
    super(hiddenShape, options, ALIF_CELL);
    this.beta = checkDecayOption("ALIF", "beta", options.beta);
    this.gamma = checkDecayOption("ALIF", "gamma", options.gamma);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [
      decayParameter("beta", this.beta, this.hiddenShape, dtype),
      decayParameter("gamma", this.gamma, this.hiddenShape, dtype),
    ];
  }
}
