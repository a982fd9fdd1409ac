/**
 * The WebGPU backend (SPEC §11): `initWebGPU` opens a device and registers
 * the backend `"webgpu"`, whose kernels are WGSL generated per primitive.
 *
 * @example
 * ```ts
 * import { np, setBackend } from "../mod.ts";
 * import { initWebGPU } from "./mod.ts";
 * await initWebGPU();
 * setBackend("webgpu");
 * await np.sum(np.ones([1000])).data(); // Float32Array [1000]
 * ```
 *
 * @module
 */
export { closeWebGPU, initWebGPU, type WebGPUOptions } from "./init.ts";
export type { DeviceInfo } from "./protocol.ts";
