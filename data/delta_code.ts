/**
 * Delta modulation, as snnTorch's `spikegen.delta`.
 *
 * @module
 */
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOptions } from "../autodiff/checks.ts";
import { checkBoolean, checkFinite, checkFloatTensor, checkInt, checkNumber } from "./checks.ts";

/** Options of {@link deltaCode}. */
export interface DeltaOptions {
  /** Compare the first step with itself (no spike) instead of with 0 (default false). */
  padding?: boolean;
  /** Emit -1 for falls of at least `threshold` (default false). */
  offSpike?: boolean;
  /** The time axis of `data` (default 1: `[B, T, ...]`; 0 is snnTorch's time-first layout). */
  timeAxis?: number;
}

/** A delta encoder made by {@link deltaCode}. */
export type DeltaEncoder = (data: Tensor) => Tensor;

/**
 * snnTorch's `spikegen.delta`: a spike wherever a signal changes by at
 * least `threshold` from one step to the next. With `d[t] = x[t] - x[t-1]`
 * along the time axis, where `x[-1]` is 0 (or `x[0]` with `padding`):
 *
 * - `out[t] = 1` if `d[t] >= threshold`,
 * - `out[t] = -1` if `offSpike` and `d[t] <= -threshold`,
 * - `out[t] = 0` otherwise.
 *
 * The difference and the comparison are done in the input's precision
 * (float32 inputs compare `fround(x[t] - x[t-1]) >= fround(threshold)`, as
 * PyTorch does). `threshold` must be > 0. The output has the input's shape,
 * float32.
 *
 * @example
 * ```ts
 * import { data, np } from "../mod.ts";
 * const encode = data.deltaCode(1, { offSpike: true, timeAxis: 0 });
 * encode(np.array([1, 2, 0, 2, 2.9])).toArray(); // [1, 1, -1, 1, 0]
 * ```
 */
export function deltaCode(threshold = 0.1, options: DeltaOptions = {}): DeltaEncoder {
  const fn = "data.deltaCode";
  checkNumber(fn, "threshold", threshold);
  if (!(threshold > 0)) throw new RangeError(`${fn}: threshold must be > 0, got ${threshold}`);
  checkOptions(fn, options, ["padding", "offSpike", "timeAxis"]);
  const { padding = false, offSpike = false, timeAxis = 1 } = options;
  checkInt(fn, "timeAxis", timeAxis, 0);
  checkBoolean(fn, "padding", padding);
  checkBoolean(fn, "offSpike", offSpike);
  return (data: Tensor): Tensor => {
    checkFloatTensor(fn, "data", data);
    if (timeAxis >= data.ndim) {
      throw new RangeError(`${fn}: timeAxis ${timeAxis} is out of range for data of shape [${data.shape}]`);
    }
    const x = data.dataSync();
    checkFinite(fn, "data", x);
    const single = data.dtype === "float32";
    const round = single ? Math.fround : (v: number) => v;
    const thr = round(threshold);
    const steps = data.shape[timeAxis];
    const inner = data.shape.slice(timeAxis + 1).reduce((a, b) => a * b, 1);
    const outer = x.length / Math.max(steps * inner, 1);
    const out = new Float32Array(x.length);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * steps * inner + k;
        let prev = padding ? x[base] : 0;
        for (let t = 0; t < steps; t++) {
          const i = base + t * inner;
          const d = round(x[i] - prev);
          prev = x[i];
          if (d >= thr) out[i] = 1;
          else if (offSpike && d <= -thr) out[i] = -1;
        }
      }
    }
    return fromTypedArray(out, data.shape, "float32");
  };
}
