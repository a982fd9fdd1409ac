/**
 * The WebGPU backend's storage: tensors are device buffers named by
 * {@link GpuHandle}s; uploads, reads and releases become device commands.
 * A handle no tensor can reach any more releases its buffer through a
 * `FinalizationRegistry`; `t.dispose()` and `tidy` release it sooner.
 * Freed buffers are pooled by the executor for reuse.
 *
 * Element types: float32, int32 and uint32 as themselves; bool as one u32
 * per element (WGSL has no byte-sized storage), converted on upload and
 * read. float64 is an error that names it.
 *
 * @module
 */
import type { Backend, DataHandle, KernelTensor } from "../autodiff/backend.ts";
import type { DType, TypedArray } from "../autodiff/dtype.ts";
import type { DeviceClient } from "./device.ts";

/** A tensor's device buffer. */
export interface GpuHandle {
  /** The executor's buffer id. */
  readonly id: number;
  /** Buffer size in bytes (a multiple of 4, at least 4). */
  readonly bytes: number;
}

/** The backend's name. */
export const WEBGPU = "webgpu";

/** The dtypes the device stores. */
const SUPPORTED: readonly DType[] = ["float32", "int32", "uint32", "bool"];

/**
 * Throws the error for a dtype the device does not support, naming `op`
 * (the test harness skips float64 cases on this message).
 *
 * @example
 * ```ts
 * checkDeviceDType("np.array", "float32"); // fine
 * ```
 */
export function checkDeviceDType(op: string, dtype: DType): void {
  if (!SUPPORTED.includes(dtype)) {
    throw new TypeError(
      `${op}: the webgpu backend does not support the dtype ${dtype} (it stores ${SUPPORTED.join(", ")}); ` +
        `keep ${dtype} tensors on the cpu backend`,
    );
  }
}

/** Bytes of `n` elements on the device (bools take 4 bytes). */
export function deviceBytes(n: number): number {
  return Math.max(4, n * 4);
}

let client: DeviceClient | null = null;
let nextId = 1;

const registry = new FinalizationRegistry<number>((id) => client?.send({ op: "free", id }));

/**
 * The device of the initialised backend.
 *
 * @example
 * ```ts
 * deviceClient().info.description;
 * ```
 */
export function deviceClient(): DeviceClient {
  if (client === null) throw new Error("webgpu: the backend is not initialised; await initWebGPU() first");
  return client;
}

/**
 * A new buffer of `n` elements (`data`: its initial contents, given up by
 * the caller; else uninitialised, for a kernel's output).
 *
 * @example
 * ```ts
 * const h = newBuffer(16); // room for 16 float32 values
 * ```
 */
export function newBuffer(n: number, data?: ArrayBuffer): GpuHandle {
  const c = deviceClient();
  const handle: GpuHandle = { id: nextId++, bytes: deviceBytes(n) };
  const limit = c.info.limits.maxBufferSize;
  if (limit !== undefined && handle.bytes > limit) {
    throw new RangeError(
      `webgpu: a tensor of ${n} elements (${handle.bytes} bytes) exceeds the device's largest buffer ` +
        `(maxBufferSize ${limit} bytes on ${c.info.description}); keep it on the cpu backend or split it`,
    );
  }
  c.send({ op: "create", id: handle.id, bytes: handle.bytes, data }, data ? [data] : []);
  registry.register(handle, handle.id, handle);
  return handle;
}

function hostToDevice(values: TypedArray, dtype: DType): ArrayBuffer {
  const out = new ArrayBuffer(deviceBytes(values.length));
  if (dtype === "bool") new Uint32Array(out).set(values);
  else new Uint8Array(out).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return out;
}

function deviceToHost(data: ArrayBuffer, x: KernelTensor): TypedArray {
  const n = x.shape.reduce((a, b) => a * b, 1);
  switch (x.dtype) {
    case "float32":
      return new Float32Array(data, 0, n);
    case "int32":
      return new Int32Array(data, 0, n);
    case "uint32":
      return new Uint32Array(data, 0, n);
    case "bool":
      return Uint8Array.from(new Uint32Array(data, 0, n), (v) => (v !== 0 ? 1 : 0));
    default:
      throw new TypeError(`webgpu: internal: a ${x.dtype} tensor on the device`);
  }
}

/**
 * The WebGPU backend (registered as `"webgpu"` by `initWebGPU`).
 *
 * @example
 * ```ts
 * import { initWebGPU } from "./mod.ts";
 * await initWebGPU(); // registers webgpuBackend
 * ```
 */
/**
 * How one read is carried out: the buffer actually read (the target, or a
 * copy with more behind it), what to do with the bytes, and what to
 * release after. `value_checks.ts` installs the planner that brings the
 * verdicts of pending value checks back with every read.
 */
export interface ReadPlan {
  /** The buffer to read. */
  readonly handle: GpuHandle;
  /** Checks the bytes read (may throw) and returns them. */
  finish(data: ArrayBuffer): ArrayBuffer;
  /** Frees what the plan made. */
  release(): void;
}

let planRead = (handle: GpuHandle): ReadPlan => ({ handle, finish: (d) => d, release: () => {} });

/**
 * Installs the read planner (see {@link ReadPlan}).
 *
 * @example
 * ```ts
 * setReadPlanner((handle) => ({ handle, finish: (d) => d, release: () => {} }));
 * ```
 */
export function setReadPlanner(planner: (target: GpuHandle) => ReadPlan): void {
  planRead = planner;
}

export const webgpuBackend: Backend = {
  name: WEBGPU,
  upload(values: TypedArray, dtype: DType): DataHandle {
    checkDeviceDType("upload", dtype);
    return newBuffer(values.length, hostToDevice(values, dtype));
  },
  readSync(x: KernelTensor): TypedArray {
    const c = deviceClient();
    if (!c.canReadSync) return c.readSync(x.handle as GpuHandle) as never;
    const plan = planRead(x.handle as GpuHandle);
    try {
      return deviceToHost(plan.finish(c.readSync(plan.handle)), x);
    } finally {
      plan.release();
    }
  },
  async read(x: KernelTensor): Promise<TypedArray> {
    const plan = planRead(x.handle as GpuHandle);
    try {
      return deviceToHost(plan.finish(await deviceClient().read(plan.handle)), x);
    } finally {
      plan.release();
    }
  },
  dispose(handle: DataHandle): void {
    const h = handle as GpuHandle;
    if (registry.unregister(h)) client?.send({ op: "free", id: h.id });
  },
};

/**
 * Installs the device the backend uses (called once by `initWebGPU`).
 *
 * @example
 * ```ts
 * import { WorkerDevice } from "./device.ts";
 * useDevice(await WorkerDevice.open());
 * ```
 */
export function useDevice(device: DeviceClient): void {
  client = device;
}
