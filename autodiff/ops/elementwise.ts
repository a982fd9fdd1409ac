/**
 * Element-wise primitives (unary maps, broadcast binary maps, `where`,
 * `astype`) with their differentiation rules, and the small composites
 * built on them (`square`, `clip`, ...).
 *
 * @module
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";
import { checkDType, type DType, isFloat, promoteTypes } from "../dtype.ts";
import { broadcastShapes, shapesEqual } from "../shape.ts";
import { record } from "../tape.ts";
import { isTensor, Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { sumToShape } from "./reduce.ts";

function wrap(handle: unknown, like: Tensor, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(handle, shape, dtype, like.backend);
}

/**
 * Converts a dtype; float-to-float casts pass gradients through.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.astype(np.array([1.5, -2.7]), "int32"); // [1, -2]
 * ```
 */
export function astype(x: TensorLike, dtype: DType): Tensor {
  const t = asTensor(x);
  checkDType("astype", dtype);
  if (t.dtype === dtype) return t;
  const out = wrap(t.backend.cast(t, dtype), t, t.shape, dtype);
  if (isFloat(t.dtype) && isFloat(dtype)) record([t], [out], ([g]) => [g && astype(g, t.dtype)]);
  return out;
}

/**
 * Converts two op arguments to tensors of one dtype (JAX promotion, weak
 * scalars).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const [a, b] = coerce(np.array([1], { dtype: "int32" }), 0.5); // both float32
 * ```
 */
export function coerce(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ta = isTensor(a) ? a : null, tb = isTensor(b) ? b : null;
  if (ta && tb) {
    const dt = promoteTypes(ta.dtype, tb.dtype);
    return [astype(ta, dt), astype(tb, dt)];
  }
  if (ta) {
    const other = asTensor(b, ta.dtype);
    return [astype(ta, promoteTypes(ta.dtype, other.dtype)), astype(other, promoteTypes(ta.dtype, other.dtype))];
  }
  if (tb) {
    const other = asTensor(a, tb.dtype);
    return [astype(other, promoteTypes(tb.dtype, other.dtype)), astype(tb, promoteTypes(tb.dtype, other.dtype))];
  }
  const x = asTensor(a), y = asTensor(b);
  const dt = promoteTypes(x.dtype, y.dtype);
  return [astype(x, dt), astype(y, dt)];
}

const FLOAT_UNARY = new Set<UnaryOp>(["exp", "log", "log1p", "expm1", "sqrt", "tanh", "sigmoid", "sin", "cos"]);
const BOOL_RESULT = new Set<BinaryOp>([
  "equal",
  "notEqual",
  "greater",
  "greaterEqual",
  "less",
  "lessEqual",
  "logicalAnd",
  "logicalOr",
]);

function unary(op: UnaryOp, x: TensorLike, vjp?: (g: Tensor, x: Tensor, y: Tensor) => Tensor | null): Tensor {
  let t = asTensor(x);
  if (FLOAT_UNARY.has(op) && !isFloat(t.dtype)) t = astype(t, "float32");
  if (op === "logicalNot" && t.dtype !== "bool") t = astype(t, "bool");
  if (op === "neg" && t.dtype === "bool") {
    throw new TypeError(`neg: negation of a bool tensor of shape [${t.shape}] is not defined; use logicalNot`);
  }
  const outDtype = op === "logicalNot" ? "bool" : t.dtype;
  const out = wrap(t.backend.unary(op, t), t, t.shape, outDtype);
  if (vjp && isFloat(t.dtype)) record([t], [out], ([g]) => [g && vjp(g, t, out)]);
  return out;
}

function binary(
  op: BinaryOp,
  a: TensorLike,
  b: TensorLike,
  vjp?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  const [x, y] = coerce(a, b);
  const shape = shapesEqual(x.shape, y.shape) ? x.shape : broadcastShapes(op, x.shape, y.shape);
  const outDtype = BOOL_RESULT.has(op) ? "bool" : x.dtype;
  const out = wrap(x.backend.binary(op, x, y, shape), x, shape, outDtype);
  if (vjp && isFloat(x.dtype)) {
    record([x, y], [out], ([g]) => {
      if (!g) return [null, null];
      const [ga, gb] = vjp(g, x, y, out);
      return [ga && sumToShape(ga, x.shape), gb && sumToShape(gb, y.shape)];
    });
  }
  return out;
}

/**
 * Element-wise `a + b` with broadcasting.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.add(np.array([[1], [2]]), np.array([10, 20])); // [[11, 21], [12, 22]]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary("add", a, b, (g) => [g, g]);
}

/**
 * Element-wise `a - b`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.sub(np.array([3, 4]), 1); // [2, 3]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary("sub", a, b, (g) => [g, neg(g)]);
}

/**
 * Element-wise `a * b`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.mul(np.array([1, 2]), 2); // [2, 4]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary("mul", a, b, (g, x, y) => [mul(g, y), mul(g, x)]);
}

/**
 * Element-wise `a / b` (true division: integer operands give float32).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.div(np.array([3, 4], { dtype: "int32" }), 2); // float32 [1.5, 2]
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = coerce(a, b);
  if (!isFloat(x.dtype)) [x, y] = [astype(x, "float32"), astype(y, "float32")];
  return binary("div", x, y, (g, _p, q, out) => [div(g, q), neg(div(mul(g, out), q))]);
}

/**
 * Element-wise `a ** b`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.pow(np.array([2, 3]), 2); // [4, 9]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary("pow", a, b, (g, x, y, out) => {
    // As in JAX: d/dx is 0 where y == 0 (not 0 * inf at x == 0), and d/dy uses log(x) := 0 at x == 0.
    const dx = where(equal(y, 0), 0, mul(y, pow(x, sub(y, 1))));
    const xIsZero = equal(x, 0);
    const safeLog = where(xIsZero, 0, log(where(xIsZero, 1, x)));
    return [mul(g, dx), mul(g, mul(out, safeLog))];
  });
}

function tieSplit(g: Tensor, pick: Tensor, tie: Tensor): Tensor {
  return mul(g, add(astype(pick, g.dtype), mul(astype(tie, g.dtype), 0.5)));
}

/**
 * Element-wise maximum (NaN propagates; at ties the gradient is split, as
 * in JAX).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.maximum(np.array([-1, 2]), 0); // [0, 2] (relu)
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary("maximum", a, b, (g, x, y) => {
    const tie = equal(x, y);
    return [tieSplit(g, greater(x, y), tie), tieSplit(g, less(x, y), tie)];
  });
}

/**
 * Element-wise minimum.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.minimum(np.array([-1, 2]), 1); // [-1, 1]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary("minimum", a, b, (g, x, y) => {
    const tie = equal(x, y);
    return [tieSplit(g, less(x, y), tie), tieSplit(g, greater(x, y), tie)];
  });
}

/**
 * Element-wise remainder with the sign of the divisor (numpy `mod`). The
 * gradient is that of `a - b * floor(a / b)` with the floor held constant.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.mod(np.array([-3, 3]), 2); // [1, 1]
 * ```
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return binary("mod", a, b, (g, x, y) => [g, neg(mul(g, floor(div(x, y))))]);
}

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
  return unary("neg", x, (g) => neg(g));
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
  return unary("exp", x, (g, _x, y) => mul(g, y));
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
  return unary("log", x, (g, t) => div(g, t));
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
  return unary("log1p", x, (g, t) => div(g, add(t, 1)));
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
  return unary("expm1", x, (g, _t, y) => mul(g, add(y, 1)));
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
  return unary("sqrt", x, (g, _t, y) => div(mul(g, 0.5), y));
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
  return unary("tanh", x, (g, _t, y) => mul(g, sub(1, mul(y, y))));
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
  return unary("sigmoid", x, (g, _t, y) => mul(g, mul(y, sub(1, y))));
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
  return unary("abs", x, (g, t) => mul(g, sign(t)));
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
  return unary("sin", x, (g, t) => mul(g, cos(t)));
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
  return unary("cos", x, (g, t) => neg(mul(g, sin(t))));
}

/**
 * Element-wise `x * x`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.square(np.array([-3])); // [9]
 * ```
 */
export function square(x: TensorLike): Tensor {
  const t = asTensor(x);
  return mul(t, t);
}

/**
 * Element-wise `1 / x`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.reciprocal(np.array([2, 4])); // [0.5, 0.25]
 * ```
 */
export function reciprocal(x: TensorLike): Tensor {
  return div(1, x);
}

/**
 * Selects `a` where `cond` is true, else `b`, with broadcasting.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.array([-1, 2]);
 * np.where(np.greater(x, 0), x, 0); // [0, 2] (relu)
 * ```
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  let c = asTensor(cond);
  if (c.dtype !== "bool") c = astype(c, "bool");
  const [x, y] = coerce(a, b);
  let shape: number[];
  try {
    shape = broadcastShapes("where", broadcastShapes("where", c.shape, x.shape), y.shape);
  } catch {
    throw new RangeError(
      `where: shapes [${c.shape}] (condition), [${x.shape}] and [${y.shape}] cannot be broadcast together`,
    );
  }
  const out = wrap(x.backend.where(c, x, y, shape), x, shape, x.dtype);
  if (isFloat(x.dtype)) {
    record([x, y], [out], ([g]) => {
      if (!g) return [null, null];
      return [sumToShape(where(c, g, 0), x.shape), sumToShape(where(c, 0, g), y.shape)];
    });
  }
  return out;
}

/**
 * Limits values to `[lo, hi]` (either bound may be `null` or omitted); the
 * result is `hi` where `lo > hi`, as in `jnp.clip`. The gradient passes to
 * `x` where it is inside the bounds and to a bound where that bound is
 * taken. NaN stays NaN.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.clip(np.array([-1, 0.5, 2]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clip(x: TensorLike, lo: TensorLike | null = null, hi: TensorLike | null = null): Tensor {
  let t = asTensor(x);
  const l = lo === null ? null : asTensor(lo, t.dtype);
  const h = hi === null ? null : asTensor(hi, t.dtype);
  for (const bound of [l, h]) if (bound) broadcastShapes("clip", t.shape, bound.shape);
  if (l) t = where(less(t, l), l, t);
  if (h) t = where(greater(t, h), h, t);
  return t;
}
