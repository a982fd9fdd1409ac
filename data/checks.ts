/**
 * Argument checks shared by the data functions: each throws an error that
 * names the calling function and the offending value.
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { isFloat } from "../autodiff/dtype.ts";

/**
 * Throws unless `value` is an integer of at least `min`.
 *
 * @example
 * ```ts
 * checkInt("data.rateCode", "numSteps", 25); // 25
 * ```
 */
export function checkInt(fn: string, name: string, value: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${formatValue(value)}`);
  }
  return value;
}

/**
 * Throws unless `value` is a finite number (within `[lo, hi]` when given).
 *
 * @example
 * ```ts
 * checkNumber("data.rateCode", "maxR", 0.75, 0, 1); // 0.75
 * ```
 */
export function checkNumber(fn: string, name: string, value: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < lo || value > hi) {
    const range = lo === -Infinity && hi === Infinity ? "a finite number" : `a number in [${lo}, ${hi}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${formatValue(value)}`);
  }
  return value;
}

/**
 * Throws unless `value` is a boolean (`"false"` is a string, and truthy).
 *
 * @example
 * ```ts
 * checkBoolean("data.randman", "shuffle", true); // true
 * ```
 */
export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${fn}: ${name} must be a boolean, got ${formatValue(value)}`);
  return value;
}

/**
 * Throws unless `x` is a tensor with a float dtype and at least `minNdim` axes.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * checkFloatTensor("data.rateCode", "data", np.zeros([2, 3]), 1);
 * ```
 */
export function checkFloatTensor(fn: string, name: string, x: unknown, minNdim = 0): Tensor {
  if (!isTensor(x)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${describe(x)}`);
  if (!isFloat(x.dtype)) throw new TypeError(`${fn}: ${name} must have a float dtype, got ${x.dtype}`);
  if (x.ndim < minNdim) {
    throw new RangeError(`${fn}: ${name} must have at least ${minNdim} axes, got shape [${x.shape}]`);
  }
  return x;
}

/**
 * Throws unless every element is finite, naming the first bad one.
 *
 * @example
 * ```ts
 * checkFinite("data.angleCode", "obs", new Float32Array([0, 1]));
 * ```
 */
export function checkFinite(fn: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${fn}: ${name} must be finite, got ${values[i]} at flat index ${i}`);
    }
  }
}

/**
 * Throws unless every element lies in `[0, 1]`, naming the first bad one.
 *
 * @example
 * ```ts
 * checkUnitInterval("data.rateCode", "data", new Float32Array([0, 0.5, 1]));
 * ```
 */
export function checkUnitInterval(fn: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(`${fn}: ${name} values must lie in [0, 1], got ${v} at flat index ${i}`);
    }
  }
}

/**
 * A short description of any value for error messages.
 *
 * @example
 * ```ts
 * describe([1, 2]); // "an array"
 * ```
 */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (isTensor(x)) return `a ${x.dtype} tensor of shape [${x.shape}]`;
  if (typeof x === "object") return `an object (${Object.getPrototypeOf(x)?.constructor?.name ?? "null prototype"})`;
  return `${typeof x} ${formatValue(x)}`;
}

/**
 * Resolves a possibly negative axis against `ndim`.
 *
 * @example
 * ```ts
 * normalizeAxisFor("data.shiftAugment", -1, 3); // 2
 * ```
 */
export function normalizeAxisFor(fn: string, axis: unknown, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(`${fn}: axis ${formatValue(axis)} is out of range for ${ndim} axes`);
  }
  return axis < 0 ? axis + ndim : axis;
}
