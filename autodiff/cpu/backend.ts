/**
 * The CPU backend: plain TypeScript over typed arrays. It is the reference
 * every other backend is tested against. Its storage is here; its kernels
 * are registered per primitive in `kernels.ts` (and, for the fused
 * primitives, beside their kernel code).
 *
 * @module
 */
import type { Backend, KernelTensor } from "../backend.ts";
import { type Kernel, registerKernel } from "../core/kernels.ts";
import type { TypedArray } from "../dtype.ts";

/**
 * The typed array behind a CPU tensor.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * cpuData(np.array([1, 2])); // Float32Array [1, 2]
 * ```
 */
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
};

/**
 * Registers `kernel` as the CPU backend's implementation of the primitive
 * named `prim`.
 *
 * @example
 * ```ts
 * registerCpuKernel<null>("example_double", ([x]) => [cpuData(x).map((v) => 2 * v)]);
 * ```
 */
export function registerCpuKernel<P>(prim: string, kernel: Kernel<P>): void {
  registerKernel(prim, cpuBackend.name, kernel);
}
