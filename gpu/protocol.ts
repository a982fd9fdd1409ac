/**
 * The commands the WebGPU backend sends to its device executor. The
 * backend's API is synchronous (a kernel returns its outputs' handles at
 * once); the executor owns the `GPUDevice`, the buffers and the pipelines,
 * and carries the commands out in order: dispatches are encoded into one
 * command encoder and submitted together, when a batch of commands ends or
 * a result is read.
 *
 * The executor runs in a worker (Deno), where the main thread can wait for
 * a readback with `Atomics.wait` (so `dataSync()` works on GPU tensors), or
 * in the same thread (a `GPU` object given by the caller, as under Bun and
 * Node with the npm `webgpu` package), where reads are asynchronous only.
 *
 * @module
 */

/** A buffer id and its size in bytes (a multiple of 4, at least 4). */
export interface BufferRef {
  readonly id: number;
  readonly bytes: number;
}

/** One command for the executor. */
export type Command =
  /** A new buffer, filled with `data` if given (else zeros). */
  | { readonly op: "create"; readonly id: number; readonly bytes: number; readonly data?: ArrayBuffer }
  /**
   * One compute dispatch: `buffers` bound at bindings 0.. (the shader
   * declares which it reads and writes), `uniforms` (if any) bound after
   * them. `wgsl` comes with the first dispatch of each `pipeline` key.
   */
  | {
    readonly op: "dispatch";
    readonly pipeline: string;
    readonly wgsl?: string;
    readonly buffers: readonly number[];
    readonly uniforms?: ArrayBuffer;
    readonly workgroups: readonly [number, number, number];
  }
  /** `bytes` bytes from `src` (at `srcOffset`, default 0) to `dst` (at `dstOffset`). */
  | {
    readonly op: "copy";
    readonly src: number;
    readonly dst: number;
    readonly bytes: number;
    readonly srcOffset?: number;
    readonly dstOffset?: number;
  }
  /** The buffer is no longer used (its storage is reused once the work already encoded has been submitted). */
  | { readonly op: "free"; readonly id: number }
  /** Reads a buffer back; the result is posted with `token` (or written into `shared` for a synchronous read). */
  | {
    readonly op: "read";
    readonly id: number;
    readonly bytes: number;
    readonly token: number;
    readonly shared?: SharedArrayBuffer;
  };

/** What a synchronous read's shared buffer holds before the data: a status word (see {@link ReadStatus}). */
export const READ_HEADER_BYTES = 16;

/** Status words of a synchronous read. */
export const ReadStatus = { pending: 0, done: 1, failed: 2 } as const;

/** Messages the worker posts to the main thread. */
export type WorkerMessage =
  | { readonly kind: "ready"; readonly info: DeviceInfo }
  | { readonly kind: "failed"; readonly error: string }
  | { readonly kind: "read"; readonly token: number; readonly data?: ArrayBuffer; readonly error?: string };

/** What `initWebGPU` resolves to: the adapter's description, limits and features. */
export interface DeviceInfo {
  /** The adapter's description (vendor, device). */
  readonly description: string;
  /** The device's limits that kernels plan with. */
  readonly limits: Readonly<Record<string, number>>;
  /** The adapter's features, e.g. `"shader-f16"`, `"timestamp-query"`. */
  readonly features: readonly string[];
}
