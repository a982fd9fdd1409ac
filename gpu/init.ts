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
let device: DeviceClient | null = null;
let closed = false;

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
  if (closed) {
    return Promise.reject(
      new Error("initWebGPU: the device was closed by closeWebGPU(); a process opens one WebGPU device"),
    );
  }
  opened ??= open(options).catch((e) => {
    opened = null;
    throw e;
  });
  return opened;
}

/**
 * Destroys the WebGPU device and, where it runs in a worker, ends the
 * worker; resolves once the worker thread is gone. Tensors on `"webgpu"`
 * are unusable afterwards (using one throws), and `initWebGPU` cannot open
 * another device. A script need not call it: the device is closed when the
 * program ends. A runtime that ends without Node's `beforeExit` event does
 * need it, as `deno test` does with each test file: a device worker still
 * being torn down while the process exits can crash the process in the
 * graphics driver's unloading (seen with Mesa's software driver), so a
 * test file that uses the GPU closes it in an `after` hook. Does nothing
 * where no device was opened.
 *
 * @example
 * ```ts
 * import { after } from "node:test";
 * import { closeWebGPU, initWebGPU } from "./mod.ts";
 * await initWebGPU();
 * after(closeWebGPU);
 * ```
 */
export async function closeWebGPU(): Promise<void> {
  if (opened === null) return;
  closed = true;
  await opened.catch(() => undefined);
  await device?.close();
}

async function open(options: WebGPUOptions): Promise<DeviceInfo> {
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
