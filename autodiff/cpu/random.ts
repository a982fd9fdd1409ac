/**
 * CPU kernels of the random primitives (`random/primitives.ts`): threefry
 * words from each key, and JAX's unit floats, integer reduction, shuffles
 * and weighted draws on them, bit for bit as JAX computes them.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../backend.ts";
import type {
  FoldInParams,
  PermutationParams,
  RandintParams,
  SampleParams,
  SplitParams,
  UnitParams,
  WeightedChoiceParams,
} from "../random/primitives.ts";
import { sizeOf } from "../shape.ts";
import { hashWords, randomWords } from "../threefry.ts";
import { cpuData, registerCpuKernel } from "./backend.ts";

const f32 = Math.fround;
const TWO_M23 = 2 ** -23;
const TWO_M52 = 2 ** -52;

/** Calls `each(k0, k1, offset)` for every key of `[...K, 2]`, `offset = index * per`. */
function forEachKey(key: KernelTensor, per: number, each: (k0: number, k1: number, offset: number) => void): number {
  const words = cpuData(key);
  const count = words.length / 2;
  for (let i = 0; i < count; i++) each(words[2 * i], words[2 * i + 1], i * per);
  return count;
}

function keyCount(key: KernelTensor): number {
  return sizeOf(key.shape) / 2;
}

/**
 * Floats in `[0, 1)` from a key, JAX's mantissa construction (see
 * `RANDOM_UNIT`).
 *
 * @example
 * ```ts
 * unitFloats([0, 0], 4, "float32"); // the float32 uniform(key(0), [4])
 * ```
 */
export function unitFloats(
  k: readonly [number, number],
  n: number,
  dtype: "float32" | "float64",
): Float32Array | Float64Array {
  if (dtype === "float32") {
    const w = randomWords(k[0], k[1], n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (w[i] >>> 9) * TWO_M23;
    return out;
  }
  const w = randomWords(k[0], k[1], 2 * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (w[i] * 1048576 + (w[n + i] >>> 12)) * TWO_M52;
  return out;
}

registerCpuKernel<SampleParams>("random_bits", ([key], { shape }): DataHandle[] => {
  const n = sizeOf(shape);
  const out = new Uint32Array(keyCount(key) * n);
  forEachKey(key, n, (k0, k1, at) => out.set(randomWords(k0, k1, n), at));
  return [out];
});

registerCpuKernel<SplitParams>("random_split", ([key], { count }): DataHandle[] => {
  const out = new Uint32Array(keyCount(key) * 2 * count);
  forEachKey(key, 2 * count, (k0, k1, at) => out.set(randomWords(k0, k1, 2 * count), at));
  return [out];
});

registerCpuKernel<FoldInParams>("random_fold_in", ([key], { data }): DataHandle[] => {
  const out = new Uint32Array(keyCount(key) * 2);
  forEachKey(key, 2, (k0, k1, at) => out.set(hashWords(k0, k1, new Uint32Array([0, data >>> 0])).subarray(0, 2), at));
  return [out];
});

registerCpuKernel<UnitParams>("random_unit", ([key], { shape, dtype }): DataHandle[] => {
  const n = sizeOf(shape);
  const out = dtype === "float32" ? new Float32Array(keyCount(key) * n) : new Float64Array(keyCount(key) * n);
  forEachKey(key, n, (k0, k1, at) => out.set(unitFloats([k0, k1], n, dtype), at));
  return [out];
});

registerCpuKernel<RandintParams>("random_randint", ([key], { shape, dtype, minval, maxval }): DataHandle[] => {
  const n = sizeOf(shape);
  const out = dtype === "int32" ? new Int32Array(keyCount(key) * n) : new Uint32Array(keyCount(key) * n);
  forEachKey(key, n, (k0, k1, at) => {
    // JAX splits the key and draws a high and a low word per number.
    const sub = randomWords(k0, k1, 4);
    const high = randomWords(sub[0], sub[1], n), low = randomWords(sub[2], sub[3], n);
    const span = maxval - minval;
    if (span === 2 ** 32) {
      // JAX's span wraps to 0 and XLA's x % 0 is x: the low word alone.
      for (let i = 0; i < n; i++) out[at + i] = minval + low[i];
      return;
    }
    // (2^16 mod span)^2 mod span: 2^32 mod span, with JAX's uint32 wrap-around for spans above 2^16.
    const half = 65536 % span;
    const multiplier = (Math.imul(half, half) >>> 0) % span;
    for (let i = 0; i < n; i++) {
      const offset = ((Math.imul(high[i] % span, multiplier) >>> 0) + (low[i] % span)) >>> 0;
      out[at + i] = minval + (offset % span);
    }
  });
  return [out];
});

// Shuffles pack (sort word, position) into one float64 when positions fit in 21 bits.
const PACK = 2 ** 21;

/**
 * `0..n-1` shuffled by JAX's `_shuffle`: `ceil(3 ln n / ln(2^32 - 1))`
 * rounds of a stable sort by fresh random words, each round with a new
 * subkey from `split`.
 *
 * @example
 * ```ts
 * shuffledIndices(0, 0, 5); // JAX's permutation(key(0), 5)
 * ```
 */
export function shuffledIndices(k0: number, k1: number, n: number): Int32Array {
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(0xffffffff));
  let current = [k0, k1];
  for (let r = 0; r < rounds; r++) {
    const keys = randomWords(current[0], current[1], 4);
    current = [keys[0], keys[1]];
    const sortWords = randomWords(keys[2], keys[3], n);
    const order = new Int32Array(n);
    if (n <= PACK) {
      const packed = new Float64Array(n);
      for (let i = 0; i < n; i++) packed[i] = sortWords[i] * PACK + i;
      packed.sort();
      for (let i = 0; i < n; i++) order[i] = packed[i] % PACK;
    } else {
      const positions = Array.from({ length: n }, (_, i) => i);
      positions.sort((i, j) => sortWords[i] - sortWords[j] || i - j);
      order.set(positions);
    }
    const nextIdx = new Int32Array(n);
    for (let i = 0; i < n; i++) nextIdx[i] = idx[order[i]];
    idx = nextIdx;
  }
  return idx;
}

registerCpuKernel<PermutationParams>("random_permutation", ([key], { n }): DataHandle[] => {
  const out = new Int32Array(keyCount(key) * n);
  forEachKey(key, n, (k0, k1, at) => out.set(shuffledIndices(k0, k1, n), at));
  return [out];
});

registerCpuKernel<WeightedChoiceParams>("random_choice_weighted", ([key, p], { count, replace }): DataHandle[] => {
  const weights = cpuData(p);
  const n = p.shape[p.shape.length - 1];
  const dtype = p.dtype === "float64" ? "float64" : "float32";
  const out = new Int32Array(keyCount(key) * count);
  let member = 0;
  forEachKey(key, count, (k0, k1, at) => {
    const w = Float64Array.from(weights.subarray(member * n, member * n + n));
    member++;
    let total = 0;
    for (const v of w) {
      if (!(v >= 0 && v < Infinity)) throw new RangeError(`random.choice: weights p must be finite and >= 0, got ${v}`);
      total += v;
    }
    if (!(total > 0)) throw new RangeError("random.choice: weights p sum to 0");
    out.set(replace ? inverseCdfSamples([k0, k1], w, count, dtype) : gumbelTopK([k0, k1], w, count, dtype), at);
  });
  return [out];
});

/** JAX's weighted draw with replacement: `searchsorted(cumsum(p), total * (1 - u))`. */
function inverseCdfSamples(words: readonly [number, number], p: Float64Array, m: number, dtype: "float32" | "float64") {
  const round = dtype === "float32" ? f32 : (v: number) => v;
  const n = p.length;
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cum[i] = acc = round(acc + round(p[i]));
  const u = unitFloats(words, m, dtype);
  const idx = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const r = round(cum[n - 1] * round(1 - u[j]));
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    idx[j] = lo;
  }
  return idx;
}

/** JAX's weighted draw without replacement: the `m` largest of `gumbel + log p`. */
function gumbelTopK(words: readonly [number, number], p: Float64Array, m: number, dtype: "float32" | "float64") {
  const round = dtype === "float32" ? f32 : (v: number) => v;
  const n = p.length;
  const u = unitFloats(words, n, dtype);
  // JAX's gumbel draws uniforms on [tiny, 1): scaled with float rounding as its uniform does.
  const tiny = dtype === "float32" ? 2 ** -126 : 2 ** -1022;
  const span = round(1 - tiny);
  for (let i = 0; i < n; i++) {
    const v = round(round(u[i] * span) + tiny);
    u[i] = v < tiny ? tiny : v;
  }
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = round(-round(Math.log(-round(Math.log(u[i])))) + round(Math.log(p[i])));
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => score[j] - score[i] || i - j);
  return Int32Array.from(order.slice(0, m));
}
