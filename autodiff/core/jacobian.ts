/**
 * Jacobians and Hessians, as JAX builds them: `jacfwd` pushes the standard
 * basis of the inputs through `jvp` under one `vmap`, `jacrev` pulls the
 * standard basis of the outputs through `vjp` under one `vmap`, and
 * `hessian` is `jacfwd(jacrev(f))`.
 *
 * A Jacobian has, for each output leaf and each input leaf, an array of
 * shape `[...outputShape, ...inputShape]`, arranged as the output's pytree
 * whose leaves are pytrees like the differentiated argument (an array of
 * them with several `argnums`).
 *
 * @module
 */
import { eye } from "../ops/creation.ts";
import { astype } from "../ops/elementwise.ts";
import { reshape, slice, transpose } from "../ops/layout.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { flatten, type PyTree, type TreeDef, unflatten } from "../tree.ts";
import { vjp } from "../transforms.ts";
import { BatchTracer, vmap } from "./batch.ts";
import { jvp, JvpTracer } from "./jvp.ts";
import { currentLevel, Tracer } from "./trace.ts";

/** Options of {@link jacfwd}, {@link jacrev} and {@link hessian}. */
export interface JacobianOptions {
  /** Which positional arguments to differentiate (default 0); an array gives one Jacobian per argument. */
  argnums?: number | readonly number[];
  /** `f` returns `[value, aux]`; the result is then `[jacobian, aux]`. */
  hasAux?: boolean;
}

/** A function of any arguments (what the Jacobian transforms take and return). */
// deno-lint-ignore no-explicit-any
export type JacobianFunction = (...args: any[]) => any;

interface Split {
  nums: number[];
  defs: TreeDef[];
  leaves: Tensor[];
  /** Index of each argument's first leaf in `leaves`, and one past the last. */
  bounds: number[];
}

function splitArgs(op: string, args: readonly unknown[], argnums: number | readonly number[]): Split {
  const nums = typeof argnums === "number" ? [argnums] : argnums.slice();
  const defs: TreeDef[] = [], leaves: Tensor[] = [], bounds = [0];
  for (const n of nums) {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new RangeError(`${op}: argnums ${n} is out of range for ${args.length} arguments`);
    }
    const [ls, def] = flatten(args[n] as PyTree);
    ls.forEach((l, i) => {
      if (!isTensor(l)) throw new TypeError(`${op}: leaf ${i} of argument ${n} is ${typeof l}, not a Tensor`);
      if (l.dtype !== "float32" && l.dtype !== "float64") {
        throw new TypeError(`${op}: leaf ${i} of argument ${n} has dtype ${l.dtype}; Jacobians need float inputs`);
      }
    });
    defs.push(def);
    leaves.push(...(ls as Tensor[]));
    bounds.push(leaves.length);
  }
  return { nums, defs, leaves, bounds };
}

/** `f` as a function of the differentiated arguments only (as pytrees), with `aux` stored aside. */
function restricted(
  f: JacobianFunction,
  args: readonly unknown[],
  split: Split,
  hasAux: boolean,
  aux: { value?: unknown },
): JacobianFunction {
  return (...diff: unknown[]) => {
    const full = args.slice();
    split.nums.forEach((n, i) => (full[n] = diff[i]));
    const r = f(...full);
    if (!hasAux) return r;
    if (!Array.isArray(r) || r.length !== 2) {
      throw new TypeError("jacobian: with hasAux the function must return [value, aux]");
    }
    aux.value = r[1];
    return r[0];
  };
}

/** The standard basis of the leaves' flattened concatenation: for each leaf `[total, ...shape]`. */
function basis(leaves: readonly { shape: readonly number[]; dtype: Tensor["dtype"] }[]): Tensor[] {
  const sizes = leaves.map((l) => l.shape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const dtype = leaves.some((l) => l.dtype === "float64") ? "float64" : "float32";
  const id = eye(total, { dtype });
  let at = 0;
  return leaves.map((l, k) => {
    const cols = slice(id, [0, at], [total, at + sizes[k]]);
    at += sizes[k];
    return astype(reshape(cols, [total, ...l.shape]), l.dtype);
  });
}

/**
 * Arranges per-(output, input) blocks: `block(o, i)` gives the block of
 * output leaf `o` and input leaf `i` with shape `[...outShape, ...inShape]`.
 */
function arrange(
  outDef: TreeDef,
  outCount: number,
  split: Split,
  argnums: number | readonly number[],
  block: (o: number, i: number) => Tensor,
): PyTree {
  const perOut = Array.from({ length: outCount }, (_, o) => {
    const perArg = split.defs.map((def, a) => {
      const blocks: Tensor[] = [];
      for (let i = split.bounds[a]; i < split.bounds[a + 1]; i++) blocks.push(block(o, i));
      return unflatten(def, blocks);
    });
    return typeof argnums === "number" ? perArg[0] : perArg;
  });
  return unflatten(outDef, perOut);
}

/**
 * `aux` with the tracers of the levels above `level` replaced by the values
 * beneath them: `f`'s aux, computed under the `vmap` and `jvp` of
 * {@link jacfwd}, depends on no basis vector and no tangent, so its value
 * is the primal of each jvp tracer and the unbatched value of each vmap
 * tracer (tracers of enclosing transformations stay).
 */
function beneath(aux: unknown, level: number): unknown {
  const [ls, def] = flatten(aux as PyTree);
  return unflatten(
    def,
    ls.map((l) => {
      let x = l;
      while (x instanceof Tracer && x.interpreter.level > level) {
        if (x instanceof JvpTracer) x = x.primal;
        else if (x instanceof BatchTracer && x.dim === null) x = x.value;
        else throw new Error("jacfwd: internal: the aux output varies along the basis of the inputs");
      }
      return x;
    }),
  );
}

/**
 * The Jacobian of `f` by forward mode (`jax.jacfwd`): one batched JVP over
 * the standard basis of the differentiated inputs. Efficient when inputs
 * are fewer than outputs.
 *
 * @example
 * ```ts
 * import { jacfwd, np, type Tensor } from "../../mod.ts";
 * jacfwd((x: Tensor) => np.mul(x, x))(np.array([1, 2])); // [[2, 0], [0, 4]]
 * ```
 */
export function jacfwd(f: JacobianFunction, options: JacobianOptions = {}): JacobianFunction {
  const { argnums = 0, hasAux = false } = options;
  return (...args: unknown[]) => {
    const split = splitArgs("jacfwd", args, argnums);
    const aux: { value?: unknown } = {};
    const g = restricted(f, args, split, hasAux, aux);
    const primals = split.nums.map((n) => args[n] as PyTree);
    const push = (...tangentLeaves: Tensor[]) => {
      const tangents = split.defs.map((def, a) =>
        unflatten(def, tangentLeaves.slice(split.bounds[a], split.bounds[a + 1]))
      );
      return jvp(g, primals, tangents)[1];
    };
    const level = currentLevel();
    const pushed = vmap(push)(...basis(split.leaves));
    const [outLeaves, outDef] = flatten(pushed as PyTree);
    const sizes = split.leaves.map((l) => l.size);
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const jac = arrange(outDef, outLeaves.length, split, argnums, (o, i) => {
      const t = outLeaves[o] as Tensor, inShape = split.leaves[i].shape, outShape = t.shape.slice(1);
      const rows = slice(
        t,
        t.shape.map((_, d) => (d === 0 ? offsets[i] : 0)),
        t.shape.map((d, k) => (k === 0 ? offsets[i] + sizes[i] : d)),
      );
      // [in, ...out] -> [...out, ...in]
      const r = reshape(rows, [...inShape, ...outShape]);
      const perm = [...outShape.map((_, k) => inShape.length + k), ...inShape.map((_, k) => k)];
      return transpose(r, perm);
    });
    return hasAux ? [jac, beneath(aux.value, level)] : jac;
  };
}

/**
 * The Jacobian of `f` by reverse mode (`jax.jacrev`): one batched VJP over
 * the standard basis of the outputs. Efficient when outputs are fewer than
 * inputs.
 *
 * @example
 * ```ts
 * import { jacrev, np, type Tensor } from "../../mod.ts";
 * jacrev((x: Tensor) => np.sum(np.square(x)))(np.array([1, 2])); // [2, 4]
 * ```
 */
export function jacrev(f: JacobianFunction, options: JacobianOptions = {}): JacobianFunction {
  const { argnums = 0, hasAux = false } = options;
  return (...args: unknown[]) => {
    const split = splitArgs("jacrev", args, argnums);
    const aux: { value?: unknown } = {};
    const g = restricted(f, args, split, hasAux, aux);
    const [out, back] = vjp(g, ...split.nums.map((n) => args[n] as PyTree));
    const [outLeaves, outDef] = flatten(out as PyTree);
    outLeaves.forEach((l, i) => {
      if (!isTensor(l)) throw new TypeError(`jacrev: output leaf ${i} is ${typeof l}, not a Tensor`);
    });
    const outs = outLeaves as Tensor[];
    const pull = (...ctLeaves: Tensor[]) => flatten(back(unflatten(outDef, ctLeaves) as PyTree<Tensor>))[0];
    const pulled = vmap(pull)(...basis(outs)) as Tensor[];
    const sizes = outs.map((l) => l.size);
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const jac = arrange(outDef, outs.length, split, argnums, (o, i) => {
      const t = pulled[i], outShape = outs[o].shape, inShape = split.leaves[i].shape;
      const rows = slice(
        t,
        t.shape.map((_, d) => (d === 0 ? offsets[o] : 0)),
        t.shape.map((d, k) => (k === 0 ? offsets[o] + sizes[o] : d)),
      );
      return reshape(rows, [...outShape, ...inShape]);
    });
    return hasAux ? [jac, aux.value] : jac;
  };
}

/**
 * The Hessian of a scalar `f`: `jacfwd(jacrev(f))` (`jax.hessian`), shape
 * `[...inShape, ...inShape]` for one array argument.
 *
 * @example
 * ```ts
 * import { hessian, np, type Tensor } from "../../mod.ts";
 * hessian((x: Tensor) => np.sum(np.pow(x, 3)))(np.array([1, 2])); // [[6, 0], [0, 12]]
 * ```
 */
export function hessian(f: JacobianFunction, options: JacobianOptions = {}): JacobianFunction {
  return jacfwd(jacrev(f, options), options);
}
