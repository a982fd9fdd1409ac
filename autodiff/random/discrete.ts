/**
 * Integer samplers: `randint`, `permutation` and `choice`, with JAX's
 * methods (two-word modular reduction, repeated stable sorts by random
 * words, inverse-CDF search and Gumbel top-k for weights).
 *
 * @module
 */
import { checkDType, type DType } from "../dtype.ts";
import { fromTypedArray } from "../ops/creation.ts";
import { take } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { normalizeAxis, sizeOf } from "../shape.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { randomWords } from "../threefry.ts";
import { scaleUnit, unitFloats } from "./floats.ts";

const f32 = Math.fround;
import { keyWords, type PRNGKey, shapeArg, type ShapeLike, split } from "./keys.ts";

/** Options of {@link randint}. */
export interface RandintOptions {
  /** `int32` (default) or `uint32`. */
  dtype?: DType;
}

/**
 * Uniform integers on `[minval, maxval)` (JAX's method: two words per
 * number, combined modulo the range in uint32 arithmetic, so that the
 * result matches JAX's, including its small bias for ranges that are not
 * powers of two). `maxval` may be one past the dtype's largest value.
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.randint(random.key(0), [5], 0, 10);
 * ```
 */
export function randint(
  k: PRNGKey,
  shape: ShapeLike,
  minval: number,
  maxval: number,
  options: RandintOptions = {},
): Tensor {
  keyWords("randint", k);
  const s = shapeArg("randint", shape);
  const dtype = checkDType("random.randint", options.dtype ?? "int32");
  if (dtype !== "int32" && dtype !== "uint32") {
    throw new TypeError(`random.randint: dtype must be int32 or uint32, got ${dtype}`);
  }
  const [dmin, dmax] = dtype === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  if (
    !Number.isInteger(minval) || !Number.isInteger(maxval) || !(minval < maxval) || minval < dmin ||
    maxval > dmax + 1
  ) {
    throw new RangeError(
      `random.randint: need integers minval < maxval within ${dtype} (maxval up to ${
        dmax + 1
      }), got minval ${minval}, maxval ${maxval}`,
    );
  }
  const [k1, k2] = split(k);
  const n = sizeOf(s);
  const high = randomWords(...keyWords("randint", k1), n);
  const low = randomWords(...keyWords("randint", k2), n);
  const out = dtype === "int32" ? new Int32Array(n) : new Uint32Array(n);
  const span = maxval - minval;
  if (span === 2 ** 32) {
    // JAX's span wraps to 0 and XLA's x % 0 is x: the low word alone.
    for (let i = 0; i < n; i++) out[i] = minval + low[i];
  } else {
    // (2^16 mod span)^2 mod span: 2^32 mod span, with JAX's uint32 wrap-around for spans above 2^16.
    const half = 65536 % span;
    const multiplier = (Math.imul(half, half) >>> 0) % span;
    for (let i = 0; i < n; i++) {
      const offset = ((Math.imul(high[i] % span, multiplier) >>> 0) + (low[i] % span)) >>> 0;
      out[i] = minval + (offset % span);
    }
  }
  return fromTypedArray(out, s, dtype);
}

// Shuffles pack (sort word, position) into one float64 when positions fit in 21 bits.
const PACK = 2 ** 21;

/**
 * `0..n-1` shuffled by JAX's `_shuffle`: `ceil(3 ln n / ln(2^32 - 1))`
 * rounds of a stable sort by fresh random words, each round with a new
 * subkey from `split`.
 */
function shuffledIndices(k: PRNGKey, n: number): Int32Array {
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(0xffffffff));
  let current = k;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split(current);
    current = next;
    const [a, b] = keyWords("permutation", sub);
    const sortWords = randomWords(a, b, n);
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

/** The population size of `permutation`/`choice`: an integer, or the length of `x` along `axis`. */
function populationOf(
  op: string,
  x: number | Tensor,
  axis: number,
): { n: number; tensor: Tensor | null; axis: number } {
  if (isTensor(x) && x.ndim > 0) {
    const ax = normalizeAxis(`random.${op}`, axis, x.ndim);
    return { n: x.shape[ax], tensor: x, axis: ax };
  }
  const n = isTensor(x) ? (x.dtype === "int32" || x.dtype === "uint32" ? x.item() : NaN) : x;
  if (!Number.isInteger(n) || n < 0) {
    const got = isTensor(x) ? `a ${x.dtype} scalar tensor` : String(x);
    throw new RangeError(
      `random.${op}: expected a non-negative integer or a tensor with at least one axis, got ${got}`,
    );
  }
  return { n, tensor: null, axis: 0 };
}

/**
 * A random permutation of `0..n-1` (int32), or of the tensor `x` along
 * `axis` (JAX's `permutation`, bit-for-bit).
 *
 * @example
 * ```ts
 * import { np, random } from "../../mod.ts";
 * random.permutation(random.key(0), 10);
 * random.permutation(random.key(0), np.reshape(np.arange(6), [3, 2])); // rows shuffled
 * ```
 */
export function permutation(k: PRNGKey, x: number | Tensor, axis = 0): Tensor {
  keyWords("permutation", k);
  const pop = populationOf("permutation", x, axis);
  const idx = shuffledIndices(k, pop.n);
  return pop.tensor
    ? take(pop.tensor, fromTypedArray(idx, [pop.n], "int32"), pop.axis)
    : fromTypedArray(idx, [pop.n], "int32");
}

/** Options of {@link choice}. */
export interface ChoiceOptions {
  /** Draw with replacement (default true). */
  replace?: boolean;
  /** Weights of the `n` candidates, non-negative with a positive sum (normalised here). float64 tensors draw float64 uniforms. */
  p?: Tensor | readonly number[];
  /** Axis of a tensor `a` to choose along (default 0). */
  axis?: number;
}

/**
 * Random elements of `a` along `axis`, or random integers in `[0, a)` when
 * `a` is a number, in an array of `shape` (JAX's `choice`: `randint`,
 * a permutation's prefix without replacement; with weights, inverse-CDF
 * search or the Gumbel top-k trick without replacement).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.choice(random.key(0), 5, [3], { replace: false });
 * random.choice(random.key(1), 3, [10], { p: [0.1, 0.2, 0.7] });
 * ```
 */
export function choice(k: PRNGKey, a: number | Tensor, shape: ShapeLike = [], options: ChoiceOptions = {}): Tensor {
  const words = keyWords("choice", k);
  const s = shapeArg("choice", shape);
  const { replace = true, axis = 0 } = options;
  const pop = populationOf("choice", a, axis);
  const n = pop.n, m = sizeOf(s);
  if (n === 0 && m > 0) throw new RangeError(`random.choice: cannot draw ${m} samples from an empty population`);
  if (!replace && m > n) {
    throw new RangeError(`random.choice: cannot take ${m} samples from a population of ${n} without replacement`);
  }
  let idx: Int32Array;
  if (options.p === undefined) {
    if (m === 0) idx = new Int32Array(0);
    else if (replace) idx = randint(k, [m], 0, n).dataSync() as Int32Array;
    else idx = shuffledIndices(k, n).slice(0, m);
  } else {
    const { weights, dtype } = checkWeights(options.p, n);
    idx = replace ? inverseCdfSamples(words, weights, m, dtype) : gumbelTopK(words, weights, m, dtype);
  }
  const indices = fromTypedArray(idx, [m], "int32");
  if (!pop.tensor) return reshape(indices, s);
  const x = pop.tensor, ax = pop.axis;
  return reshape(take(x, indices, ax), [...x.shape.slice(0, ax), ...s, ...x.shape.slice(ax + 1)]);
}

function checkWeights(
  p: Tensor | readonly number[],
  n: number,
): { weights: Float64Array; dtype: "float32" | "float64" } {
  const raw = isTensor(p) ? p.backend.readSync(p) : p;
  const dtype = isTensor(p) && p.dtype === "float64" ? "float64" : "float32";
  const shapeOk = isTensor(p) ? p.ndim === 1 && p.shape[0] === n : Array.isArray(p) && p.length === n;
  if (!shapeOk) {
    const got = isTensor(p) ? `shape [${p.shape}]` : `length ${(p as readonly number[]).length}`;
    throw new RangeError(`random.choice: p must have one weight per candidate (${n}), got ${got}`);
  }
  const weights = Float64Array.from(raw as ArrayLike<number>);
  let total = 0;
  for (const w of weights) {
    if (!(w >= 0 && w < Infinity)) throw new RangeError(`random.choice: weights p must be finite and >= 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError("random.choice: weights p sum to 0");
  return { weights, dtype };
}

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
  const tiny = dtype === "float32" ? 2 ** -126 : 2 ** -1022;
  scaleUnit(u, tiny, 1);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = round(-round(Math.log(-round(Math.log(u[i])))) + round(Math.log(p[i])));
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => score[j] - score[i] || i - j);
  return Int32Array.from(order.slice(0, m));
}
