/**
 * Recurrent leaky integrate-and-fire: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { spike } from "../../autodiff/cell/expr.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import {
  checkDecayOption,
  decayParameter,
  recurrentWeights,
  runStep,
  SpikingNeuron,
  type SpikingOptions,
} from "./neuron.ts";

/** Options of {@link RLIF}. */
export interface RLIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
}

/** The parameters of one RLIF step. */
export interface RLIFParams {
  /** Membrane decay, scalar or `hiddenShape` (clipped to [0, 1]). */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/** The RLIF cell: `S = spike(V - thr); V' = beta*V + x + S@w - S*thr`; output `S`. */
export const RLIF_CELL: Cell = defineCell({
  name: "RLIF",
  state: ["v"],
  params: ["beta"],
  recurrent: true,
  step: ({ state: { v }, params: { beta }, x, fb, threshold }) => {
    const s = spike(v.sub(threshold));
    return { next: { v: beta.mul(v).add(x).add(fb).sub(s.mul(threshold)) }, output: s };
  },
});

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
  const [s, [vNext]] = runStep(RLIF_CELL, [v], [p.beta], x, p.w, threshold, activation);
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
  /** The model's cell. */
  static readonly cell: Cell = RLIF_CELL;
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RLIFOptions = {}) {
    super(hiddenShape, options, RLIF_CELL);
    this.beta = checkDecayOption("RLIF", "beta", options.beta);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [decayParameter("beta", this.beta, this.hiddenShape, dtype)];
  }

  protected override recurrentWeights(dtype: DType): Tensor {
    return recurrentWeights(this.hiddenShape, dtype);
  }
}
