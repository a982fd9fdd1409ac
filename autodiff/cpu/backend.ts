/**
 * The CPU backend: plain TypeScript over typed arrays. It is the reference
 * every other backend is tested against.
 *
 * @module
 */
import type { Backend, KernelTensor } from "../backend.ts";
import type { TypedArray } from "../dtype.ts";
import { binaryKernel, castKernel, unaryKernel, whereKernel } from "./elementwise.ts";
import {
  broadcastKernel,
  concatKernel,
  gatherKernel,
  padKernel,
  scatterAddKernel,
  sliceKernel,
  transposeKernel,
} from "./layout.ts";
import { matmulKernel } from "./matmul.ts";
import { argReduceKernel, reduceKernel } from "./reduce.ts";
import { convKernel } from "./conv.ts";
import { reduceWindowKernel, selectAndScatterMaxKernel } from "./window.ts";

/** The typed array behind a CPU tensor. */
export function cpuData(x: KernelTensor): TypedArray {
  return x.handle as TypedArray;
}

/**
 * The CPU backend instance (registered as `"cpu"`).
 *
 * @example
 * ```ts
 * import { setBackend } from "../../mod.ts";
 * setBackend("cpu");
 * ```
 */
export const cpuBackend: Backend = {
  name: "cpu",
  upload: (values) => values,
  readSync: (x) => cpuData(x),
  read: (x) => Promise.resolve(cpuData(x)),
  dispose: () => {},
  unary: (op, x) => unaryKernel(op, cpuData(x), x.dtype),
  binary: (op, a, b, outShape) => binaryKernel(op, cpuData(a), a.shape, cpuData(b), b.shape, outShape, a.dtype),
  where: (c, a, b, outShape) =>
    whereKernel(cpuData(c), c.shape, cpuData(a), a.shape, cpuData(b), b.shape, outShape, a.dtype),
  cast: (x, dtype) => castKernel(cpuData(x), dtype),
  reduce: (op, x, axes) => reduceKernel(op, cpuData(x), x.shape, axes, x.dtype),
  argReduce: (op, x, axis) => argReduceKernel(op, cpuData(x), x.shape, axis),
  transpose: (x, perm) => transposeKernel(cpuData(x), x.shape, perm, x.dtype),
  broadcastTo: (x, shape) => broadcastKernel(cpuData(x), x.shape, shape, x.dtype),
  slice: (x, starts, sizes, steps) => sliceKernel(cpuData(x), x.shape, starts, sizes, steps, x.dtype),
  pad: (x, pads, value) => padKernel(cpuData(x), x.shape, pads, value, x.dtype),
  concatenate: (xs, axis) => concatKernel(xs.map((x) => ({ data: cpuData(x), shape: x.shape })), axis, xs[0].dtype),
  gather: (x, indices, axis) => gatherKernel(cpuData(x), x.shape, cpuData(indices), axis, x.dtype),
  scatterAdd: (updates, indices, axis, outShape) =>
    scatterAddKernel(cpuData(updates), cpuData(indices), axis, outShape, updates.dtype),
  matmul: (a, b, outShape, transA, transB) =>
    matmulKernel(cpuData(a), a.shape, cpuData(b), b.shape, outShape, a.dtype, "auto", transA, transB),
  conv: (lhs, rhs, params, outShape) =>
    convKernel(cpuData(lhs), lhs.shape, cpuData(rhs), rhs.shape, params, outShape, lhs.dtype),
  reduceWindow: (op, x, params, outShape) => reduceWindowKernel(op, cpuData(x), x.shape, params, outShape, x.dtype),
  selectAndScatterMax: (x, cot, params) =>
    selectAndScatterMaxKernel(cpuData(x), x.shape, cpuData(cot), cot.shape, params, x.dtype),
};
