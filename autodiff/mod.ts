/**
 * Tensors, ops, reverse-mode autodiff, pytrees and backends.
 *
 * @example
 * ```ts
 * import { grad, np } from "./mod.ts";
 * grad((x) => np.sum(np.square(x)))(np.array([1, 2])); // [2, 4]
 * ```
 *
 * @module
 */
export * as np from "./np.ts";
export * as tree from "./tree.ts";
export * as random from "./random.ts";
export { isTensor, type NestedArray, Tensor } from "./tensor.ts";
export { devicePut, tidy } from "./memory.ts";
export { getNumThreads, setNumThreads } from "./cpu/threads.ts";
export type { DType, TypedArray } from "./dtype.ts";
export {
  type Backend,
  type DataHandle,
  findBackend,
  getBackend,
  type KernelTensor,
  registerBackend,
  setBackend,
} from "./backend.ts";
export { customVjp, grad, type GradOptions, stopGradient, valueAndGrad, vjp, type VjpResult } from "./transforms.ts";
export { type AxisSpec, vmap, type VmapOptions } from "./core/batch.ts";
export { type FunctionOf, jvp, linearize } from "./core/jvp.ts";
export { hessian, jacfwd, type JacobianFunction, type JacobianOptions, jacrev } from "./core/jacobian.ts";
export { bind, bind1 } from "./core/bind.ts";
export { findKernel, type Kernel, kernelFallbacks, registerKernel } from "./core/kernels.ts";
export {
  type Aval,
  type BatchRule,
  definePrimitive,
  type JvpRule,
  type Primitive,
  primitives,
  type PrimitiveSpec,
  type VjpRule,
} from "./core/primitive.ts";
export type { VjpFn } from "./tape.ts";
export { noGrad } from "./tape.ts";
export { scan, type ScanOptions } from "./scan.ts";
export type { PyTree } from "./tree.ts";
