/**
 * Whole-sequence neuron kernels: the shared plumbing. A model file
 * (`lif.ts`, ...) describes its kernel as a {@link SequenceModel}: a forward
 * loop over `T` steps on typed arrays that keeps only what its backward
 * needs, and a backward loop over time in reverse. {@link runSequence} turns
 * such a model into one differentiable op: it unpacks the state, expands the
 * decays to per-neuron arrays, runs the forward kernel, and records one tape
 * entry whose VJP runs the backward kernel and reduces the parameter
 * gradients to the parameters' shapes.
 *
 * The kernels run on CPU typed arrays. {@link fusedKernelsApply} is the one
 * check that decides whether they may run (the CPU backend, and at most one
 * recording tape, since the backward kernel itself is not differentiable);
 * otherwise callers use the per-step path, which works on every backend.
 *
 * @module
 */
import { type DType, isFloat, promoteTypes, type TypedArray } from "../../autodiff/dtype.ts";
import { np, type Tensor, vjp } from "../../autodiff/mod.ts";
import { matmulKernel } from "../../autodiff/cpu/matmul.ts";
import { activeTapes, record, type VjpFn } from "../../autodiff/tape.ts";
import { Tensor as TensorClass } from "../../autodiff/tensor.ts";
import type { SpikeActivation, Surrogate } from "../axn/mod.ts";
import { isBuiltinSurrogate } from "../axn/surrogates.ts";

/** A float dtype: the kernels compute in float32 or float64 typed arrays. */
export type FloatDType = "float32" | "float64";

/** What both kernels read: the sizes and the constants of one sequence. */
export interface SequenceInputs {
  /** Number of steps. */
  readonly T: number;
  /** Batch size. */
  readonly B: number;
  /** Neurons per sample (the product of `hiddenShape`). */
  readonly N: number;
  /** Run from the last step to the first (outputs stay aligned with inputs). */
  readonly reverse: boolean;
  /** Element type of every array below except the decays. */
  readonly dtype: FloatDType;
  /** The initial state, one `[B, N]` array per part (`V`, then `A` or `I`). */
  readonly state: readonly TypedArray[];
  /** The clipped decays in the model's order, each expanded to `[N]`. */
  readonly decays: readonly Float64Array[];
  /** Recurrent weights `[N, N]` (null for non-recurrent models). */
  readonly w: TypedArray | null;
  /** Firing threshold (0 for non-spiking models). */
  readonly threshold: number;
  /** The surrogate derivative `s(u)` of the spike function. */
  readonly surrogate: (u: number) => number;
  /** The spike function's description when it is a built-in one (kernels may hard-code its formula), else null. */
  readonly builtinSurrogate: Surrogate | null;
  /**
   * Outputs `[T, B, N]`: written by the forward kernel; in the backward
   * kernel, empty unless the model sets `backwardReadsOutputs`.
   */
  readonly ys: TypedArray;
}

/**
 * What a forward kernel gets: the inputs `x` and the final state to write.
 * The backward kernel does not see `x` (no model needs it), so a layer's
 * input can be freed once the forward pass has run.
 */
export interface SequenceForward extends SequenceInputs {
  /** Inputs, time-major `[T, B, N]`. */
  readonly x: TypedArray;
  /**
   * Whether `x` was given up by its caller: a kernel may then save into it
   * (reading each element before overwriting it) instead of allocating.
   */
  readonly donated: boolean;
  /** Out: the final state, one `[B, N]` array per part. */
  readonly final: readonly TypedArray[];
}

/** What a backward kernel gets: its residuals and the output cotangents. */
export interface SequenceBackward<R> extends SequenceInputs {
  /** What the forward kernel returned; the backward kernel may overwrite its arrays (it runs once). */
  readonly residual: R;
  /** Cotangent of the outputs, `[T, B, N]`. */
  readonly gys: TypedArray;
  /** Cotangent of the final state, one `[B, N]` array per part. */
  readonly gFinal: readonly TypedArray[];
  /** Out: cotangent of the initial state, one zeroed `[B, N]` array per part. */
  readonly gState: readonly TypedArray[];
  /** Out: per-neuron cotangents of the decays, zeroed float64 accumulators `[N]`. */
  readonly gDecays: readonly Float64Array[];
  /** Whether the recurrent weights' cotangent is wanted. */
  readonly needW: boolean;
}

/** What a backward kernel returns. */
export interface SequenceGradients {
  /** Cotangent of the inputs, `[T, B, N]` (may reuse a residual array). */
  readonly gx: TypedArray;
  /** Cotangent of `w`, `[N, N]` (null when not wanted or not recurrent). */
  readonly gw: TypedArray | null;
}

/**
 * A neuron model's whole-sequence kernel, as its model file declares it.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * // A leaky integrator without spikes: V' = beta*V + x, output V'.
 * const LEAK: SequenceModel<null> = {
 *   name: "Leak", stateParts: 1, decays: ["beta"], recurrent: false, backwardReadsOutputs: true,
 *   forward: ({ T, B, N, x, decays: [beta], state: [v0], ys, final: [v] }) => {
 *     v.set(v0);
 *     for (let t = 0; t < T; t++) {
 *       for (let i = 0; i < B * N; i++) ys[t * B * N + i] = v[i] = beta[i % N] * v[i] + x[t * B * N + i];
 *     }
 *     return null;
 *   },
 *   backward: () => { throw new Error("not needed in this example"); },
 *   step: (p, x, v) => { const u = np.add(np.mul(p.beta, v), x); return [u, u]; },
 * };
 * ```
 */
export interface SequenceModel<R> {
  /** The model's name (used in errors). */
  readonly name: string;
  /** 1 for a state `V`, 2 for `[V, A]` / `[V, I]` packed along the last axis. */
  readonly stateParts: 1 | 2;
  /** Names of the decay parameters, in the order of `SequenceInputs.decays`. */
  readonly decays: readonly string[];
  /** Whether the model has recurrent weights `w`. */
  readonly recurrent: boolean;
  /** Whether the backward kernel reads the outputs (else they are not kept for it). */
  readonly backwardReadsOutputs: boolean;
  /** Runs the `T` steps; returns what the backward kernel needs. */
  forward(a: SequenceForward): R;
  /** Runs the steps in reverse, accumulating every cotangent. */
  backward(a: SequenceBackward<R>): SequenceGradients;
  /**
   * One step in tensor ops, `[output, newState]` with the packed state: the
   * path used when the backward pass itself is being differentiated.
   */
  step(
    params: Readonly<Record<string, Tensor>>,
    x: Tensor,
    state: Tensor,
    threshold: number,
    activation: SpikeActivation | null,
  ): [Tensor, Tensor];
}

/**
 * True when whole-sequence kernels may run on `x`: it lives on the CPU
 * backend and at most one tape records (the backward kernel computes
 * numbers, not ops, so it cannot itself be differentiated). The single check
 * that sends other backends and higher-order gradients to the per-step path.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * fusedKernelsApply(np.zeros([4, 2, 3])); // true on the CPU backend
 * ```
 */
export function fusedKernelsApply(x: Tensor): boolean {
  return x.backend.name === "cpu" && openTapes() <= 1;
}

function openTapes(): number {
  let n = 0;
  for (const tape of activeTapes()) if (!tape.closed) n++;
  return n;
}

/**
 * The index of the step that runs `s`-th: `s`, or `T - 1 - s` in reverse.
 *
 * @example
 * ```ts
 * timeIndex(0, 5, true); // 4
 * ```
 */
export function timeIndex(s: number, T: number, reverse: boolean): number {
  return reverse ? T - 1 - s : s;
}

/**
 * A zero-filled array of `dtype` and `size` for kernel-internal scratch,
 * reused across calls (held weakly, so the garbage collector may still take
 * it): a kernel never hands one out as a tensor's storage, and kernels do not
 * nest, so one buffer per `slot` suffices.
 *
 * @example
 * ```ts
 * const fb = scratch("fb", "float64", 12); // Float64Array(12), zeros
 * ```
 */
export function scratch(slot: string, dtype: FloatDType, size: number): TypedArray {
  const key = `${slot}:${dtype}`;
  let buffer = pool.get(key)?.deref();
  if (!buffer || buffer.length < size) {
    buffer = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
    pool.set(key, new WeakRef(buffer));
    return buffer;
  }
  const view = buffer.subarray(0, size);
  view.fill(0);
  return view;
}

const pool = new Map<string, WeakRef<TypedArray>>();

function allocate(dtype: FloatDType, size: number): TypedArray {
  return dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
}

/**
 * A new zeroed array of `size` elements of the same type as `like` (float32
 * or float64): how kernels allocate what they keep for the backward pass.
 *
 * @example
 * ```ts
 * floatArray(new Float64Array(2), 3); // Float64Array [0, 0, 0]
 * ```
 */
export function floatArray(like: TypedArray, size: number): TypedArray {
  return like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/**
 * `out[m, n] = a[aOff:][m, k] @ b[k, n]` with the backend's matrix kernel
 * (the same one `np.matmul` uses, so a recurrent step computes `S @ w`
 * exactly as the per-step path does).
 *
 * @example
 * ```ts
 * const out = new Float64Array(1);
 * matmulInto(new Float64Array([0, 1, 2]), 1, 1, 2, new Float64Array([3, 4]), 1, out); // out = [11]
 * ```
 */
export function matmulInto(
  a: TypedArray,
  aOff: number,
  m: number,
  k: number,
  b: TypedArray,
  n: number,
  out: TypedArray,
): void {
  const dtype: FloatDType = a instanceof Float64Array ? "float64" : "float32";
  out.set(matmulKernel(a.subarray(aOff, aOff + m * k), [m, k], b, [k, n], [m, n], dtype));
}

/**
 * `gw = S^T @ gx` over all `rows = T*B` steps and samples, where `S` is the
 * spikes `[rows, N]` and `gx` the cotangent of the recurrent input
 * `[rows, N]`: the gradient of recurrent weights in one matrix product.
 *
 * @example
 * ```ts
 * const gw = recurrentWeightGradient(new Float64Array([1, 0]), new Float64Array([2, 3]), 2, 1); // [2]
 * ```
 */
export function recurrentWeightGradient(spikes: TypedArray, gx: TypedArray, rows: number, N: number): TypedArray {
  const dtype: FloatDType = spikes instanceof Float64Array ? "float64" : "float32";
  const transposed = scratch("spikesT", dtype, rows * N);
  for (let r = 0; r < rows; r++) {
    const row = r * N;
    for (let j = 0; j < N; j++) transposed[j * rows + r] = spikes[row + j];
  }
  return matmulKernel(transposed, [N, rows], gx, [rows, N], [N, N], dtype);
}

/**
 * `w^T` of a square `[N, N]` matrix into reused scratch (the backward
 * kernels multiply by it at every step).
 *
 * @example
 * ```ts
 * transposeSquare(new Float64Array([1, 2, 3, 4]), 2); // [1, 3, 2, 4]
 * ```
 */
export function transposeSquare(w: TypedArray, N: number): TypedArray {
  const out = scratch("wT", w instanceof Float64Array ? "float64" : "float32", N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[j * N + i] = w[i * N + j];
  return out;
}

/** Everything {@link runSequence} needs besides the model. */
export interface SequenceCall {
  /** Inputs `[T, ...batch, ...hiddenShape]`, time-major (`B` is the product of the batch axes). */
  readonly xs: Tensor;
  /** Initial state `[...batch, ...stateShape]` (two parts packed along the last axis). */
  readonly state0: Tensor;
  /** The clipped decays and `w`, by name (shapes `[]` or `hiddenShape`; `w`: `[...h, ...h]`). */
  readonly params: Readonly<Record<string, Tensor>>;
  /** The neuron layer's shape. */
  readonly hiddenShape: readonly number[];
  /** Firing threshold (0 for non-spiking models). */
  readonly threshold: number;
  /** Spike function, which must carry `surrogate` (null for non-spiking models). */
  readonly activation: SpikeActivation | null;
  /** Run from the last step to the first. */
  readonly reverse: boolean;
  /** The caller gives `xs` up: its storage may be overwritten (see `SequenceOptions.donateInput`). */
  readonly donate?: boolean;
}

/**
 * Runs `model` over a whole sequence as one differentiable op:
 * `[outputs (the shape of xs), finalState]`, or null when the kernels
 * cannot run here ({@link fusedKernelsApply}, or a spike function without
 * `surrogate`). Shapes must already be checked by the caller.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { LIF_SEQUENCE } from "./lif.ts";
 * const [spikes, v] = runSequence(LIF_SEQUENCE, {
 *   xs: np.full([5, 2, 3], 0.6), state0: np.zeros([2, 3]), params: { beta: np.array(0.9) },
 *   hiddenShape: [3], threshold: 1, activation: axn.superspike(), reverse: false,
 * })!;
 * ```
 */
export function runSequence<R>(model: SequenceModel<R>, call: SequenceCall): [Tensor, Tensor] | null {
  const { hiddenShape, threshold, activation, reverse } = call;
  if (!fusedKernelsApply(call.xs)) return null;
  const surrogate = activation === null ? noSurrogate : activation.surrogate?.grad;
  if (surrogate === undefined) return null;
  const names = [...model.decays, ...(model.recurrent ? ["w"] : [])];
  let dtype: DType = promoteTypes(floatOf(call.xs.dtype), floatOf(call.state0.dtype));
  for (const name of names) dtype = promoteTypes(dtype, floatOf(call.params[name].dtype));
  const fdt = dtype as FloatDType;
  const x = np.astype(call.xs, fdt), state0 = np.astype(call.state0, fdt);
  const params: Tensor[] = [];
  for (const name of names) params.push(np.astype(call.params[name], fdt));
  const T = x.shape[0], M = x.size / T;
  const N = hiddenShape.reduce((a, b) => a * b, 1), B = M / N;
  const L = hiddenShape[hiddenShape.length - 1];
  const decays: Float64Array[] = [];
  for (let k = 0; k < model.decays.length; k++) decays.push(perNeuron(params[k], N));
  const inputs: SequenceInputs = {
    T,
    B,
    N,
    reverse,
    dtype: fdt,
    state: unpack(host(state0), model.stateParts, M, L),
    decays,
    w: model.recurrent ? host(params[params.length - 1]) : null,
    threshold,
    surrogate,
    builtinSurrogate: activation?.surrogate && isBuiltinSurrogate(activation.surrogate) ? activation.surrogate : null,
    ys: allocate(fdt, T * M),
  };
  const final: TypedArray[] = [];
  for (let k = 0; k < model.stateParts; k++) final.push(allocate(fdt, M));
  // A backward pass that may itself be differentiated re-runs the steps from the inputs: keep them intact.
  const differentiable = activeTapes().some((tape) => !tape.closed && tape.backwardLater);
  const donated = (call.donate ?? false) && !differentiable;
  const residual = model.forward({ ...inputs, x: host(x), donated, final });
  const ys = wrapHost(inputs.ys, x.shape, x);
  const finalState = wrapHost(pack(final, M, L), state0.shape, x);
  const tensors = [x, state0, ...params];
  record(
    tensors,
    [ys, finalState],
    sequenceVjp(model, inputs, residual, tensors, names, activation, L, differentiable),
  );
  return [ys, finalState];
}

/**
 * The VJP of one sequence op, built apart from {@link runSequence} so that
 * it holds only what it names (a closure keeps its whole scope alive): the
 * residuals and the constants, the outputs only if the model reads them,
 * the inputs only when the backward pass may itself be differentiated
 * (`differentiable`, see `Tape.backwardLater`), for the per-step path in
 * ops. Not even weakly otherwise: a `WeakRef` keeps its target alive until
 * the current job ends, which in a synchronous training loop is never.
 */
function sequenceVjp<R>(
  model: SequenceModel<R>,
  inputs: SequenceInputs,
  residual: R,
  tensors: Tensor[],
  names: string[],
  activation: SpikeActivation | null,
  L: number,
  differentiable: boolean,
): VjpFn {
  const { T, B, N, dtype, threshold, reverse } = inputs;
  const M = B * N, parts = model.stateParts;
  const backend = tensors[0].backend;
  const shapes = tensors.map((t) => t.shape);
  let kept: Tensor[] | null = differentiable ? tensors : null;
  let saved: { residual: R; inputs: SequenceInputs } | null = {
    residual,
    inputs: model.backwardReadsOutputs ? inputs : { ...inputs, ys: allocate(dtype, 0) },
  };
  const wrap = (data: TypedArray, shape: readonly number[]) =>
    new TensorClass(backend.upload(data, dtype), shape, dtype, backend);
  return (cts, needed) => {
    if (openTapes() > 0) {
      // The backward pass is itself being differentiated: take the per-step path in ops.
      if (kept === null) {
        throw new Error(`${model.name}: internal: a backward pass run at once is being differentiated`);
      }
      const [xv, sv, ...ps] = kept;
      saved = kept = null;
      const step = (xt: Tensor, st: Tensor, pt: Tensor[]) =>
        model.step(Object.fromEntries(names.map((n, k) => [n, pt[k]])), xt, st, threshold, activation);
      const [, back] = vjp(
        (xa: Tensor, sa: Tensor, ...pa: Tensor[]) => unrollSteps(step, xa, sa, pa, reverse),
        xv,
        sv,
        ...(ps as Tensor[]),
      );
      const gs = back([cts[0] ?? np.zeros(shapes[0], { dtype }), cts[1] ?? np.zeros(shapes[1], { dtype })]);
      return (gs as Tensor[]).map((g, k) => (needed[k] ? g : null));
    }
    if (saved === null) throw new Error(`${model.name}: internal: a sequence kernel's backward pass ran twice`);
    const { residual, inputs } = saved;
    saved = kept = null;
    const gys = cts[0] ? host(cts[0]) : allocate(dtype, T * M);
    const gFinal = cts[1] ? unpack(host(cts[1]), parts, M, L) : Array.from({ length: parts }, () => allocate(dtype, M));
    const gState = Array.from({ length: parts }, () => allocate(dtype, M));
    const gDecays = model.decays.map(() => new Float64Array(N));
    const needW = model.recurrent && needed[needed.length - 1];
    const g = model.backward({ ...inputs, residual, gys, gFinal, gState, gDecays, needW });
    const out: (Tensor | null)[] = [
      needed[0] ? wrap(g.gx, shapes[0]) : null,
      needed[1] ? wrap(pack(gState, M, L), shapes[1]) : null,
    ];
    gDecays.forEach((acc, k) =>
      out.push(needed[2 + k] ? wrap(reduceTo(acc, shapes[2 + k], dtype), shapes[2 + k]) : null)
    );
    if (model.recurrent) out.push(needW && g.gw ? wrap(g.gw, shapes[shapes.length - 1]) : null);
    return out;
  };
}

/** A tensor on `like`'s backend over kernel output `data`. */
function wrapHost(data: TypedArray, shape: readonly number[], like: Tensor): Tensor {
  return new TensorClass(like.backend.upload(data, like.dtype), shape, like.dtype, like.backend);
}

function noSurrogate(): number {
  return 0;
}

function floatOf(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
}

/** The typed array behind a CPU tensor (read-only for the kernels). */
function host(t: Tensor): TypedArray {
  return t.backend.readSync(t);
}

/** A decay (scalar or per-neuron) as a float64 array `[N]`. */
function perNeuron(p: Tensor, N: number): Float64Array {
  const data = host(p);
  const out = new Float64Array(N);
  if (p.size === 1) out.fill(data[0]);
  else out.set(data);
  return out;
}

/** Per-neuron float64 gradients reduced to the parameter's shape (summed for a scalar). */
function reduceTo(acc: Float64Array, shape: readonly number[], dtype: FloatDType): TypedArray {
  if (shape.length > 0) return dtype === "float64" ? acc : Float32Array.from(acc);
  let total = 0;
  for (let j = 0; j < acc.length; j++) total += acc[j];
  const out = allocate(dtype, 1);
  out[0] = total;
  return out;
}

/**
 * Splits a packed state `[B, ..., 2L]` into `[V, A]` parts of `M` elements
 * each (a one-part state is used as is). Every block of `L` neurons sits
 * beside its partner block, as `packState` lays them out.
 */
function unpack(data: TypedArray, parts: 1 | 2, M: number, L: number): TypedArray[] {
  if (parts === 1) return [data];
  const v = data.constructor === Float64Array ? new Float64Array(M) : new Float32Array(M);
  const a = data.constructor === Float64Array ? new Float64Array(M) : new Float32Array(M);
  for (let q = 0; q < M / L; q++) {
    v.set(data.subarray(2 * q * L, 2 * q * L + L), q * L);
    a.set(data.subarray(2 * q * L + L, 2 * q * L + 2 * L), q * L);
  }
  return [v, a];
}

/** Inverse of {@link unpack}. */
function pack(parts: readonly TypedArray[], M: number, L: number): TypedArray {
  if (parts.length === 1) return parts[0];
  const [v, a] = parts;
  const out = v.constructor === Float64Array ? new Float64Array(2 * M) : new Float32Array(2 * M);
  for (let q = 0; q < M / L; q++) {
    out.set(v.subarray(q * L, q * L + L), 2 * q * L);
    out.set(a.subarray(q * L, q * L + L), 2 * q * L + L);
  }
  return out;
}

/** The per-step path over a whole sequence, in ops (for differentiating a backward pass). */
function unrollSteps(
  step: (x: Tensor, s: Tensor, ps: Tensor[]) => [Tensor, Tensor],
  xs: Tensor,
  state0: Tensor,
  params: Tensor[],
  reverse: boolean,
): [Tensor, Tensor] {
  const T = xs.shape[0];
  const xsAt = np.split(xs, T, 0).map((x) => np.squeeze(x, 0));
  const ys: Tensor[] = new Array(T);
  let state = state0;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    [ys[t], state] = step(xsAt[t], state, params);
  }
  return [np.stack(ys, 0), state];
}
