/**
 * Comparisons and logic, element-wise with broadcasting: bool results and
 * no gradients.
 *
 * @module
 */
import type { Primitive } from "../core/primitive.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { astype, binary, binaryPrimitive } from "./elementwise.ts";
import { LOGICAL_NOT, unary } from "./unary.ts";

/** `a == b`. */
export const EQUAL: Primitive<null> = binaryPrimitive("equal", null, true);
/** `a != b`. */
export const NOT_EQUAL: Primitive<null> = binaryPrimitive("notEqual", null, true);
/** `a > b`. */
export const GREATER: Primitive<null> = binaryPrimitive("greater", null, true);
/** `a >= b`. */
export const GREATER_EQUAL: Primitive<null> = binaryPrimitive("greaterEqual", null, true);
/** `a < b`. */
export const LESS: Primitive<null> = binaryPrimitive("less", null, true);
/** `a <= b`. */
export const LESS_EQUAL: Primitive<null> = binaryPrimitive("lessEqual", null, true);
/** Logical and of bool operands. */
export const LOGICAL_AND: Primitive<null> = binaryPrimitive("logicalAnd", null, true);
/** Logical or of bool operands. */
export const LOGICAL_OR: Primitive<null> = binaryPrimitive("logicalOr", null, true);

/**
 * Element-wise `a == b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.equal(np.array([0, 1]), 0); // [true, false]
 * ```
 */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return binary(EQUAL, a, b);
}

/**
 * Element-wise `a != b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.notEqual(np.array([0, 1]), 0); // [false, true]
 * ```
 */
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return binary(NOT_EQUAL, a, b);
}

/**
 * Element-wise `a > b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.greater(np.array([-1, 0, 1]), 0); // [false, false, true]
 * ```
 */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return binary(GREATER, a, b);
}

/**
 * Element-wise `a >= b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.greaterEqual(np.array([-1, 0, 1]), 0); // [false, true, true]
 * ```
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return binary(GREATER_EQUAL, a, b);
}

/**
 * Element-wise `a < b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.less(np.array([-1, 0, 1]), 0); // [true, false, false]
 * ```
 */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return binary(LESS, a, b);
}

/**
 * Element-wise `a <= b` (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.lessEqual(np.array([-1, 0, 1]), 0); // [true, true, false]
 * ```
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return binary(LESS_EQUAL, a, b);
}

/**
 * Element-wise logical and (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.array([-0.5, 0.5, 1.5]);
 * np.logicalAnd(np.greater(x, 0), np.less(x, 1)); // [false, true, false]
 * ```
 */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return binary(LOGICAL_AND, astype(asTensor(a), "bool"), astype(asTensor(b), "bool"));
}

/**
 * Element-wise logical or (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.logicalOr(np.array([true, false]), np.array([false, false])); // [true, false]
 * ```
 */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return binary(LOGICAL_OR, astype(asTensor(a), "bool"), astype(asTensor(b), "bool"));
}

/**
 * Element-wise logical not (bool).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.logicalNot(np.array([true, false])); // [false, true]
 * ```
 */
export function logicalNot(x: TensorLike): Tensor {
  return unary(LOGICAL_NOT, x);
}
