/**
 * Recurrent leaky integrate-and-fire: LIF with the layer's own spikes fed
 * back through weights `w`.
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
  recurrentWeights,
  SPIKING_OPTIONS,
  SpikingNeuron,
  type SpikingOptions,
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

/** Options of {@link RLIF}. */
export interface RLIFOptions extends SpikingOptions {
  /** Membrane decay: a number makes a learnable scalar with that initial value; omitted, a learnable per-neuron tensor. */
  beta?: number;
}

/** The parameters of one RLIF step (`beta` already clipped to [0, 1]). */
export interface RLIFParams {
  /** Membrane decay, scalar or `hiddenShape`. */
  beta: Tensor;
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

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
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(np.add(np.mul(p.beta, v), x), feedback(s, p.w)), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * RLIF over a whole sequence. The forward loop keeps the membrane `V_t`
 * before each step (`[T, B, N]`: the surrogate needs `V_t - thr`, `d/dbeta`
 * needs `V_t`; the spikes are recomputed) and computes `S_t @ w` once per
 * step with the matrix kernel. The backward loop carries
 * `lam = dL/dV_{t+1}`: `gS = gy - thr*lam + lam @ w^T`, `gx_t = lam`,
 * `gbeta += lam*V_t`, `lam <- beta*lam + gS*s(V_t - thr)`; `gx` overwrites
 * the saved `V`, and `gw = S^T @ gx` over all steps in one product at the
 * end.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, v] = runSequence(RLIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 2]), params: { beta: np.array(0.9), w: np.eye(2) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const RLIF_SEQUENCE: SequenceModel<{ vs: TypedArray }> = {
  name: "RLIF",
  stateParts: 1,
  decays: ["beta"],
  recurrent: true,
  backwardReadsOutputs: true,
  forward({ T, B, N, reverse, dtype, x, state: [v0], decays: [beta], w, threshold: thr, ys, final: [v] }) {
    const M = B * N;
    const vs = floatArray(v, T * M), fb = scratch("feedback", dtype, M);
    v.set(v0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let i = 0; i < M; i++) {
        vs[off + i] = v[i];
        ys[off + i] = v[i] - thr > 0 ? 1 : 0;
      }
      matmulInto(ys, off, B, N, w!, N, fb);
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          v[i] = beta[j] * v[i] + x[off + i] + fb[i] - ys[off + i] * thr;
        }
      }
    }
    return { vs };
  },
  backward({ T, B, N, reverse, dtype, decays: [beta], w, threshold: thr, surrogate, residual: { vs }, ys, ...g }) {
    const M = B * N, [lam] = g.gState, [gbeta] = g.gDecays, gys = g.gys;
    const wT = transposeSquare(w!, N), gsr = scratch("feedbackGrad", dtype, M);
    lam.set(g.gFinal[0]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      matmulInto(lam, 0, B, N, wT, N, gsr);
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = vs[off + i], l = lam[i];
          const gS = gys[off + i] - thr * l + gsr[i];
          gbeta[j] += l * vi;
          vs[off + i] = l;
          lam[i] = beta[j] * l + gS * surrogate(vi - thr);
        }
      }
    }
    return { gx: vs, gw: g.needW ? recurrentWeightGradient(ys, vs, T * B, N) : null };
  },
  step: (p, x, v, threshold, activation) => rlifStep({ beta: p.beta, w: p.w }, x, v, threshold, activation!),
};

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
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: RLIFOptions = {}) {
    super(hiddenShape, options, "RLIF", 1);
    checkOptions("RLIF", options, [...SPIKING_OPTIONS, "beta"]);
    this.beta = checkDecayOption("RLIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    return rlifStep(this.stepParameters(input.dtype), input, v, this.threshold, this.activation);
  }

  protected override stepParameters(dtype: DType): Record<"beta" | "w", Tensor> {
    return {
      beta: decayParameter("beta", this.beta, this.hiddenShape, dtype),
      w: recurrentWeights(this.hiddenShape, dtype),
    };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray }> {
    return RLIF_SEQUENCE;
  }
}
