/**
 * Latency (time-to-first-spike) coding, as snnTorch's `spikegen.latency`.
 *
 * @module
 */
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOptions } from "../autodiff/checks.ts";
import { checkBoolean, checkFinite, checkFloatTensor, checkInt, checkNumber } from "./checks.ts";

/** Options of {@link latencyCode}, named as snnTorch's arguments. */
export interface LatencyOptions {
  /** Inputs below it are "silent": they fire late, or never with `clip` (default 0.01, in (0, 1)). */
  threshold?: number;
  /** RC time constant of the charging neuron, > 0 (default 1). */
  tau?: number;
  /** Keeps `log` finite at the threshold (default 1e-7). */
  epsilon?: number;
  /** Earliest spike step, an integer in `[0, numSteps - 1]` (default 0). */
  firstSpikeTime?: number;
  /** Drop the spikes of inputs below `threshold` (default false). */
  clip?: boolean;
  /** Stretch the spike times so that the latest one lands on the last step (default false). */
  normalize?: boolean;
  /** Linear instead of logarithmic latency (default false). */
  linear?: boolean;
  /**
   * Where the new time axis goes (default 1: `[B, ...] -> [B, T, ...]`,
   * as `rateCode`; 0 gives snnTorch's time-first layout).
   */
  timeAxis?: number;
}

/** A latency encoder made by {@link latencyCode}. */
export type LatencyEncoder = (data: Tensor) => Tensor;

/** `torch.round`: halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * snnTorch's `spikegen.latency`: every element fires exactly once, at a
 * step that is earlier the larger the input (or never, see `clip`).
 * Computed in float64 on the host, with these formulas (`x` an element,
 * `θ` the threshold, `T` = `numSteps`, `f` = `firstSpikeTime`; min and max
 * run over the whole tensor, as in snnTorch):
 *
 * - logarithmic (default): `x' = max(x, θ + ε)`, `t = τ·ln(x' / (x' - θ))`
 *   (the time at which an RC circuit driven by `x'` reaches `θ`); with
 *   `f > 0`, `t ← t - f·(min t / f - 1)` (the earliest spike moves to `f`);
 *   with `normalize`, `t ← (t - f)·(T - f - 1) / max(t - f) + f` (left
 *   unchanged when all times coincide, where snnTorch divides by zero).
 * - `linear`: `t = min(-τ'·(x - 1), -τ'·(θ - 1)) + f` with `τ' = T - 1 - f`
 *   under `normalize` and `τ` otherwise; inputs above 1 need `normalize`,
 *   which then rescales negative times to `(t - min t) / (max t - min t)·(T - 1)`
 *   (all to 0 when they coincide).
 *
 * The spike goes to step `round(t)` (halves to even, as `torch.round`). If
 * any step exceeds `T - 1`, all are clamped to `T - 1` and then, as
 * snnTorch does, the whole last step is cleared, so those spikes (and any
 * that landed there legitimately) are dropped; snnTorch prints a warning,
 * we stay silent: raise `numSteps` or set `normalize` to avoid it. With
 * `clip`, elements with `x < θ` never fire.
 *
 * `data` is a float tensor with a batch axis first; the output inserts the
 * time axis at `timeAxis` (default 1), float32 0/1.
 *
 * @example
 * ```ts
 * import { data, np } from "../mod.ts";
 * // snnTorch's own example, time-first:
 * const encode = data.latencyCode(5, { normalize: true, linear: true, timeAxis: 0 });
 * encode(np.array([0.02, 0.5, 1])).toArray();
 * // [[0,0,1], [0,0,0], [0,1,0], [0,0,0], [1,0,0]]
 * ```
 */
export function latencyCode(numSteps: number, options: LatencyOptions = {}): LatencyEncoder {
  const fn = "data.latencyCode";
  checkInt(fn, "numSteps", numSteps);
  checkOptions(fn, options, [
    "threshold",
    "tau",
    "epsilon",
    "firstSpikeTime",
    "clip",
    "normalize",
    "linear",
    "timeAxis",
  ]);
  const {
    threshold = 0.01,
    tau = 1,
    epsilon = 1e-7,
    firstSpikeTime = 0,
    clip = false,
    normalize = false,
    linear = false,
    timeAxis = 1,
  } = options;
  checkNumber(fn, "threshold", threshold);
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`${fn}: threshold must lie in (0, 1), got ${threshold}`);
  checkNumber(fn, "tau", tau);
  if (!(tau > 0)) throw new RangeError(`${fn}: tau must be > 0, got ${tau}`);
  checkNumber(fn, "epsilon", epsilon);
  if (!(epsilon > 0)) throw new RangeError(`${fn}: epsilon must be > 0, got ${epsilon}`);
  checkInt(fn, "firstSpikeTime", firstSpikeTime, 0);
  if (firstSpikeTime > numSteps - 1) {
    throw new RangeError(`${fn}: firstSpikeTime (${firstSpikeTime}) must be <= numSteps - 1 (${numSteps - 1})`);
  }
  checkInt(fn, "timeAxis", timeAxis, 0);
  checkBoolean(fn, "clip", clip);
  checkBoolean(fn, "normalize", normalize);
  checkBoolean(fn, "linear", linear);

  return (data: Tensor): Tensor => {
    checkFloatTensor(fn, "data", data);
    if (timeAxis > data.ndim) {
      throw new RangeError(`${fn}: timeAxis ${timeAxis} is out of range for data of shape [${data.shape}]`);
    }
    const x = data.dataSync();
    checkFinite(fn, "data", x);
    const n = x.length;
    const t = new Float64Array(n);
    const f = firstSpikeTime;
    if (!linear) {
      for (let i = 0; i < n; i++) {
        const v = Math.max(x[i], threshold + epsilon);
        t[i] = tau * Math.log(v / (v - threshold));
      }
      if (f > 0) {
        const lo = minOf(t);
        for (let i = 0; i < n; i++) t[i] = t[i] - f * (lo / f - 1);
      }
      if (normalize) {
        let hi = -Infinity;
        for (let i = 0; i < n; i++) hi = Math.max(hi, t[i] - f);
        if (hi > 0) { for (let i = 0; i < n; i++) t[i] = ((t[i] - f) * (numSteps - f - 1)) / hi + f; }
      }
    } else {
      if (!normalize && maxOf(x) > 1) {
        throw new RangeError(`${fn}: linear coding of values above 1 needs normalize: true (max is ${maxOf(x)})`);
      }
      const tl = normalize ? numSteps - 1 - f : tau;
      const cap = -tl * (threshold - 1);
      for (let i = 0; i < n; i++) t[i] = Math.min(-tl * (x[i] - 1), cap) + f;
      const lo = minOf(t);
      if (normalize && lo < 0) {
        const span = maxOf(t) - lo;
        for (let i = 0; i < n; i++) t[i] = span > 0 ? ((t[i] - lo) / span) * (numSteps - 1) : 0;
      }
    }

    const steps = new Int32Array(n);
    let overflow = false;
    for (let i = 0; i < n; i++) {
      const s = roundHalfEven(t[i]);
      if (s < 0) throw new RangeError(`${fn}: negative spike time ${t[i]} at flat index ${i}`);
      if (s > numSteps - 1) overflow = true;
      steps[i] = Math.min(s, numSteps - 1);
    }

    const outShape = [...data.shape.slice(0, timeAxis), numSteps, ...data.shape.slice(timeAxis)];
    const inner = data.shape.slice(timeAxis).reduce((a, b) => a * b, 1);
    const out = new Float32Array(n * numSteps);
    for (let i = 0; i < n; i++) {
      if (clip && x[i] < threshold) continue;
      if (overflow && steps[i] === numSteps - 1) continue;
      const o = Math.floor(i / inner), k = i - o * inner;
      out[(o * numSteps + steps[i]) * inner + k] = 1;
    }
    return fromTypedArray(out, outShape, "float32");
  };
}

function minOf(a: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

function maxOf(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
