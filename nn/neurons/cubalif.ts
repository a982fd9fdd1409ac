/**
 * Current-based leaky integrate-and-fire: a synaptic current filters the
 * input before it reaches the membrane. The step, the whole-sequence kernel
 * and the module.
 *
 * @module
 */
import type { DType, TypedArray } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import {
  checkDecayOption,
  decayParameter,
  packState,
  SPIKING_OPTIONS,
  SpikingNeuron,
  type SpikingOptions,
  unpackState,
} from "./neuron.ts";
import { floatArray, type SequenceModel, timeIndex } from "./sequence.ts";

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
  const s = activation(np.sub(v, threshold));
  const iNext = np.add(np.mul(p.alpha, i), x);
  const vNext = np.add(np.mul(p.beta, np.sub(v, np.mul(s, threshold))), iNext);
  return [s, vNext, iNext];
}

/**
 * CuBaLIF over a whole sequence. The forward loop keeps both state parts
 * before each step, `V_t` and `I_t` (`2 x [T, B, N]`: the surrogate and
 * `d/dbeta` need `V_t`, `d/dalpha` needs `I_t`; the spikes are recomputed).
 * The backward loop carries `lv = dL/dV_{t+1}` and `li = dL/dI_{t+1}`:
 * with `l = li + lv` (`I'` feeds `V'`), `gx_t = l`, `galpha += l*I_t`,
 * `gbeta += lv*(V_t - S*thr)`, `gS = gy - lv*beta*thr`,
 * `lv <- beta*lv + gS*s(V_t - thr)`, `li <- alpha*l`; `gx` overwrites the
 * saved `V`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, vi] = runSequence(CUBALIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 4]),
 *   params: { alpha: np.array(0.5), beta: np.array(0.9) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const CUBALIF_SEQUENCE: SequenceModel<{ vs: TypedArray; is: TypedArray }> = {
  name: "CuBaLIF",
  stateParts: 2,
  decays: ["alpha", "beta"],
  recurrent: false,
  backwardReadsOutputs: false,
  forward({ T, B, N, reverse, x, state: [v0, i0], decays: [alpha, beta], threshold: thr, ys, final: [v, cur] }) {
    const M = B * N;
    const vs = floatArray(v, T * M), is = floatArray(v, T * M);
    v.set(v0);
    cur.set(i0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = v[i], ii = cur[i];
          vs[off + i] = vi;
          is[off + i] = ii;
          const spike = vi - thr > 0 ? 1 : 0;
          ys[off + i] = spike;
          const iNext = alpha[j] * ii + x[off + i];
          cur[i] = iNext;
          v[i] = beta[j] * (vi - spike * thr) + iNext;
        }
      }
    }
    return { vs, is };
  },
  backward({ T, B, N, reverse, decays: [alpha, beta], threshold: thr, surrogate, residual, gys, gFinal, ...g }) {
    const M = B * N, { vs, is } = residual, [lamV, lamI] = g.gState, [galpha, gbeta] = g.gDecays;
    lamV.set(gFinal[0]);
    lamI.set(gFinal[1]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = vs[off + i], lv = lamV[i], l = lamI[i] + lv;
          const spike = vi - thr > 0 ? 1 : 0;
          galpha[j] += l * is[off + i];
          gbeta[j] += lv * (vi - spike * thr);
          const gS = gys[off + i] - lv * beta[j] * thr;
          vs[off + i] = l;
          lamV[i] = beta[j] * lv + gS * surrogate(vi - thr);
          lamI[i] = alpha[j] * l;
        }
      }
    }
    return { gx: vs, gw: null };
  },
  step: (p, x, state, threshold, activation) => {
    const [v, i] = unpackState(state);
    const [s, vNext, iNext] = cubaLifStep({ alpha: p.alpha, beta: p.beta }, x, v, i, threshold, activation!);
    return [s, packState(vNext, iNext)];
  },
};

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
  /** The scalar initial current decay, or undefined for per-neuron decays. */
  readonly alpha: number | undefined;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: CuBaLIFOptions = {}) {
    super(hiddenShape, options, "CuBaLIF", 2);
    checkOptions("CuBaLIF", options, [...SPIKING_OPTIONS, "alpha", "beta"]);
    this.alpha = checkDecayOption("CuBaLIF", "alpha", options.alpha);
    this.beta = checkDecayOption("CuBaLIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and the packed state `[V, I]`: `[S, [V', I']]`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, vi] = this.checkStep(x, state);
    const [v, i] = unpackState(vi);
    const [s, vNext, iNext] = cubaLifStep(
      this.stepParameters(input.dtype),
      input,
      v,
      i,
      this.threshold,
      this.activation,
    );
    return [s, packState(vNext, iNext)];
  }

  protected override stepParameters(dtype: DType): Record<"alpha" | "beta", Tensor> {
    return {
      alpha: decayParameter("alpha", this.alpha, this.hiddenShape, dtype),
      beta: decayParameter("beta", this.beta, this.hiddenShape, dtype),
    };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray; is: TypedArray }> {
    return CUBALIF_SEQUENCE;
  }
}
