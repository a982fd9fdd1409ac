/**
 * Creating tensors: from JS values, constant fills, ranges and identities.
 * Importing this module registers the CPU backend.
 *
 * @module
 */
import { getBackend, registerBackend } from "../backend.ts";
import { cpuBackend } from "../cpu/backend.ts";
import "../cpu/kernels.ts";
import { castKernel, numberToElement } from "../cpu/elementwise.ts";
import { allocate, checkDType, type DType, type TypedArray, weakScalarDType } from "../dtype.ts";
import { checkShape, type Shape, sizeOf } from "../shape.ts";
import { isTensor, type NestedArray, Tensor } from "../tensor.ts";
import { bind1 } from "../core/bind.ts";
import { CAST } from "./elementwise.ts";
import { RESHAPE } from "./layout.ts";

registerBackend(cpuBackend);

/** Anything an op accepts where a tensor is expected. */
export type TensorLike = Tensor | number | boolean | NestedArray | TypedArray;

/** Options of the creation functions. */
export interface DTypeOptions {
  dtype?: DType;
}

/** Options of {@link array}. */
export interface ArrayOptions extends DTypeOptions {
  /** Shape for flat `values` (the product must match the number of values). */
  shape?: readonly number[];
}

function typedArrayDType(values: TypedArray): DType {
  if (values instanceof Float64Array) return "float64";
  if (values instanceof Int32Array) return "int32";
  if (values instanceof Uint32Array) return "uint32";
  if (values instanceof Uint8Array) return "bool";
  return "float32";
}

/**
 * The values of nested JS arrays in row-major order, and their shape
 * (ragged or non-numeric arrays are an error naming `op`).
 *
 * @example
 * ```ts
 * flattenNested("np.array", [[1, 2], [3, 4]]); // { flat: [1, 2, 3, 4], shape: [2, 2] }
 * ```
 */
export function flattenNested(op: string, values: NestedArray): { flat: (number | boolean)[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: NestedArray, depth: number) => {
    if (depth === shape.length) {
      if (typeof v !== "number" && typeof v !== "boolean") {
        throw new TypeError(`${op}: ragged or non-numeric nested array (found ${JSON.stringify(v)} at depth ${depth})`);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new TypeError(`${op}: ragged nested array: expected length ${shape[depth]} at depth ${depth}`);
    }
    for (const e of v) walk(e, depth + 1);
  };
  walk(values, 0);
  return { flat, shape };
}

/**
 * Wraps a typed array as a tensor without copying (the caller gives up the
 * array). Used by kernels and loaders.
 *
 * @example
 * ```ts
 * const t = fromTypedArray(new Float32Array([1, 2, 3]), [3]);
 * ```
 */
export function fromTypedArray(values: TypedArray, shape: Shape, dtype: DType = typedArrayDType(values)): Tensor {
  if (values.length !== sizeOf(shape)) {
    throw new RangeError(`fromTypedArray: ${values.length} values do not fill shape [${shape}]`);
  }
  const backend = getBackend();
  const data = typedArrayDType(values) === dtype ? values : castValues(values, dtype);
  return new Tensor(backend.upload(data, dtype), shape, dtype, backend);
}

/**
 * Builds a tensor from nested arrays, a flat array with a shape, a typed
 * array, a number or a boolean. Numbers default to float32, booleans to bool,
 * typed arrays to their own element type.
 *
 * @example
 * ```ts
 * array([[1, 2], [3, 4]]);
 * array([1, 2, 3, 4], { shape: [2, 2], dtype: "float64" });
 * ```
 */
export function array(values: TensorLike, options: ArrayOptions = {}): Tensor {
  const op = "np.array";
  if (options.dtype !== undefined) checkDType(op, options.dtype);
  if (isTensor(values)) {
    // Ops, not a read: the tensor may live on a device.
    let t = options.dtype && options.dtype !== values.dtype ? bind1(CAST, [values], { dtype: options.dtype }) : values;
    if (options.shape) {
      const s = checkShape(op, options.shape);
      if (sizeOf(s) !== t.size) throw new RangeError(`${op}: ${t.size} values cannot take shape [${s}]`);
      t = bind1(RESHAPE, [t], { shape: s });
    }
    return t;
  }
  let flat: ArrayLike<number | boolean>;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    shape = [flat.length];
    dtype = options.dtype ?? typedArrayDType(values as TypedArray);
  } else {
    const nested = flattenNested(op, values as NestedArray);
    flat = nested.flat;
    shape = nested.shape;
    const allBool = nested.flat.length > 0 && nested.flat.every((v) => typeof v === "boolean");
    dtype = options.dtype ?? (allBool ? "bool" : "float32");
  }
  if (options.shape) {
    const s = checkShape(op, options.shape);
    if (sizeOf(s) !== flat.length) {
      throw new RangeError(`${op}: ${flat.length} values cannot take shape [${s}]`);
    }
    shape = s;
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = numberToElement(Number(flat[i]), dtype);
  return fromTypedArray(data, shape, dtype);
}

/** The cast kernel's conversion: float to int saturates (XLA), int to int wraps. */
function castValues(values: TypedArray, dtype: DType): TypedArray {
  return castKernel(values, dtype);
}

/**
 * Converts an op argument to a tensor. A JS number becomes a scalar of the
 * dtype it takes next to `like` (JAX's weak typing) or float32.
 *
 * @example
 * ```ts
 * asTensor(2).dtype; // "float32"
 * ```
 */
export function asTensor(x: TensorLike, like?: DType): Tensor {
  if (isTensor(x)) return x;
  if (typeof x === "number" || typeof x === "boolean") {
    const dtype = like ? weakScalarDType(x, like) : typeof x === "boolean" ? "bool" : "float32";
    return full([], Number(x), { dtype });
  }
  return array(x);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7);
 * ```
 */
export function full(shape: number | readonly number[], value: number | boolean, options: DTypeOptions = {}): Tensor {
  const s = checkShape("np.full", typeof shape === "number" ? [shape] : shape);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`np.full: fill value must be a number or boolean, got ${JSON.stringify(value)}`);
  }
  const dtype = checkDType("np.full", options.dtype ?? (typeof value === "boolean" ? "bool" : "float32"));
  const data = allocate(dtype, sizeOf(s));
  const v = numberToElement(Number(value), dtype);
  if (v !== 0) data.fill(v);
  return fromTypedArray(data, s, dtype);
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([3], { dtype: "int32" });
 * ```
 */
export function zeros(shape: number | readonly number[], options: DTypeOptions = {}): Tensor {
  return full(shape, 0, { dtype: options.dtype ?? "float32" });
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([2, 3]);
 * ```
 */
export function ones(shape: number | readonly number[], options: DTypeOptions = {}): Tensor {
  return full(shape, 1, { dtype: options.dtype ?? "float32" });
}

/**
 * Zeros with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * zerosLike(ones([2]));
 * ```
 */
export function zerosLike(x: TensorLike, options: DTypeOptions = {}): Tensor {
  const t = asTensor(x);
  return full(t.shape, 0, { dtype: options.dtype ?? t.dtype });
}

/**
 * Ones with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * onesLike(zeros([2]));
 * ```
 */
export function onesLike(x: TensorLike, options: DTypeOptions = {}): Tensor {
  const t = asTensor(x);
  return full(t.shape, 1, { dtype: options.dtype ?? t.dtype });
}

/**
 * Evenly spaced values in `[start, stop)`; `arange(n)` counts `0..n-1`.
 * Integer arguments give int32, like `jnp.arange`. The options may follow
 * any of the numbers (`arange(5, { dtype: "float64" })`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.arange(5); // [0, 1, 2, 3, 4]
 * np.arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(
  start: number,
  stop?: number | DTypeOptions,
  step: number | DTypeOptions = 1,
  options: DTypeOptions = {},
): Tensor {
  if (typeof stop === "object") [stop, options] = [undefined, stop];
  if (typeof step === "object") [step, options] = [1, step];
  if (stop === undefined) [start, stop] = [0, start];
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new RangeError(`np.arange: start and stop must be finite numbers, got ${start} and ${stop}`);
  }
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`np.arange: invalid step ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const allInt = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const dtype = checkDType("np.arange", options.dtype ?? (allInt ? "int32" : "float32"));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromTypedArray(data, [n], dtype);
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num = 50, options: DTypeOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) {
    throw new RangeError(`np.linspace: num must be a non-negative integer, got ${num}`);
  }
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new RangeError(`np.linspace: start and stop must be finite numbers, got ${start} and ${stop}`);
  }
  const dtype = checkDType("np.linspace", options.dtype ?? "float32");
  const data = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return fromTypedArray(data, [num], dtype);
}

/** Options of {@link eye}. */
export interface EyeOptions extends DTypeOptions {
  /** Diagonal offset: positive above the main diagonal, negative below. */
  k?: number;
}

/**
 * An `n × m` matrix (square by default) with ones on the diagonal `k`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.eye(2); // [[1, 0], [0, 1]]
 * np.eye(2, 3, { k: 1, dtype: "int32" }); // [[0, 1, 0], [0, 0, 1]]
 * ```
 */
export function eye(n: number, m: number | EyeOptions = n, options: EyeOptions = {}): Tensor {
  if (typeof m === "object") [m, options] = [n, m];
  const k = options.k ?? 0;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(m) || m < 0 || !Number.isInteger(k)) {
    throw new RangeError(`np.eye: sizes must be non-negative integers and k an integer, got n=${n}, m=${m}, k=${k}`);
  }
  const dtype = checkDType("np.eye", options.dtype ?? "float32");
  const data = allocate(dtype, n * m);
  for (let i = Math.max(0, -k); i < n && i + k < m; i++) data[i * m + i + k] = 1;
  return fromTypedArray(data, [n, m], dtype);
}
