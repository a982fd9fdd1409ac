/**
 * Rate coding: static intensities become Bernoulli spike trains.
 *
 * @module
 */
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import { bits } from "../autodiff/random/keys.ts";
import type { PRNGKey } from "../autodiff/random/keys.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkFloatTensor, checkInt, checkNumber, checkUnitInterval } from "./checks.ts";

const TWO_M23 = 2 ** -23;

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
 * - One `random.bits` draw covers the whole `[B, T, ...]` output, compared
 *   in one pass: `out = u < p` with `u = (bits >>> 9) * 2^-23` the float32
 *   uniform of JAX and `p` rounded to float32, i.e. exactly
 *   `random.bernoulli(key, repeat(data * maxR), [B, T, ...])` (and JAX's
 *   `jax.random.bernoulli` for the same key, up to spyx's float16 cast of
 *   `data`). Same key, same spikes.
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
    const x = data.dataSync();
    checkUnitInterval(fn, "data", x);
    const [batch, ...rest] = data.shape;
    const perSample = x.length / Math.max(batch, 1);
    // float32 arithmetic, as JAX multiplies a float32 array by a weak scalar.
    const r = Math.fround(maxR);
    const p = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) p[i] = x[i] * r;
    const outShape = [batch, numSteps, ...rest];
    const w = bits(key, outShape).dataSync() as Uint32Array;
    const out = new Float32Array(w.length);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      const base = b * perSample;
      for (let t = 0; t < numSteps; t++) {
        for (let i = 0; i < perSample; i++, o++) {
          out[o] = (w[o] >>> 9) * TWO_M23 < p[base + i] ? 1 : 0;
        }
      }
    }
    return fromTypedArray(out, outShape, "float32");
  };
}
