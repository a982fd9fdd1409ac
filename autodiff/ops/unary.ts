/**
 * Unary math, element-wise: negation, exponentials and logarithms, roots,
 * `tanh`, `sigmoid`, `abs`, rounding, `sin`, `cos`, each with the VJP rule
 * it records (rounding and `sign` have zero gradient).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { TensorLike } from "./creation.ts";
import { add, div, mul, sub, unary } from "./elementwise.ts";

/**
 * Element-wise `-x`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.neg(np.array([1, -2])); // [-1, 2]
 * ```
 */
export function neg(x: TensorLike): Tensor {
  return unary("neg", x, () => (g) => neg(g));
}

/**
 * Element-wise `e^x`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.exp(np.array([0, 1])); // [1, 2.718...]
 * ```
 */
export function exp(x: TensorLike): Tensor {
  return unary("exp", x, (_x, y) => (g) => mul(g, y));
}

/**
 * Element-wise natural logarithm.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.log(np.array([1, Math.E])); // [0, 1]
 * ```
 */
export function log(x: TensorLike): Tensor {
  return unary("log", x, (t) => (g) => div(g, t));
}

/**
 * Element-wise `log(1 + x)`, accurate near 0.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.log1p(np.array([0, 1e-10], { dtype: "float64" })); // [0, 1e-10]
 * ```
 */
export function log1p(x: TensorLike): Tensor {
  return unary("log1p", x, (t) => (g) => div(g, add(t, 1)));
}

/**
 * Element-wise `e^x - 1`, accurate near 0.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.expm1(np.array([0, 1e-10], { dtype: "float64" })); // [0, 1e-10]
 * ```
 */
export function expm1(x: TensorLike): Tensor {
  return unary("expm1", x, (_t, y) => (g) => mul(g, add(y, 1)));
}

/**
 * Element-wise square root.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sqrt(np.array([4, 9])); // [2, 3]
 * ```
 */
export function sqrt(x: TensorLike): Tensor {
  return unary("sqrt", x, (_t, y) => (g) => div(mul(g, 0.5), y));
}

/**
 * Element-wise hyperbolic tangent.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.tanh(np.array([0])); // [0]
 * ```
 */
export function tanh(x: TensorLike): Tensor {
  return unary("tanh", x, (_t, y) => (g) => mul(g, sub(1, mul(y, y))));
}

/**
 * Element-wise logistic sigmoid `1 / (1 + e^-x)`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sigmoid(np.array([0, -1000])); // [0.5, 0]
 * ```
 */
export function sigmoid(x: TensorLike): Tensor {
  return unary("sigmoid", x, (_t, y) => (g) => mul(g, mul(y, sub(1, y))));
}

/**
 * Element-wise absolute value (gradient `sign(x)`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.abs(np.array([-2, 3])); // [2, 3]
 * ```
 */
export function abs(x: TensorLike): Tensor {
  return unary("abs", x, (t) => (g) => mul(g, sign(t)));
}

/**
 * Element-wise sign (-1, 0, 1; NaN stays NaN); zero gradient.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sign(np.array([-2, 0, 3])); // [-1, 0, 1]
 * ```
 */
export function sign(x: TensorLike): Tensor {
  return unary("sign", x);
}

/**
 * Element-wise floor; zero gradient.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.floor(np.array([-1.5, 1.5])); // [-2, 1]
 * ```
 */
export function floor(x: TensorLike): Tensor {
  return unary("floor", x);
}

/**
 * Element-wise ceiling; zero gradient.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.ceil(np.array([-1.5, 1.5])); // [-1, 2]
 * ```
 */
export function ceil(x: TensorLike): Tensor {
  return unary("ceil", x);
}

/**
 * Element-wise rounding, halves to even (numpy); zero gradient.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.round(np.array([0.5, 1.5, 2.5])); // [0, 2, 2]
 * ```
 */
export function round(x: TensorLike): Tensor {
  return unary("round", x);
}

/**
 * Element-wise sine.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sin(np.array([0])); // [0]
 * ```
 */
export function sin(x: TensorLike): Tensor {
  return unary("sin", x, (t) => (g) => mul(g, cos(t)));
}

/**
 * Element-wise cosine.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.cos(np.array([0])); // [1]
 * ```
 */
export function cos(x: TensorLike): Tensor {
  return unary("cos", x, (t) => (g) => neg(mul(g, sin(t))));
}
