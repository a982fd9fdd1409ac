/**
 * Leaky integrate-and-fire: its cell (the step, written once) and the
 * module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { spike } from "../../autodiff/cell/expr.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkDecayOption, decayParameter, runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link LIF}. */
export interface LIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
}

/** The parameters of one LIF step (`beta` already clipped to [0, 1]). */
export interface LIFParams {
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
}

/**
 * The LIF cell: `S = spike(V - thr); V' = beta*V + x - S*thr`; output `S`.
 * Its backward pass (derived) reads only the membrane before each step.
 */
export const LIF_CELL: Cell = defineCell({
  name: "LIF",
  state: ["v"],
  params: ["beta"],
  step: ({ state: { v }, params: { beta }, x, threshold }) => {
    const s = spike(v.sub(threshold));
    return { next: { v: beta.mul(v).add(x).sub(s.mul(threshold)) }, output: s };
  },
});

/**
 * One LIF step from the old state `v`:
 * `S = spike(V - thr); V' = beta*V + x - S*thr`. Returns `[S, V']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * lifStep({ beta: np.array(0.5) }, np.array([0.5]), np.array([1.5]), 1, axn.superspike()); // [[1], [0.25]]
 * ```
 */
export function lifStep(
  p: LIFParams,
  x: Tensor,
  v: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor] {
  const [s, [vNext]] = runStep(LIF_CELL, [v], [p.beta], x, null, threshold, activation);
  return [s, vNext];
}

/**
 * Leaky integrate-and-fire neurons (spyx `LIF`): `V` decays by `beta`,
 * sums its input and drops by `thr` after a spike; the output is the
 * spikes. Parameter `beta` (used as `clip(beta, 0, 1)`). State `V`:
 * `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.LIF([3], { beta: 0.9 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const params = net.init(random.key(0), x); // { LIF: { beta: 0.9 } }
 * const [spikes, v] = net.apply(params, null, x);
 * ```
 */
export class LIF extends SpikingNeuron {
  /** The model's cell. */
  static readonly cell: Cell = LIF_CELL;
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: LIFOptions = {}) {
    super(hiddenShape, options, LIF_CELL);
    this.beta = checkDecayOption("LIF", "beta", options.beta);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [decayParameter("beta", this.beta, this.hiddenShape, dtype)];
  }
}
