/**
 * `customVjp`: a function defined by its forward pass and a hand-written
 * backward pass (how surrogate spikes are made).
 *
 * Under a gradient tape the call is one tape entry whose VJP is `bwd`.
 * Under the other transformations it keeps its rule:
 * - under `jvp`, the primal runs one level down (so that tapes there see
 *   the rule too) and the tangent is `bwd`'s transpose applied to the
 *   input tangents, `J t`, computed as the gradient of `<bwd(g), t>` with
 *   respect to `g` (`bwd` is linear in `g`); JAX rejects forward mode here,
 *   which would leave a spike's tangent at the step function's zero;
 * - under `vmap`, the call runs one level down with `fwd` and `bwd`
 *   batched (each runs under the same `vmap` again), so that a tape outside
 *   the `vmap` records the custom rule of the batched function.
 * A tape of the transformation's own level (`vmap(grad(f))`) records `bwd`
 * on the tracers as at level 0.
 *
 * @module
 */
import { batchFirst, BatchInterpreter, BatchTracer } from "./core/batch.ts";
import { bind1 } from "./core/bind.ts";
import { JvpInterpreter, JvpTracer } from "./core/jvp.ts";
import { atLevel, type Interpreter, topInterpreter, withInterpreter } from "./core/trace.ts";
import { isFloat } from "./dtype.ts";
import { zeros } from "./ops/creation.ts";
import { astype, mul } from "./ops/elementwise.ts";
import { STOP_GRADIENT } from "./ops/identity.ts";
import { sum } from "./ops/reduce.ts";
import { anyTracked, noGrad, record, type TensorInfo, tensorInfo, type VjpFn } from "./tape.ts";
import { isTensor, type Tensor } from "./tensor.ts";
import { flatten, type PyTree, type TreeDef, unflatten } from "./tree.ts";
import { vjp } from "./transforms.ts";

type Fwd = (...args: PyTree[]) => [PyTree, unknown];
type Bwd = (residuals: unknown, cotangent: PyTree) => (PyTree | null)[];

/** The tensor leaves of the arguments, and for each argument the indices of its leaves among them. */
interface ArgLeaves {
  readonly leaves: Tensor[];
  readonly slots: number[][];
}

function argLeaves(args: readonly PyTree[]): ArgLeaves {
  const leaves: Tensor[] = [];
  const slots = args.map((a) =>
    flatten(a)[0].flatMap((l) => {
      if (!isTensor(l)) return [];
      leaves.push(l);
      return [leaves.length - 1];
    })
  );
  return { leaves, slots };
}

/** The arguments with their tensor leaves replaced, in order, by `values`. */
function replaceLeaves(args: readonly PyTree[], values: readonly Tensor[]): PyTree[] {
  let k = 0;
  return args.map((a) => {
    const [ls, def] = flatten(a);
    return unflatten(def, ls.map((l) => (isTensor(l) ? values[k++] : l)));
  });
}

function tensorLeaves(what: string, tree: PyTree): [Tensor[], TreeDef] {
  const [ls, def] = flatten(tree);
  ls.forEach((l, i) => {
    if (!isTensor(l)) throw new TypeError(`customVjp: leaf ${i} of ${what} is ${typeof l}, not a Tensor`);
  });
  return [ls as Tensor[], def];
}

/** A fresh tensor object for each leaf (same storage, no tape entry), so that the tape can name the outputs. */
function fresh(ts: readonly Tensor[]): Tensor[] {
  return ts.map((t) => bind1(STOP_GRADIENT, [t], null));
}

/**
 * Defines a function by its forward pass and a hand-written backward pass.
 * `fwd(...args)` returns `[output, residuals]`; `bwd(residuals, outputCotangent)`
 * returns one cotangent per argument (a pytree like the argument, or `null`
 * for zero). Tensors that `fwd` closes over get no gradient. Works under
 * `grad`, `jvp` (the tangent is `bwd`'s transpose) and `vmap`.
 *
 * @example
 * ```ts
 * import { grad, np, type Tensor } from "./mod.ts";
 * const spike = customVjp(
 *   (u: Tensor) => [np.astype(np.greater(u, 0), u.dtype), u],
 *   (u: Tensor, g: Tensor) => [np.div(g, np.square(np.add(1, np.mul(25, np.abs(u)))))],
 * );
 * grad((u: Tensor) => np.sum(spike(u)))(np.array([0.1])); // [1 / 3.5^2]
 * ```
 */
export function customVjp<A extends PyTree[], O extends PyTree<Tensor>, R>(
  fwd: (...args: A) => [O, R],
  bwd: (residuals: R, cotangent: O) => (PyTree<Tensor> | null)[],
): (...args: A) => O {
  return (...args: A) => customVjpCall(fwd as unknown as Fwd, bwd as unknown as Bwd, args)[0] as O;
}

/** One call: `[output, residuals()]` (the residuals at the call's level, computed when asked for). */
function customVjpCall(fwd: Fwd, bwd: Bwd, args: readonly PyTree[]): [PyTree, () => unknown] {
  const { leaves, slots } = argLeaves(args);
  const top = topInterpreter(leaves);
  if (top instanceof JvpInterpreter) return jvpCall(top, fwd, bwd, args, leaves, slots);
  if (top instanceof BatchInterpreter) return batchCall(top, fwd, bwd, args, leaves, slots);
  const [out, res] = noGrad(() => fwd(...args));
  const [outLeaves, outDef] = tensorLeaves("the output", out);
  const outputs = fresh(outLeaves);
  recordRule(bwd, res, outDef, outputs, leaves, slots, 0);
  return [unflatten(outDef, outputs), () => res];
}

/** Records `bwd` on the tapes of `level` that track one of the inputs. */
function recordRule(
  bwd: Bwd,
  res: unknown,
  outDef: TreeDef,
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  slots: readonly number[][],
  level: number,
): void {
  record(inputs, outputs, customVjpFn(bwd, res, outDef, outputs.map(tensorInfo), inputs.map(tensorInfo), slots), level);
}

/** At a transformation's level, records `bwd` on that level's tapes (with residuals of that level). */
function recordAtLevel(
  interp: Interpreter,
  fwd: Fwd,
  bwd: Bwd,
  args: readonly PyTree[],
  outDef: TreeDef,
  outputs: readonly Tensor[],
  leaves: readonly Tensor[],
  slots: readonly number[][],
): () => unknown {
  let res: { value: unknown } | null = null;
  const residuals = () => (res ??= { value: noGrad(() => fwd(...args))[1] }).value;
  if (anyTracked(leaves, interp.level)) recordRule(bwd, residuals(), outDef, outputs, leaves, slots, interp.level);
  return residuals;
}

/** `customVjp` under `jvp`: the primal one level down, the tangent by transposing `bwd`. */
function jvpCall(
  interp: JvpInterpreter,
  fwd: Fwd,
  bwd: Bwd,
  args: readonly PyTree[],
  leaves: readonly Tensor[],
  slots: readonly number[][],
): [PyTree, () => unknown] {
  const mine = (l: Tensor) => l instanceof JvpTracer && l.interpreter === interp;
  const primals = leaves.map((l) => (mine(l) ? (l as JvpTracer).primal : l));
  const tangents = leaves.map((l) => (mine(l) ? (l as JvpTracer).tangent : null));
  const [outs, outDef, tOut] = atLevel(interp.level - 1, () => {
    const [out, lowRes] = customVjpCall(fwd, bwd, replaceLeaves(args, primals));
    const [outLeaves, def] = tensorLeaves("the output", out);
    return [outLeaves, def, transposeOfBwd(bwd, lowRes(), def, outLeaves, primals, tangents, slots)] as const;
  });
  const outputs = outs.map((o, i) => new JvpTracer(interp, o, tOut[i]));
  const residuals = recordAtLevel(interp, fwd, bwd, args, outDef, outputs, leaves, slots);
  return [unflatten(outDef, outputs), residuals];
}

/**
 * `J t` from `bwd`, which computes `J^T g`: the gradient of `<bwd(g), t>`
 * with respect to `g`, at `g = 0` (`bwd` is linear in `g`).
 */
function transposeOfBwd(
  bwd: Bwd,
  res: unknown,
  outDef: TreeDef,
  outLeaves: readonly Tensor[],
  primals: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  slots: readonly number[][],
): (Tensor | null)[] {
  if (tangents.every((t) => t === null)) return outLeaves.map(() => null);
  const seeds = outLeaves.map((o) => zeros(o.shape, { dtype: o.dtype }));
  const flatBwd = (...g: Tensor[]) => {
    const cts = customVjpFn(bwd, res, outDef, outLeaves.map(tensorInfo), primals.map(tensorInfo), slots)(g, []);
    return cts.map((c, i) => c ?? zeros(primals[i].shape, { dtype: primals[i].dtype }));
  };
  const [, back] = vjp(flatBwd, ...seeds);
  const cts = tangents.map((t, i) => t ?? zeros(primals[i].shape, { dtype: primals[i].dtype }));
  return (back(cts) as Tensor[]).map((t, i) => (isFloat(outLeaves[i].dtype) ? t : null));
}

/** `customVjp` under `vmap`: one call one level down of `fwd` and `bwd` batched by the same interpreter. */
function batchCall(
  interp: BatchInterpreter,
  fwd: Fwd,
  bwd: Bwd,
  args: readonly PyTree[],
  leaves: readonly Tensor[],
  slots: readonly number[][],
): [PyTree, () => unknown] {
  const size = interp.size;
  const mine = (l: Tensor) => l instanceof BatchTracer && l.interpreter === interp;
  const dims = leaves.map((l) => (mine(l) ? (l as BatchTracer).dim : null));
  const values = leaves.map((l, i) => (mine(l) ? batchFirst((l as BatchTracer).value, dims[i], size) : l));
  const batched = (ls: readonly Tensor[]) => ls.map((l, i) => (dims[i] === null ? l : new BatchTracer(interp, l, 0)));
  let resDef: TreeDef | null = null;
  let resDims: (number | null)[] = [];
  const fwdLow: Fwd = (...low) =>
    withInterpreter(interp, () => {
      const [out, res] = fwd(...replaceLeaves(args, batched(low as Tensor[])));
      const [outLeaves, outDef] = tensorLeaves("the output", out);
      const [resLeaves, def] = flatten(res as PyTree);
      resDef = def;
      resDims = resLeaves.map((r) => (r instanceof BatchTracer && r.interpreter === interp ? r.dim : null));
      const resLow = resLeaves.map((r) => (r instanceof BatchTracer && r.interpreter === interp ? r.value : r));
      return [unflatten(outDef, outLeaves.map((o) => unbatched(interp, o))), resLow];
    });
  const bwdLow: Bwd = (resLow, ct) =>
    withInterpreter(interp, () => {
      const res = unflatten(
        resDef!,
        (resLow as unknown[]).map((
          r,
          i,
        ) => (resDims[i] === null ? r : new BatchTracer(interp, r as Tensor, resDims[i]))),
      );
      const [ctLeaves, ctDef] = flatten(ct);
      const cts = unflatten(ctDef, (ctLeaves as Tensor[]).map((c) => new BatchTracer(interp, c, 0)));
      const gs = customVjpFn(bwd, res, ctDef, (ctLeaves as Tensor[]).map(perExample), leaves.map(tensorInfo), slots)(
        flatten(cts)[0] as Tensor[],
        [],
      );
      return gs.map((g, i) => g && cotangentLow(interp, g, dims[i]));
    });
  const [outs, outDef] = atLevel(interp.level - 1, () => {
    const [out] = customVjpCall(fwdLow, bwdLow, values);
    return tensorLeaves("the output", out);
  });
  const outputs = outs.map((o) => new BatchTracer(interp, o, 0));
  const residuals = recordAtLevel(interp, fwd, bwd, args, outDef, outputs, leaves, slots);
  return [unflatten(outDef, outputs), residuals];
}

/** An output of the batched `fwd` as a value with its batch axis first. */
function unbatched(interp: BatchInterpreter, o: Tensor): Tensor {
  return o instanceof BatchTracer && o.interpreter === interp
    ? batchFirst(o.value, o.dim, interp.size)
    : batchFirst(o, null, interp.size);
}

/** A batched cotangent `[n, ...]`'s per-example description. */
function perExample(c: Tensor): TensorInfo {
  return { id: c.id, shape: c.shape.slice(1), dtype: c.dtype };
}

/**
 * The cotangent of an input of the batched call: batched first for an input
 * that was batched; for a shared input, the sum over the members.
 */
function cotangentLow(interp: BatchInterpreter, g: Tensor, inputDim: number | null): Tensor {
  const [value, dim] = g instanceof BatchTracer && g.interpreter === interp ? [g.value, g.dim] : [g, null];
  if (inputDim !== null) return batchFirst(value, dim, interp.size);
  return dim === null ? mul(value, interp.size) : sum(value, dim);
}

/**
 * The tape's VJP of one {@link customVjp} call, built apart from it so that
 * it holds the residuals and the shapes, never the arguments or outputs.
 */
function customVjpFn(
  bwd: Bwd,
  res: unknown,
  outDef: TreeDef,
  outInfo: readonly TensorInfo[],
  inInfo: readonly TensorInfo[],
  slots: readonly number[][],
): VjpFn {
  return (cts) => {
    const ct = unflatten(outDef, cts.map((c, i) => c ?? zeros(outInfo[i].shape, { dtype: outInfo[i].dtype })));
    const argCts = bwd(res, ct);
    if (!Array.isArray(argCts) || argCts.length !== slots.length) {
      throw new TypeError(`customVjp: bwd must return ${slots.length} cotangents (one per argument)`);
    }
    const flat: (Tensor | null)[] = inInfo.map(() => null);
    argCts.forEach((c, k) => {
      if (c === null || c === undefined) return;
      const ls = flatten(c)[0];
      if (ls.length !== slots[k].length) {
        throw new TypeError(`customVjp: cotangent ${k} has ${ls.length} leaves, argument has ${slots[k].length}`);
      }
      ls.forEach((l, j) => {
        const target = inInfo[slots[k][j]];
        if (!isTensor(l) || l.shape.join() !== target.shape.join()) {
          throw new TypeError(`customVjp: cotangent ${k} leaf ${j} must have shape [${target.shape}]`);
        }
        flat[slots[k][j]] = isFloat(target.dtype) ? astype(l, target.dtype) : null;
      });
    });
    return flat;
  };
}
