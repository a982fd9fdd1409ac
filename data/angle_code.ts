/**
 * Angle (population one-hot) coding of continuous observations.
 *
 * @module
 */
import { fromTypedArray, linspace } from "../autodiff/ops/creation.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { checkFinite, checkInt, checkNumber, describe } from "./checks.ts";

/** An angle encoder made by {@link angleCode}. */
export type AngleEncoder = (obs: Tensor) => Tensor;

/**
 * spyx's `angle_code`: returns an encoder that maps every element of `obs`
 * to a one-hot vector over `neuronCount` neurons whose preferred values are
 * `bins = linspace(minVal, maxVal, neuronCount)` (float32, as `jnp.linspace`).
 *
 * The neuron index is `clip(digitize(x, bins) - 1, 0, neuronCount - 1)`
 * with NumPy's `digitize` for increasing bins and `right=False`:
 * `digitize(x, bins)` is the number of bins `<= x`, so neuron `i` fires for
 * `bins[i] <= x < bins[i + 1]`. Consequences worth knowing:
 * - a value exactly on a bin edge goes to the bin that starts there;
 * - values below `minVal` go to neuron 0 (clipped from -1);
 * - `maxVal` itself and anything above go to the last neuron, which
 *   therefore has a zero-width interior: neuron `neuronCount - 2` covers
 *   `[bins[n-2], maxVal)`.
 *
 * `obs` is a float or int tensor of any shape; the result has shape
 * `[...obs.shape, neuronCount]`, float32 0/1. NaN or infinite values throw.
 *
 * @example
 * ```ts
 * import { data, np } from "../mod.ts";
 * const encode = data.angleCode(4, 0, 3); // bins [0, 1, 2, 3]
 * encode(np.array([-1, 0.5, 1, 2.5, 3])).toArray();
 * // [[1,0,0,0], [1,0,0,0], [0,1,0,0], [0,0,1,0], [0,0,0,1]]
 * ```
 */
export function angleCode(neuronCount: number, minVal: number, maxVal: number): AngleEncoder {
  const fn = "data.angleCode";
  checkInt(fn, "neuronCount", neuronCount);
  checkNumber(fn, "minVal", minVal);
  checkNumber(fn, "maxVal", maxVal);
  if (!(minVal < maxVal)) throw new RangeError(`${fn}: need minVal < maxVal, got minVal ${minVal}, maxVal ${maxVal}`);
  const bins = linspace(minVal, maxVal, neuronCount).dataSync() as Float32Array;
  return (obs: Tensor): Tensor => {
    if (!isTensor(obs) || obs.dtype === "bool") {
      throw new TypeError(`${fn}: obs must be a float or int tensor, got ${describe(obs)}`);
    }
    const x = obs.dataSync();
    checkFinite(fn, "obs", x);
    const out = new Float32Array(x.length * neuronCount);
    for (let i = 0; i < x.length; i++) {
      // Upper bound: the number of bins <= x.
      let lo = 0, hi = neuronCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bins[mid] <= x[i]) lo = mid + 1;
        else hi = mid;
      }
      const index = Math.min(Math.max(lo - 1, 0), neuronCount - 1);
      out[i * neuronCount + index] = 1;
    }
    return fromTypedArray(out, [...obs.shape, neuronCount], "float32");
  };
}
