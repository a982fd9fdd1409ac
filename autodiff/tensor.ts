/**
 * The immutable n-dimensional array that every op consumes and produces.
 *
 * @module
 */
import { type Backend, type DataHandle, getBackend, type KernelTensor } from "./backend.ts";
import type { DType, TypedArray } from "./dtype.ts";
import { type Shape, sizeOf } from "./shape.ts";

let nextTensorId = 0;

/** The lists of `tidy` scopes that collect every tensor created while they run (innermost last). */
const scopes: Tensor[][] = [];

/**
 * Runs `fn` and appends every tensor created meanwhile to `into` (how
 * `tidy` finds what to release).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const made: Tensor[] = [];
 * trackCreatedTensors(made, () => np.add(np.ones([2]), 1)); // made holds the ones, the 1 and the sum
 * ```
 */
export function trackCreatedTensors<R>(into: Tensor[], fn: () => R): R {
  scopes.push(into);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/**
 * Hands `tensors` to the enclosing `tidy` scope, if any (what an inner
 * scope returns belongs to the outer one).
 *
 * @example
 * ```ts
 * adoptIntoEnclosingScope([]); // nothing to hand over
 * ```
 */
export function adoptIntoEnclosingScope(tensors: readonly Tensor[]): void {
  if (scopes.length > 0) scopes[scopes.length - 1].push(...tensors);
}

/** A nested JS array of numbers (or booleans for bool tensors). */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An immutable, row-major n-dimensional array on one backend.
 *
 * Create tensors with `np.array`, `np.zeros` and friends rather than with
 * the constructor.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const t = np.array([[1, 2], [3, 4]]);
 * t.shape; // [2, 2]
 * t.toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export class Tensor implements KernelTensor {
  /** Unique identity, used by the gradient tape. */
  readonly id: number = nextTensorId++;
  /** Size of each axis. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Backend that owns the data. */
  readonly backend: Backend;
  #handle: DataHandle | null;

  /** Wraps backend storage (kernels and `np.array` call this; users create tensors with `np`). */
  constructor(handle: DataHandle, shape: Shape, dtype: DType, backend: Backend = getBackend()) {
    this.#handle = handle;
    if (scopes.length > 0 && handle !== null) scopes[scopes.length - 1].push(this);
    this.shape = Object.freeze(shape.slice());
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.backend = backend;
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The backend storage; throws after {@link Tensor.dispose}. */
  get handle(): DataHandle {
    if (this.#handle === null) {
      throw new Error(`Tensor: use of a disposed tensor of shape [${this.shape}]`);
    }
    return this.#handle;
  }

  /** True once {@link Tensor.dispose} has run. */
  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /**
   * A copy of the elements as a typed array (CPU-readable backends only).
   *
   * @example
   * ```ts
   * import { np } from "../mod.ts";
   * np.array([1, 2]).dataSync(); // Float32Array [1, 2]
   * ```
   */
  dataSync(): TypedArray {
    return this.backend.readSync(this).slice();
  }

  /**
   * The elements as a typed array, read from any backend.
   *
   * @example
   * ```ts
   * import { np } from "../mod.ts";
   * await np.array([1, 2]).data(); // Float32Array [1, 2]
   * ```
   */
  async data(): Promise<TypedArray> {
    return (await this.backend.read(this)).slice();
  }

  /**
   * The elements as nested JS arrays (a bare number for a scalar).
   *
   * @example
   * ```ts
   * import { np } from "../mod.ts";
   * np.eye(2).toArray(); // [[1, 0], [0, 1]]
   * ```
   */
  toArray(): NestedArray {
    const flat = this.backend.readSync(this);
    const conv = this.dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return conv(flat[offset]);
      const stride = sizeOf(this.shape.slice(axis + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(build(axis + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /**
   * The value of a one-element tensor.
   *
   * @example
   * ```ts
   * import { np } from "../mod.ts";
   * np.sum(np.array([1, 2])).item(); // 3
   * ```
   */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(`Tensor.item: tensor of shape [${this.shape}] has ${this.size} elements, not 1`);
    }
    return Number(this.backend.readSync(this)[0]);
  }

  /**
   * Releases the backend storage now instead of at garbage collection.
   *
   * @example
   * ```ts
   * import { np } from "../mod.ts";
   * const t = np.zeros([1000]);
   * t.dispose();
   * ```
   */
  dispose(): void {
    if (this.#handle !== null) {
      this.backend.dispose(this.#handle);
      this.#handle = null;
    }
  }

  /** A short description with shape, dtype and (small) values. */
  toString(): string {
    const body = this.size <= 64 ? JSON.stringify(this.toArray()) : "…";
    return `Tensor(${body}, shape=[${this.shape}], dtype=${this.dtype})`;
  }
}

/**
 * True for a {@link Tensor}.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * isTensor(np.zeros([1])); // true
 * ```
 */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
