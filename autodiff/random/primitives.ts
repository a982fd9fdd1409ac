/**
 * The random primitives: what the samplers need that ops cannot express
 * (threefry words from a key, JAX's unit-float construction, its integer
 * reductions and shuffles). Each takes keys `[...K, 2]` (uint32) and gives
 * one sample array per key, `[...K, ...shape]`, so that `vmap` over keys
 * is one call. Every other sampler (`uniform`'s scaling, `normal`,
 * `truncatedNormal`, `bernoulli`) is ops on top of these. Kernels read the
 * keys on the device; nothing reads a key on the host.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { type Aval, definePrimitive, type Primitive } from "../core/primitive.ts";
import type { DType } from "../dtype.ts";

/** Parameters of the samplers that give an array of `shape` per key. */
export interface SampleParams {
  readonly shape: readonly number[];
}

/** The output of a sampler with keys `[...K, 2]`: `[...K, ...shape]` of `dtype`. */
function perKey(key: Aval, shape: readonly number[], dtype: DType): Aval[] {
  return [{ shape: [...key.shape.slice(0, -1), ...shape], dtype }];
}

/** A sampler whose only input is the key: batched keys are more keys. */
function keySampler<P>(name: string, aval: (key: Aval, p: P) => Aval[]): Primitive<P> {
  const prim: Primitive<P> = definePrimitive<P>({
    name,
    nonDifferentiable: true,
    abstractEval: ([key], p) => aval(key, p),
    batch: ([key], [d], p, size) => [[bind1(prim, [batchFirst(key, d, size)], p)], [0]],
  });
  return prim;
}

/** `threefry(key, iota(n))` reshaped to `shape` (uint32): `jax.random.bits`. */
export const RANDOM_BITS: Primitive<SampleParams> = keySampler<SampleParams>(
  "random_bits",
  (key, { shape }) => perKey(key, shape, "uint32"),
);

/** Parameters of {@link RANDOM_SPLIT}. */
export interface SplitParams {
  readonly count: number;
}

/** `count` keys from each key (JAX's legacy split): `[...K, count, 2]`. */
export const RANDOM_SPLIT: Primitive<SplitParams> = keySampler<SplitParams>(
  "random_split",
  (key, { count }) => perKey(key, [count, 2], "uint32"),
);

/** Parameters of {@link RANDOM_FOLD_IN}. */
export interface FoldInParams {
  /** The integer folded in, as a uint32. */
  readonly data: number;
}

/** A key derived from each key and `data` (JAX's `fold_in`). */
export const RANDOM_FOLD_IN: Primitive<FoldInParams> = keySampler<FoldInParams>(
  "random_fold_in",
  (key) => [key],
);

/** Parameters of {@link RANDOM_UNIT}. */
export interface UnitParams extends SampleParams {
  readonly dtype: "float32" | "float64";
}

/**
 * Floats in `[0, 1)` with JAX's mantissa construction: the top 23 (float32)
 * or 52 (float64) of 32 or 64 random bits over an exponent of 1, minus 1;
 * 64-bit words take their high halves from the first `n` words.
 */
export const RANDOM_UNIT: Primitive<UnitParams> = keySampler<UnitParams>(
  "random_unit",
  (key, { shape, dtype }) => perKey(key, shape, dtype),
);

/** Parameters of {@link RANDOM_RANDINT}. */
export interface RandintParams extends SampleParams {
  readonly dtype: "int32" | "uint32";
  readonly minval: number;
  readonly maxval: number;
}

/** Uniform integers on `[minval, maxval)` by JAX's two-word method. */
export const RANDOM_RANDINT: Primitive<RandintParams> = keySampler<RandintParams>(
  "random_randint",
  (key, { shape, dtype }) => perKey(key, shape, dtype),
);

/** Parameters of {@link RANDOM_PERMUTATION}. */
export interface PermutationParams {
  readonly n: number;
}

/** `0..n-1` shuffled by JAX's repeated stable sorts by random words (int32). */
export const RANDOM_PERMUTATION: Primitive<PermutationParams> = keySampler<PermutationParams>(
  "random_permutation",
  (key, { n }) => perKey(key, [n], "int32"),
);

/** Parameters of {@link RANDOM_CHOICE_WEIGHTED}. */
export interface WeightedChoiceParams {
  /** Number of draws. */
  readonly count: number;
  /** With replacement (inverse CDF) or without (Gumbel top-k). */
  readonly replace: boolean;
}

/**
 * `(keys [...K, 2], weights [...K, n])`: `count` indices drawn by weight
 * (int32 `[...K, count]`); the weights' dtype sets the uniforms' precision.
 */
export const RANDOM_CHOICE_WEIGHTED: Primitive<WeightedChoiceParams> = definePrimitive<WeightedChoiceParams>({
  name: "random_choice_weighted",
  nonDifferentiable: true,
  abstractEval: ([key], { count }) => perKey(key, [count], "int32"),
  batch: ([key, p], [dk, dp], params, size) => [
    [bind1(RANDOM_CHOICE_WEIGHTED, [batchFirst(key, dk, size), batchFirst(p, dp, size)], params)],
    [0],
  ],
});
