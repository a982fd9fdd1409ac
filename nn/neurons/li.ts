/**
 * Leaky integrator, a non-spiking readout: the step, the whole-sequence
 * kernel and the module.
 *
 * @module
 */
import type { DType } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import { constant } from "../initializers.ts";
import type { ModuleOptions } from "../module.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import { checkDecayOption, decayParameter, Neuron } from "./neuron.ts";
import { floatArray, type SequenceModel, timeIndex } from "./sequence.ts";

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
  return np.add(np.mul(p.beta, v), x);
}

/**
 * LI over a whole sequence. It keeps nothing: the state before step `t` is
 * the previous output (or the initial state), and outputs and initial state
 * are already at hand. The backward loop carries `lam = dL/dV_t` from the
 * later steps: with `l = gy_t + lam`, `gx_t = l`, `gbeta += l*V_t`,
 * `lam <- beta*l`.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [traces, v] = runSequence(LI_SEQUENCE, {
 *   xs: np.ones([4, 1, 2]), state0: np.zeros([1, 2]), params: { beta: np.array(0.5) },
 *   hiddenShape: [2], threshold: 0, activation: null, reverse: false,
 * })!; // traces 1, 1.5, 1.75, 1.875
 * ```
 */
export const LI_SEQUENCE: SequenceModel<null> = {
  name: "LI",
  stateParts: 1,
  decays: ["beta"],
  recurrent: false,
  backwardReadsOutputs: true,
  forward({ T, B, N, reverse, x, state: [v0], decays: [beta], ys, final: [v] }) {
    v.set(v0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * B * N;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) ys[off + i] = v[i] = beta[j] * v[i] + x[off + i];
      }
    }
    return null;
  },
  backward({ T, B, N, reverse, state: [v0], decays: [beta], ys, gys, gFinal, gState: [lam], gDecays: [gbeta] }) {
    const M = B * N;
    const gx = floatArray(ys, T * M);
    lam.set(gFinal[0]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      const prev = s > 0 ? ys : v0, prevOff = s > 0 ? timeIndex(s - 1, T, reverse) * M : 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0, i = b * N; j < N; j++, i++) {
          const l = gys[off + i] + lam[i];
          gx[off + i] = l;
          gbeta[j] += l * prev[prevOff + i];
          lam[i] = beta[j] * l;
        }
      }
    }
    return { gx, gw: null };
  },
  step: (p, x, v) => {
    const vNext = liStep({ beta: p.beta }, x, v);
    return [vNext, vNext];
  },
};

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
  /** The scalar initial decay, or undefined for per-neuron decays. */
  readonly beta: number | undefined;

  constructor(hiddenShape: readonly number[], options: LIOptions = {}) {
    super(hiddenShape, options, "LI", 1);
    checkOptions("LI", options, ["name", "beta"]);
    this.beta = checkDecayOption("LI", "beta", options.beta);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[V', V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    const vNext = liStep(this.stepParameters(input.dtype), input, v);
    return [vNext, vNext];
  }

  protected override stepParameters(dtype: DType): Record<"beta", Tensor> {
    return { beta: decayParameter("beta", this.beta, this.hiddenShape, dtype, LI_DECAY) };
  }

  protected override sequenceModel(): SequenceModel<null> {
    return LI_SEQUENCE;
  }
}
