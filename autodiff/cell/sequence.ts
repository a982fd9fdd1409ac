/**
 * A cell over a whole sequence as one primitive, forward and backward:
 * `CELL_SEQUENCE` runs the `T` steps (a kernel per backend, generated from
 * the cell's expressions) and keeps only what the backward pass reads;
 * `CELL_SEQUENCE_BACKWARD` runs the steps in reverse.
 *
 * Canonical layout: inputs `xs [T, B, N]` (time-major), state parts
 * `[B, N]`, parameters `[N]` (one value per neuron; `cellSequence`
 * broadcasts scalars, and the broadcast's VJP sums their gradient),
 * recurrent weights `[G, Ng, Ng]`: `G` independent blocks of `Ng = N / G`
 * neurons, so that a `vmap`ped population of recurrent networks is one
 * call. Batching folds a batch axis into `B` (shared parameters, forward)
 * or into the neurons (parameters of its own, and every backward pass,
 * whose parameter gradients are then per member).
 *
 * The VJP is first-order: under nested gradients, and for the JVP, the
 * primitive runs as its composition, the cell's step in ops `T` times.
 *
 * @module
 */
import { bind } from "../core/bind.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { maxLevel } from "../core/trace.ts";
import { type DType, isFloat, promoteTypes } from "../dtype.ts";
import { full, zeros } from "../ops/creation.ts";
import { add, astype } from "../ops/elementwise.ts";
import {
  broadcastTo,
  concatenate,
  expandDims,
  moveaxis,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
} from "../ops/layout.ts";
import { matmul } from "../ops/linalg.ts";
import { sum } from "../ops/reduce.ts";
import { activeTapes, openTapesAt, type VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { vjp } from "../transforms.ts";
import { type Cell, type CellBackward, GSFB, GY, lambdaOf, THRESHOLD, X } from "./cell.ts";
import type { SurrogateExpr } from "./derive.ts";
import type { Expr } from "./expr.ts";
import { cellStep, evaluateOnTensors, groupedFeedback } from "./step_ops.ts";

/** Parameters of both sequence primitives. */
export interface CellSequenceParams {
  /** The cell. */
  readonly cell: Cell;
  /** The surrogate of its spikes (null for a cell without spikes). */
  readonly surrogate: SurrogateExpr | null;
  /** The spike function in ops (forward step, surrogate backward), for the composition. */
  readonly spike: ((u: Tensor) => Tensor) | null;
  /** The firing threshold. */
  readonly threshold: number;
  /** Run from the last step to the first (outputs stay aligned with inputs). */
  readonly reverse: boolean;
  /** The caller gives `xs` up: a kernel may keep residuals in its storage. */
  readonly donate: boolean;
}

/** Parameters of the backward primitive. */
export interface CellBackwardParams extends CellSequenceParams {
  /** Whether the recurrent weights' cotangent is wanted. */
  readonly needW: boolean;
}

/**
 * The backward expressions of a call.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * import { superspike } from "../../nn/axn/surrogates.ts";
 * backwardOf({ cell: LIF_CELL, surrogate: superspike().surrogate!.expr }).residuals; // ["state:v"]
 * ```
 */
export function backwardOf(p: Pick<CellSequenceParams, "cell" | "surrogate">): CellBackward {
  return p.cell.backward(p.surrogate);
}

/**
 * The residuals the forward kernel writes: everything the backward pass
 * reads except `xs`, which is an input.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * import { superspike } from "../../nn/axn/surrogates.ts";
 * savedResiduals({ cell: LIF_CELL, surrogate: superspike().surrogate!.expr }); // ["state:v"]
 * ```
 */
export function savedResiduals(p: Pick<CellSequenceParams, "cell" | "surrogate">): string[] {
  return backwardOf(p).residuals.filter((r) => r !== X);
}

/** How many inputs of each role a call has. */
function counts(cell: Cell): { parts: number; params: number; w: number } {
  return { parts: cell.spec.state.length, params: cell.spec.params.length, w: cell.spec.recurrent ? 1 : 0 };
}

/** The cell's steps over a sequence in ops: `[ys, ...final state parts]`. */
function unrolled(p: CellSequenceParams, inputs: readonly Tensor[]): Tensor[] {
  const c = counts(p.cell);
  const [xs] = inputs;
  let state = inputs.slice(1, 1 + c.parts);
  const params = inputs.slice(1 + c.parts, 1 + c.parts + c.params);
  const w = c.w ? inputs[1 + c.parts + c.params] : null;
  const [T, B, N] = xs.shape;
  const ys: Tensor[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = p.reverse ? T - 1 - s : s;
    const x = squeeze(slice(xs, [t, 0, 0], [t + 1, B, N]), 0);
    const step = { state, params, x, w, threshold: p.threshold, spike: p.spike, dtype: xs.dtype };
    const [y, next] = cellStep(p.cell, step);
    ys[t] = y;
    state = next;
  }
  return [stack(ys, 0), ...state];
}

/** `T` steps of a cell: `[ys, ...final state parts, ...saved residuals]` (see the module doc). */
export const CELL_SEQUENCE: Primitive<CellSequenceParams> = definePrimitive<CellSequenceParams>({
  name: "cell_sequence",
  abstractEval: ([xs, ...rest], p) => [
    xs,
    ...rest.slice(0, counts(p.cell).parts),
    ...savedResiduals(p).map(() => xs),
  ],
  firstOrderVjp: true,
  vjp: (inputs, outputs, p) => cellSequenceVjp(inputs, outputs, p),
  batch: (values, dims, p, size) => {
    const c = counts(p.cell);
    const shared = dims.slice(1 + c.parts).every((d) => d === null);
    const roles: Role[] = ["seq", ...repeat("state", c.parts), ...repeat("param", c.params), ...repeat("weights", c.w)];
    const outRoles: Role[] = ["seq", ...repeat("state", c.parts), ...repeat("seq", savedResiduals(p).length)];
    return batchCall(CELL_SEQUENCE, values, dims, p, size, roles, outRoles, shared ? "batch" : "neurons");
  },
  // The composition keeps no residuals: zeros stand in for them (nothing reads them, as it records its own ops).
  composition: (inputs, p) => [
    ...unrolled(p, inputs),
    ...savedResiduals(p).map(() => zeros(inputs[0].shape, { dtype: inputs[0].dtype })),
  ],
});

/**
 * `[gxs, ...gState parts, ...gParams, gw?]` from `[gys, ...gFinal parts,
 * ...residuals (xs among them if the backward reads it), ...params, w?]`.
 * A kernel may overwrite the saved residuals (the backward runs once).
 */
export const CELL_SEQUENCE_BACKWARD: Primitive<CellBackwardParams> = definePrimitive<CellBackwardParams>({
  name: "cell_sequence_backward",
  abstractEval: (inputs, p) => {
    const c = counts(p.cell);
    const params = inputs.slice(inputs.length - c.params - c.w);
    return [inputs[0], ...inputs.slice(1, 1 + c.parts), ...params];
  },
  batch: (values, dims, p, size) => {
    const c = counts(p.cell), r = backwardOf(p).residuals.length;
    const params: Role[] = [...repeat("param", c.params), ...repeat("weights", c.w)];
    const roles: Role[] = ["seq", ...repeat("state", c.parts), ...repeat("seq", r), ...params];
    const outRoles: Role[] = ["seq", ...repeat("state", c.parts), ...params];
    return batchCall(CELL_SEQUENCE_BACKWARD, values, dims, p, size, roles, outRoles, "neurons");
  },
  // Linear in the cotangents, not in the residuals: forward mode and a tape that records the backward pass (a
  // pullback differentiated later) take the derived expressions in ops, as a backend without the kernel does.
  composition: (inputs, p) => unrolledBackward(p, inputs),
});

/**
 * The backward kernel's loop in ops: the derived cotangent expressions of
 * the cell evaluated on tensors step by step in reverse, a recurrent
 * cell's feedback cotangent through `w^T` and its weights' cotangent
 * summed over the steps, as `cell_js.ts` computes them.
 */
function unrolledBackward(p: CellBackwardParams, inputs: readonly Tensor[]): Tensor[] {
  const { cell } = p, c = counts(cell), b = backwardOf(p);
  const [gys] = inputs;
  const [T, B, N] = gys.shape, dtype = gys.dtype;
  let lam = inputs.slice(1, 1 + c.parts);
  const residuals = inputs.slice(1 + c.parts, 1 + c.parts + b.residuals.length);
  const params = inputs.slice(1 + c.parts + b.residuals.length, 1 + c.parts + b.residuals.length + c.params);
  const w = c.w ? inputs[inputs.length - 1] : null;
  const perLane = (e: Tensor) => broadcastTo(e, [B, N]);
  const orZeros = (e: Tensor | undefined) => (e === undefined ? zeros([B, N], { dtype }) : perLane(e));
  const gx: Tensor[] = new Array(T);
  let gParams: (Tensor | null)[] = params.map(() => null);
  let gw: Tensor | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const t = p.reverse ? T - 1 - s : s;
    const row = (a: Tensor) => squeeze(slice(a, [t, 0, 0], [t + 1, B, N]), 0);
    const symbols = new Map<string, () => Tensor>([
      [GY, () => row(gys)],
      [THRESHOLD, () => full([], p.threshold, { dtype })],
    ]);
    b.residuals.forEach((name, k) => symbols.set(name, () => row(residuals[k])));
    cell.spec.state.forEach((n, k) => symbols.set(lambdaOf(n), () => lam[k]));
    cell.spec.params.forEach((n, k) => symbols.set(cell.paramSymbol(n), () => params[k]));
    const memo = new Map<Expr, Tensor>();
    const evaluate = (roots: Expr[]) =>
      evaluateOnTensors(
        roots,
        (name) => {
          const get = symbols.get(name);
          if (get === undefined) {
            throw new Error(`${cell.spec.name}: no value for symbol "${name}" in a backward step`);
          }
          return get();
        },
        dtype,
        p.spike,
        memo,
      );
    if (w !== null) {
      // The feedback's cotangent goes back through w^T to this step's spikes; w's cotangent is spikes^T @ it.
      const [G, Ng] = w.shape;
      const [spikes] = evaluate([cell.spike!]);
      const gfb = b.fb === null ? zeros([B, N], { dtype }) : perLane(evaluate([b.fb])[0]);
      symbols.set(GSFB, () => groupedFeedback(gfb, transpose(w, [0, 2, 1])));
      if (p.needW) {
        const sT = transpose(reshape(perLane(spikes), [B, G, Ng]), [1, 2, 0]);
        const g = matmul(sT, transpose(reshape(gfb, [B, G, Ng]), [1, 0, 2]));
        gw = gw === null ? g : add(gw, g);
      }
    }
    const exprs = [...b.state, b.x, ...b.params];
    const present = exprs.filter((e): e is Expr => e !== null);
    const computed = evaluate(present);
    const values = new Map(present.map((e, k) => [e, computed[k]]));
    const value = (e: Expr | null) => (e === null ? undefined : values.get(e));
    gx[t] = orZeros(value(b.x));
    lam = b.state.map((e) => orZeros(value(e)));
    gParams = b.params.map((e, k) => {
      const v = value(e);
      if (v === undefined) return gParams[k];
      const g = sum(perLane(v), 0);
      return gParams[k] === null ? g : add(gParams[k]!, g);
    });
  }
  return [
    stack(gx, 0),
    ...lam,
    ...gParams.map((g) => g ?? zeros([N], { dtype })),
    ...(w === null ? [] : [gw ?? zeros(w.shape, { dtype })]),
  ];
}

function repeat(x: Role, n: number): Role[] {
  return new Array<Role>(n).fill(x);
}

/**
 * The VJP of one call, built apart from the primitive so that it holds
 * only what it names: the residuals, the parameters and weights, and the
 * inputs only when the backward pass may itself be differentiated later
 * (`Tape.backwardLater`), for the composition.
 */
function cellSequenceVjp(inputs: readonly Tensor[], outputs: readonly Tensor[], p: CellSequenceParams): VjpFn {
  const c = counts(p.cell);
  const saved = outputs.slice(1 + c.parts);
  let k = 0;
  const residuals = backwardOf(p).residuals.map((name) => (name === X ? inputs[0] : saved[k++]));
  const rest = inputs.slice(1 + c.parts);
  const level = maxLevel(inputs);
  let kept: readonly Tensor[] | null = openTapesAt(level).some((t) => t.backwardLater) ? inputs : null;
  const info = inputs.slice(0, 1 + c.parts).map((t) => ({ shape: t.shape, dtype: t.dtype }));
  let pending: Tensor[] | null = [...residuals, ...rest];
  return (cts, needed) => {
    const seeds = info.map((t, i) => cts[i] ?? zeros(t.shape, { dtype: t.dtype }));
    if (kept !== null && activeTapes().some((t) => !t.closed)) {
      // The backward pass is itself being differentiated: take the steps' VJP in ops.
      const [, back] = vjp((...xs: Tensor[]) => unrolled(p, xs), ...kept);
      kept = pending = null;
      return (back(seeds) as Tensor[]).map((g, i) => (needed[i] ? g : null));
    }
    if (pending === null) throw new Error(`${p.cell.spec.name}: internal: a sequence's backward pass ran twice`);
    const args = pending;
    kept = pending = null;
    const needW = c.w === 1 && needed[needed.length - 1];
    const grads = bind(CELL_SEQUENCE_BACKWARD, [...seeds, ...args], { ...p, needW });
    return grads.map((g, i) => (needed[i] ? g : null));
  };
}

/** The role of a primitive operand in folding a batch axis. */
type Role = "seq" | "state" | "param" | "weights";

/**
 * Runs `prim` on inputs with batch axes folded into the batch (`"batch"`:
 * parameters and weights shared) or into the neurons (`"neurons"`), and
 * gives the outputs their batch axes back.
 */
function batchCall<P>(
  prim: Primitive<P>,
  values: readonly Tensor[],
  dims: readonly (number | null)[],
  params: P,
  size: number,
  roles: readonly Role[],
  outRoles: readonly Role[],
  into: "batch" | "neurons",
): [Tensor[], number[]] {
  const outs = bind(prim, values.map((v, i) => fold(roles[i], v, dims[i], size, into)), params);
  const unfolded = outs.map((o, i) => unfold(outRoles[i], o, size, into));
  return [unfolded.map(([o]) => o), unfolded.map(([, d]) => d)];
}

/** `x` with its batch axis at `axis` (broadcast there when it has none). */
function batchAt(x: Tensor, dim: number | null, axis: number, size: number): Tensor {
  if (dim === null) {
    const shape = x.shape.slice();
    shape.splice(axis, 0, size);
    return broadcastTo(expandDims(x, axis), shape);
  }
  return moveaxis(x, dim, axis);
}

/** Where the batch axis goes in an operand of `role` before it merges with the next axis. */
function foldAxis(role: Role, into: "batch" | "neurons"): number {
  if (role === "param" || role === "weights") return 0;
  return (role === "seq" ? 1 : 0) + (into === "batch" ? 0 : 1);
}

function fold(role: Role, x: Tensor, dim: number | null, size: number, into: "batch" | "neurons"): Tensor {
  // Shared parameters stay as they are when the batch goes into B.
  if (into === "batch" && (role === "param" || role === "weights")) return x;
  const axis = foldAxis(role, into);
  const y = batchAt(x, dim, axis, size);
  const s = y.shape.slice();
  s.splice(axis, 2, s[axis] * s[axis + 1]);
  return reshape(y, s);
}

function unfold(role: Role, x: Tensor, size: number, into: "batch" | "neurons"): [Tensor, number] {
  const axis = foldAxis(role, into);
  const s = x.shape.slice();
  s.splice(axis, 1, size, s[axis] / size);
  return [reshape(x, s), axis];
}

/** Everything {@link cellSequence} needs. */
export interface CellCall {
  /** Inputs `[T, ...batch, ...neurons]`, time-major. */
  readonly xs: Tensor;
  /** State parts `[...batch, ...neurons]`, in the cell's order. */
  readonly state: readonly Tensor[];
  /** Parameters, in the cell's order, each a scalar or of the neurons' shape. */
  readonly params: readonly Tensor[];
  /** Recurrent weights `[...neurons, ...neurons]` (recurrent cells only). */
  readonly w?: Tensor | null;
  /** Shape of the neurons (the trailing axes of `xs`). */
  readonly neurons: readonly number[];
  /** The spikes' surrogate as an expression (null for a cell without spikes). */
  readonly surrogate: SurrogateExpr | null;
  /** The spike function in ops, for the per-step path. */
  readonly spike: ((u: Tensor) => Tensor) | null;
  /** The firing threshold. */
  readonly threshold: number;
  /** Run from the last step to the first. */
  readonly reverse?: boolean;
  /** The caller gives `xs` up (see `SequenceOptions.donateInput`). */
  readonly donate?: boolean;
}

/**
 * Runs `cell` over a sequence as one primitive: `[ys, final state parts]`
 * in the caller's shapes. Shapes must already be checked by the caller
 * (the neuron modules do); dtypes are promoted to one float dtype.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * const act = axn.superspike();
 * const [spikes, [v]] = cellSequence(LIF_CELL, {
 *   xs: np.full([5, 2, 3], 0.6), state: [np.zeros([2, 3])], params: [np.array(0.9)], neurons: [3],
 *   surrogate: act.surrogate!.expr, spike: act, threshold: 1,
 * });
 * ```
 */
export function cellSequence(cell: Cell, call: CellCall): [Tensor, Tensor[]] {
  const { xs, neurons } = call;
  const N = neurons.reduce((a, b) => a * b, 1);
  const T = xs.shape[0], B = xs.size / (T * N);
  let dtype: DType = floatOf(xs.dtype);
  for (const t of [...call.state, ...call.params, ...(call.w ? [call.w] : [])]) {
    dtype = promoteTypes(dtype, floatOf(t.dtype));
  }
  const x = reshape(astype(xs, dtype), [T, B, N]);
  const parts = call.state.map((s) => reshape(astype(s, dtype), [B, N]));
  const params = call.params.map((p) => reshape(broadcastTo(astype(p, dtype), neurons), [N]));
  const w = cell.spec.recurrent ? [reshape(astype(call.w!, dtype), [1, N, N])] : [];
  // A backward pass that may itself be differentiated re-runs the steps from the inputs: they must stay intact.
  const replayed = openTapesAt(maxLevel([x, ...parts, ...params])).some((t) => t.backwardLater);
  const p: CellSequenceParams = {
    cell,
    surrogate: call.surrogate,
    spike: call.spike,
    threshold: call.threshold,
    reverse: call.reverse ?? false,
    donate: (call.donate ?? false) && !replayed,
  };
  const outs = bind(CELL_SEQUENCE, [x, ...parts, ...params, ...w], p);
  const stateShape = call.state[0].shape;
  return [reshape(outs[0], xs.shape), outs.slice(1, 1 + parts.length).map((s) => reshape(s, stateShape))];
}

function floatOf(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
}

/**
 * Splits a two-part state packed along its last axis (`[V, A]`) into its
 * parts; a one-part state is returned as it is.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * unpackParts(np.zeros([2, 8]), 2).map((t) => t.shape); // [[2, 4], [2, 4]]
 * ```
 */
export function unpackParts(state: Tensor, parts: number): Tensor[] {
  return parts === 1 ? [state] : split(state, parts, -1);
}

/**
 * Packs state parts along the last axis (the inverse of {@link unpackParts}).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * packParts([np.zeros([2, 4]), np.ones([2, 4])]).shape; // [2, 8]
 * ```
 */
export function packParts(parts: readonly Tensor[]): Tensor {
  return parts.length === 1 ? parts[0] : concatenate(parts, -1);
}
