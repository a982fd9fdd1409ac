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
 * astype(x, "float64");
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

/** Converts two op arguments to tensors of one dtype (JAX promotion, weak scalars). */
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

function unary(op: UnaryOp, x: TensorLike, vjp?: (g: Tensor, x: Tensor, y: Tensor) => Tensor | null): Tensor {
  let t = asTensor(x);
  if (FLOAT_UNARY.has(op) && !isFloat(t.dtype)) t = astype(t, "float32");
  if (op === "logicalNot" && t.dtype !== "bool") t = astype(t, "bool");
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
  const isCmp = vjp === undefined;
  const outDtype = isCmp && op !== "mod" ? "bool" : x.dtype;
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
 * add(x, 1);
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
 * sub(x, y);
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
 * mul(x, 2);
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
 * div(x, 3);
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
 * pow(x, 2);
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary("pow", a, b, (g, x, y, out) => {
    const safeLog = where(equal(x, 0), 0, log(where(equal(x, 0), 1, x)));
    return [mul(g, mul(y, pow(x, sub(y, 1)))), mul(g, mul(out, safeLog))];
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
 * maximum(x, 0); // relu
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
 * minimum(x, 1);
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary("minimum", a, b, (g, x, y) => {
    const tie = equal(x, y);
    return [tieSplit(g, less(x, y), tie), tieSplit(g, greater(x, y), tie)];
  });
}

/**
 * Element-wise remainder with the sign of the divisor (numpy `mod`); not
 * differentiable.
 *
 * @example
 * ```ts
 * mod(x, 2);
 * ```
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return binary("mod", a, b);
}

/**
 * Element-wise `a == b` (bool).
 *
 * @example
 * ```ts
 * equal(x, 0);
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
 * notEqual(x, 0);
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
 * greater(u, 0);
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
 * greaterEqual(x, 0);
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
 * less(x, 0);
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
 * lessEqual(x, 0);
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
 * logicalAnd(greater(x, 0), less(x, 1));
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
 * logicalOr(m1, m2);
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
 * logicalNot(mask);
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
 * neg(x);
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
 * exp(x);
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
 * log(x);
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
 * log1p(x);
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
 * expm1(x);
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
 * sqrt(x);
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
 * tanh(x);
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
 * sigmoid(x);
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
 * abs(x);
 * ```
 */
export function abs(x: TensorLike): Tensor {
  return unary("abs", x, (g, t) => mul(g, sign(t)));
}

/**
 * Element-wise sign (-1, 0, 1); zero gradient.
 *
 * @example
 * ```ts
 * sign(x);
 * ```
 */
export function sign(x: TensorLike): Tensor {
  return unary("sign", x, (g) => mul(g, 0));
}

/**
 * Element-wise floor; zero gradient.
 *
 * @example
 * ```ts
 * floor(x);
 * ```
 */
export function floor(x: TensorLike): Tensor {
  return unary("floor", x, (g) => mul(g, 0));
}

/**
 * Element-wise ceiling; zero gradient.
 *
 * @example
 * ```ts
 * ceil(x);
 * ```
 */
export function ceil(x: TensorLike): Tensor {
  return unary("ceil", x, (g) => mul(g, 0));
}

/**
 * Element-wise rounding, halves to even (numpy); zero gradient.
 *
 * @example
 * ```ts
 * round(x);
 * ```
 */
export function round(x: TensorLike): Tensor {
  return unary("round", x, (g) => mul(g, 0));
}

/**
 * Element-wise sine.
 *
 * @example
 * ```ts
 * sin(x);
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
 * cos(x);
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
 * square(x);
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
 * reciprocal(x);
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
 * where(greater(x, 0), x, 0); // relu
 * ```
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  let c = asTensor(cond);
  if (c.dtype !== "bool") c = astype(c, "bool");
  const [x, y] = coerce(a, b);
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, x.shape), y.shape);
  const out = wrap(x.backend.where(c, x, y, shape), x, shape, x.dtype);
  if (isFloat(x.dtype)) {
    record([x, y], [out], ([g]) => {
      if (!g) return [null, null];
      const zero = mul(g, 0);
      return [sumToShape(where(c, g, zero), x.shape), sumToShape(where(c, zero, g), y.shape)];
    });
  }
  return out;
}

/**
 * Limits values to `[lo, hi]` (either bound may be `null`). The gradient
 * passes where the value is inside the bounds, as in `jnp.clip`.
 *
 * @example
 * ```ts
 * clip(beta, 0, 1);
 * ```
 */
export function clip(x: TensorLike, lo: TensorLike | null, hi: TensorLike | null): Tensor {
  let t = asTensor(x);
  if (lo !== null) {
    const l = asTensor(lo, t.dtype);
    t = where(less(t, l), l, t);
  }
  if (hi !== null) {
    const h = asTensor(hi, t.dtype);
    t = where(greater(t, h), h, t);
  }
  return t;
}
