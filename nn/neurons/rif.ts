/**
 * Recurrent integrate-and-fire: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { spike } from "../../autodiff/cell/expr.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { recurrentWeights, runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link RIF}. */
export type RIFOptions = SpikingOptions;

/** The parameters of one RIF step. */
export interface RIFParams {
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/** The RIF cell: `S = spike(V - thr); V' = V + x + S@w - S*thr`; output `S`. */
export const RIF_CELL: Cell = defineCell({
  name: "RIF",
  state: ["v"],
  params: [],
  recurrent: true,
  step: ({ state: { v }, x, fb, threshold }) => {
    const s = spike(v.sub(threshold));
    return { next: { v: v.add(x).add(fb).sub(s.mul(threshold)) }, output: s };
  },
});

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
  const [s, [vNext]] = runStep(RIF_CELL, [v], [], x, p.w, threshold, activation);
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
  /** The model's cell. */
  static readonly cell: Cell = RIF_CELL;

  constructor(hiddenShape: readonly number[], options: RIFOptions = {}) {
    super(hiddenShape, options, RIF_CELL);
  }

  protected stepParameters(): Tensor[] {
    return [];
  }

  protected override recurrentWeights(dtype: DType): Tensor {
    return recurrentWeights(this.hiddenShape, dtype);
  }
}
