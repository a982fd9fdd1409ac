/**
 * Element-wise primitives of two operands (arithmetic; comparisons and
 * logic are in `comparison.ts`), `where`, and dtype conversion, with their
 * rules; `clip`, `square` and `reciprocal` built on them. Unary math is in
 * `unary.ts`; both are re-exported here.
 *
 * A binary primitive's derivative is one rule, `(x, y, out) => g => [dx, dy]`
 * (before un-broadcasting): the VJP applies it to the output cotangent, the
 * JVP to each operand's tangent (`dout = rule(tx)[0] + rule(ty)[1]`).
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchAligned } from "../core/batch.ts";
import { type Aval, definePrimitive, type Primitive } from "../core/primitive.ts";
import { checkDType, type DType, isFloat, promoteTypes } from "../dtype.ts";
import { broadcastShapes, shapesEqual } from "../shape.ts";
import type { VjpFn } from "../tape.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { equal, greater, less } from "./comparison.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { broadcastTo } from "./layout.ts";
import { sumToShape } from "./reduce.ts";
import { floor, log, neg } from "./unary.ts";

export * from "./comparison.ts";
export * from "./unary.ts";

/** Parameters of the cast primitive. */
export interface CastParams {
  readonly dtype: DType;
}

/** Dtype conversion (float to integer: XLA's, see `cpu/elementwise.ts`). */
export const CAST: Primitive<CastParams> = definePrimitive<CastParams>({
  name: "cast",
  abstractEval: ([x], { dtype }) => [{ shape: x.shape, dtype }],
  vjp: ([x], _outs, { dtype }) => castVjp(x.dtype, dtype),
  jvp: ([x], [t], p) => [[bind1(CAST, [x], p)], [t && isFloat(p.dtype) ? astype(t, p.dtype) : null]],
  batch: ([x], [d], p) => [[bind1(CAST, [x], p)], [d]],
});

function castVjp(from: DType, to: DType): VjpFn {
  return ([g]) => [g && isFloat(to) ? astype(g, from) : null];
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
  return bind1(CAST, [t], { dtype });
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

/**
 * How a binary op's derivative is built from its operands `x`, `y` and
 * output `out`, once, when the op runs: `g => [dx, dy]` before
 * un-broadcasting. The tape keeps the returned function, hence whatever it
 * closes over, until the backward pass has run it: `need` says which
 * operands a cotangent or tangent is wanted for, so that the rule keeps
 * only what those read (`x * 2` need not keep `x`).
 */
export type BinaryRule = (
  x: Tensor,
  y: Tensor,
  out: Tensor,
  need: readonly [boolean, boolean],
) => (g: Tensor) => [Tensor | null, Tensor | null];

/** The output aval of a broadcast binary op. */
function broadcastAval(name: string, x: Aval, y: Aval, bool: boolean): Aval {
  const shape = shapesEqual(x.shape, y.shape) ? x.shape : broadcastShapes(name, x.shape, y.shape);
  return { shape, dtype: bool ? "bool" : x.dtype };
}

/** Element-wise batching: batch axes first, padded so that every operand broadcasts against the others. */
function elementwiseBatch(
  prim: Primitive<null>,
  values: readonly Tensor[],
  dims: readonly (number | null)[],
): [Tensor[], number[]] {
  let rank = 0;
  values.forEach((v, i) => (rank = Math.max(rank, v.ndim - (dims[i] === null ? 0 : 1))));
  return [[bind1(prim, values.map((v, i) => batchAligned(v, dims[i], rank)), null)], [0]];
}

/**
 * Declares a broadcasting binary primitive on operands of one dtype, with
 * `rule` as its derivative (none: not differentiable) and `bool` results
 * for comparisons.
 *
 * @example
 * ```ts
 * const ADD = binaryPrimitive("add", () => (g) => [g, g]);
 * ```
 */
export function binaryPrimitive(name: string, rule: BinaryRule | null, bool = false): Primitive<null> {
  const prim: Primitive<null> = definePrimitive<null>({
    name,
    abstractEval: ([x, y]) => [broadcastAval(name, x, y, bool)],
    nonDifferentiable: rule === null,
    vjp: rule === null
      ? undefined
      : ([x, y], [out], _p, tracked) => binaryVjp(rule(x, y, out, [tracked[0], tracked[1]]), x.shape, y.shape),
    jvp: rule === null ? undefined : ([x, y], [tx, ty]) => {
      const out = bind1(prim, [x, y], null);
      const dx = tx && rule(x, y, out, [true, false])(tx)[0];
      const dy = ty && rule(x, y, out, [false, true])(ty)[1];
      const sum = dx && dy ? add(dx, dy) : dx ?? dy;
      return [[out], [sum && !shapesEqual(sum.shape, out.shape) ? broadcastTo(sum, out.shape) : sum]];
    },
    batch: (values, dims) => elementwiseBatch(prim, values, dims),
  });
  return prim;
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
 * Binds a binary primitive on `a` and `b` after converting them to one dtype.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * binary(ADD, np.array([1]), np.array([2, 3])); // [3, 4]
 * ```
 */
export function binary(prim: Primitive<null>, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = coerce(a, b);
  if (!shapesEqual(x.shape, y.shape)) broadcastShapes(prim.name, x.shape, y.shape);
  return bind1(prim, [x, y], null);
}

/** `a + b`. */
export const ADD: Primitive<null> = binaryPrimitive("add", () => (g) => [g, g]);
/** `a - b`. */
export const SUB: Primitive<null> = binaryPrimitive("sub", () => (g) => [g, neg(g)]);
/** `a * b`. */
export const MUL: Primitive<null> = binaryPrimitive("mul", (x, y, _out, [needX, needY]) => {
  const forX = needX ? y : null, forY = needY ? x : null;
  return (g) => [forX && mul(g, forX), forY && mul(g, forY)];
});
/** `a / b` (float operands). */
export const DIV: Primitive<null> = binaryPrimitive("div", (_p, q, out, [needP, needQ]) => {
  const quotient = needQ ? out : null;
  return (g) => [needP ? div(g, q) : null, quotient && neg(div(mul(g, quotient), q))];
});
/** `a ** b`. */
export const POW: Primitive<null> = binaryPrimitive("pow", (x, y, out, [needX, needY]) => {
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
/** Element-wise maximum (ties split the gradient). */
export const MAXIMUM: Primitive<null> = binaryPrimitive("maximum", (x, y) => (g) => {
  const tie = equal(x, y);
  return [tieSplit(g, greater(x, y), tie), tieSplit(g, less(x, y), tie)];
});
/** Element-wise minimum (ties split the gradient). */
export const MINIMUM: Primitive<null> = binaryPrimitive("minimum", (x, y) => (g) => {
  const tie = equal(x, y);
  return [tieSplit(g, less(x, y), tie), tieSplit(g, greater(x, y), tie)];
});
/** Remainder with the divisor's sign. */
export const MOD: Primitive<null> = binaryPrimitive("mod", (x, y, _out, [, needY]) => {
  const operands = needY ? [x, y] : null;
  return (g) => [g, operands && neg(mul(g, floor(div(operands[0], operands[1]))))];
});

function tieSplit(g: Tensor, pick: Tensor, tie: Tensor): Tensor {
  return mul(g, add(astype(pick, g.dtype), mul(astype(tie, g.dtype), 0.5)));
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
  return binary(ADD, a, b);
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
  return binary(SUB, a, b);
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
  return binary(MUL, a, b);
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
  return binary(DIV, x, y);
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
  return binary(POW, a, b);
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
  return binary(MAXIMUM, a, b);
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
  return binary(MINIMUM, a, b);
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
  return binary(MOD, a, b);
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

/** `cond ? a : b` with broadcasting (cond bool, a and b of one dtype). */
export const WHERE: Primitive<null> = definePrimitive<null>({
  name: "where",
  abstractEval: ([c, x, y]) => [{
    shape: broadcastShapes("where", broadcastShapes("where", c.shape, x.shape), y.shape),
    dtype: x.dtype,
  }],
  vjp: ([c, x, y]) => whereVjp(c, x.shape, y.shape),
  jvp: ([c, x, y], [, tx, ty]) => {
    const out = bind1(WHERE, [c, x, y], null);
    if (tx === null && ty === null) return [[out], [null]];
    const t = where(c, tx ?? 0, ty ?? 0);
    return [[out], [shapesEqual(t.shape, out.shape) ? t : broadcastTo(t, out.shape)]];
  },
  batch: (values, dims) => elementwiseBatch(WHERE, values, dims),
});

function whereVjp(c: Tensor, xShape: readonly number[], yShape: readonly number[]): VjpFn {
  return ([g]) => {
    if (!g) return [null, null, null];
    return [null, sumToShape(where(c, g, 0), xShape), sumToShape(where(c, 0, g), yShape)];
  };
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
  try {
    broadcastShapes("where", broadcastShapes("where", c.shape, x.shape), y.shape);
  } catch {
    throw new RangeError(
      `where: shapes [${c.shape}] (condition), [${x.shape}] and [${y.shape}] cannot be broadcast together`,
    );
  }
  return bind1(WHERE, [c, x, y], null);
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
