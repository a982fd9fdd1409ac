/**
 * The CPU backend's kernels, one per primitive: the entries of the kernel
 * registry for `"cpu"`. Each adapts a primitive's operands and params to
 * the typed-array kernels of this folder. Fused primitives (neuron
 * sequences, Adam's update, random samplers) register theirs in their own
 * files beside the kernel code.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../backend.ts";
import type { Kernel } from "../core/kernels.ts";
import { allocate, type TypedArray } from "../dtype.ts";
import { erf, erfinv, erfinvFloat32 } from "../erf.ts";
import type { CastParams } from "../ops/elementwise.ts";
import type { CheckValuesParams } from "../ops/identity.ts";
import type { ConvParams } from "../ops/conv.ts";
import type { GatherParams, ScatterAddParams } from "../ops/indexing.ts";
import type { ConcatenateParams, PadParams, ShapeParams, SliceParams, TransposeParams } from "../ops/layout.ts";
import type { MatmulParams } from "../ops/linalg.ts";
import type { ArgReduceParams, ReduceParams } from "../ops/reduce.ts";
import type { WindowParams } from "../ops/window.ts";
import { cpuData, registerCpuKernel } from "./backend.ts";
import { convKernel } from "./conv.ts";
import { binaryKernel, castKernel, unaryKernel, whereKernel } from "./elementwise.ts";
import { BINARY_OPS, UNARY_OPS } from "../ops/elementwise_names.ts";
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
import { argReduceKernel, reduceKernel, type ReduceOp } from "./reduce.ts";
import { reduceWindowKernel, selectAndScatterMaxKernel, windowSelectMaxKernel } from "./window.ts";
import "./random.ts";
import "./cell_kernels.ts";
import "./adam.ts";

/** The typed array of each operand's storage. */
type Out = DataHandle[];

for (const op of UNARY_OPS) registerCpuKernel<null>(op, ([x]): Out => [unaryKernel(op, cpuData(x), x.dtype)]);

/** A scalar function applied element by element (functions the compiled loops cannot name). */
function mapKernel(f32: (v: number) => number, f64: (v: number) => number): Kernel<null> {
  return ([x]): Out => {
    const src = cpuData(x), out = allocate(x.dtype, src.length);
    const f = x.dtype === "float64" ? f64 : f32;
    for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
    return [out];
  };
}
registerCpuKernel("erf", mapKernel(erf, erf));
// float32 uses XLA's float32 polynomial, as random.normal does, so that both give JAX's numbers.
registerCpuKernel("erfinv", mapKernel(erfinvFloat32, erfinv));

for (const op of BINARY_OPS) {
  registerCpuKernel<null>(op, ([a, b], _p, [out]): Out => [
    binaryKernel(op, cpuData(a), a.shape, cpuData(b), b.shape, out.shape, a.dtype),
  ]);
}

registerCpuKernel<null>("where", ([c, a, b], _p, [out]): Out => [
  whereKernel(cpuData(c), c.shape, cpuData(a), a.shape, cpuData(b), b.shape, out.shape, a.dtype),
]);
registerCpuKernel<CastParams>("cast", ([x], { dtype }): Out => [castKernel(cpuData(x), dtype)]);

const reductions: ReduceOp[] = ["sum", "max", "min", "prod"];
for (const op of reductions) {
  registerCpuKernel<ReduceParams>(`reduce_${op}`, ([x], { axes }): Out => [
    reduceKernel(op, cpuData(x), x.shape, axes, x.dtype),
  ]);
}
for (const op of ["argmax", "argmin"] as const) {
  registerCpuKernel<ArgReduceParams>(op, ([x], { axis }): Out => [argReduceKernel(op, cpuData(x), x.shape, axis)]);
}

registerCpuKernel<TransposeParams>("transpose", ([x], { perm }): Out => [
  transposeKernel(cpuData(x), x.shape, perm, x.dtype),
]);
registerCpuKernel<ShapeParams>("broadcast_to", ([x], { shape }): Out => [
  broadcastKernel(cpuData(x), x.shape, shape, x.dtype),
]);
registerCpuKernel<SliceParams>("slice", ([x], { starts, sizes, steps }): Out => [
  sliceKernel(cpuData(x), x.shape, starts, sizes, steps, x.dtype),
]);
registerCpuKernel<PadParams>("pad", ([x], { pads, value }): Out => [
  padKernel(cpuData(x), x.shape, pads, value, x.dtype),
]);
registerCpuKernel<ConcatenateParams>("concatenate", (xs, { axis }): Out => [
  concatKernel(xs.map((x: KernelTensor) => ({ data: cpuData(x) as TypedArray, shape: x.shape })), axis, xs[0].dtype),
]);
registerCpuKernel<GatherParams>("gather", ([x, idx], { axis }): Out => [
  gatherKernel(cpuData(x), x.shape, cpuData(idx), axis, x.dtype),
]);
registerCpuKernel<ScatterAddParams>("scatter_add", ([u, idx], { axis, shape }): Out => [
  scatterAddKernel(cpuData(u), cpuData(idx), axis, shape, u.dtype),
]);

registerCpuKernel<MatmulParams>("matmul", ([a, b], { transA, transB }, [out]): Out => [
  matmulKernel(cpuData(a), a.shape, cpuData(b), b.shape, out.shape, a.dtype, "auto", transA, transB),
]);
registerCpuKernel<ConvParams>("conv", ([lhs, rhs], params, [out]): Out => [
  convKernel(cpuData(lhs), lhs.shape, cpuData(rhs), rhs.shape, params, out.shape, lhs.dtype),
]);
for (const op of ["sum", "max"] as const) {
  registerCpuKernel<WindowParams>(`reduce_window_${op}`, ([x], params, [out]): Out => [
    reduceWindowKernel(op, cpuData(x), x.shape, params, out.shape, x.dtype),
  ]);
}
registerCpuKernel<WindowParams>("select_and_scatter_max", ([x, cot], params): Out => [
  selectAndScatterMaxKernel(cpuData(x), x.shape, cpuData(cot), cot.shape, params, x.dtype),
]);
registerCpuKernel<WindowParams>("window_select_max", ([x, h], params, [out]): Out => [
  windowSelectMaxKernel(cpuData(x), x.shape, cpuData(h), params, out.shape, h.dtype),
]);

registerCpuKernel<CheckValuesParams>("check_values", ([x], { min, max, integer, what }): Out => {
  const data = cpuData(x);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
      const want = integer ? `be integers in [${min}, ${max}]` : `lie in [${min}, ${max}]`;
      throw new RangeError(`${what} must ${want}, got ${Number.isNaN(v) ? "NaN" : v} at flat index ${i}`);
    }
  }
  return [x.handle];
});
