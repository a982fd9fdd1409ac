/**
 * JAX-style functional random numbers. A key is a uint32 tensor of shape
 * `[2]` (JAX's legacy raw `PRNGKey`); functions consume a key and never
 * change it, and `split`/`foldIn` derive new keys. The generator is
 * threefry-2x32 with JAX's legacy derivation (`jax_threefry_partitionable`
 * off, JAX's default before 0.5), so `key`, `split`, `foldIn`, `bits`,
 * `randint`, `permutation` and float32 `uniform`/`bernoulli` give JAX's
 * numbers bit for bit, and float32 `normal` agrees with JAX to an ulp or two
 * (both evaluate `erfinv` with Giles' float32 polynomial).
 *
 * float64 samplers consume 64 random bits per number exactly as JAX does
 * with `jax_enable_x64`; their `erfinv` is accurate to double precision
 * rather than XLA's polynomial. Generation runs on the host; results are
 * uploaded to the current backend.
 *
 * @example
 * ```ts
 * import { random } from "../mod.ts";
 * const [initKey, dataKey] = random.split(random.key(0));
 * const w = random.normal(initKey, [3, 4]);
 * const spikes = random.bernoulli(dataKey, 0.2, [100, 784]);
 * ```
 *
 * @module
 */
export { bits, foldIn, key, keyData, type PRNGKey, type ShapeLike, split } from "./random/keys.ts";
export {
  bernoulli,
  type FloatOptions,
  normal,
  truncatedNormal,
  uniform,
  type UniformOptions,
} from "./random/floats.ts";
export { choice, type ChoiceOptions, permutation, randint, type RandintOptions } from "./random/discrete.ts";
