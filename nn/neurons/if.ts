/**
 * Integrate-and-fire, a neuron without leak: the step, the whole-sequence
 * kernel and the module.
 *
 * @module
 */
import type { TypedArray } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import type { SpikeActivation } from "../axn/mod.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import { SPIKING_OPTIONS, SpikingNeuron, type SpikingOptions } from "./neuron.ts";
import { floatArray, type SequenceModel, timeIndex } from "./sequence.ts";
import { lifBackwardFloat32, lifForwardFloat32 } from "./lif_wasm.ts";

/** Options of {@link IF}. */
export type IFOptions = SpikingOptions;

/**
 * One IF step from the old state `v`:
 * `S = spike(V - thr); V' = V + x - S*thr`. Returns `[S, V']`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * ifStep(np.array([0.5]), np.array([1.5]), 1, axn.superspike()); // [[1], [1]]
 * ```
 */
export function ifStep(x: Tensor, v: Tensor, threshold: number, activation: SpikeActivation): [Tensor, Tensor] {
  const s = activation(np.sub(v, threshold));
  const vNext = np.sub(np.add(v, x), np.mul(s, threshold));
  return [s, vNext];
}

/**
 * IF over a whole sequence. The forward loop keeps the membrane `V_t`
 * before each step (`[T, B, N]`; the surrogate needs `V_t - thr`). The
 * backward loop carries `lam = dL/dV_{t+1}`: `gS = gy - thr*lam`,
 * `gx_t = lam`, `lam <- lam + gS*s(V_t - thr)`; `gx` overwrites the saved
 * `V`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { runSequence } from "./sequence.ts";
 * const [spikes, v] = runSequence(IF_SEQUENCE, {
 *   xs: np.full([4, 1, 2], 0.6), state0: np.zeros([1, 2]), params: {},
 *   hiddenShape: [2], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export const IF_SEQUENCE: SequenceModel<{ vs: TypedArray }> = {
  name: "IF",
  stateParts: 1,
  decays: [],
  recurrent: false,
  backwardReadsOutputs: false,
  forward({ T, B, N, reverse, x, donated, state: [v0], threshold: thr, ys, final: [v] }) {
    const M = B * N;
    // Donated inputs hold the membranes: each step's input is read before its slot is overwritten.
    const vs = donated ? x : floatArray(v, T * M);
    if (lifForwardFloat32({ T, B, N, reverse, x, v0, beta: null, threshold: thr, ys, vs, final: v })) return { vs };
    v.set(v0);
    for (let s = 0; s < T; s++) {
      const off = timeIndex(s, T, reverse) * M;
      for (let i = 0; i < M; i++) {
        const vi = v[i], xi = x[off + i];
        vs[off + i] = vi;
        const spike = vi - thr > 0 ? 1 : 0;
        ys[off + i] = spike;
        v[i] = vi + xi - spike * thr;
      }
    }
    return { vs };
  },
  backward(
    { T, B, N, reverse, threshold: thr, surrogate, builtinSurrogate, residual: { vs }, gys, gFinal, gState: [lam] },
  ) {
    const M = B * N;
    const simd = { T, B, N, reverse, vs, gys, gFinal: gFinal[0], beta: null, threshold: thr, gState: lam, gBeta: null };
    if (lifBackwardFloat32({ ...simd, surrogate: builtinSurrogate })) return { gx: vs, gw: null };
    lam.set(gFinal[0]);
    for (let s = T - 1; s >= 0; s--) {
      const off = timeIndex(s, T, reverse) * M;
      for (let i = 0; i < M; i++) {
        const vi = vs[off + i], l = lam[i];
        const gS = gys[off + i] - thr * l;
        vs[off + i] = l;
        lam[i] = l + gS * surrogate(vi - thr);
      }
    }
    return { gx: vs, gw: null };
  },
  step: (_p, x, v, threshold, activation) => ifStep(x, v, threshold, activation!),
};

/**
 * Integrate-and-fire neurons (spyx `IF`): the membrane `V` sums its input
 * and drops by `thr` after a spike; the output is the spikes. No
 * parameters. State `V`: `[batch, ...hiddenShape]`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.IF([3]);
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.full([5, 2, 3], 0.6); // [T, B, n]
 * const [spikes, v] = net.apply(net.init(random.key(0), x), null, x);
 * ```
 */
export class IF extends SpikingNeuron {
  constructor(hiddenShape: readonly number[], options: IFOptions = {}) {
    super(hiddenShape, options, "IF", 1);
    checkOptions("IF", options, [...SPIKING_OPTIONS]);
  }

  /** One step on `x: [B, ...hiddenShape]` and `V: [B, ...hiddenShape]`: `[S, V']`. */
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, v] = this.checkStep(x, state);
    return ifStep(input, v, this.threshold, this.activation);
  }

  protected override stepParameters(): Record<string, Tensor> {
    return {};
  }

  protected override sequenceModel(): SequenceModel<{ vs: TypedArray }> {
    return IF_SEQUENCE;
  }
}
