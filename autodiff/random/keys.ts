/**
 * Keys: creation from a seed, derivation (`split`, `foldIn`) and raw
 * random words (`bits`), with JAX's legacy threefry layout.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { fromTypedArray } from "../ops/creation.ts";
import { reshape, slice } from "../ops/layout.ts";
import { checkShape } from "../shape.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { RANDOM_BITS, RANDOM_FOLD_IN, RANDOM_SPLIT } from "./primitives.ts";

/** A random key: a uint32 tensor of shape `[2]` (JAX's legacy raw key). */
export type PRNGKey = Tensor;

/** A shape, or a single length for a 1-D result. */
export type ShapeLike = readonly number[] | number;

/**
 * `k`, checked to be a key (`op` names the caller in errors). Its words
 * are never read here: the samplers' kernels read them where they live.
 *
 * @example
 * ```ts
 * import { checkKey, key } from "./keys.ts";
 * checkKey("split", key(3));
 * ```
 */
export function checkKey(op: string, k: unknown): PRNGKey {
  if (isTensor(k) && k.dtype === "uint32" && k.ndim === 1 && k.shape[0] === 2) return k;
  const got = isTensor(k) ? `a ${k.dtype} tensor of shape [${k.shape}]` : String(k);
  throw new TypeError(`random.${op}: expected a key (a uint32 tensor of shape [2] from random.key), got ${got}`);
}

/**
 * A key tensor from two words.
 *
 * @example
 * ```ts
 * import { makeKey } from "./keys.ts";
 * makeKey(0, 42);
 * ```
 */
export function makeKey(w0: number, w1: number): PRNGKey {
  return fromTypedArray(new Uint32Array([w0, w1]), [2], "uint32");
}

/**
 * A checked shape (a single number is a 1-D length).
 *
 * @example
 * ```ts
 * import { shapeArg } from "./keys.ts";
 * shapeArg("uniform", 5); // [5]
 * ```
 */
export function shapeArg(op: string, shape: ShapeLike): number[] {
  return checkShape(`random.${op}`, typeof shape === "number" ? [shape] : shape);
}

/** The two words of a 64-bit two's-complement integer, high word first. */
function splitInt64(op: string, what: string, value: number | bigint): [number, number] {
  const ok = typeof value === "bigint" || Number.isInteger(value);
  const big = ok ? BigInt(value) : 0n;
  if (!ok || big < -(2n ** 63n) || big >= 2n ** 64n) {
    throw new RangeError(`random.${op}: ${what} must be an integer in [-2^63, 2^64), got ${value}`);
  }
  const u = BigInt.asUintN(64, big);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

/**
 * A key from an integer seed: the high and low words of the seed as a
 * 64-bit integer (JAX's `random.PRNGKey`; a negative seed is taken in two's
 * complement, as JAX does with x64 enabled). `bigint` seeds are accepted.
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.keyData(random.key(42)); // Uint32Array [0, 42]
 * ```
 */
export function key(seed: number | bigint): PRNGKey {
  const [hi, lo] = splitInt64("key", "seed", seed);
  return makeKey(hi, lo);
}

/**
 * The two uint32 words of a key (a fresh copy).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.keyData(random.key(7)); // Uint32Array [0, 7]
 * ```
 */
export function keyData(k: PRNGKey): Uint32Array {
  return new Uint32Array(checkKey("keyData", k).dataSync());
}

/**
 * `n` new keys derived from `k` (JAX's legacy `split`: the words are
 * `threefry(k, iota(2n))` taken in pairs).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * const [paramsKey, dropoutKey] = random.split(random.key(0));
 * const keys = random.split(random.key(1), 8);
 * ```
 */
export function split(k: PRNGKey, n = 2): PRNGKey[] {
  checkKey("split", k);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`random.split: n must be a non-negative integer, got ${n}`);
  const keys = bind1(RANDOM_SPLIT, [k], { count: n });
  return Array.from({ length: n }, (_, i) => reshape(slice(keys, [i, 0], [i + 1, 2]), [2]));
}

/**
 * A key derived from `k` and an integer such as a step or worker index
 * (JAX's `fold_in`: `data` is taken as a uint32, so it must lie in
 * `[-2^31, 2^32)`; negative values wrap as int32 to uint32 casts do).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * const stepKey = random.foldIn(random.key(0), 42);
 * ```
 */
export function foldIn(k: PRNGKey, data: number): PRNGKey {
  checkKey("foldIn", k);
  if (!Number.isInteger(data) || data < -(2 ** 31) || data >= 2 ** 32) {
    throw new RangeError(`random.foldIn: data must be an integer in [-2^31, 2^32), got ${data}`);
  }
  return bind1(RANDOM_FOLD_IN, [k], { data: data >>> 0 });
}

/**
 * Uniformly random uint32 words (`jax.random.bits` with the default
 * dtype): `threefry(k, iota(n))`, reshaped.
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.bits(random.key(0), [4]); // [4146024105, 967050713, 2718843009, 1272950319]
 * ```
 */
export function bits(k: PRNGKey, shape: ShapeLike = []): Tensor {
  checkKey("bits", k);
  return bind1(RANDOM_BITS, [k], { shape: shapeArg("bits", shape) });
}
