/**
 * Element-wise primitives: dtype conversion, the front ends of the unary
 * and broadcast binary kernels (each op states how its VJP is built),
 * arithmetic, `where` and `clip`. Comparisons and logic live in
 * `comparison.ts`, unary math in `unary.ts`; all are re-exported here.
 *
 * @module
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";
import { checkDType, type DType, isFloat, promoteTypes } from "../dtype.ts";
import { broadcastShapes, shapesEqual } from "../shape.ts";
import { isTracked, record, type VjpFn } from "../tape.ts";
import { isTensor, Tensor } from "../tensor.ts";
import { equal, greater, less } from "./comparison.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { sumToShape } from "./reduce.ts";
import { floor, log, neg } from "./unary.ts";

export * from "./comparison.ts";
export * from "./unary.ts";

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
  if (isFloat(t.dtype) && isFloat(dtype)) record([t], [out], astypeVjp(t.dtype));
  return out;
}

function astypeVjp(from: DType): VjpFn {
  return ([g]) => [g && astype(g, from)];
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

/**
 * How an op's VJP is built from its input `x` and output `y`, once, when
 * the op runs. The tape keeps the returned function, hence whatever it
 * closes over, until the backward pass has run it: it should name only the
 * tensors its rule reads (`exp` keeps `y`, `neg` nothing).
 */
export type UnaryRule = (x: Tensor, y: Tensor) => (g: Tensor) => Tensor | null;

/**
 * As {@link UnaryRule}, for a binary op: `(x, y, out)` to `g` to `[dx, dy]`
 * before un-broadcasting. `need` says which operands some tape will ask a
 * cotangent of (a constant operand never is), so that a rule keeps only
 * what those read: `x * 2` need not keep `x`.
 */
export type BinaryRule = (
  x: Tensor,
  y: Tensor,
  out: Tensor,
  need: readonly [boolean, boolean],
) => (g: Tensor) => [Tensor | null, Tensor | null];

/**
 * A unary kernel call with dtype handling, recorded with `rule` when given
 * (no rule: zero gradient).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * unary("exp", np.array([0]), (_x, y) => (g) => np.mul(g, y)); // [1]
 * ```
 */
export function unary(op: UnaryOp, x: TensorLike, rule?: UnaryRule): Tensor {
  let t = asTensor(x);
  if (FLOAT_UNARY.has(op) && !isFloat(t.dtype)) t = astype(t, "float32");
  if (op === "logicalNot" && t.dtype !== "bool") t = astype(t, "bool");
  if (op === "neg" && t.dtype === "bool") {
    throw new TypeError(`neg: negation of a bool tensor of shape [${t.shape}] is not defined; use logicalNot`);
  }
  const outDtype = op === "logicalNot" ? "bool" : t.dtype;
  const out = wrap(t.backend.unary(op, t), t, t.shape, outDtype);
  if (rule && isFloat(t.dtype)) record([t], [out], unaryVjp(rule(t, out)));
  return out;
}

function unaryVjp(back: (g: Tensor) => Tensor | null): VjpFn {
  return ([g]) => [g && back(g)];
}

/**
 * A broadcasting binary kernel call on operands of one (promoted) dtype,
 * recorded with `rule` when given; the rule's cotangents are summed back to
 * the operands' shapes.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * binary("add", np.array([1]), np.array([2, 3]), () => (g) => [g, g]); // [3, 4]
 * ```
 */
export function binary(op: BinaryOp, a: TensorLike, b: TensorLike, rule?: BinaryRule): Tensor {
  const [x, y] = coerce(a, b);
  const shape = shapesEqual(x.shape, y.shape) ? x.shape : broadcastShapes(op, x.shape, y.shape);
  const outDtype = BOOL_RESULT.has(op) ? "bool" : x.dtype;
  const out = wrap(x.backend.binary(op, x, y, shape), x, shape, outDtype);
  if (rule && isFloat(x.dtype)) {
    record([x, y], [out], binaryVjp(rule(x, y, out, [isTracked(x), isTracked(y)]), x.shape, y.shape));
  }
  return out;
}

function binaryVjp(
  back: (g: Tensor) => [Tensor | null, Tensor | null],
  xShape: readonly number[],
  yShape: readonly number[],
): VjpFn {
  return ([g]) => {
    if (!g) return [null, null];
    const [ga, gb] = back(g);
    return [ga && sumToShape(ga, xShape), gb && sumToShape(gb, yShape)];
  };
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
  return binary("add", a, b, () => (g) => [g, g]);
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
  return binary("sub", a, b, () => (g) => [g, neg(g)]);
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
  return binary("mul", a, b, (x, y, _out, [needX, needY]) => {
    const forX = needX ? y : null, forY = needY ? x : null;
    return (g) => [forX && mul(g, forX), forY && mul(g, forY)];
  });
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
  return binary("div", x, y, (_p, q, out, [needP, needQ]) => {
    const quotient = needQ ? out : null;
    return (g) => [needP ? div(g, q) : null, quotient && neg(div(mul(g, quotient), q))];
  });
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
  return binary("pow", a, b, (x, y, out, [needX, needY]) => {
    const power = needY ? out : null;
    return (g) => {
      // As in JAX: d/dx is 0 where y == 0 (not 0 * inf at x == 0), and d/dy uses log(x) := 0 at x == 0.
      const dx = needX ? mul(g, where(equal(y, 0), 0, mul(y, pow(x, sub(y, 1))))) : null;
      if (!power) return [dx, null];
      const xIsZero = equal(x, 0);
      const safeLog = where(xIsZero, 0, log(where(xIsZero, 1, x)));
      return [dx, mul(g, mul(power, safeLog))];
    };
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
  return binary("maximum", a, b, (x, y) => (g) => {
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
  return binary("minimum", a, b, (x, y) => (g) => {
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
  return binary("mod", a, b, (x, y, _out, [, needY]) => {
    const operands = needY ? [x, y] : null;
    return (g) => [g, operands && neg(mul(g, floor(div(operands[0], operands[1]))))];
  });
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
  if (isFloat(x.dtype)) record([x, y], [out], whereVjp(c, x.shape, y.shape));
  return out;
}

function whereVjp(c: Tensor, xShape: readonly number[], yShape: readonly number[]): VjpFn {
  return ([g]) => {
    if (!g) return [null, null];
    return [sumToShape(where(c, g, 0), xShape), sumToShape(where(c, 0, g), yShape)];
  };
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
