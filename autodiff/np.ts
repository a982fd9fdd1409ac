/**
 * The `np` namespace: array creation and every op, named as in `jax.numpy`.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const y = np.sum(np.square(np.array([1, 2, 3])));
 * ```
 *
 * @module
 */
export {
  arange,
  array,
  type ArrayOptions,
  asTensor,
  type DTypeOptions,
  eye,
  type EyeOptions,
  fromTypedArray,
  full,
  linspace,
  ones,
  onesLike,
  type TensorLike,
  zeros,
  zerosLike,
} from "./ops/creation.ts";
export {
  abs,
  add,
  astype,
  ceil,
  clip,
  cos,
  div,
  equal,
  erf,
  erfinv,
  exp,
  expm1,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  maximum,
  minimum,
  mod,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  round,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from "./ops/elementwise.ts";
export {
  argmax,
  argmin,
  type Axis,
  logsumexp,
  max,
  mean,
  min,
  prod,
  std,
  sum,
  sumToShape,
  variance,
  variance as var,
} from "./ops/reduce.ts";
export {
  broadcastTo,
  concatenate,
  expandDims,
  moveaxis,
  pad,
  type PadWidth,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  swapaxes,
  transpose,
} from "./ops/layout.ts";
export { flip, repeat, roll, take, tile } from "./ops/indexing.ts";
export { dot, einsum, matmul } from "./ops/linalg.ts";
export { logSoftmax, oneHot, softmax } from "./ops/activation.ts";
export { convGeneralDilated } from "./ops/conv.ts";
export { reduceWindow } from "./ops/window.ts";
