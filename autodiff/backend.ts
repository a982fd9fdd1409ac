/**
 * What a backend is: a name and its storage. A backend's kernels are
 * registered per primitive (`registerKernel` in `core/kernels.ts`), so a
 * backend has only to store data and implement the primitives it can; a
 * primitive without a kernel on it runs as its composition of other
 * primitives, visibly (`kernelFallbacks`). The CPU backend
 * (`cpu/backend.ts` and `cpu/kernels.ts`) registers every primitive and is
 * the reference every other backend is tested against.
 *
 * Data lives behind an opaque {@link DataHandle}: the CPU backend uses a
 * typed array, a GPU backend a device buffer. Reading back may be
 * asynchronous ({@link Backend.read}); `readSync` may throw on backends that
 * cannot block.
 *
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts";

/** Backend-owned storage of one tensor's elements (a typed array on the CPU, a buffer on a GPU). */
export type DataHandle = unknown;

/** What a kernel gets for each operand: its shape, dtype and storage. */
export interface KernelTensor {
  /** Size of each axis, row-major. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** The backend's storage of the elements. */
  readonly handle: DataHandle;
}

/**
 * A compute backend's storage: how values get in and out. Its kernels are
 * registered separately, per primitive.
 *
 * @example
 * ```ts
 * import type { Backend } from "./backend.ts";
 * const host: Backend = {
 *   name: "host-copy",
 *   upload: (values) => values.slice(),
 *   readSync: (x) => x.handle as Float32Array,
 *   read: (x) => Promise.resolve(x.handle as Float32Array),
 *   dispose: () => {},
 * };
 * ```
 */
export interface Backend {
  /** Name used by {@link setBackend} and by `registerKernel`. */
  readonly name: string;
  /** Copies host values into backend storage (the backend may keep `values`; callers give them up). */
  upload(values: TypedArray, dtype: DType): DataHandle;
  /** Reads values synchronously (throws on backends that cannot block, naming `await t.data()`). */
  readSync(x: KernelTensor): TypedArray;
  /** Reads values back to the host. */
  read(x: KernelTensor): Promise<TypedArray>;
  /** Releases storage early (storage is otherwise garbage-collected). */
  dispose(handle: DataHandle): void;
}

const backends = new Map<string, Backend>();
let current: Backend | undefined;

/**
 * Makes a backend available under its name; the first one registered becomes
 * the current one.
 *
 * @example
 * ```ts
 * registerBackend({
 *   name: "host-copy",
 *   upload: (values) => values.slice(),
 *   readSync: (x) => x.handle as Float32Array,
 *   read: (x) => Promise.resolve(x.handle as Float32Array),
 *   dispose: () => {},
 * });
 * ```
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
  if (!current) current = backend;
}

/**
 * Selects the backend that new tensors and ops use.
 *
 * @example
 * ```ts
 * setBackend("cpu");
 * ```
 */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new Error(
      `setBackend: no backend named ${JSON.stringify(name)}; registered: ${[...backends.keys()].join(", ")}`,
    );
  }
  current = b;
}

/**
 * The backend new tensors are created on.
 *
 * @example
 * ```ts
 * getBackend().name; // "cpu"
 * ```
 */
export function getBackend(): Backend {
  if (!current) throw new Error("getBackend: no backend registered");
  return current;
}

/**
 * Looks up a registered backend by name.
 *
 * @example
 * ```ts
 * findBackend("cpu")?.name; // "cpu"
 * ```
 */
export function findBackend(name: string): Backend | undefined {
  return backends.get(name);
}
