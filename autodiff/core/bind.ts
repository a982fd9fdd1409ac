/**
 * `bind`: the one entry point of every primitive. It hands the primitive to
 * the interpreter of its highest-level input (or evaluates it with a
 * backend kernel), then records it on the gradient tapes of that level.
 *
 * ```
 * np.* op ──► bind(prim, inputs, params)
 *               ├─ a jvp / vmap tracer among the inputs ──► its interpreter applies prim.jvp / prim.batch,
 *               │                                            binding primitives one level down
 *               └─ concrete inputs ──► the kernel registered for (prim, backend), or prim.composition
 *             then: tapes of that level record prim.vjp
 * ```
 *
 * A primitive runs as its composition (other primitives, each bound in
 * turn) where it has no way of its own: no kernel on the backend (counted,
 * see `kernels.ts`), no rule for the interpreter, or no VJP rule while a
 * tape records it.
 *
 * @module
 */
import { type Backend, getBackend } from "../backend.ts";
import { isFloat } from "../dtype.ts";
import { anyTracked, isTracked, record, trackingTapes } from "../tape.ts";
import { Tensor } from "../tensor.ts";
import { findKernel, noteFallback } from "./kernels.ts";
import { profiling, timePhase } from "./profile.ts";
import type { Primitive } from "./primitive.ts";
import { atLevel, topInterpreter } from "./trace.ts";

/**
 * Applies `prim` to `inputs` with `params` and returns its outputs (see
 * the module doc). Ops call this after checking their arguments.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * import { EXP } from "../ops/unary.ts";
 * const [y] = bind(EXP, [np.array([0, 1])], null); // [1, e]
 * ```
 */
export function bind<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor[] {
  const top = topInterpreter(inputs);
  const level = top === null ? 0 : top.level;
  const p = prim as Primitive<unknown>;
  if (prim.composition !== undefined) {
    const compose = top === null
      ? !prim.sharesStorage && findKernel(prim, backendOf(prim.name, inputs).name) === undefined
      : !top.canProcess(p);
    if (compose && top === null) noteFallback(p, backendOf(prim.name, inputs).name);
    if (
      compose || (prim.vjp === undefined && !prim.nonDifferentiable && anyTracked(inputs, level)) ||
      (prim.firstOrderVjp && trackingTapes(inputs, level) > 1)
    ) {
      return prim.composition(inputs, params);
    }
  }
  const outputs = top === null
    ? evaluate(prim, inputs, params)
    : atLevel(level - 1, () => top.process(p, inputs, params));
  if (prim.vjp !== undefined) recordVjp(prim, level, inputs, outputs, params);
  return outputs;
}

/**
 * {@link bind} for a primitive with one output.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * import { EXP } from "../ops/unary.ts";
 * bind1(EXP, [np.array([0])], null); // [1]
 * ```
 */
export function bind1<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor {
  return bind(prim, inputs, params)[0];
}

/** The one backend of `inputs` (the current backend when there are none). */
function backendOf(op: string, inputs: readonly Tensor[]): Backend {
  if (inputs.length === 0) return getBackend();
  const backend = inputs[0].backend;
  for (let i = 1; i < inputs.length; i++) {
    if (inputs[i].backend !== backend) {
      throw new Error(
        `${op}: operands live on different backends ("${backend.name}" and "${inputs[i].backend.name}"); ` +
          `move one with devicePut`,
      );
    }
  }
  return backend;
}

/** Runs `prim`'s kernel on concrete inputs. */
function evaluate<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor[] {
  const backend = backendOf(prim.name, inputs);
  const avals = prim.abstractEval(inputs, params);
  if (prim.sharesStorage) {
    const handle = inputs[0].handle;
    return avals.map((a) => new Tensor(handle, a.shape, a.dtype, backend));
  }
  const kernel = findKernel(prim, backend.name);
  if (kernel === undefined) {
    throw new Error(`${prim.name}: no kernel on backend "${backend.name}" and no composition to fall back on`);
  }
  const handles = profiling()
    ? timePhase(prim.name, () => kernel(inputs, params, avals))
    : kernel(inputs, params, avals);
  const out = new Array<Tensor>(avals.length);
  for (let i = 0; i < avals.length; i++) out[i] = new Tensor(handles[i], avals[i].shape, avals[i].dtype, backend);
  return out;
}

/** Records `prim`'s VJP on the tapes of `level` that track one of its float inputs. */
function recordVjp<P>(
  prim: Primitive<P>,
  level: number,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  params: P,
): void {
  let tracked: boolean[] | null = null;
  for (let i = 0; i < inputs.length; i++) {
    if (isFloat(inputs[i].dtype) && isTracked(inputs[i], level)) {
      tracked ??= inputs.map(() => false);
      tracked[i] = true;
    }
  }
  if (tracked === null) return;
  record(inputs, outputs, prim.vjp!(inputs, outputs, params, tracked), level);
}
