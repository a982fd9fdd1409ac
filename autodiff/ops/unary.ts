/**
 * Unary math, element-wise: negation, exponentials and logarithms, roots,
 * `tanh`, `sigmoid`, `abs`, rounding, `sin`, `cos`, `erf`, `erfinv`. Each
 * primitive has one derivative rule `(x, y) => g => g * f'(x)`, which is
 * both its VJP (applied to a cotangent) and its JVP (applied to a tangent);
 * rounding and `sign` have none (zero gradient).
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { isFloat } from "../dtype.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { add, astype, div, mul, sub } from "./elementwise.ts";

/** How a unary op's derivative is built from its input `x` and output `y` (kept until the backward pass runs). */
export type UnaryRule = (x: Tensor, y: Tensor) => (g: Tensor) => Tensor;

/** Which inputs a unary primitive takes: floats (integers become float32), any numeric dtype, or bools. */
type UnaryDomain = "float" | "numeric" | "bool";

/** A unary primitive and the dtypes it accepts. */
export interface UnaryPrimitive extends Primitive<null> {
  readonly domain: UnaryDomain;
}

/**
 * Declares an element-wise unary primitive with derivative `rule` (null:
 * zero gradient).
 *
 * @example
 * ```ts
 * import { mul } from "./elementwise.ts";
 * const EXP2 = unaryPrimitive("example_exp2", "float", (_x, y) => (g) => mul(g, mul(y, Math.LN2)));
 * ```
 */
export function unaryPrimitive(name: string, domain: UnaryDomain, rule: UnaryRule | null): UnaryPrimitive {
  const prim: UnaryPrimitive = Object.assign(
    definePrimitive<null>({
      name,
      abstractEval: ([x]) => [{ shape: x.shape, dtype: domain === "bool" ? "bool" : x.dtype }],
      nonDifferentiable: rule === null,
      vjp: rule === null ? undefined : ([x], [y]) => {
        const back = rule(x, y);
        return ([g]) => [g && back(g)];
      },
      jvp: rule === null ? undefined : ([x], [t]) => {
        const y = bind1(prim, [x], null);
        return [[y], [t && rule(x, y)(t)]];
      },
      batch: ([x], [d]) => [[bind1(prim, [x], null)], [d]],
    }),
    { domain },
  );
  return prim;
}

/**
 * Binds a unary primitive, converting the input to the dtypes it accepts.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * unary(EXP, np.array([0])); // [1]
 * ```
 */
export function unary(prim: UnaryPrimitive, x: TensorLike): Tensor {
  let t = asTensor(x);
  if (prim.domain === "float" && !isFloat(t.dtype)) t = astype(t, "float32");
  if (prim.domain === "bool" && t.dtype !== "bool") t = astype(t, "bool");
  if (prim.domain === "numeric" && t.dtype === "bool" && prim === NEG) {
    throw new TypeError(`neg: negation of a bool tensor of shape [${t.shape}] is not defined; use logicalNot`);
  }
  return bind1(prim, [t], null);
}

/** `-x`. */
export const NEG: UnaryPrimitive = unaryPrimitive("neg", "numeric", () => (g) => neg(g));
/** `e^x`. */
export const EXP: UnaryPrimitive = unaryPrimitive("exp", "float", (_x, y) => (g) => mul(g, y));
/** Natural logarithm. */
export const LOG: UnaryPrimitive = unaryPrimitive("log", "float", (x) => (g) => div(g, x));
/** `log(1 + x)`. */
export const LOG1P: UnaryPrimitive = unaryPrimitive("log1p", "float", (x) => (g) => div(g, add(x, 1)));
/** `e^x - 1`. */
export const EXPM1: UnaryPrimitive = unaryPrimitive("expm1", "float", (_x, y) => (g) => mul(g, add(y, 1)));
/** Square root. */
export const SQRT: UnaryPrimitive = unaryPrimitive("sqrt", "float", (_x, y) => (g) => div(mul(g, 0.5), y));
/** Hyperbolic tangent. */
export const TANH: UnaryPrimitive = unaryPrimitive("tanh", "float", (_x, y) => (g) => mul(g, sub(1, mul(y, y))));
/** Logistic sigmoid. */
export const SIGMOID: UnaryPrimitive = unaryPrimitive(
  "sigmoid",
  "float",
  (_x, y) => (g) => mul(g, mul(y, sub(1, y))),
);
/** Absolute value. */
export const ABS: UnaryPrimitive = unaryPrimitive("abs", "numeric", (x) => (g) => mul(g, sign(x)));
/** Sign (-1, 0, 1; NaN stays NaN). */
export const SIGN: UnaryPrimitive = unaryPrimitive("sign", "numeric", null);
/** Floor. */
export const FLOOR: UnaryPrimitive = unaryPrimitive("floor", "numeric", null);
/** Ceiling. */
export const CEIL: UnaryPrimitive = unaryPrimitive("ceil", "numeric", null);
/** Rounding, halves to even. */
export const ROUND: UnaryPrimitive = unaryPrimitive("round", "numeric", null);
/** Sine. */
export const SIN: UnaryPrimitive = unaryPrimitive("sin", "float", (x) => (g) => mul(g, cos(x)));
/** Cosine. */
export const COS: UnaryPrimitive = unaryPrimitive("cos", "float", (x) => (g) => neg(mul(g, sin(x))));
/** The error function. */
export const ERF: UnaryPrimitive = unaryPrimitive(
  "erf",
  "float",
  (x) => (g) => mul(g, mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x, x))))),
);
/** The inverse error function. */
export const ERFINV: UnaryPrimitive = unaryPrimitive(
  "erfinv",
  "float",
  (_x, y) => (g) => mul(g, mul(Math.sqrt(Math.PI) / 2, exp(mul(y, y)))),
);
/** Logical not (bool). */
export const LOGICAL_NOT: UnaryPrimitive = unaryPrimitive("logicalNot", "bool", null);

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
  return unary(NEG, x);
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
  return unary(EXP, x);
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
  return unary(LOG, x);
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
  return unary(LOG1P, x);
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
  return unary(EXPM1, x);
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
  return unary(SQRT, x);
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
  return unary(TANH, x);
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
  return unary(SIGMOID, x);
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
  return unary(ABS, x);
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
  return unary(SIGN, x);
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
  return unary(FLOOR, x);
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
  return unary(CEIL, x);
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
  return unary(ROUND, x);
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
  return unary(SIN, x);
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
  return unary(COS, x);
}

/**
 * Element-wise error function `erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.erf(np.array([0])); // [0]
 * ```
 */
export function erf(x: TensorLike): Tensor {
  return unary(ERF, x);
}

/**
 * Element-wise inverse of {@link erf} on `(-1, 1)` (±Infinity at ±1).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.erfinv(np.array([0])); // [0]
 * ```
 */
export function erfinv(x: TensorLike): Tensor {
  return unary(ERFINV, x);
}
