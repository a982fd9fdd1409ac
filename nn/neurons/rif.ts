/**
 * Recurrent integrate-and-fire: IF with the layer's own spikes fed back
 * through weights `w`.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { feedback, recurrentWeights, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link RIF}. */
export type RIFOptions = SpikingOptions;

/** The parameters of one RIF step. */
export interface RIFParams {
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/**
 * One RIF step from the old state `v`:
 * `S = spike(V - thr); V' = V + x + S@w - S*thr`. Returns `[S, V']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * rifStep({ w: np.array([[0.5]]) }, np.array([0]), np.array([1.5]), 1, axn.superspike()); // [[1], [1]]
 * ```
 */
export function rifStep(
  p: RIFParams,
  x: Tensor,
  v: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor] {
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(np.add(v, x), feedback(s, p.w)), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * Recurrent IF neurons (spyx `RIF`): IF plus the feedback `S @ w` of the
 * previous spikes; the output is the spikes. Parameter `w` of shape
 * `[...hiddenShape, ...hiddenShape]` (truncated normal init, stddev 1).
 * State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.RIF([3]);
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const params = net.init(random.key(0), x); // { RIF: { w: [3, 3] } }
 * const [spikes, v] = net.apply(params, null, x);
 * ```
 */
export class RIF extends SpikingNeuron {
  constructor(hiddenShape: readonly number[], options: RIFOptions = {}) {
    super(hiddenShape, options, "RIF", 1);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    const w = recurrentWeights(this.hiddenShape, input.dtype);
    return rifStep({ w }, input, v, this.threshold, this.activation);
  }
}
