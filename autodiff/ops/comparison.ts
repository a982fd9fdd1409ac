/**
 * Comparisons and logic, element-wise with broadcasting: bool results and
 * no gradients.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { astype, binary, unary } from "./elementwise.ts";

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
  return binary("equal", a, b);
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
  return binary("notEqual", a, b);
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
  return binary("greater", a, b);
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
  return binary("greaterEqual", a, b);
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
  return binary("less", a, b);
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
  return binary("lessEqual", a, b);
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
  return binary("logicalAnd", astype(asTensor(a), "bool"), astype(asTensor(b), "bool"));
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
  return binary("logicalOr", astype(asTensor(a), "bool"), astype(asTensor(b), "bool"));
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
  return unary("logicalNot", x);
}
