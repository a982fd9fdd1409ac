/**
 * Integrate-and-fire, a neuron without leak: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { spike } from "../../autodiff/cell/expr.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link IF}. */
export type IFOptions = SpikingOptions;

/** The IF cell: `S = spike(V - thr); V' = V + x - S*thr`; output `S`. */
export const IF_CELL: Cell = defineCell({
  name: "IF",
  state: ["v"],
  params: [],
  step: ({ state: { v }, x, threshold }) => {
    const s = spike(v.sub(threshold));
    return { next: { v: v.add(x).sub(s.mul(threshold)) }, output: s };
  },
});

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
  const [s, [vNext]] = runStep(IF_CELL, [v], [], x, null, threshold, activation);
  return [s, vNext];
}

/**
 * Integrate-and-fire neurons (spyx `IF`): `V` sums its input without leak
 * and drops by `thr` after a spike; the output is the spikes. No
 * parameters. State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.IF([3], { threshold: 0.5 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.3); // [T, B, n]
 * const [spikes, v] = net.apply({}, null, x);
 * ```
 */
export class IF extends SpikingNeuron {
  /** The model's cell. */
  static readonly cell: Cell = IF_CELL;

  constructor(hiddenShape: readonly number[], options: IFOptions = {}) {
    super(hiddenShape, options, IF_CELL);
  }

  protected stepParameters(): Tensor[] {
    return [];
  }
}
