/**
 * The names of the element-wise primitives, in one place for the ops that
 * declare them and the backends that implement them (a leaf module: the
 * kernel files import it while the ops are still being evaluated).
 *
 * @module
 */

/**
 * Element-wise primitives of one operand that the compiled loops implement
 * (`erf` and `erfinv` are separate: scalar functions, not expressions).
 *
 * @example
 * ```ts
 * UNARY_OPS.includes("tanh"); // true
 * ```
 */
export const UNARY_OPS = [
  "neg",
  "exp",
  "log",
  "log1p",
  "expm1",
  "sqrt",
  "tanh",
  "sigmoid",
  "abs",
  "sign",
  "floor",
  "ceil",
  "round",
  "sin",
  "cos",
  "logicalNot",
] as const;

/** The name of a primitive in {@link UNARY_OPS}. */
export type UnaryOp = typeof UNARY_OPS[number];

/**
 * Element-wise primitives of two broadcast operands of one dtype; the last
 * eight are comparisons (their result is bool).
 *
 * @example
 * ```ts
 * BINARY_OPS.includes("maximum"); // true
 * ```
 */
export const BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "mod",
  "equal",
  "notEqual",
  "greater",
  "greaterEqual",
  "less",
  "lessEqual",
  "logicalAnd",
  "logicalOr",
] as const;

/** The name of a primitive in {@link BINARY_OPS}. */
export type BinaryOp = typeof BINARY_OPS[number];

/**
 * The comparisons among {@link BINARY_OPS}.
 *
 * @example
 * ```ts
 * COMPARISONS.has("less"); // true
 * ```
 */
export const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(BINARY_OPS.slice(8));
