/**
 * Current-based LIF: its cell and the module.
 *
 * @module
 */
import { type Cell, defineCell } from "../../autodiff/cell/cell.ts";
import { spike } from "../../autodiff/cell/expr.ts";
import type { DType } from "../../autodiff/dtype.ts";
import type { Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkDecayOption, decayParameter, runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";

/** Options of {@link CuBaLIF}. */
export interface CuBaLIFOptions extends SpikingOptions {
  /** Current decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  alpha?: number;
  /** Membrane decay, same convention as `alpha`. */
  beta?: number;
}

/** The parameters of one CuBaLIF step (decays already clipped to [0, 1]). */
export interface CuBaLIFParams {
  /** Current decay, scalar or `hiddenShape`. */
  alpha: Tensor;
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
}

/**
 * The CuBaLIF cell: `S = spike(V - thr); I' = alpha*I + x;
 * V' = beta*(V - S*thr) + I'`; output `S` (the reset subtracted once).
 */
export const CUBALIF_CELL: Cell = defineCell({
  name: "CuBaLIF",
  state: ["v", "i"],
  params: ["alpha", "beta"],
  step: ({ state: { v, i }, params: { alpha, beta }, x, threshold }) => {
    const s = spike(v.sub(threshold));
    const iNext = alpha.mul(i).add(x);
    return { next: { v: beta.mul(v.sub(s.mul(threshold))).add(iNext), i: iNext }, output: s };
  },
});

/**
 * One CuBaLIF step from the old state `(v, i)`:
 * `S = spike(V - thr); I' = alpha*I + x; V' = beta*(V - S*thr) + I'`.
 * Returns `[S, V', I']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * const p = { alpha: np.array(0.5), beta: np.array(0.5) };
 * cubaLifStep(p, np.array([1]), np.array([1.5]), np.array([2]), 1, axn.superspike()); // [[1], [2.25], [2]]
 * ```
 */
export function cubaLifStep(
  p: CuBaLIFParams,
  x: Tensor,
  v: Tensor,
  i: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor, Tensor] {
  const [s, [vNext, iNext]] = runStep(CUBALIF_CELL, [v, i], [p.alpha, p.beta], x, null, threshold, activation);
  return [s, vNext, iNext];
}

/**
 * Current-based LIF neurons (spyx `CuBaLIF`): the input charges a current
 * `I` that decays by `alpha`; the membrane `V` decays by `beta`, is reset
 * by `thr` after a spike, and adds the current; the output is the spikes.
 * Parameters `alpha`, `beta` (used clipped to [0, 1]). State `[V, I]`
 * packed along the last axis. (spyx 0.1.20 subtracted the reset twice; this
 * is the corrected update.)
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.CuBaLIF([3], { alpha: 0.8, beta: 0.9 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2)); // state [2, 6]
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, vi] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class CuBaLIF extends SpikingNeuron {
  /** The model's cell. */
  static readonly cell: Cell = CUBALIF_CELL;
  /** The scalar initial current decay, or undefined for per-neuron decays. */
  readonly alpha: number | undefined;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: CuBaLIFOptions = {}) {
    super(hiddenShape, options, CUBALIF_CELL);
    this.alpha = checkDecayOption("CuBaLIF", "alpha", options.alpha);
    this.beta = checkDecayOption("CuBaLIF", "beta", options.beta);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [
      decayParameter("alpha", this.alpha, this.hiddenShape, dtype),
      decayParameter("beta", this.beta, this.hiddenShape, dtype),
    ];
  }
}
