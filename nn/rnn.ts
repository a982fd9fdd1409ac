/**
 * Recurrent cores and unrolling, as in `haiku._src.recurrent`: an
 * {@link RNNCore} maps `(x, state)` to `(output, newState)`; {@link DeepRNN}
 * chains cores with stateless layers; {@link dynamicUnroll} runs a core over
 * a sequence with `scan` (memory: one saved state per step).
 *
 * @module
 */
import { np, type PyTree, scan, type Tensor } from "../autodiff/mod.ts";
import { captureFrame, type FrameCarry, Module, type ModuleOptions } from "./module.ts";

/** A recurrent state: any pytree of tensors. */
export type RNNState = PyTree<Tensor>;

/**
 * A module with recurrent state.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../mod.ts";
 * class Accumulate extends nn.RNNCore {
 *   constructor() { super({}, "accumulate"); }
 *   initialState(b: number) { return np.zeros([b, 3]); }
 *   call(x: Tensor, s: nn.RNNState): [Tensor, Tensor] { const v = np.add(s as Tensor, x); return [v, v]; }
 * }
 * ```
 */
export abstract class RNNCore extends Module {
  /** The state at the start of a sequence for `batchSize` samples. */
  abstract initialState(batchSize: number): RNNState;
  /** One step: `[output, newState]`. */
  abstract override call(x: Tensor, state: RNNState): [Tensor, RNNState];
}

/** A layer of a {@link DeepRNN}: a core, a stateless module, or a plain function. */
export type DeepRNNLayer = RNNCore | Module | ((x: Tensor) => Tensor);

/**
 * True for recurrent cores.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.transform(() => nn.isRNNCore(new nn.LIF([8]))).apply({}, null); // true
 * ```
 */
export function isRNNCore(layer: unknown): layer is RNNCore {
  return layer instanceof RNNCore;
}

function applyStateless(layer: DeepRNNLayer, x: Tensor): Tensor {
  return layer instanceof Module ? (layer as Module).call(x) : (layer as (x: Tensor) => Tensor)(x);
}

/**
 * Chains layers; the state is the array of the cores' states (stateless
 * layers have none), as `hk.DeepRNN`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.DeepRNN([new nn.Linear(64), new nn.LIF([64]), new nn.Linear(10), new nn.LI([10])]);
 *   return core.call(x, core.initialState(x.shape[0]));
 * });
 * const params = net.init(random.key(0), np.ones([2, 20])); // linear, LIF, linear_1, LI
 * ```
 */
export class DeepRNN extends RNNCore {
  /** The layers, in order. */
  readonly layers: readonly DeepRNNLayer[];

  constructor(layers: readonly DeepRNNLayer[], options: ModuleOptions = {}) {
    super(options, "deep_rnn");
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new TypeError("DeepRNN: layers must be a non-empty array");
    }
    this.layers = layers.slice();
  }

  initialState(batchSize: number): RNNState[] {
    return this.layers.filter(isRNNCore).map((core) => core.initialState(batchSize));
  }

  call(x: Tensor, state: RNNState): [Tensor, RNNState[]] {
    const states = state as RNNState[];
    const cores = this.layers.filter(isRNNCore).length;
    if (!Array.isArray(states) || states.length !== cores) {
      throw new TypeError(`DeepRNN: state must be an array of ${cores} core states, got ${describe(state)}`);
    }
    const next: RNNState[] = [];
    let h = x;
    for (const layer of this.layers) {
      if (isRNNCore(layer)) {
        const [out, s] = layer.call(h, states[next.length]);
        next.push(s);
        h = out;
      } else {
        h = applyStateless(layer, h);
      }
    }
    return [h, next];
  }
}

function describe(x: unknown): string {
  return Array.isArray(x) ? `an array of ${x.length}` : typeof x;
}

/** Options of {@link dynamicUnroll} and {@link staticUnroll}. */
export interface UnrollOptions {
  /** Inputs are `[T, B, ...]` (default) rather than `[B, T, ...]`. */
  timeMajor?: boolean;
  /** Run from the last step to the first (outputs stay aligned with inputs). */
  reverse?: boolean;
}

function toTimeMajor(op: string, inputs: Tensor, timeMajor: boolean): Tensor {
  if (inputs.ndim < 2) throw new RangeError(`${op}: inputs need time and batch axes, got shape [${inputs.shape}]`);
  return timeMajor ? inputs : np.swapaxes(inputs, 0, 1);
}

/** Time steps `from .. to-1` of time-major `xs`. */
function steps(xs: Tensor, from: number, to: number): Tensor {
  return np.slice(xs, xs.shape.map((_, d) => (d === 0 ? from : 0)), xs.shape.map((n, d) => (d === 0 ? to : n)));
}

/**
 * Unrolls `core` over the time axis of `inputs` with `scan`.
 * Returns `[outputs, finalState]`, outputs in the layout of the inputs.
 *
 * Inside a transformed function the module state and the random key travel
 * in the scan's carry (as in `hk.scan`), so that gradients, which recompute
 * steps after `apply` has returned, see the parameters, the state and the
 * keys of each step. The first step runs before the scan, so that it can
 * create parameters and state (Haiku does the same in `init`).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.DeepRNN([new nn.Linear(16), new nn.LIF([16]), new nn.Linear(3), new nn.LI([3])]);
 *   const [traces, final] = nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false });
 *   return traces;
 * });
 * const x = np.ones([2, 10, 5]); // [batch, time, features]
 * net.apply(net.init(random.key(0), x), null, x).shape; // [2, 10, 3]
 * ```
 */
export function dynamicUnroll(
  core: RNNCore,
  inputs: Tensor,
  initialState: RNNState,
  options: UnrollOptions = {},
): [Tensor, RNNState] {
  const { timeMajor = true, reverse = false } = options;
  const xs = toTimeMajor("dynamicUnroll", inputs, timeMajor);
  const frame = captureFrame();
  if (frame === null) {
    const [finalState, ys] = scan(
      (state: RNNState, x: Tensor) => {
        const [y, s] = core.call(x, state);
        return [s, y];
      },
      initialState,
      xs,
      { reverse },
    );
    return [timeMajor ? ys : np.swapaxes(ys, 0, 1), finalState];
  }
  const T = xs.shape[0];
  if (T === 0) throw new RangeError(`dynamicUnroll: the time axis of inputs [${inputs.shape}] is empty`);
  const first = reverse ? T - 1 : 0;
  const x0 = np.squeeze(steps(xs, first, first + 1), 0);
  const [[y0, s0], c0] = frame.run(frame.carry(), () => core.call(x0, initialState));
  let finalState = s0, carry = c0;
  let ys = np.expandDims(y0, 0);
  if (T > 1) {
    const rest = reverse ? steps(xs, 0, T - 1) : steps(xs, 1, T);
    // The frame carry is a pytree of tensors (state) and a key or null.
    type Carry = [RNNState, FrameCarry];
    const [last, yRest] = scan(
      (c: PyTree<Tensor>, x: Tensor): [PyTree<Tensor>, Tensor] => {
        const [state, fc] = c as unknown as Carry;
        const [[y, s], next] = frame.run(fc, () => core.call(x, state));
        return [[s, next] as unknown as PyTree<Tensor>, y];
      },
      [s0, c0] as unknown as PyTree<Tensor>,
      rest,
      { reverse },
    );
    [finalState, carry] = last as unknown as Carry;
    ys = reverse ? np.concatenate([yRest, ys], 0) : np.concatenate([ys, yRest], 0);
  }
  frame.commit(carry);
  return [timeMajor ? ys : np.swapaxes(ys, 0, 1), finalState];
}

/**
 * Unrolls `core` with a plain loop (every step on the tape; simplest to
 * debug, more memory than {@link dynamicUnroll}).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.DeepRNN([new nn.Linear(4), new nn.LIF([4])]);
 *   const [outs, final] = nn.staticUnroll(core, x, core.initialState(x.shape[1]));
 *   return outs;
 * });
 * const x = np.ones([6, 2, 3]); // [time, batch, features]
 * net.apply(net.init(random.key(0), x), null, x).shape; // [6, 2, 4]
 * ```
 */
export function staticUnroll(
  core: RNNCore,
  inputs: Tensor,
  initialState: RNNState,
  options: UnrollOptions = {},
): [Tensor, RNNState] {
  const { timeMajor = true, reverse = false } = options;
  const xs = toTimeMajor("staticUnroll", inputs, timeMajor);
  const T = xs.shape[0];
  const steps = np.split(xs, T, 0).map((x) => np.squeeze(x, 0));
  const outs: Tensor[] = new Array(T);
  let state = initialState;
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    const [y, s] = core.call(steps[t], state);
    outs[t] = y;
    state = s;
  }
  const ys = np.stack(outs, 0);
  return [timeMajor ? ys : np.swapaxes(ys, 0, 1), state];
}
