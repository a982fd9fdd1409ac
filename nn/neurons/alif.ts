/**
 * Adaptive leaky integrate-and-fire, whose threshold rises after each
 * spike: the step, the whole-sequence kernel and the module.
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

/** Options of {@link ALIF}. */
export interface ALIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
  /** Adaptation decay, same convention as `beta`. */
  gamma?: number;
}

/** The parameters of one ALIF step (decays already clipped to [0, 1]). */
export interface ALIFParams {
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Adaptation decay, scalar or `hiddenShape`. */
  gamma: Tensor;
}

/**
 * One ALIF step from the old state `(v, a)`:
 * `th = thr + A; S = spike(V - th); V' = beta*V + x - S*th;
 * A' = gamma*A + (1 - gamma)*S`. Returns `[S, V', A']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * const p = { beta: np.array(0.5), gamma: np.array(0.5) };
 * alifStep(p, np.array([0]), np.array([1.5]), np.array([0.2]), 1, axn.superspike()); // [[1], [-0.45], [0.6]]
 * ```
 */
export function alifStep(
  p: ALIFParams,
  x: Tensor,
  v: Tensor,
  a: Tensor,
  threshold: number,
  activation: SpikeActivation,
): [Tensor, Tensor, Tensor] {
  const th = np.add(a, threshold);
  const s = activation(np.sub(v, th));
  const vNext = np.sub(np.add(np.mul(p.beta, v), x), np.mul(s, th));
  const aNext = np.add(np.mul(p.gamma, a), np.mul(np.sub(1, p.gamma), s));
  return [s, vNext, aNext];
}

/**
 * ALIF over a whole sequence. The forward loop keeps both state parts
 * before each step, `V_t` and `A_t` (`2 x [T, B, N]`: the surrogate needs
 * `V_t - thr - A_t`, `d/dbeta` needs `V_t`, `d/dgamma` needs `A_t`; the
 * spikes are recomputed). The backward loop carries `lv = dL/dV_{t+1}` and
 * `la = dL/dA_{t+1}`: `gS = gy - th*lv + (1 - gamma)*la`,
 * `gu = gS*s(V_t - th)`, `gx_t = lv`, `gbeta += lv*V_t`,
 * `ggamma += la*(A_t - S)`, `lv <- beta*lv + gu`,
 * `la <- gamma*la - lv_old*S - gu` (the threshold's share); `gx` overwrites
 * the saved `V`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, va] = runSequence(ALIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 4]),
 *   params: { beta: np.array(0.9), gamma: np.array(0.5) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const ALIF_SEQUENCE: SequenceModel<{ vs: TypedArray; as: TypedArray }> = {
  name: "ALIF",
  stateParts: 2,
  decays: ["beta", "gamma"],
  recurrent: false,
  backwardReadsOutputs: false,
  forward({ T, B, N, reverse, x, state: [v0, a0], decays: [beta, gamma], threshold: thr, ys, final: [v, a] }) {
    const M = B * N;
    const vs = floatArray(v, T * M), as = floatArray(v, T * M);
    v.set(v0);
    a.set(a0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = v[i], ai = a[i];
          vs[off + i] = vi;
          as[off + i] = ai;
          const th = ai + thr;
          const spike = vi - th > 0 ? 1 : 0;
          ys[off + i] = spike;
          v[i] = beta[j] * vi + x[off + i] - spike * th;
          a[i] = gamma[j] * ai + (1 - gamma[j]) * spike;
        }
      }
    }
    return { vs, as };
  },
  backward({ T, B, N, reverse, decays: [beta, gamma], threshold: thr, surrogate, residual, gys, gFinal, ...g }) {
    const M = B * N, { vs, as } = residual, [lamV, lamA] = g.gState, [gbeta, ggamma] = g.gDecays;
    lamV.set(gFinal[0]);
    lamA.set(gFinal[1]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = vs[off + i], ai = as[off + i], lv = lamV[i], la = lamA[i];
          const th = ai + thr, u = vi - th;
          const spike = u > 0 ? 1 : 0;
          const gS = gys[off + i] - th * lv + (1 - gamma[j]) * la;
          const gu = gS * surrogate(u);
          gbeta[j] += lv * vi;
          ggamma[j] += la * (ai - spike);
          vs[off + i] = lv;
          lamV[i] = beta[j] * lv + gu;
          lamA[i] = gamma[j] * la - lv * spike - gu;
        }
      }
    }
    return { gx: vs, gw: null };
  },
  step: (p, x, state, threshold, activation) => {
    const [v, a] = unpackState(state);
    const [s, vNext, aNext] = alifStep({ beta: p.beta, gamma: p.gamma }, x, v, a, threshold, activation!);
    return [s, packState(vNext, aNext)];
  },
};

/**
 * Adaptive LIF neurons (spyx `ALIF`): a LIF whose effective threshold
 * `thr + A` grows with each spike and relaxes by `gamma`; the output is the
 * spikes. Parameters `beta`, `gamma` (used clipped to [0, 1]). State
 * `[V, A]` packed along the last axis: `[batch, ...hiddenShape]` with the
 * last axis doubled.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.ALIF([3], { beta: 0.9, gamma: 0.8 });
 *   return nn.dynamicUnroll(core, x, core.initialState(2)); // state [2, 6]
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, va] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class ALIF extends SpikingNeuron {
  /** The scalar initial membrane decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;
  /** The scalar initial adaptation decay, or undefined for per-neuron decays. */
  readonly gamma: number | undefined;

  constructor(hiddenShape: readonly number[], options: ALIFOptions = {}) {
    super(hiddenShape, options, "ALIF", 2);
    checkOptions("ALIF", options, [...SPIKING_OPTIONS, "beta", "gamma"]);
    this.beta = checkDecayOption("ALIF", "beta", options.beta);
    this.gamma = checkDecayOption("ALIF", "gamma", options.gamma);
  }

  /** One step on `x: [B, ...hiddenShape]` and the packed state `[V, A]`: `[S, [V', A']]`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, va] = this.checkStep(x, state);
    const [v, a] = unpackState(va);
    const p = this.stepParameters(input.dtype);
    const [s, vNext, aNext] = alifStep(p, input, v, a, this.threshold, this.activation);
    return [s, packState(vNext, aNext)];
  }

  protected override stepParameters(dtype: DType): Record<"beta" | "gamma", Tensor> {
    return {
      beta: decayParameter("beta", this.beta, this.hiddenShape, dtype),
      gamma: decayParameter("gamma", this.gamma, this.hiddenShape, dtype),
    };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray; as: TypedArray }> {
    return ALIF_SEQUENCE;
  }
}
