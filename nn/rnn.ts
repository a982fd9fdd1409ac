/**
 * Recurrent cores and unrolling, as in `haiku._src.recurrent`: an
 * {@link RNNCore} maps `(x, state)` to `(output, newState)`; {@link DeepRNN}
 * chains cores with stateless layers; {@link dynamicUnroll} runs a core over
 * a sequence: with whole-sequence kernels layer by layer where the core has
 * them, else with `scan` (memory: one saved state per step).
 *
 * @module
 */
import { isTensor, np, type PyTree, scan, type Tensor, tree } from "../autodiff/mod.ts";
import { activeTapes } from "../autodiff/tape.ts";
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import { captureFrame, type FrameCarry, isInitializing, Module, type ModuleOptions } from "./module.ts";
import { Linear } from "./layers/linear.ts";

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

  /**
   * True when {@link RNNCore.callSequence} runs a whole-sequence kernel for
   * inputs like `xs` (the default: false, the core runs step by step).
   */
  hasSequenceKernel(_xs: Tensor): boolean {
    return false;
  }

  /**
   * All steps at once on time-major `xs` `[T, B, ...]`: `[outputs, finalState]`
   * with the same math as `T` calls of {@link RNNCore.call}, or null when the
   * core has no whole-sequence kernel here (the default). `dynamicUnroll`
   * uses it when {@link RNNCore.hasSequenceKernel} says so. A core that
   * implements it reads only parameters (no module state, no random keys).
   */
  callSequence(_xs: Tensor, _state: RNNState, _options: SequenceOptions = {}): [Tensor, RNNState] | null {
    return null;
  }
}

/** Options of {@link RNNCore.callSequence}. */
export interface SequenceOptions {
  /** Run from the last step to the first (outputs stay aligned with inputs). */
  reverse?: boolean;
  /**
   * The caller gives `xs` up (as with JAX's buffer donation): the kernel may
   * keep what its backward pass needs in `xs`'s storage instead of a new
   * array, so neither `xs` nor anything sharing its storage may be read
   * afterwards. `DeepRNN` donates the outputs of its own `Linear` layers to
   * the core after them. Default false.
   */
  donateInput?: boolean;
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
    checkOptions("DeepRNN", options, ["name"]);
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new TypeError(`DeepRNN: layers must be a non-empty array, got ${formatValue(layers)}`);
    }
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module) && typeof layer !== "function") {
        throw new TypeError(
          `DeepRNN: layer ${i} is ${formatValue(layer)}; layers are RNN cores, modules or functions (x) => Tensor`,
        );
      }
    });
    this.layers = layers.slice();
  }

  initialState(batchSize: number): RNNState[] {
    return this.layers.filter(isRNNCore).map((core) => core.initialState(batchSize));
  }

  call(x: Tensor, state: RNNState): [Tensor, RNNState[]] {
    const states = this.checkStates(state);
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

  /** True when every core among the layers has a whole-sequence kernel for inputs like `xs`. */
  override hasSequenceKernel(xs: Tensor): boolean {
    return this.layers.every((layer) => !isRNNCore(layer) || layer.hasSequenceKernel(xs));
  }

  /**
   * All steps at once, layer by layer: each stateless layer is called once
   * on the steps and samples merged into one batch axis (`[T*B, ...]`), each
   * core runs its whole-sequence kernel. The same math as `T` calls of
   * `call`, as no layer reads a later layer within a step; it assumes, as
   * every layer of `nn` does, that a stateless layer treats the samples
   * along its leading axis independently. Null, with the frame and the
   * tapes as they were, when a core has no kernel, or when a stateless layer
   * touches module state, draws a random key in `apply` (dropout,
   * `ActivityRegularization`; in `init` initializers draw keys) or throws:
   * per-step semantics would differ, so `dynamicUnroll` then runs step by
   * step.
   *
   * @example
   * ```ts
   * import { nn, np, random, type Tensor } from "../mod.ts";
   * const net = nn.transform((xs: Tensor) => {
   *   const core = new nn.DeepRNN([new nn.Linear(4), new nn.LIF([4]), new nn.Linear(2), new nn.LI([2])]);
   *   return core.callSequence(xs, core.initialState(3)); // what dynamicUnroll runs
   * });
   * const xs = np.ones([5, 3, 6]); // [T, B, features]
   * const [traces, final] = net.apply(net.init(random.key(0), xs), null, xs)!; // [5, 3, 2]
   * ```
   */
  override callSequence(xs: Tensor, state: RNNState, options: SequenceOptions = {}): [Tensor, RNNState[]] | null {
    const states = this.checkStates(state);
    if (!this.hasSequenceKernel(xs)) return null;
    const frame = captureFrame();
    const before = frame?.carry();
    const tapes = activeTapes().filter((tape) => !tape.closed).map((tape) => [tape, tape.entries.length] as const);
    const out = this.inScope(() => this.layerByLayer(xs, states, options));
    if (out === null) {
      // Undo the attempt: the frame as it was, and nothing of it left on the tapes.
      if (frame && before) frame.commit(before);
      for (const [tape, n] of tapes) tape.entries.length = n;
    }
    return out;
  }

  private layerByLayer(xs: Tensor, states: RNNState[], options: SequenceOptions): [Tensor, RNNState[]] | null {
    const frame = captureFrame();
    // In init, initializers draw keys; only apply has to keep the keys of every step.
    const keysMatter = frame !== null && !isInitializing();
    const next: RNNState[] = [];
    let h = xs;
    // Whether nothing but this loop holds `h`'s storage, so that the next core may reuse it.
    let owned = options.donateInput ?? false;
    for (const layer of this.layers) {
      if (isRNNCore(layer)) {
        const out = layer.callSequence(h, states[next.length], { ...options, donateInput: owned });
        if (out === null) return null;
        next.push(out[1]);
        h = out[0];
        owned = false;
        continue;
      }
      const [T, B] = h.shape;
      const before = frame?.carry();
      let out: unknown;
      try {
        out = applyStateless(layer, np.reshape(h, [T * B, ...h.shape.slice(2)]));
      } catch {
        // Typically module state shaped by the batch; the per-step path reports real errors.
        return null;
      }
      if (frame && before && !sameCarry(before, frame.carry(), keysMatter)) return null;
      if (!isTensor(out) || out.ndim < 1 || out.shape[0] !== T * B) return null;
      h = np.reshape(out, [T, B, ...out.shape.slice(1)]);
      // A Linear's output is a new array that it keeps no reference to; another layer's might alias its input.
      owned = layer.constructor === Linear;
    }
    return [h, next];
  }

  private checkStates(state: RNNState): RNNState[] {
    const cores = this.layers.filter(isRNNCore).length;
    if (!Array.isArray(state) || state.length !== cores) {
      throw new TypeError(`DeepRNN: state must be an array of ${cores} core states, got ${describe(state)}`);
    }
    return state;
  }
}

/** The same state tensors (by identity) in both carries, and the same key if `keys`. */
function sameCarry(a: FrameCarry, b: FrameCarry, keys: boolean): boolean {
  if (keys && a.key !== b.key) return false;
  const modules = Object.keys(a.state);
  if (modules.length !== Object.keys(b.state).length) return false;
  for (const m of modules) {
    const x = a.state[m], y = b.state[m];
    if (!y || Object.keys(x).length !== Object.keys(y).length) return false;
    for (const k of Object.keys(x)) if (x[k] !== y[k]) return false;
  }
  return true;
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
  /**
   * `dynamicUnroll` only: use whole-sequence kernels and layer-by-layer
   * execution where they apply (default true); false always scans step by
   * step.
   */
  fused?: boolean;
  /**
   * `dynamicUnroll` only (Haiku's `return_all_states`): the second result is
   * the state after every step, each leaf stacked along the time axis in the
   * layout of the outputs (`[T, B, ...]` or `[B, T, ...]`), instead of the
   * final state. Runs step by step (whole-sequence kernels keep only the
   * final state). Default false.
   */
  returnAllStates?: boolean;
}

/** The checks of an unroll's arguments, before any step runs. */
function checkUnroll(op: string, core: unknown, inputs: unknown, options: UnrollOptions, valid: string[]): void {
  if (!(core instanceof RNNCore)) {
    throw new TypeError(`${op}: core must be an RNNCore (a neuron, a DeepRNN, ...), got ${formatValue(core)}`);
  }
  if (!isTensor(inputs)) {
    const hint = Array.isArray(inputs) ? " (wrap an array with np.array)" : "";
    throw new TypeError(`${op}: inputs must be a Tensor [T, B, ...] or [B, T, ...], got ${formatValue(inputs)}${hint}`);
  }
  checkOptions(op, options, valid);
  for (const name of valid) {
    const v = (options as Record<string, unknown>)[name];
    if (v !== undefined && typeof v !== "boolean") {
      throw new TypeError(`${op}: ${name} must be a boolean, got ${formatValue(v)}`);
    }
  }
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
 * Unrolls `core` over the time axis of `inputs`.
 * Returns `[outputs, finalState]`, outputs in the layout of the inputs; with
 * `returnAllStates` (Haiku's `return_all_states`), `[outputs, states]`, the
 * state after every step stacked in the same layout (per-step path only).
 *
 * In `apply` (and under `grad`), a core with a whole-sequence kernel
 * ({@link RNNCore.hasSequenceKernel}: every neuron model with a built-in
 * surrogate on the CPU backend, and a {@link DeepRNN} of such neurons and
 * stateless layers) runs all steps at once: layer by layer, each neuron
 * layer as one fused op with its own backward pass, each stateless layer as
 * one call over `[T*B, ...]`. The result is the same as stepping. `init`,
 * other cores (user-defined ones, `axn.custom` activations), other backends
 * and higher-order gradients take the per-step path below, as does
 * `fused: false`.
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
  checkUnroll("dynamicUnroll", core, inputs, options, ["timeMajor", "reverse", "fused", "returnAllStates"]);
  const { timeMajor = true, reverse = false, fused = true, returnAllStates = false } = options;
  const xs = toTimeMajor("dynamicUnroll", inputs, timeMajor);
  const frame = captureFrame();
  if (frame !== null && xs.shape[0] === 0) {
    throw new RangeError(`dynamicUnroll: the time axis of inputs [${inputs.shape}] is empty`);
  }
  const layout = (seq: Tensor) => (timeMajor ? seq : np.swapaxes(seq, 0, 1));
  // With returnAllStates each step's output is [y, newState], stacked by scan like y alone.
  const emit = (y: Tensor, s: RNNState): PyTree<Tensor> => (returnAllStates ? [y, s] : y);
  const finish = (emitted: PyTree<Tensor>, finalState: RNNState): [Tensor, RNNState] => {
    if (!returnAllStates) return [layout(emitted as Tensor), finalState];
    const [ys, states] = emitted as [Tensor, RNNState];
    return [layout(ys), tree.map(layout, states) as RNNState];
  };
  // init steps, so that parameters are created (and keys drawn) exactly as Haiku does.
  if (fused && !returnAllStates && frame !== null && !isInitializing() && core.hasSequenceKernel(xs)) {
    const out = core.callSequence(xs, initialState, { reverse });
    if (out !== null) return [layout(out[0]), out[1]];
  }
  if (frame === null) {
    const [finalState, emitted] = scan(
      (state: RNNState, x: Tensor) => {
        const [y, s] = core.call(x, state);
        return [s, emit(y, s)];
      },
      initialState,
      xs,
      { reverse },
    );
    return finish(emitted, finalState);
  }
  const T = xs.shape[0];
  const first = reverse ? T - 1 : 0;
  const x0 = np.squeeze(steps(xs, first, first + 1), 0);
  const [[y0, s0], c0] = frame.run(frame.carry(), () => core.call(x0, initialState));
  let finalState = s0, carry = c0;
  let emitted = tree.map((leaf: Tensor) => np.expandDims(leaf, 0), emit(y0, s0)) as PyTree<Tensor>;
  if (T > 1) {
    const rest = reverse ? steps(xs, 0, T - 1) : steps(xs, 1, T);
    // The frame carry is a pytree of tensors (state) and a key or null.
    type Carry = [RNNState, FrameCarry];
    const [last, emittedRest] = scan(
      (c: PyTree<Tensor>, x: Tensor): [PyTree<Tensor>, PyTree<Tensor>] => {
        const [state, fc] = c as unknown as Carry;
        const [[y, s], next] = frame.run(fc, () => core.call(x, state));
        return [[s, next] as unknown as PyTree<Tensor>, emit(y, s)];
      },
      [s0, c0] as unknown as PyTree<Tensor>,
      rest,
      { reverse },
    );
    [finalState, carry] = last as unknown as Carry;
    emitted = tree.map(
      (head: Tensor, tail: Tensor) => np.concatenate(reverse ? [tail, head] : [head, tail], 0),
      emitted,
      emittedRest,
    ) as PyTree<Tensor>;
  }
  frame.commit(carry);
  return finish(emitted, finalState);
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
  checkUnroll("staticUnroll", core, inputs, options, ["timeMajor", "reverse"]);
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
