/**
 * Recurrent current-based leaky integrate-and-fire: CuBaLIF with the
 * layer's own spikes fed back into the current through weights `w`.
 * The step, the whole-sequence kernel and the module.
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
  feedback,
  packState,
  recurrentWeights,
  SPIKING_OPTIONS,
  SpikingNeuron,
  type SpikingOptions,
  unpackState,
} from "./neuron.ts";
import {
  floatArray,
  matmulInto,
  recurrentWeightGradient,
  scratch,
  type SequenceModel,
  timeIndex,
  transposeSquare,
} from "./sequence.ts";

/** Options of {@link RCuBaLIF}. */
export interface RCuBaLIFOptions extends SpikingOptions {
  /** Current decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  alpha?: number;
  /** Membrane decay, same convention as `alpha`. */
  beta?: number;
}

/** The parameters of one RCuBaLIF step (decays already clipped to [0, 1]). */
export interface RCuBaLIFParams {
  /** Current decay, scalar or `hiddenShape`. */
  alpha: Tensor;
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

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
  const s = activation(np.sub(v, threshold));
  const iNext = np.add(np.add(np.mul(p.alpha, i), x), feedback(s, p.w));
  const vNext = np.add(np.mul(p.beta, np.sub(v, np.mul(s, threshold))), iNext);
  return [s, vNext, iNext];
}

/**
 * RCuBaLIF over a whole sequence. The forward loop keeps both state parts
 * before each step, `V_t` and `I_t` (`2 x [T, B, N]`: the surrogate and
 * `d/dbeta` need `V_t`, `d/dalpha` needs `I_t`; the spikes are recomputed),
 * and computes `S_t @ w` once per step with the matrix kernel. The backward
 * loop carries `lv = dL/dV_{t+1}` and `li = dL/dI_{t+1}`: with
 * `l = li + lv`, `gx_t = l`, `galpha += l*I_t`, `gbeta += lv*(V_t - S*thr)`,
 * `gS = gy - lv*beta*thr + l @ w^T`, `lv <- beta*lv + gS*s(V_t - thr)`,
 * `li <- alpha*l`; `gx` overwrites the saved `V`, and `gw = S^T @ gx` over
 * all steps in one product at the end.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, vi] = runSequence(RCUBALIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 4]),
 *   params: { alpha: np.array(0.5), beta: np.array(0.9), w: np.eye(2) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const RCUBALIF_SEQUENCE: SequenceModel<{ vs: TypedArray; is: TypedArray }> = {
  name: "RCuBaLIF",
  stateParts: 2,
  decays: ["alpha", "beta"],
  recurrent: true,
  backwardReadsOutputs: true,
  forward({ T, B, N, reverse, dtype, x, state: [v0, i0], decays: [alpha, beta], w, threshold: thr, ys, ...out }) {
    const M = B * N, [v, cur] = out.final;
    const vs = floatArray(v, T * M), is = floatArray(v, T * M), fb = scratch("feedback", dtype, M);
    v.set(v0);
    cur.set(i0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let i = 0; i < M; i++) {
        vs[off + i] = v[i];
        is[off + i] = cur[i];
        ys[off + i] = v[i] - thr > 0 ? 1 : 0;
      }
      matmulInto(ys, off, B, N, w!, N, fb);
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const iNext = alpha[j] * cur[i] + x[off + i] + fb[i];
          cur[i] = iNext;
          v[i] = beta[j] * (v[i] - ys[off + i] * thr) + iNext;
        }
      }
    }
    return { vs, is };
  },
  backward({ T, B, N, reverse, dtype, decays: [alpha, beta], w, threshold: thr, surrogate, residual, ys, ...g }) {
    const M = B * N, { vs, is } = residual, [lamV, lamI] = g.gState, [galpha, gbeta] = g.gDecays, gys = g.gys;
    const wT = transposeSquare(w!, N), gsr = scratch("feedbackGrad", dtype, M), total = scratch("current", dtype, M);
    lamV.set(g.gFinal[0]);
    lamI.set(g.gFinal[1]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      for (let i = 0; i < M; i++) total[i] = lamI[i] + lamV[i];
      matmulInto(total, 0, B, N, wT, N, gsr);
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = vs[off + i], lv = lamV[i], l = total[i];
          const spike = ys[off + i];
          galpha[j] += l * is[off + i];
          gbeta[j] += lv * (vi - spike * thr);
          const gS = gys[off + i] - lv * beta[j] * thr + gsr[i];
          vs[off + i] = l;
          lamV[i] = beta[j] * lv + gS * surrogate(vi - thr);
          lamI[i] = alpha[j] * l;
        }
      }
    }
    return { gx: vs, gw: g.needW ? recurrentWeightGradient(ys, vs, T * B, N) : null };
  },
  step: (p, x, state, threshold, activation) => {
    const [v, i] = unpackState(state);
    const [s, vNext, iNext] = rcubaLifStep(
      { alpha: p.alpha, beta: p.beta, w: p.w },
      x,
      v,
      i,
      threshold,
      activation!,
    );
    return [s, packState(vNext, iNext)];
  },
};

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
  /** The scalar initial current decay, or undefined for per-neuron decays. */
  readonly alpha: number | undefined;
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RCuBaLIFOptions = {}) {
    super(hiddenShape, options, "RCuBaLIF", 2);
    checkOptions("RCuBaLIF", options, [...SPIKING_OPTIONS, "alpha", "beta"]);
    this.alpha = checkDecayOption("RCuBaLIF", "alpha", options.alpha);
    this.beta = checkDecayOption("RCuBaLIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and the packed state `[V, I]`: `[S, [V', I']]`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, vi] = this.checkStep(x, state);
    const [v, i] = unpackState(vi);
    const p = this.stepParameters(input.dtype);
    const [s, vNext, iNext] = rcubaLifStep(p, input, v, i, this.threshold, this.activation);
    return [s, packState(vNext, iNext)];
  }

  protected override stepParameters(dtype: DType): Record<"alpha" | "beta" | "w", Tensor> {
    return {
      alpha: decayParameter("alpha", this.alpha, this.hiddenShape, dtype),
      beta: decayParameter("beta", this.beta, this.hiddenShape, dtype),
      w: recurrentWeights(this.hiddenShape, dtype),
    };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray; is: TypedArray }> {
    return RCUBALIF_SEQUENCE;
  }
}
