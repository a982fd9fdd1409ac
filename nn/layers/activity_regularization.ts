/**
 * `nn.ActivityRegularization`, spyx's spike counter for activity
 * regularizers.
 *
 * @module
 */
import { isFloat } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import { checkOptions } from "../../autodiff/checks.ts";
import { getState, Module, type ModuleOptions, setState } from "../module.ts";

/**
 * Adds the spikes it sees to the state `spike_count` (same shape as the
 * spikes, zeros before the first call) and returns them unchanged. Use it
 * under `nn.transformWithState` and feed the counts to `fn.silenceReg` /
 * `fn.sparsityReg`; the counts stay differentiable. Placed in a
 * `DeepRNN` that is unrolled, it counts over every step. Default name
 * `ActReg`, as in spyx.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transformWithState((s: Tensor) => new nn.ActivityRegularization().call(s));
 * const spikes = np.array([[1, 0, 1]]);
 * const { params, state } = net.init(random.key(0), spikes);
 * const [, counted] = net.apply(params, state, null, spikes);
 * counted.ActReg.spike_count; // [[1, 0, 1]]
 * ```
 */
export class ActivityRegularization extends Module {
  constructor(options: ModuleOptions = {}) {
    super(options, "ActReg");
    checkOptions("ActivityRegularization", options, ["name"]);
  }

  /** Counts `spikes` and returns them. */
  call(spikes: Tensor): Tensor {
    const s = np.asTensor(spikes);
    const dtype = isFloat(s.dtype) ? s.dtype : "float32";
    const count = getState("spike_count", s.shape, { dtype, init: (shape, dt) => np.zeros(shape, { dtype: dt }) });
    setState("spike_count", np.add(count, np.astype(s, dtype)));
    return s;
  }
}
