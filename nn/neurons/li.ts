/**
 * Leaky integrator, a non-spiking readout: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import { constant } from "../initializers.ts";
import type { ModuleOptions } from "../module.ts";
import { checkDecayOption, decayParameter, Neuron, runStep } from "./neuron.ts";

/** Options of {@link LI}. */
export interface LIOptions extends ModuleOptions {
  /** Decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor (init 0.8). */
  beta?: number;
}

/** The parameters of one LI step (`beta` already clipped to [0, 1]). */
export interface LIParams {
  /** Decay, scalar or `hiddenShape`. */
  beta: Tensor;
}

/** The LI cell: `V' = beta*V + x`; output `V'`. */
export const LI_CELL: Cell = defineCell({
  name: "LI",
  state: ["v"],
  params: ["beta"],
  step: ({ state: { v }, params: { beta }, x }) => {
    const next = beta.mul(v).add(x);
    return { next: { v: next }, output: next };
  },
});

/**
 * One LI step: `V' = beta*V + x`. Returns `V'` (output and new state).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * liStep({ beta: np.array(0.5) }, np.array([1]), np.array([2])); // [2]
 * ```
 */
export function liStep(p: LIParams, x: Tensor, v: Tensor): Tensor {
  return runStep(LI_CELL, [v], [p.beta], x, null, 0, null)[0];
}

/** spyx's per-neuron init of the LI decay. */
const LI_DECAY = constant(0.8);

/**
 * Leaky integrators (spyx `LI`): `V' = beta*V + x`, output `V'`; no spikes,
 * the usual readout of a spiking network. Parameter `beta` (used as
 * `clip(beta, 0, 1)`; per-neuron init 0.8). State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.LI([3]);
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.ones([5, 2, 3]); // [T, B, n]
 * const [traces, v] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class LI extends Neuron {
  /** The model's cell. */
  static readonly cell: Cell = LI_CELL;
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: LIOptions = {}) {
    super(hiddenShape, options, LI_CELL);
    this.beta = checkDecayOption("LI", "beta", options.beta);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [decayParameter("beta", this.beta, this.hiddenShape, dtype, LI_DECAY)];
  }
}
