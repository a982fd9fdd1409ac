/**
 * Recurrent current-based leaky integrate-and-fire: CuBaLIF with the
 * layer's own spikes fed back into the current through weights `w`.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import {
  checkDecayOption,
  decayParameter,
  feedback,
  packState,
  recurrentWeights,
  SpikingNeuron,
  type SpikingOptions,
  unpackState,
} from "./neuron.ts";

/** Options of {@link RCuBaLIF}. */
export interface RCuBaLIFOptions extends SpikingOptions {
  /** Current decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  alpha?: number;
  /** Membrane decay, same convention as `alpha`. */
  beta?: number;
}

/** The parameters of one RCuBaLIF step (decays already clipped to [0, 1]). */
export interface RCuBaLIFParams {
  /** Current decay, scalar or `hiddenShape`. */
  alpha: Tensor;
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/**
 * One RCuBaLIF step from the old state `(v, i)`:
 * `S = spike(V - thr); I' = alpha*I + x + S@w; V' = beta*(V - S*thr) + I'`.
 * Returns `[S, V', I']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * const p = { alpha: np.array(0.5), beta: np.array(0.5), w: np.array([[0.5]]) };
 * rcubaLifStep(p, np.array([1]), np.array([1.5]), np.array([2]), 1, axn.superspike()); // [[1], [2.75], [2.5]]
 * ```
 */
export function rcubaLifStep(
  p: RCuBaLIFParams,
  x: Tensor,
  v: Tensor,
  i: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor, Tensor] {
  const s = activation(np.sub(v, threshold));
  const iNext = np.add(np.add(np.mul(p.alpha, i), x), feedback(s, p.w));
  const vNext = np.add(np.mul(p.beta, np.sub(v, np.mul(s, threshold))), iNext);
  return [s, vNext, iNext];
}

/**
 * Recurrent current-based LIF neurons (spyx `RCuBaLIF`): CuBaLIF whose
 * current also receives the feedback `S @ w` of the previous spikes; the
 * output is the spikes. Parameters `alpha`, `beta` (used clipped to
 * [0, 1]) and `w` of shape `[...hiddenShape, ...hiddenShape]` (truncated
 * normal init, stddev 1). State `[V, I]` packed along the last axis.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.RCuBaLIF([3], { alpha: 0.8, beta: 0.9 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2)); // state [2, 6]
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, vi] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class RCuBaLIF extends SpikingNeuron {
  /** The scalar initial current decay, or undefined for per-neuron decays. */
  readonly alpha: number | undefined;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RCuBaLIFOptions = {}) {
    super(hiddenShape, options, "RCuBaLIF", 2);
    this.alpha = checkDecayOption("RCuBaLIF", "alpha", options.alpha);
    this.beta = checkDecayOption("RCuBaLIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and the packed state `[V, I]`: `[S, [V', I']]`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, vi] = this.checkStep(x, state);
    const [v, i] = unpackState(vi);
    const alpha = decayParameter("alpha", this.alpha, this.hiddenShape, input.dtype);
    const beta = decayParameter("beta", this.beta, this.hiddenShape, input.dtype);
    const w = recurrentWeights(this.hiddenShape, input.dtype);
    const [s, vNext, iNext] = rcubaLifStep({ alpha, beta, w }, input, v, i, this.threshold, this.activation);
    return [s, packState(vNext, iNext)];
  }
}
