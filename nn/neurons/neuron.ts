/**
 * What every neuron model shares: the base classes (hidden shape, threshold,
 * activation, initial state, checks of a step's input and state, the step
 * and the whole-sequence call of the model's cell), the decay parameters
 * (`beta`, `alpha`, `gamma`), the recurrent weights `w` and the packing of
 * two-part states. The math of each model is its cell (`autodiff/cell/`),
 * written once in its own file: the per-step path evaluates it in ops, and
 * the whole-sequence kernels of every backend are generated from it.
 *
 * @module
 */
import type { Cell } from "../../autodiff/cell/cell.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { cellSequence, packParts, unpackParts } from "../../autodiff/cell/sequence.ts";
import { cellStep } from "../../autodiff/cell/step_ops.ts";
import { type DType, isFloat, promoteTypes } from "../../autodiff/dtype.ts";
import { isTensor, np, type Tensor } from "../../autodiff/mod.ts";
import { type SpikeActivation, superspike } from "../axn/mod.ts";
import { constant, truncatedNormal } from "../initializers.ts";
import { getParameter, type Initializer, type ModuleOptions } from "../module.ts";
import { RNNCore, type RNNState, type SequenceOptions } from "../rnn.ts";

/** Options of every spiking neuron. */
export interface SpikingOptions extends ModuleOptions {
  /** Firing threshold `thr`, a constant (default 1). */
  threshold?: number;
  /** Spike function with its surrogate gradient (default `axn.superspike()`). */
  activation?: (u: Tensor) => Tensor;
}

/** The option names every spiking neuron takes; each model adds its decays. */
export const SPIKING_OPTIONS: readonly string[] = ["name", "threshold", "activation"];

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkHiddenShape(kind: string, hiddenShape: unknown): number[] {
  if (
    !Array.isArray(hiddenShape) || hiddenShape.length === 0 ||
    !hiddenShape.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0)
  ) {
    throw new TypeError(
      `${kind}: hiddenShape must be a non-empty array of positive integers, got ${formatValue(hiddenShape)}`,
    );
  }
  return hiddenShape.slice();
}

/**
 * Checks a decay option (`beta`, `alpha`, `gamma`): a finite number, or
 * undefined for a per-neuron parameter.
 *
 * @example
 * ```ts
 * checkDecayOption("LIF", "beta", 0.9); // 0.9
 * checkDecayOption("LIF", "beta", undefined); // undefined
 * ```
 */
export function checkDecayOption(kind: string, name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(
      `${kind}: ${name} must be a finite number (a learnable scalar) or omitted (per-neuron), got ${
        formatValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Base of every neuron model: an {@link RNNCore} over inputs `[..., ...hiddenShape]`
 * whose state is `[..., ...hiddenShape]`, or, for two-part states, the same
 * with the last axis doubled (`[V, A]` or `[V, I]` packed along it).
 *
 * @example
 * ```ts
 * import { nn, np } from "../../mod.ts";
 * const net = nn.transform(() => new nn.ALIF([4]).initialState(2));
 * net.apply({}, null).shape; // [2, 8]
 * ```
 */
export abstract class Neuron extends RNNCore {
  /** Shape of the neuron layer (without the batch axis). */
  readonly hiddenShape: readonly number[];
  /** The model's name (the class name), used in errors. */
  readonly kind: string;
  /** 1 for a state `V`, 2 for a state `[V, A]` / `[V, I]`. */
  readonly stateParts: 1 | 2;
  /** The model's cell: its step, from which the per-step path and every sequence kernel come. */
  readonly cell: Cell;

  constructor(hiddenShape: readonly number[], options: ModuleOptions, cell: Cell) {
    const kind = cell.spec.name;
    super(options, kind);
    // Every model takes the module's options, a spiking one its threshold and activation, and its cell's parameters.
    checkOptions(kind, options, [...(cell.spiking ? SPIKING_OPTIONS : ["name"]), ...cell.spec.params]);
    this.cell = cell;
    this.kind = kind;
    this.hiddenShape = Object.freeze(checkHiddenShape(kind, hiddenShape));
    this.stateParts = cell.spec.state.length as 1 | 2;
  }

  /** Shape of the state of one sample. */
  get stateShape(): number[] {
    const s = this.hiddenShape.slice();
    s[s.length - 1] *= this.stateParts;
    return s;
  }

  /** Zeros of shape `[batchSize, ...stateShape]`. */
  initialState(batchSize: number, dtype: DType = "float32"): Tensor {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`${this.kind}.initialState: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!isFloat(dtype)) throw new TypeError(`${this.kind}.initialState: dtype must be a float dtype, got ${dtype}`);
    return np.zeros([batchSize, ...this.stateShape], { dtype });
  }

  /**
   * Checks a step's input `[..., ...hiddenShape]` and state
   * `[..., ...stateShape]` (same leading axes) and returns both in their
   * common float dtype.
   */
  protected checkStep(x: unknown, state: unknown): [Tensor, Tensor] {
    const k = this.kind, h = this.hiddenShape;
    if (!isTensor(x)) throw new TypeError(`${k}: the input must be a Tensor, got ${typeof x}`);
    if (!isTensor(state)) {
      throw new TypeError(`${k}: the state must be a Tensor, got ${Array.isArray(state) ? "an array" : typeof state}`);
    }
    if (x.ndim < h.length || !sameShape(x.shape.slice(x.ndim - h.length), h)) {
      throw new RangeError(
        `${k}: input of shape ${formatShape(x.shape)} does not end with hiddenShape ${formatShape(h)}`,
      );
    }
    const want = [...x.shape.slice(0, x.ndim - h.length), ...this.stateShape];
    if (!sameShape(state.shape, want)) {
      const parts = this.stateParts === 2 ? " (two parts packed along the last axis)" : "";
      throw new RangeError(
        `${k}: state of shape ${formatShape(state.shape)} does not match input of shape ${
          formatShape(x.shape)
        }: expected ${formatShape(want)}${parts}`,
      );
    }
    const dtype = promoteTypes(isFloat(x.dtype) ? x.dtype : "float32", isFloat(state.dtype) ? state.dtype : "float32");
    return [np.astype(x, dtype), np.astype(state, dtype)];
  }

  /**
   * The parameters of one step in the cell's order, as the step uses them
   * (decays clipped): read in `apply`, created in `init`.
   */
  protected abstract stepParameters(dtype: DType): Tensor[];

  /** The recurrent weights `w` `[...hiddenShape, ...hiddenShape]` (recurrent models only). */
  protected recurrentWeights(_dtype: DType): Tensor | null {
    return null;
  }

  /** Threshold and spike function of a spiking model (null: no spikes). */
  protected spikeFunction(): { threshold: number; activation: SpikeActivation } | null {
    return null;
  }

  /**
   * One step on `x: [B, ...hiddenShape]` and the state `[B, ...stateShape]`
   * (two parts packed along the last axis): `[output, newState]`, the
   * cell's step in ops.
   */
  override call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const [input, st] = this.checkStep(x, state);
    const N = this.hiddenShape.reduce((a, b) => a * b, 1);
    const flat = (t: Tensor) => np.reshape(t, [-1, N]);
    const params = this.stepParameters(input.dtype).map((p) => (p.ndim === 0 ? p : np.reshape(p, [N])));
    const w = this.recurrentWeights(input.dtype);
    const spike = this.spikeFunction();
    const [out, next] = cellStep(this.cell, {
      state: unpackParts(st, this.stateParts).map(flat),
      params,
      x: flat(input),
      w: w === null ? null : np.reshape(w, [1, N, N]),
      threshold: spike?.threshold ?? 0,
      spike: spike?.activation ?? null,
      dtype: input.dtype,
    });
    const partShape = [...input.shape.slice(0, input.ndim - this.hiddenShape.length), ...this.hiddenShape];
    return [np.reshape(out, input.shape), packParts(next.map((p) => np.reshape(p, partShape)))];
  }

  /**
   * True when {@link Neuron.callSequence} runs the cell as one sequence
   * primitive: the model spikes through an activation written as an
   * expression (every built-in is; `axn.custom`'s tensor functions are not,
   * and run step by step), or does not spike. Which kernel runs is the
   * backend's: one generated from the cell where registered, else the
   * cell's steps in ops.
   */
  override hasSequenceKernel(xs: Tensor): boolean {
    const spike = this.spikeFunction();
    return isTensor(xs) && (spike === null || spike.activation.surrogate !== undefined);
  }

  /**
   * All steps at once: inputs `[T, B, ...hiddenShape]` (time-major) and the
   * state `[B, ...stateShape]` give `[outputs, finalState]`, the same as `T`
   * calls of `call`, computed as one sequence primitive. Null when
   * {@link Neuron.hasSequenceKernel} is false.
   *
   * @example
   * ```ts
   * import { nn, np, random, type Tensor } from "../../mod.ts";
   * const net = nn.transform((xs: Tensor) => {
   *   const lif = new nn.LIF([3], { beta: 0.9 });
   *   return lif.callSequence(xs, lif.initialState(2));
   * });
   * const xs = np.full([5, 2, 3], 0.6);
   * const [spikes, v] = net.apply(net.init(random.key(0), xs), null, xs)!; // [5, 2, 3], [2, 3]
   * ```
   */
  override callSequence(xs: Tensor, state: RNNState, options: SequenceOptions = {}): [Tensor, Tensor] | null {
    if (!this.hasSequenceKernel(xs)) return null;
    return this.inScope(() => {
      const [x, s0] = this.checkSequence(xs, state);
      const spike = this.spikeFunction();
      const [ys, parts] = cellSequence(this.cell, {
        xs: x,
        state: unpackParts(s0, this.stateParts),
        params: this.stepParameters(x.dtype),
        w: this.recurrentWeights(x.dtype),
        neurons: this.hiddenShape,
        surrogate: spike?.activation.surrogate?.expr ?? null,
        spike: spike?.activation ?? null,
        threshold: spike?.threshold ?? 0,
        reverse: options.reverse ?? false,
        donate: options.donateInput ?? false,
      });
      return [ys, packParts(parts)];
    });
  }

  /** Checks sequence inputs `[T, ..., ...hiddenShape]` (T >= 1) and the state `[..., ...stateShape]`. */
  private checkSequence(xs: unknown, state: unknown): [Tensor, Tensor] {
    const k = `${this.kind}.callSequence`, h = this.hiddenShape;
    if (!isTensor(xs)) throw new TypeError(`${k}: the inputs must be a Tensor, got ${typeof xs}`);
    if (xs.ndim < h.length + 1 || xs.shape[0] < 1 || !sameShape(xs.shape.slice(xs.ndim - h.length), h)) {
      throw new RangeError(
        `${k}: inputs of shape ${formatShape(xs.shape)} must be [T, ..., ...hiddenShape] with T >= 1 and hiddenShape ${
          formatShape(h)
        }`,
      );
    }
    if (!isTensor(state)) {
      throw new TypeError(`${k}: the state must be a Tensor, got ${Array.isArray(state) ? "an array" : typeof state}`);
    }
    const want = [...xs.shape.slice(1, xs.ndim - h.length), ...this.stateShape];
    if (!sameShape(state.shape, want)) {
      throw new RangeError(
        `${k}: state of shape ${formatShape(state.shape)} does not match inputs of shape ${
          formatShape(xs.shape)
        }: expected ${formatShape(want)}`,
      );
    }
    const dtype = promoteTypes(
      isFloat(xs.dtype) ? xs.dtype : "float32",
      isFloat(state.dtype) ? state.dtype : "float32",
    );
    return [np.astype(xs, dtype), np.astype(state, dtype)];
  }
}

/**
 * Base of the spiking models: adds the constant `threshold` and the spike
 * `activation`.
 *
 * @example
 * ```ts
 * import { axn, nn } from "../../mod.ts";
 * nn.transform(() => new nn.LIF([8], { threshold: 0.5, activation: axn.arctan() }).threshold).apply({}, null); // 0.5
 * ```
 */
export abstract class SpikingNeuron extends Neuron {
  /** Firing threshold. */
  readonly threshold: number;
  /** Spike function. */
  readonly activation: SpikeActivation;

  constructor(hiddenShape: readonly number[], options: SpikingOptions, cell: Cell) {
    super(hiddenShape, options, cell);
    const kind = cell.spec.name;
    const { threshold = 1, activation = superspike() } = options;
    if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
      throw new TypeError(`${kind}: threshold must be a finite number, got ${formatValue(threshold)}`);
    }
    if (typeof activation !== "function") {
      throw new TypeError(
        `${kind}: activation must be a function (u: Tensor) => Tensor, such as axn.superspike(), got ${
          formatValue(activation)
        }`,
      );
    }
    this.threshold = threshold;
    this.activation = activation as SpikeActivation;
  }

  protected override spikeFunction(): { threshold: number; activation: SpikeActivation } {
    return { threshold: this.threshold, activation: this.activation };
  }
}

/** spyx's per-neuron decay init: normal, mean 0.5, stddev 0.25, truncated at two stddevs. */
const PER_NEURON_DECAY: Initializer = truncatedNormal(0.25, 0.5);

/**
 * The decay parameter `name` of the current module, clipped to `[0, 1]`:
 * a learnable scalar initialised to `value` when `value` is a number, else
 * a learnable tensor of shape `hiddenShape` initialised with `perNeuronInit`
 * (default truncated normal, mean 0.5, stddev 0.25).
 *
 * @example
 * ```ts
 * import { nn, random } from "../../mod.ts";
 * const f = nn.transform(() => decayParameter("beta", undefined, [8], "float32")); // clipped to [0, 1]
 * f.init(random.key(0))["~"].beta.shape; // [8] (the raw parameter)
 * ```
 */
export function decayParameter(
  name: string,
  value: number | undefined,
  hiddenShape: readonly number[],
  dtype: DType,
  perNeuronInit: Initializer = PER_NEURON_DECAY,
): Tensor {
  const raw = value === undefined
    ? getParameter(name, hiddenShape, { dtype, init: perNeuronInit })
    : getParameter(name, [], { dtype, init: constant(value) });
  return np.clip(raw, 0, 1);
}

/**
 * The recurrent weights `w` of the current module, shape
 * `[...hiddenShape, ...hiddenShape]`, truncated normal init (stddev 1).
 *
 * @example
 * ```ts
 * import { nn, random } from "../../mod.ts";
 * const f = nn.transform(() => recurrentWeights([8], "float32"));
 * f.init(random.key(0))["~"].w.shape; // [8, 8]
 * ```
 */
export function recurrentWeights(hiddenShape: readonly number[], dtype: DType): Tensor {
  return getParameter("w", [...hiddenShape, ...hiddenShape], { dtype, init: truncatedNormal(1) });
}

/**
 * One step of `cell` on tensors of any shape ending in the neurons:
 * `[output, next state parts]` (what each model's exported step function
 * computes).
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { LIF_CELL } from "./lif.ts";
 * runStep(LIF_CELL, [np.array([1.5])], [np.array(0.5)], np.array([0.5]), null, 1, axn.superspike()); // [[1], [[0.25]]]
 * ```
 */
export function runStep(
  cell: Cell,
  state: readonly Tensor[],
  params: readonly Tensor[],
  x: Tensor,
  w: Tensor | null,
  threshold: number,
  activation: SpikeActivation | null,
): [Tensor, Tensor[]] {
  const n = w === null ? 0 : Math.round(Math.sqrt(w.size));
  const flatW = w === null ? null : np.reshape(w, [1, n, n]);
  const lead = x.shape.slice(0, x.ndim - (w === null ? 0 : w.ndim / 2));
  const flat = (t: Tensor) => (w === null ? t : np.reshape(t, [...lead, n]));
  const [out, next] = cellStep(cell, {
    state: state.map(flat),
    params: params.map((p) => (w === null || p.ndim === 0 ? p : np.reshape(p, [n]))),
    x: flat(x),
    w: flatW,
    threshold,
    spike: activation,
    dtype: x.dtype,
  });
  return [np.reshape(out, x.shape), next.map((p) => np.reshape(p, x.shape))];
}
