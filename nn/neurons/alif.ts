/**
 * Adaptive leaky integrate-and-fire: the threshold rises after each spike.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import {
  checkDecayOption,
  decayParameter,
  packState,
  SpikingNeuron,
  type SpikingOptions,
  unpackState,
} from "./neuron.ts";

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
  const th = np.add(a, threshold);
  const s = activation(np.sub(v, th));
  const vNext = np.sub(np.add(np.mul(p.beta, v), x), np.mul(s, th));
  const aNext = np.add(np.mul(p.gamma, a), np.mul(np.sub(1, p.gamma), s));
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
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;
  /** The scalar initial adaptation decay, or undefined for per-neuron decays. */
  readonly gamma: number | undefined;

  constructor(hiddenShape: readonly number[], options: ALIFOptions = {}) {
    super(hiddenShape, options, "ALIF", 2);
    this.beta = checkDecayOption("ALIF", "beta", options.beta);
    this.gamma = checkDecayOption("ALIF", "gamma", options.gamma);
  }

  /** One step on `x: [B, ...hiddenShape]` and the packed state `[V, A]`: `[S, [V', A']]`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, va] = this.checkStep(x, state);
    const [v, a] = unpackState(va);
    const beta = decayParameter("beta", this.beta, this.hiddenShape, input.dtype);
    const gamma = decayParameter("gamma", this.gamma, this.hiddenShape, input.dtype);
    const [s, vNext, aNext] = alifStep({ beta, gamma }, input, v, a, this.threshold, this.activation);
    return [s, packState(vNext, aNext)];
  }
}
