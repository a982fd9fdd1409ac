/**
 * The two identities: `alias` (a new tensor over the same storage whose
 * gradient is the identity, how transforms tell one use of a tensor from
 * another) and `stop_gradient` (the same values, a zero derivative).
 * Neither runs a kernel: their outputs share their input's storage on
 * every backend.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { flatten, type PyTree, unflatten } from "../tree.ts";

/** A new tensor over the same storage, differentiated as the identity. */
export const ALIAS: Primitive<null> = definePrimitive<null>({
  name: "alias",
  sharesStorage: true,
  abstractEval: ([x]) => [x],
  vjp: () => ([g]) => [g],
  jvp: ([x], [t]) => [[bind1(ALIAS, [x], null)], [t]],
  batch: ([x], [d]) => [[bind1(ALIAS, [x], null)], [d]],
});

/** The same values with a zero derivative. */
export const STOP_GRADIENT: Primitive<null> = definePrimitive<null>({
  name: "stop_gradient",
  sharesStorage: true,
  nonDifferentiable: true,
  abstractEval: ([x]) => [x],
  batch: ([x], [d]) => [[bind1(STOP_GRADIENT, [x], null)], [d]],
});

/**
 * A new tensor object over the same storage, linked to `t` on the active
 * tapes (so gradients flow) but with its own identity (so a tape can tell
 * this use apart from other uses of `t`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.ones([2]);
 * alias(x).id !== x.id; // true
 * ```
 */
export function alias(t: Tensor): Tensor {
  return bind1(ALIAS, [t], null);
}

/**
 * Identity whose gradient is zero: the value is treated as a constant (in
 * reverse and forward mode alike).
 *
 * @example
 * ```ts
 * import { grad, np, type Tensor } from "../mod.ts";
 * // d/dx of x * const(x) is const(x): [1, 2]
 * grad((x: Tensor) => np.sum(np.mul(x, stopGradient(x))))(np.array([1, 2]));
 * ```
 */
export function stopGradient<T extends PyTree>(x: T): T {
  const [ls, def] = flatten(x);
  return unflatten(def, ls.map((l) => (isTensor(l) ? bind1(STOP_GRADIENT, [l], null) : l))) as T;
}

/** Parameters of {@link CHECK_VALUES}: the range every element must lie in, and who asks. */
export interface CheckValuesParams {
  /** Smallest allowed value. */
  readonly min: number;
  /** Largest allowed value. */
  readonly max: number;
  /** Whether every value must be an integer. */
  readonly integer: boolean;
  /** The function and argument named in the error, e.g. `"random.bernoulli: p"`. */
  readonly what: string;
}

/**
 * The identity, with its values checked where the backend can read them
 * synchronously (the CPU kernel throws a RangeError naming `what` and the
 * first offending value; a backend that cannot check passes the values
 * through). How ops validate tensor arguments without reading them back.
 */
export const CHECK_VALUES: Primitive<CheckValuesParams> = definePrimitive<CheckValuesParams>({
  name: "check_values",
  abstractEval: ([x]) => [x],
  vjp: () => ([g]) => [g],
  jvp: ([x], [t], p) => [[bind1(CHECK_VALUES, [x], p)], [t]],
  batch: ([x], [d], p) => [[bind1(CHECK_VALUES, [x], p)], [d]],
  composition: ([x]) => [alias(x)],
});

/**
 * `x` unchanged, after checking that its values lie in `[min, max]` (and
 * are integers, with `integer`) where the backend can (see
 * {@link CHECK_VALUES}).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * checkValues(np.array([0.2, 0.7]), { min: 0, max: 1, integer: false, what: "random.bernoulli: p" });
 * ```
 */
export function checkValues(x: Tensor, params: CheckValuesParams): Tensor {
  return bind1(CHECK_VALUES, [x], params);
}
