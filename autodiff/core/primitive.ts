/**
 * Primitives: the operations every transformation sees. A primitive is
 * declared once, with the rule that gives its output shapes and dtypes and
 * the rules that transformations apply to it, in the op file that binds it
 * (`autodiff/ops/*.ts`). Backends add kernels for it by name
 * (`kernels.ts`); nothing else needs to know it exists.
 *
 * - `vjp` builds, when the primitive runs under a gradient tape, the
 *   function from output cotangents to input cotangents (written in ops, so
 *   that it runs on every backend and can itself be differentiated). It
 *   keeps only the tensors it reads.
 * - `jvp` maps primal inputs and tangents to primal outputs and tangents
 *   (again in ops; a `null` tangent is a symbolic zero).
 * - `batch` maps inputs that carry a batch axis (`dims[i]`, or `null` for
 *   an unbatched input) to outputs and their batch axes, for `vmap`.
 * - `composition` computes the same function in other primitives. It is the
 *   fallback where a backend has no kernel, and how the primitive is
 *   differentiated or batched where it has no rule of its own (a fused
 *   kernel such as Adam's update is differentiated through the ops it
 *   fuses).
 *
 * @module
 */
import type { DType } from "../dtype.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";

/** The abstract value of a tensor: what rules know before any data exists. */
export interface Aval {
  /** Size of each axis. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
}

/**
 * Builds a primitive's VJP when it runs under a tape: `tracked[i]` says
 * whether some tape may ask for input `i`'s cotangent, so that the rule
 * keeps only what those cotangents read.
 */
export type VjpRule<P> = (
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  params: P,
  tracked: readonly boolean[],
) => VjpFn;

/** Forward-mode rule: `[outputs, output tangents]` from primals and tangents (`null`: zero). */
export type JvpRule<P> = (
  primals: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  params: P,
) => [Tensor[], (Tensor | null)[]];

/**
 * Batching rule: inputs with their batch axes (`null`: not batched; at least
 * one is batched, of length `size`) to outputs and theirs.
 */
export type BatchRule<P> = (
  values: readonly Tensor[],
  dims: readonly (number | null)[],
  params: P,
  size: number,
) => [Tensor[], (number | null)[]];

/** A primitive's declaration: its name, shape rule and transformation rules. */
export interface PrimitiveSpec<P> {
  /** Unique name, the key of kernels and rules. */
  readonly name: string;
  /** Output shapes and dtypes from the inputs' (already checked by the op that binds). */
  abstractEval(inputs: readonly Aval[], params: P): Aval[];
  /** Reverse-mode rule; absent for a primitive without gradients or one differentiated through its composition. */
  readonly vjp?: VjpRule<P>;
  /** Forward-mode rule. */
  readonly jvp?: JvpRule<P>;
  /** Batching rule for `vmap`. */
  readonly batch?: BatchRule<P>;
  /** The same function in other primitives (see the module doc). */
  readonly composition?: (inputs: readonly Tensor[], params: P) => Tensor[];
  /**
   * The VJP rule computes numbers, not ops, so it cannot itself be
   * differentiated: where more than one tape records the primitive, it runs
   * as its composition instead.
   */
  readonly firstOrderVjp?: boolean;
  /** Output 0 shares input 0's storage (reshape, aliases): no kernel runs, on any backend. */
  readonly sharesStorage?: boolean;
  /** No output depends differentiably on an input: zero tangents, no tape entry (comparisons, rounding, indices). */
  readonly nonDifferentiable?: boolean;
}

/** A declared primitive. */
export type Primitive<P = unknown> = PrimitiveSpec<P>;

const registry = new Map<string, Primitive<unknown>>();

/**
 * Declares a primitive with its rules. Names are unique.
 *
 * @example
 * ```ts
 * import { definePrimitive } from "./primitive.ts";
 * const double = definePrimitive<null>({
 *   name: "example_double",
 *   abstractEval: ([x]) => [x],
 * });
 * ```
 */
export function definePrimitive<P>(spec: PrimitiveSpec<P>): Primitive<P> {
  if (registry.has(spec.name)) throw new Error(`definePrimitive: a primitive named "${spec.name}" already exists`);
  registry.set(spec.name, spec as Primitive<unknown>);
  return spec;
}

/**
 * Every declared primitive, by name (tests check that each has its rules).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * primitives().has("exp"); // true
 * ```
 */
export function primitives(): ReadonlyMap<string, Primitive<unknown>> {
  return registry;
}
