/**
 * Recurrent integrate-and-fire: IF with the layer's own spikes fed back
 * through weights `w`.
 * The step, the whole-sequence kernel and the module.
 *
 * @module
 */
import type { DType, TypedArray } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import { feedback, recurrentWeights, SPIKING_OPTIONS, SpikingNeuron, type SpikingOptions } from "./neuron.ts";
import {
  floatArray,
  matmulInto,
  recurrentWeightGradient,
  scratch,
  type SequenceModel,
  timeIndex,
  transposeSquare,
} from "./sequence.ts";

/** Options of {@link RIF}. */
export type RIFOptions = SpikingOptions;

/** The parameters of one RIF step. */
export interface RIFParams {
  /** Recurrent weights `[...hiddenShape, ...hiddenShape]`. */
  w: Tensor;
}

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
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(np.add(v, x), feedback(s, p.w)), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * RIF over a whole sequence. The forward loop keeps the membrane `V_t`
 * before each step (`[T, B, N]`; the spikes are recomputed from it) and
 * computes `S_t @ w` once per step with the matrix kernel. The backward loop
 * carries `lam = dL/dV_{t+1}`: `gS = gy - thr*lam + lam @ w^T`,
 * `gx_t = lam`, `lam <- lam + gS*s(V_t - thr)`; `gx` overwrites the saved
 * `V`, and `gw = S^T @ gx` over all steps in one product at the end.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, v] = runSequence(RIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 2]), params: { w: np.eye(2) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const RIF_SEQUENCE: SequenceModel<{ vs: TypedArray }> = {
  name: "RIF",
  stateParts: 1,
  decays: [],
  recurrent: true,
  backwardReadsOutputs: true,
  forward({ T, B, N, reverse, dtype, x, state: [v0], w, threshold: thr, ys, final: [v] }) {
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
      for (let i = 0; i < M; i++) v[i] = v[i] + x[off + i] + fb[i] - ys[off + i] * thr;
    }
    return { vs };
  },
  backward({ T, B, N, reverse, dtype, w, threshold: thr, surrogate, residual: { vs }, ys, gys, gFinal, ...g }) {
    const M = B * N, [lam] = g.gState;
    const wT = transposeSquare(w!, N), gsr = scratch("feedbackGrad", dtype, M);
    lam.set(gFinal[0]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      matmulInto(lam, 0, B, N, wT, N, gsr);
      for (let i = 0; i < M; i++) {
        const vi = vs[off + i], l = lam[i];
        const gS = gys[off + i] - thr * l + gsr[i];
        vs[off + i] = l;
        lam[i] = l + gS * surrogate(vi - thr);
      }
    }
    return { gx: vs, gw: g.needW ? recurrentWeightGradient(ys, vs, T * B, N) : null };
  },
  step: (p, x, v, threshold, activation) => rifStep({ w: p.w }, x, v, threshold, activation!),
};

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
  constructor(hiddenShape: readonly number[], options: RIFOptions = {}) {
    super(hiddenShape, options, "RIF", 1);
    checkOptions("RIF", options, [...SPIKING_OPTIONS]);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    return rifStep(this.stepParameters(input.dtype), input, v, this.threshold, this.activation);
  }

  protected override stepParameters(dtype: DType): Record<"w", Tensor> {
    return { w: recurrentWeights(this.hiddenShape, dtype) };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray }> {
    return RIF_SEQUENCE;
  }
}
