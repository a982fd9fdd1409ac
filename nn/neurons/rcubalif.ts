/**
 * Recurrent current-based LIF: its cell and the module.
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

/** Options of {@link RCuBaLIF}. */
export interface RCuBaLIFOptions extends SpikingOptions {
  /** Current decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  alpha?: number;
  /** Membrane decay, same convention as `alpha`. */
  beta?: number;
}

/** The parameters of one RCuBaLIF step. */
export interface RCuBaLIFParams {
  /** Current decay, scalar or `hiddenShape` (clipped to [0, 1]). */
  alpha: Tensor;
  /** Membrane decay, scalar or `hiddenShape` (clipped to [0, 1]). */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

/**
 * The RCuBaLIF cell: `S = spike(V - thr); I' = alpha*I + x + S@w;
 * V' = beta*(V - S*thr) + I'`; output `S`.
 */
export const RCUBALIF_CELL: Cell = defineCell({
  name: "RCuBaLIF",
  state: ["v", "i"],
  params: ["alpha", "beta"],
  recurrent: true,
  step: ({ state: { v, i }, params: { alpha, beta }, x, fb, threshold }) => {
    const s = spike(v.sub(threshold));
    const iNext = alpha.mul(i).add(x).add(fb);
    return { next: { v: beta.mul(v.sub(s.mul(threshold))).add(iNext), i: iNext }, output: s };
  },
});

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
  const [s, [vNext, iNext]] = runStep(RCUBALIF_CELL, [v, i], [p.alpha, p.beta], x, p.w, threshold, activation);
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
  /** The model's cell. */
  static readonly cell: Cell = RCUBALIF_CELL;
  /** The scalar initial current decay, or undefined for per-neuron decays. */
  readonly alpha: number | undefined;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RCuBaLIFOptions = {}) {
    super(hiddenShape, options, RCUBALIF_CELL);
    this.alpha = checkDecayOption("RCuBaLIF", "alpha", options.alpha);
    this.beta = checkDecayOption("RCuBaLIF", "beta", options.beta);
  }

  protected stepParameters(dtype: DType): Tensor[] {
    return [
      decayParameter("alpha", this.alpha, this.hiddenShape, dtype),
      decayParameter("beta", this.beta, this.hiddenShape, dtype),
    ];
  }

  protected override recurrentWeights(dtype: DType): Tensor {
    return recurrentWeights(this.hiddenShape, dtype);
  }
}
