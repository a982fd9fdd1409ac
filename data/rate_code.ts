/**
 * Rate coding: static intensities become Bernoulli spike trains.
 *
 * @module
 */
import { astype, less, mul } from "../autodiff/ops/elementwise.ts";
import { checkValues } from "../autodiff/ops/identity.ts";
import { broadcastTo, expandDims } from "../autodiff/ops/layout.ts";
import { uniform } from "../autodiff/random/floats.ts";
import type { PRNGKey } from "../autodiff/random/keys.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkFloatTensor, checkInt, checkNumber } from "./checks.ts";

/** A rate encoder made by {@link rateCode}. */
export type RateEncoder = (data: Tensor, key: PRNGKey) => Tensor;

/**
 * spyx's `rate_code`: returns an encoder that repeats each sample of a
 * batch `[B, ...]` along a new time axis 1 and draws independent spikes,
 * `out[b, t, ...i] = 1` with probability `p = data[b, ...i] * maxR`.
 *
 * - `data` must be a float tensor with values in `[0, 1]` (a batch axis
 *   first); anything else, NaN included, throws.
 * - The output is `[B, numSteps, ...]` **float32** 0/1, so it feeds
 *   `nn.Linear` and the neurons directly (spyx returns uint8 and relies on
 *   JAX promotion).
 * - One uniform draw covers the whole `[B, T, ...]` output: `out = u < p`
 *   with `u` JAX's float32 uniform and `p` rounded to float32, i.e. exactly
 *   `random.bernoulli(key, repeat(data * maxR), [B, T, ...])` (and JAX's
 *   `jax.random.bernoulli` for the same key, up to spyx's float16 cast of
 *   `data`). Same key, same spikes. It is all ops, so it runs where the
 *   data lives (a GPU included) without reading it back.
 *
 * @param numSteps number of time steps `T` (a positive integer)
 * @param maxR the spike probability of a value of 1, in `[0, 1]` (default 0.75)
 *
 * @example
 * ```ts
 * import { data, np, random } from "../mod.ts";
 * const encode = data.rateCode(25);
 * const spikes = encode(np.array([[0, 0.5, 1]]), random.key(0));
 * spikes.shape; // [1, 25, 3]
 * ```
 */
export function rateCode(numSteps: number, maxR = 0.75): RateEncoder {
  const fn = "data.rateCode";
  checkInt(fn, "numSteps", numSteps);
  checkNumber(fn, "maxR", maxR, 0, 1);
  return (data: Tensor, key: PRNGKey): Tensor => {
    checkFloatTensor(fn, "data", data, 1);
    const x = checkValues(astype(data, "float32"), { min: 0, max: 1, integer: false, what: `${fn}: data values` });
    const [batch, ...rest] = data.shape;
    const outShape = [batch, numSteps, ...rest];
    // float32 arithmetic, as JAX multiplies a float32 array by a weak scalar.
    const p = broadcastTo(expandDims(mul(x, Math.fround(maxR)), 1), outShape);
    return astype(less(uniform(key, outShape), p), "float32");
  };
}
