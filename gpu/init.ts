/**
 * `initWebGPU`: opens a device and registers the `"webgpu"` backend with
 * its kernels. Under Deno (and wherever `navigator.gpu` and
 * `node:worker_threads` exist) the device lives in a worker, so that
 * `dataSync()` can wait for a result; a `GPU` object passed as
 * `options.gpu` (the npm `webgpu` package under Bun and Node) runs in this
 * thread, where results are read with `await t.data()`.
 *
 * @module
 */
import { registerBackend } from "../autodiff/backend.ts";
import { useDevice, webgpuBackend } from "./backend.ts";
import { type DeviceClient, LocalDevice, WorkerDevice } from "./device.ts";
import type { DeviceInfo } from "./protocol.ts";
import "./kernels/mod.ts";

/** Options of {@link initWebGPU}. */
export interface WebGPUOptions {
  /** A `GPU` object to use instead of `navigator.gpu` (e.g. the npm `webgpu` package's `create([])`). */
  gpu?: GPU;
}

let opened: Promise<DeviceInfo> | null = null;

/**
 * Requests a WebGPU adapter and device, registers the backend `"webgpu"`
 * and resolves to the adapter's `{ description, limits, features }`. It
 * does not select the backend (`setBackend("webgpu")` does). Without an
 * adapter it rejects with an error that says so. Calling it again returns
 * the same device.
 *
 * @example
 * ```ts
 * import { np, setBackend } from "../mod.ts";
 * import { initWebGPU } from "./mod.ts";
 * const info = await initWebGPU();
 * setBackend("webgpu");
 * const y = np.exp(np.array([0, 1])); // computed on the GPU
 * await y.data(); // Float32Array [1, 2.718...]
 * ```
 */
export function initWebGPU(options: WebGPUOptions = {}): Promise<DeviceInfo> {
  opened ??= open(options).catch((e) => {
    opened = null;
    throw e;
  });
  return opened;
}

async function open(options: WebGPUOptions): Promise<DeviceInfo> {
  let device: DeviceClient;
  if (options.gpu !== undefined) device = await LocalDevice.open(options.gpu);
  else if (typeof navigator === "undefined" || !navigator.gpu) {
    throw new Error(
      "initWebGPU: no WebGPU adapter: navigator.gpu is missing here (under Node or Bun pass { gpu } from the npm webgpu package)",
    );
  } else device = await WorkerDevice.open();
  useDevice(device);
  registerBackend(webgpuBackend);
  return device.info;
}
