/**
 * Integrate-and-fire: a neuron without leak.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link IF}. */
export type IFOptions = SpikingOptions;

/**
 * One IF step from the old state `v`:
 * `S = spike(V - thr); V' = V + x - S*thr`. Returns `[S, V']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * ifStep(np.array([0.5]), np.array([1.5]), 1, axn.superspike()); // [[1], [1]]
 * ```
 */
export function ifStep(x: Tensor, v: Tensor, threshold: number, activation: SpikeActivation): [Tensor, Tensor] {
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(v, x), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * Integrate-and-fire neurons (spyx `IF`): the membrane `V` sums its input
 * and drops by `thr` after a spike; the output is the spikes. No
 * parameters. State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.IF([3]);
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, v] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class IF extends SpikingNeuron {
  constructor(hiddenShape: readonly number[], options: IFOptions = {}) {
    super(hiddenShape, options, "IF", 1);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    return ifStep(input, v, this.threshold, this.activation);
  }
}
