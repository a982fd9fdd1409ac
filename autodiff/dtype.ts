/**
 * Element types and JAX's type-promotion rules.
 *
 * Promotion follows JAX with 64-bit mode off, extended with float64:
 * `bool < int32, uint32 < float32 < float64`; `int32 + uint32 -> int32`
 * (JAX would pick int64 and then truncate to int32). A JS number is weakly
 * typed: it takes the tensor's dtype, except that a non-integer number
 * combined with an integer or bool tensor gives float32.
 *
 * @module
 */

/** The element types a {@link Tensor} can hold. */
export type DType = "float32" | "float64" | "int32" | "uint32" | "bool";

/** All supported dtypes, in promotion order. */
export const DTYPES: readonly DType[] = [
  "bool",
  "uint32",
  "int32",
  "float32",
  "float64",
];

/** The typed array that stores each dtype on the CPU. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Uint8Array;

/**
 * True for float32 and float64.
 *
 * @example
 * ```ts
 * isFloat("float32"); // true
 * ```
 */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/**
 * Throws unless `dtype` is one of {@link DTYPES}.
 *
 * @example
 * ```ts
 * checkDType("np.zeros", "float32");
 * ```
 */
export function checkDType(op: string, dtype: unknown): DType {
  if (typeof dtype !== "string" || !DTYPES.includes(dtype as DType)) {
    throw new TypeError(
      `${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`,
    );
  }
  return dtype as DType;
}

/**
 * Allocates a zero-filled typed array for `dtype`.
 *
 * @example
 * ```ts
 * allocate("float64", 3); // Float64Array [0, 0, 0]
 * ```
 */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "uint32":
      return new Uint32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/**
 * The dtype of a binary operation on two tensors (JAX promotion).
 *
 * @example
 * ```ts
 * promoteTypes("int32", "float32"); // "float32"
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  if (a === "int32" || b === "int32") return "int32";
  if (a === "uint32" || b === "uint32") return "uint32";
  return "bool";
}

/**
 * The dtype a weakly typed JS number takes next to a tensor of `dtype`.
 *
 * @example
 * ```ts
 * weakScalarDType(1.5, "int32"); // "float32"
 * ```
 */
export function weakScalarDType(value: number | boolean, dtype: DType): DType {
  if (typeof value === "boolean") return dtype;
  if (isFloat(dtype)) return dtype;
  if (!Number.isInteger(value)) return "float32";
  if (dtype === "bool") return "int32";
  return dtype;
}
