/**
 * Batching: the `vmap` interpreter. A {@link BatchTracer} is a value with
 * one extra axis, its batch axis (`dim`, or `null` when the value is the
 * same for every member of the batch). Each primitive's `batch` rule maps
 * batched inputs to batched outputs, so a function written for one example
 * runs once for the whole batch, as JAX's `vmap` does.
 *
 * @module
 */
import { broadcastTo, expandDims, moveaxis, reshape } from "../ops/layout.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { flatten, type PyTree, unflatten } from "../tree.ts";
import { bind } from "./bind.ts";
import type { Primitive } from "./primitive.ts";
import { currentLevel, type Interpreter, Tracer, withInterpreter } from "./trace.ts";

/** A value under `vmap`: the batched value and its batch axis (`null`: unbatched). */
export class BatchTracer extends Tracer {
  constructor(
    readonly interpreter: BatchInterpreter,
    readonly value: Tensor,
    readonly dim: number | null,
  ) {
    super(dim === null ? value.shape : value.shape.filter((_, i) => i !== dim), value.dtype, value);
  }
}

/** The interpreter of one `vmap` call over a batch of `size`. */
export class BatchInterpreter implements Interpreter {
  readonly name = "vmap";
  readonly level: number = currentLevel() + 1;
  active = 0;

  constructor(readonly size: number) {}

  canProcess(prim: Primitive<unknown>): boolean {
    return prim.batch !== undefined;
  }

  process(prim: Primitive<unknown>, inputs: readonly Tensor[], params: unknown): Tensor[] {
    const values = new Array<Tensor>(inputs.length);
    const dims = new Array<number | null>(inputs.length);
    let any = false;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (x instanceof BatchTracer && x.interpreter === this) {
        values[i] = x.value;
        dims[i] = x.dim;
        if (x.dim !== null) any = true;
      } else {
        values[i] = x;
        dims[i] = null;
      }
    }
    if (!any) return bind(prim, values, params).map((o) => new BatchTracer(this, o, null));
    const [outs, outDims] = prim.batch!(values, dims, params, this.size);
    return outs.map((o, i) => new BatchTracer(this, o, outDims[i]));
  }

  lift(x: Tensor): Tensor {
    return new BatchTracer(this, x, null);
  }
}

/**
 * `x` with its batch axis first: moved there, or, for an unbatched value,
 * broadcast along a new leading axis of `size`.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * batchFirst(np.ones([3]), null, 4).shape; // [4, 3]
 * batchFirst(np.ones([3, 4]), 1, 4).shape; // [4, 3]
 * ```
 */
export function batchFirst(x: Tensor, dim: number | null, size: number): Tensor {
  if (dim === null) return broadcastTo(expandDims(x, 0), [size, ...x.shape]);
  return dim === 0 ? x : moveaxis(x, dim, 0);
}

/**
 * `x` with its batch axis first and padded with length-1 axes after it to
 * `rank + 1` axes, so that it broadcasts, numpy style, against the other
 * operands of an element-wise primitive whose output has `rank` axes per
 * example. An unbatched `x` is returned as it is (it broadcasts from the
 * right already).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * batchAligned(np.ones([4, 3]), 0, 2).shape; // [4, 1, 3]
 * ```
 */
export function batchAligned(x: Tensor, dim: number | null, rank: number): Tensor {
  if (dim === null) return x;
  const first = dim === 0 ? x : moveaxis(x, dim, 0);
  const missing = rank + 1 - first.ndim;
  if (missing <= 0) return first;
  return reshape(first, [first.shape[0], ...new Array<number>(missing).fill(1), ...first.shape.slice(1)]);
}

/** An axis specification of `vmap`: a number, `null`, or a pytree prefix of them. */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** Options of {@link vmap}. */
export interface VmapOptions {
  /** Batch axis of each argument (a pytree prefix of the arguments; `null`: not mapped). Default 0. */
  inAxes?: AxisSpec;
  /** Where the batch axis goes in each output (a pytree prefix of the output). Default 0. */
  outAxes?: AxisSpec;
}

/** One axis per leaf of `tree`, from a prefix `spec` of it. */
function axesForLeaves(op: string, what: string, spec: AxisSpec, tree: unknown): (number | null)[] {
  if (spec === null || typeof spec === "number") return flatten(tree as PyTree)[0].map(() => spec);
  if (Array.isArray(spec)) {
    if (!Array.isArray(tree) || tree.length !== spec.length) {
      throw new TypeError(`${op}: ${what} ${JSON.stringify(spec)} is not a prefix of a value with another structure`);
    }
    return spec.flatMap((s, i) => axesForLeaves(op, what, s, tree[i]));
  }
  if (typeof spec === "object") {
    const keys = Object.keys(spec).sort();
    const treeKeys = tree !== null && typeof tree === "object" ? Object.keys(tree).sort() : null;
    if (treeKeys === null || Array.isArray(tree) || treeKeys.join() !== keys.join()) {
      throw new TypeError(`${op}: ${what} with keys [${keys}] is not a prefix of a value with keys [${treeKeys}]`);
    }
    return keys.flatMap((k) =>
      axesForLeaves(op, what, (spec as Record<string, AxisSpec>)[k], (tree as Record<string, unknown>)[k])
    );
  }
  throw new TypeError(`${op}: ${what} entries must be integers or null, got ${JSON.stringify(spec)}`);
}

function checkAxis(op: string, what: string, axis: number | null, rank: number): number | null {
  if (axis === null) return null;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: ${what} ${axis} is out of range for a value of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Vectorises `f` over a batch axis of its arguments (`jax.vmap`): the
 * result maps each slice along `inAxes` through `f` and stacks the outputs
 * along `outAxes`, computed as one batched call of every primitive rather
 * than a loop. `inAxes` is a number, `null` (the argument is shared by
 * every member), or a pytree prefix of the arguments with one such entry
 * per argument; `outAxes` likewise for the output. Composes with `grad`,
 * `jvp` and itself.
 *
 * @example
 * ```ts
 * import { grad, np, type Tensor, vmap } from "../../mod.ts";
 * const loss = (w: Tensor, x: Tensor, y: Tensor) => np.square(np.sub(np.dot(x, w), y));
 * const w = np.array([1, 2]), xs = np.ones([8, 2]), ys = np.zeros([8]);
 * // Per-example gradients: one [2] gradient per row of xs.
 * vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys).shape; // [8, 2]
 * ```
 */
// deno-lint-ignore no-explicit-any
export function vmap<F extends (...args: any[]) => any>(
  f: F,
  options: VmapOptions = {},
): (...args: Parameters<F>) => ReturnType<F> {
  const { inAxes = 0, outAxes = 0 } = options;
  // deno-lint-ignore no-explicit-any
  return ((...args: any[]) => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new TypeError(`vmap: inAxes has ${inAxes.length} entries but the function got ${args.length} arguments`);
    }
    const perArg = Array.isArray(inAxes) ? inAxes as AxisSpec[] : args.map(() => inAxes);
    const flat = args.map((a) => flatten(a as PyTree));
    const axes = args.map((a, k) => axesForLeaves("vmap", "inAxes", perArg[k], a));
    let size: number | null = null;
    flat.forEach(([ls], k) =>
      ls.forEach((l, i) => {
        const ax = axes[k][i];
        if (ax === null) return;
        if (!isTensor(l)) {
          throw new TypeError(`vmap: argument ${k} leaf ${i} is ${typeof l}, not a Tensor, but inAxes maps it`);
        }
        const a = checkAxis("vmap", `inAxes entry for argument ${k}`, ax, l.ndim)!;
        if (size !== null && l.shape[a] !== size) {
          throw new RangeError(`vmap: mapped axes have different sizes (${size} and ${l.shape[a]} in argument ${k})`);
        }
        size = l.shape[a];
      })
    );
    if (size === null) throw new TypeError("vmap: inAxes maps no argument (at least one must not be null)");
    const interp = new BatchInterpreter(size);
    return withInterpreter(interp, () => {
      const wrapped = flat.map(([ls, def], k) =>
        unflatten(
          def,
          ls.map((l, i) => {
            const ax = axes[k][i];
            return ax === null
              ? l
              : new BatchTracer(interp, l as Tensor, checkAxis("vmap", "inAxes", ax, (l as Tensor).ndim));
          }),
        )
      );
      const out = f(...wrapped);
      const [outLeaves, outDef] = flatten(out as PyTree);
      const outAxisList = axesForLeaves("vmap", "outAxes", outAxes, out);
      return unflatten(outDef, outLeaves.map((l, i) => unbatch(interp, l, outAxisList[i], i)));
    });
  }) as (...args: Parameters<F>) => ReturnType<F>;
}

/** An output leaf with its batch axis at `axis` (broadcast when it has none). */
function unbatch(interp: BatchInterpreter, leaf: unknown, axis: number | null, i: number): Tensor {
  if (!isTensor(leaf)) throw new TypeError(`vmap: output leaf ${i} is ${typeof leaf}, not a Tensor`);
  const [value, dim] = leaf instanceof BatchTracer && leaf.interpreter === interp
    ? [leaf.value, leaf.dim]
    : [leaf, null];
  if (axis === null) {
    if (dim !== null) throw new TypeError(`vmap: outAxes is null for output leaf ${i}, which varies along the batch`);
    return value;
  }
  const a = checkAxis("vmap", `outAxes entry for output leaf ${i}`, axis, value.ndim + (dim === null ? 1 : 0))!;
  if (dim === null) {
    const shape = value.shape.slice();
    shape.splice(a, 0, interp.size);
    return broadcastTo(expandDims(value, a), shape);
  }
  return dim === a ? value : moveaxis(value, dim, a);
}
