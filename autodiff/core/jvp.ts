/**
 * Forward-mode differentiation: the JVP interpreter and `jvp`,
 * `linearize`. A {@link JvpTracer} carries a primal value and its tangent
 * (`null` for a symbolic zero); each primitive's `jvp` rule maps primals
 * and tangents to outputs and their tangents, in ops one level down.
 *
 * @module
 */
import { isFloat } from "../dtype.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { flatten, type PyTree, unflatten } from "../tree.ts";
import { bind } from "./bind.ts";
import type { Primitive } from "./primitive.ts";
import { currentLevel, type Interpreter, Tracer, withInterpreter } from "./trace.ts";
import { castTangent, zerosLikeTensor } from "./zeros.ts";

/** A function of any arguments returning `O` (what `jvp` and `linearize` transform). */
// deno-lint-ignore no-explicit-any
export type FunctionOf<O> = (...args: any[]) => O;

/** A value under `jvp`: its primal and its tangent (`null`: zero). */
export class JvpTracer extends Tracer {
  constructor(
    readonly interpreter: JvpInterpreter,
    readonly primal: Tensor,
    readonly tangent: Tensor | null,
  ) {
    super(primal.shape, primal.dtype, primal);
  }
}

/** The interpreter of one `jvp` call. */
export class JvpInterpreter implements Interpreter {
  readonly name = "jvp";
  readonly level: number = currentLevel() + 1;
  active = 0;

  canProcess(prim: Primitive<unknown>): boolean {
    return prim.jvp !== undefined || prim.nonDifferentiable === true;
  }

  process(prim: Primitive<unknown>, inputs: readonly Tensor[], params: unknown): Tensor[] {
    const primals = new Array<Tensor>(inputs.length);
    const tangents = new Array<Tensor | null>(inputs.length);
    let any = false;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (x instanceof JvpTracer && x.interpreter === this) {
        primals[i] = x.primal;
        tangents[i] = x.tangent;
        if (x.tangent !== null) any = true;
      } else {
        primals[i] = x;
        tangents[i] = null;
      }
    }
    if (!any || prim.nonDifferentiable) return bind(prim, primals, params).map((o) => new JvpTracer(this, o, null));
    const [outs, touts] = prim.jvp!(primals, tangents, params);
    return outs.map((o, i) => new JvpTracer(this, o, touts[i] === null ? null : castTangent(prim.name, touts[i]!, o)));
  }

  lift(x: Tensor): Tensor {
    return new JvpTracer(this, x, null);
  }
}

/**
 * The primal and tangent of `x` under `interp` (a value of a lower level
 * has tangent `null`).
 */
function split(interp: JvpInterpreter, x: unknown): [unknown, Tensor | null] {
  if (x instanceof JvpTracer && x.interpreter === interp) return [x.primal, x.tangent];
  return [x, null];
}

function checkTangents(op: string, primals: readonly PyTree[], tangents: readonly PyTree[]): void {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new TypeError(`${op}: primals and tangents must be arrays (one entry per argument)`);
  }
  if (primals.length !== tangents.length) {
    throw new RangeError(`${op}: ${primals.length} primals but ${tangents.length} tangents`);
  }
}

/**
 * Evaluates `f(...primals)` and its directional derivative along
 * `tangents` in one forward pass: `[out, tangentOut]` (pytrees like `f`'s
 * output), as `jax.jvp`. Each tangent has its primal's structure, shapes
 * and float dtype; integer and bool primals take no tangent (pass zeros or
 * `null`).
 *
 * @example
 * ```ts
 * import { jvp, np, type Tensor } from "../../mod.ts";
 * const [y, dy] = jvp((x: Tensor) => np.sin(x), [np.array([0, 1])], [np.array([1, 1])]);
 * // y = sin(x), dy = cos(x)
 * ```
 */
export function jvp<O extends PyTree<Tensor>>(
  f: FunctionOf<O>,
  primals: readonly PyTree[],
  tangents: readonly PyTree[],
): [O, O] {
  checkTangents("jvp", primals, tangents);
  const interp = new JvpInterpreter();
  return withInterpreter(interp, () => {
    const args = primals.map((p, k) => {
      const [ls, def] = flatten(p);
      const ts = tangents[k] === null ? null : flatten(tangents[k]);
      if (ts !== null && ts[0].length !== ls.length) {
        throw new TypeError(`jvp: tangent ${k} has ${ts[0].length} leaves but primal ${k} has ${ls.length}`);
      }
      return unflatten(
        def,
        ls.map((l, i) => {
          if (!isTensorLeaf(l)) return l;
          const t = ts === null ? null : ts[0][i];
          if (t !== null && t !== undefined && !isTensorLeaf(t)) {
            throw new TypeError(`jvp: tangent leaf ${i} of argument ${k} is ${typeof t}, not a Tensor`);
          }
          return new JvpTracer(interp, l, checkedTangent(l, (t ?? null) as Tensor | null, k, i));
        }),
      );
    });
    const out = f(...args);
    const [outLeaves, outDef] = flatten(out);
    const primalsOut: unknown[] = [], tangentsOut: unknown[] = [];
    for (const leaf of outLeaves) {
      const [p, t] = split(interp, leaf);
      if (!isTensorLeaf(p)) throw new TypeError(`jvp: the function returned ${typeof p}, not a Tensor`);
      primalsOut.push(p);
      tangentsOut.push(t ?? zerosLikeTensor(p as Tensor));
    }
    return [unflatten(outDef, primalsOut) as O, unflatten(outDef, tangentsOut) as O];
  });
}

const isTensorLeaf = isTensor;

function checkedTangent(primal: Tensor, t: Tensor | null, k: number, i: number): Tensor | null {
  if (t === null) return null;
  if (t.shape.length !== primal.shape.length || t.shape.some((d, j) => d !== primal.shape[j])) {
    throw new TypeError(`jvp: tangent leaf ${i} of argument ${k} has shape [${t.shape}], its primal [${primal.shape}]`);
  }
  if (!isFloat(primal.dtype)) return null;
  return castTangent("jvp", t, primal);
}

/**
 * `[f(...primals), fJvp]` where `fJvp(...tangents)` is the JVP of `f` at
 * `primals` (`jax.linearize`). Without a tracing compiler the linear map
 * cannot be kept apart from the forward pass, so each call of `fJvp`
 * evaluates `f`'s forward pass again along with the tangents.
 *
 * @example
 * ```ts
 * import { linearize, np, type Tensor } from "../../mod.ts";
 * const [y, fJvp] = linearize((x: Tensor) => np.exp(x), np.array([0, 1]));
 * fJvp(np.array([1, 2])); // [1, 2e]
 * ```
 */
export function linearize<O extends PyTree<Tensor>>(
  f: FunctionOf<O>,
  ...primals: PyTree[]
): [O, (...tangents: PyTree[]) => O] {
  const out = f(...primals);
  return [out, (...tangents: PyTree[]) => jvp(f, primals, tangents)[1]];
}
