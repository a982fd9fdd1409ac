/**
 * Interpreters and tracers: how `jvp` and `vmap` see every primitive.
 *
 * Evaluation is the bottom interpreter (level 0): it runs kernels on
 * concrete tensors. Each active `jvp` or `vmap` call pushes an interpreter
 * one level up and hands the function it transforms {@link Tracer}s of
 * that level: tensors that carry what the interpreter needs (a primal and a
 * tangent, or a batched value and its batch axis). `bind` (see `bind.ts`)
 * gives each primitive to the interpreter of the highest-level tracer among
 * its inputs, which unwraps its own tracers, applies the primitive's rule
 * on the values beneath (binding primitives one level down) and wraps the
 * results, as JAX's `Primitive.bind` hands a primitive to the top trace.
 *
 * Gradient tapes have a level too (the level current when they were made),
 * and record a primitive only at the bind of their own level, so that
 * `vmap(grad(f))` and `grad(vmap(f))` each differentiate the right values.
 *
 * @module
 */
import type { DataHandle } from "../backend.ts";
import type { DType } from "../dtype.ts";
import { Tensor } from "../tensor.ts";
import type { Primitive } from "./primitive.ts";

/** A transformation's interpreter (one per active `jvp` / `vmap` call). */
export interface Interpreter {
  /** What the user called, for errors (`"vmap"`, `"jvp"`). */
  readonly name: string;
  /** Its level: 1 + the level current when it was created. */
  readonly level: number;
  /** How many times it is on the stack now (0: its tracers have escaped). */
  active: number;
  /** Whether it can run `prim` by a rule of its own (else `bind` runs the primitive's composition). */
  canProcess(prim: Primitive<unknown>): boolean;
  /** Runs `prim` on inputs among which some are its tracers; returns its tracers. */
  process(prim: Primitive<unknown>, inputs: readonly Tensor[], params: unknown): Tensor[];
  /** A tracer of this interpreter around a lower-level value (no tangent, no batch axis). */
  lift(x: Tensor): Tensor;
}

/** The stack: interpreters, and the levels that rules run at while an interpreter processes a primitive. */
const stack: (Interpreter | number)[] = [];

/**
 * The level of the innermost active transformation (0: plain evaluation).
 * While an interpreter applies a rule, the level is the one beneath it.
 *
 * @example
 * ```ts
 * currentLevel(); // 0 outside any jvp or vmap
 * ```
 */
export function currentLevel(): number {
  const top = stack[stack.length - 1];
  return top === undefined ? 0 : typeof top === "number" ? top : top.level;
}

/**
 * The interpreter whose level is {@link currentLevel}, if any.
 *
 * @example
 * ```ts
 * currentInterpreter(); // null outside any jvp or vmap
 * ```
 */
export function currentInterpreter(): Interpreter | null {
  const level = currentLevel();
  for (let i = stack.length - 1; i >= 0; i--) {
    const entry = stack[i];
    if (typeof entry !== "number" && entry.level === level) return entry;
  }
  return null;
}

/**
 * Runs `fn` with `interp` as the innermost transformation. An interpreter
 * may be entered again after it was left (a custom backward pass of a
 * function that ran under `vmap` runs later), but only above every level
 * current at that time.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * import { BatchInterpreter, BatchTracer } from "./batch.ts";
 * const interp = new BatchInterpreter(3);
 * withInterpreter(interp, () => np.exp(new BatchTracer(interp, np.zeros([3, 2]), 0))); // exp of each of 3 rows
 * ```
 */
export function withInterpreter<R>(interp: Interpreter, fn: () => R): R {
  if (interp.level <= currentLevel()) {
    throw new Error(
      `${interp.name}: internal: cannot resume a level-${interp.level} transformation inside level ${currentLevel()}`,
    );
  }
  stack.push(interp);
  interp.active++;
  try {
    return fn();
  } finally {
    stack.pop();
    interp.active--;
  }
}

/**
 * Runs `fn` at `level` (below the current one): how an interpreter applies
 * rules to the values beneath its tracers, so that a tape or transformation
 * started inside a rule belongs to that lower level.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * atLevel(0, () => np.exp(np.zeros([2]))); // as if no transformation were active
 * ```
 */
export function atLevel<R>(level: number, fn: () => R): R {
  stack.push(level);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/**
 * A tensor that stands for a value under a transformation. Its shape and
 * dtype are the value's as the transformed function sees it; its data
 * cannot be read (the function runs once for many values, or for a value
 * and its tangent).
 */
export abstract class Tracer extends Tensor {
  /** The interpreter this tracer belongs to. */
  abstract readonly interpreter: Interpreter;

  constructor(shape: readonly number[], dtype: DType, inner: Tensor) {
    super(null, shape, dtype, inner.backend);
  }

  override get handle(): DataHandle {
    throw new Error(
      `${this.interpreter.name}: the values of a traced tensor of shape [${this.shape}] cannot be read inside ` +
        `${this.interpreter.name}${this.interpreter.active ? "" : " (and this one escaped the call that made it)"}`,
    );
  }

  override get isDisposed(): boolean {
    return false;
  }

  override dispose(): void {}

  override toString(): string {
    return `Tracer(${this.interpreter.name}, shape=[${this.shape}], dtype=${this.dtype})`;
  }
}

/**
 * The highest-level active interpreter among the tracers in `inputs`, or
 * null when every input is a concrete tensor.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * topInterpreter([np.ones([2])]); // null
 * ```
 */
export function topInterpreter(inputs: readonly Tensor[]): Interpreter | null {
  let top: Interpreter | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (x instanceof Tracer) {
      const interp = x.interpreter;
      if (interp.active === 0) {
        throw new Error(
          `${interp.name}: a traced tensor of shape [${x.shape}] is used outside the ${interp.name} call that made it`,
        );
      }
      if (top === null || interp.level > top.level) top = interp;
    }
  }
  return top;
}

/**
 * The level of a tensor: its interpreter's level for a tracer, else 0.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * levelOf(np.ones([2])); // 0
 * ```
 */
export function levelOf(x: Tensor): number {
  return x instanceof Tracer ? x.interpreter.level : 0;
}

/**
 * The highest level among `inputs` (0 for concrete tensors).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * maxLevel([np.ones([2]), np.zeros([1])]); // 0
 * ```
 */
export function maxLevel(inputs: readonly Tensor[]): number {
  let level = 0;
  for (const x of inputs) if (x instanceof Tracer && x.interpreter.level > level) level = x.interpreter.level;
  return level;
}

/**
 * `x` as a tensor of the current level: lifted into the current
 * interpreter when it is of a lower level (how `grad` inside `vmap` watches
 * an unbatched argument).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * liftToCurrentLevel(np.ones([2])); // the tensor itself outside any transformation
 * ```
 */
export function liftToCurrentLevel(x: Tensor): Tensor {
  const interp = currentInterpreter();
  return interp !== null && levelOf(x) < interp.level ? interp.lift(x) : x;
}
