/**
 * Recurrent leaky integrate-and-fire: LIF with the layer's own spikes fed
 * back through weights `w`.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import {
  checkDecayOption,
  decayParameter,
  feedback,
  recurrentWeights,
  SpikingNeuron,
  type SpikingOptions,
} from "./neuron.ts";

/** Options of {@link RLIF}. */
export interface RLIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
}

/** The parameters of one RLIF step (`beta` already clipped to [0, 1]). */
export interface RLIFParams {
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/**
 * One RLIF step from the old state `v`:
 * `S = spike(V - thr); V' = beta*V + x + S@w - S*thr`. Returns `[S, V']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * const p = { beta: np.array(0.5), w: np.array([[0.5]]) };
 * rlifStep(p, np.array([0]), np.array([1.5]), 1, axn.superspike()); // [[1], [0.25]]
 * ```
 */
export function rlifStep(
  p: RLIFParams,
  x: Tensor,
  v: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor] {
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(np.add(np.mul(p.beta, v), x), feedback(s, p.w)), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * Recurrent LIF neurons (spyx `RLIF`): LIF plus the feedback `S @ w` of the
 * previous spikes; the output is the spikes. Parameters `beta` (used as
 * `clip(beta, 0, 1)`) and `w` of shape `[...hiddenShape, ...hiddenShape]`
 * (truncated normal init, stddev 1). State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.RLIF([3], { beta: 0.9 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const params = net.init(random.key(0), x); // { RLIF: { beta: 0.9, w: [3, 3] } }
 * const [spikes, v] = net.apply(params, null, x);
 * ```
 */
export class RLIF extends SpikingNeuron {
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RLIFOptions = {}) {
    super(hiddenShape, options, "RLIF", 1);
    this.beta = checkDecayOption("RLIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    const beta = decayParameter("beta", this.beta, this.hiddenShape, input.dtype);
    const w = recurrentWeights(this.hiddenShape, input.dtype);
    return rlifStep({ beta, w }, input, v, this.threshold, this.activation);
  }
}
