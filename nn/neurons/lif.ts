/**
 * Leaky integrate-and-fire: the step, the whole-sequence kernel and the
 * module.
 *
 * @module
 */
import type { DType, TypedArray } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import { checkDecayOption, decayParameter, SPIKING_OPTIONS, SpikingNeuron, type SpikingOptions } from "./neuron.ts";
import { lifBackwardFloat32, lifForwardFloat32 } from "./lif_wasm.ts";
import { floatArray, type SequenceModel, timeIndex } from "./sequence.ts";

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
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(np.mul(p.beta, v), x), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * LIF over a whole sequence. The forward loop keeps the membrane `V_t`
 * before each step (`[T, B, N]`, the minimum: the surrogate needs
 * `V_t - thr` and `d/dbeta` needs `V_t`; the spikes are recomputed from it).
 * The backward loop carries `lam = dL/dV_{t+1}`:
 * `gS = gy - thr*lam`, `gx_t = lam`, `gbeta += lam*V_t`,
 * `lam <- beta*lam + gS*s(V_t - thr)`; `gx` overwrites the saved `V`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, v] = runSequence(LIF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 2]), params: { beta: np.array(0.5) },
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const LIF_SEQUENCE: SequenceModel<{ vs: TypedArray }> = {
  name: "LIF",
  stateParts: 1,
  decays: ["beta"],
  recurrent: false,
  backwardReadsOutputs: false,
  forward({ T, B, N, reverse, x, donated, state: [v0], decays: [beta], threshold: thr, ys, final: [v] }) {
    const M = B * N;
    // Donated inputs hold the membranes: each step's input is read before its slot is overwritten.
    const vs = donated ? x : floatArray(v, T * M);
    if (lifForwardFloat32({ T, B, N, reverse, x, v0, beta, threshold: thr, ys, vs, final: v })) return { vs };
    v.set(v0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = v[i], xi = x[off + i];
          vs[off + i] = vi;
          const spike = vi - thr > 0 ? 1 : 0;
          ys[off + i] = spike;
          v[i] = beta[j] * vi + xi - spike * thr;
        }
      }
    }
    return { vs };
  },
  backward({ T, B, N, reverse, decays: [beta], threshold: thr, surrogate, residual: { vs }, gys, gFinal, ...g }) {
    const M = B * N, [gbeta] = g.gDecays, [lam] = g.gState;
    const simd = { T, B, N, reverse, vs, gys, gFinal: gFinal[0], beta, threshold: thr, gState: lam, gBeta: gbeta };
    if (lifBackwardFloat32({ ...simd, surrogate: g.builtinSurrogate })) return { gx: vs, gw: null };
    lam.set(gFinal[0]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const vi = vs[off + i], l = lam[i];
          const gS = gys[off + i] - thr * l;
          gbeta[j] += l * vi;
          vs[off + i] = l;
          lam[i] = beta[j] * l + gS * surrogate(vi - thr);
        }
      }
    }
    return { gx: vs, gw: null };
  },
  step: (p, x, v, threshold, activation) => lifStep({ beta: p.beta }, x, v, threshold, activation!),
};

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
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: LIFOptions = {}) {
    super(hiddenShape, options, "LIF", 1);
    checkOptions("LIF", options, [...SPIKING_OPTIONS, "beta"]);
    this.beta = checkDecayOption("LIF", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    return lifStep(this.stepParameters(input.dtype), input, v, this.threshold, this.activation);
  }

  protected override stepParameters(dtype: DType): Record<"beta", Tensor> {
    return { beta: decayParameter("beta", this.beta, this.hiddenShape, dtype) };
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray }> {
    return LIF_SEQUENCE;
  }
}
