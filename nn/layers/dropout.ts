/**
 * `nn.dropout`, Haiku's `hk.dropout`.
 *
 * @module
 */
import { np, random, type Tensor } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { isTensor } from "../../autodiff/tensor.ts";

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Axes along which one mask value is shared (the mask has size 1 there). */
  broadcastDims?: readonly number[];
}

/**
 * Zeroes each element of `x` with probability `rate` and scales the kept
 * ones by `1 / (1 - rate)`, so the expectation is unchanged. `rate` must be
 * in `[0, 1)`; `rate = 0` returns `x` itself (and needs no key).
 *
 * @example
 * ```ts
 * import { nn, np, random } from "../../mod.ts";
 * const y = nn.dropout(random.key(0), 0.5, np.ones([4, 8])); // entries 0 or 2
 * ```
 */
export function dropout(key: Tensor | null, rate: number, x: Tensor, options: DropoutOptions = {}): Tensor {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`dropout: rate must be in [0, 1), got ${formatValue(rate)}`);
  }
  checkOptions("dropout", options, ["broadcastDims"]);
  if (options.broadcastDims !== undefined && !Array.isArray(options.broadcastDims)) {
    throw new TypeError(`dropout: broadcastDims must be an array of axes, got ${formatValue(options.broadcastDims)}`);
  }
  const input = np.asTensor(x);
  if (rate === 0) return input;
  if (!isTensor(key)) {
    throw new TypeError(`dropout: a random key is required for rate ${rate}, got ${formatValue(key)}`);
  }
  const dims = (options.broadcastDims ?? []).map((d) => {
    if (!Number.isInteger(d) || d < -input.ndim || d >= input.ndim) {
      throw new RangeError(`dropout: broadcastDims entry ${formatValue(d)} is out of range for shape [${input.shape}]`);
    }
    return d < 0 ? d + input.ndim : d;
  });
  const maskShape = input.shape.map((n, d) => (dims.includes(d) ? 1 : n));
  const keepRate = 1 - rate;
  const keep = random.bernoulli(key, keepRate, maskShape);
  return np.where(keep, np.div(input, keepRate), 0);
}
