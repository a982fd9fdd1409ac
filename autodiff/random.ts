/**
 * JAX-style functional random numbers: a key is a uint32 tensor of shape
 * `[2]`; functions consume a key and never mutate it; `split` derives new
 * keys. The generator is threefry-2x32 with JAX's legacy derivation, so
 * `key`, `split`, `foldIn`, `bits` and float32 `uniform`/`normal` give the
 * same numbers as JAX (with `jax_threefry_partitionable=False`, the default
 * before JAX 0.5). Generation runs on the host.
 *
 * float64 draws (which JAX makes only with x64 enabled) take 52 bits from
 * two consecutive words; they are reproducible here but not JAX's.
 *
 * @module
 */
import { checkDType, type DType, isFloat } from "./dtype.ts";
import { fromTypedArray } from "./ops/creation.ts";
import { reshape, take } from "./ops/layout.ts";
import { checkShape, sizeOf } from "./shape.ts";
import { isTensor, type Tensor } from "./tensor.ts";
import { hashWords, randomWords } from "./threefry.ts";

/** A random key: a uint32 tensor of shape [2]. */
export type PRNGKey = Tensor;

function words(op: string, key: unknown): [number, number] {
  if (!isTensor(key) || key.dtype !== "uint32" || key.shape.length !== 1 || key.shape[0] !== 2) {
    const got = isTensor(key) ? `a ${key.dtype} tensor of shape [${key.shape}]` : typeof key;
    throw new TypeError(`random.${op}: expected a key (uint32 tensor of shape [2], from random.key), got ${got}`);
  }
  const d = key.backend.readSync(key);
  return [d[0], d[1]];
}

function makeKey(w0: number, w1: number): PRNGKey {
  return fromTypedArray(new Uint32Array([w0, w1]), [2], "uint32");
}

function shapeArg(op: string, shape: readonly number[] | number): number[] {
  return checkShape(`random.${op}`, typeof shape === "number" ? [shape] : shape);
}

function floatDType(op: string, dtype: DType | undefined): DType {
  const d = checkDType(`random.${op}`, dtype ?? "float32");
  if (!isFloat(d)) throw new TypeError(`random.${op}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/**
 * A key from an integer seed (JAX's legacy `PRNGKey`: the high and low 32
 * bits of the 64-bit seed).
 *
 * @example
 * ```ts
 * const k = random.key(0);
 * ```
 */
export function key(seed: number): PRNGKey {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`random.key: seed must be a safe integer, got ${seed}`);
  const big = BigInt.asUintN(64, BigInt(seed));
  return makeKey(Number(big >> 32n), Number(big & 0xffffffffn));
}

/**
 * The two uint32 words of a key.
 *
 * @example
 * ```ts
 * random.keyData(random.key(7)); // Uint32Array [0, 7]
 * ```
 */
export function keyData(k: PRNGKey): Uint32Array {
  return new Uint32Array(words("keyData", k));
}

/**
 * `n` new keys derived from `k`.
 *
 * @example
 * ```ts
 * const [k1, k2] = random.split(random.key(0));
 * ```
 */
export function split(k: PRNGKey, n = 2): PRNGKey[] {
  const [a, b] = words("split", k);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`random.split: n must be a non-negative integer, got ${n}`);
  const w = randomWords(a, b, 2 * n);
  return Array.from({ length: n }, (_, i) => makeKey(w[2 * i], w[2 * i + 1]));
}

/**
 * A key derived from `k` and an integer (e.g. a step or worker index).
 *
 * @example
 * ```ts
 * const stepKey = random.foldIn(random.key(0), 42);
 * ```
 */
export function foldIn(k: PRNGKey, data: number): PRNGKey {
  const [a, b] = words("foldIn", k);
  if (!Number.isSafeInteger(data)) throw new RangeError(`random.foldIn: data must be an integer, got ${data}`);
  const big = BigInt.asUintN(64, BigInt(data));
  const w = hashWords(a, b, new Uint32Array([Number(big >> 32n), Number(big & 0xffffffffn)]));
  return makeKey(w[0], w[1]);
}

/**
 * Uniform random uint32 words of `shape` (`jax.random.bits`).
 *
 * @example
 * ```ts
 * random.bits(random.key(0), [4]);
 * ```
 */
export function bits(k: PRNGKey, shape: readonly number[] | number = []): Tensor {
  const [a, b] = words("bits", k);
  const s = shapeArg("bits", shape);
  return fromTypedArray(randomWords(a, b, sizeOf(s)), s, "uint32");
}

const F32_VIEW = new Float32Array(1);
const U32_VIEW = new Uint32Array(F32_VIEW.buffer);

/** Unit floats in [0, 1) from raw words, JAX's mantissa construction. */
function unitFloats(a: number, b: number, n: number, dtype: DType): Float32Array | Float64Array {
  if (dtype === "float32") {
    const w = randomWords(a, b, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      U32_VIEW[0] = (w[i] >>> 9) | 0x3f800000;
      out[i] = F32_VIEW[0] - 1;
    }
    return out;
  }
  const w = randomWords(a, b, 2 * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // 52 mantissa bits: 20 from the first word, 32 from the second.
    out[i] = ((w[2 * i] >>> 12) * 4294967296 + w[2 * i + 1]) / 4503599627370496;
  }
  return out;
}

function scaleInto(u: Float32Array | Float64Array, minval: number, maxval: number): void {
  const f32 = u instanceof Float32Array;
  const lo = f32 ? Math.fround(minval) : minval;
  const span = f32 ? Math.fround(Math.fround(maxval) - lo) : maxval - minval;
  for (let i = 0; i < u.length; i++) {
    const v = u[i] * span + lo;
    u[i] = v < lo ? lo : v;
  }
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  minval?: number;
  maxval?: number;
  dtype?: DType;
}

/**
 * Uniform floats on `[minval, maxval)`.
 *
 * @example
 * ```ts
 * random.uniform(random.key(0), [3], { minval: -1, maxval: 1 });
 * ```
 */
export function uniform(k: PRNGKey, shape: readonly number[] | number = [], options: UniformOptions = {}): Tensor {
  const [a, b] = words("uniform", k);
  const s = shapeArg("uniform", shape);
  const { minval = 0, maxval = 1 } = options;
  const dtype = floatDType("uniform", options.dtype);
  if (!(Number.isFinite(minval) && Number.isFinite(maxval) && maxval > minval)) {
    throw new RangeError(`random.uniform: need finite minval < maxval, got minval ${minval}, maxval ${maxval}`);
  }
  const u = unitFloats(a, b, sizeOf(s), dtype);
  scaleInto(u, minval, maxval);
  return fromTypedArray(u, s, dtype);
}

/**
 * Inverse error function: Giles' single-precision approximation, refined
 * by Newton steps on {@link erf} when `precise` (float64 use).
 */
export function erfinv(y: number, precise = false): number {
  if (y <= -1) return y === -1 ? -Infinity : NaN;
  if (y >= 1) return y === 1 ? Infinity : NaN;
  let w = -Math.log((1 - y) * (1 + y));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  let x = p * y;
  if (precise) {
    // Newton on erf (or, in the tails, on erfc, where 1 - |y| is exact).
    const a = Math.abs(y);
    let z = Math.abs(x);
    for (let i = 0; i < 3; i++) {
      const slope = 1.1283791670955126 * Math.exp(-z * z);
      z += a > 0.5 ? (erfc(z) - (1 - a)) / slope : (a - erf(z)) / slope;
    }
    x = Math.sign(y) * z;
  }
  return x;
}

/**
 * Error function, accurate to double precision (series below 3, a
 * continued fraction for the complement above).
 */
export function erf(x: number): number {
  if (Math.abs(x) >= 3) return Math.sign(x) * (1 - erfc(Math.abs(x)));
  // erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms positive.
  let term = x, sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return 1.1283791670955126 * Math.exp(-x2) * sum;
}

/** Complementary error function `1 - erf(x)`, accurate in the tail. */
export function erfc(x: number): number {
  if (x < 3) return 1 - erf(x);
  // Lentz's continued fraction: erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * 1.7724538509055159);
}

/** Options of the float samplers. */
export interface FloatOptions {
  dtype?: DType;
}

/**
 * Standard normal floats (JAX's method: `sqrt(2) * erfinv(u)` with `u`
 * uniform on `(-1, 1)`).
 *
 * @example
 * ```ts
 * random.normal(random.key(0), [4]);
 * ```
 */
export function normal(k: PRNGKey, shape: readonly number[] | number = [], options: FloatOptions = {}): Tensor {
  const [a, b] = words("normal", k);
  const s = shapeArg("normal", shape);
  const dtype = floatDType("normal", options.dtype);
  const u = unitFloats(a, b, sizeOf(s), dtype);
  const f32 = dtype === "float32";
  const lo = f32 ? Math.fround(-0.99999994) : -1 + Number.EPSILON / 2;
  scaleInto(u, lo, 1);
  for (let i = 0; i < u.length; i++) u[i] = Math.SQRT2 * erfinv(u[i], !f32);
  return fromTypedArray(u, s, dtype);
}

/**
 * Normal floats truncated to `(lower, upper)` (JAX's inverse-CDF method).
 *
 * @example
 * ```ts
 * random.truncatedNormal(random.key(0), -2, 2, [3, 3]);
 * ```
 */
export function truncatedNormal(
  k: PRNGKey,
  lower: number,
  upper: number,
  shape: readonly number[] | number = [],
  options: FloatOptions = {},
): Tensor {
  const [a, b] = words("truncatedNormal", k);
  const s = shapeArg("truncatedNormal", shape);
  const dtype = floatDType("truncatedNormal", options.dtype);
  if (!(lower < upper)) throw new RangeError(`random.truncatedNormal: need lower < upper, got ${lower}, ${upper}`);
  const ea = erf(lower / Math.SQRT2), eb = erf(upper / Math.SQRT2);
  const u = unitFloats(a, b, sizeOf(s), dtype);
  const f32 = dtype === "float32";
  const lo = f32 ? Math.fround(ea) : ea;
  const span = f32 ? Math.fround(Math.fround(eb) - lo) : eb - ea;
  // Keep results strictly inside the bounds, as JAX does with nextafter.
  const inLo = f32 ? nextFloat32Up(lower) : lower + Math.abs(lower) * Number.EPSILON + Number.MIN_VALUE;
  const inHi = f32 ? nextFloat32Down(upper) : upper - Math.abs(upper) * Number.EPSILON - Number.MIN_VALUE;
  for (let i = 0; i < u.length; i++) {
    const v = Math.SQRT2 * erfinv(Math.max(lo, u[i] * span + lo), !f32);
    u[i] = Math.min(Math.max(v, inLo), inHi);
  }
  return fromTypedArray(u, s, dtype);
}

function nextFloat32Up(x: number): number {
  const f = Math.fround(x);
  F32_VIEW[0] = f;
  if (f === 0) return 1.401298464324817e-45;
  U32_VIEW[0] += f > 0 ? 1 : -1;
  return F32_VIEW[0];
}

function nextFloat32Down(x: number): number {
  return -nextFloat32Up(-x);
}

/**
 * Bool samples that are true with probability `p` (a number or a tensor
 * broadcast to `shape`; `shape` defaults to `p`'s shape).
 *
 * @example
 * ```ts
 * random.bernoulli(random.key(0), 0.3, [100]);
 * ```
 */
export function bernoulli(k: PRNGKey, p: number | Tensor = 0.5, shape?: readonly number[] | number): Tensor {
  const [a, b] = words("bernoulli", k);
  const pShape = isTensor(p) ? p.shape : [];
  const s = shape === undefined ? pShape.slice() : shapeArg("bernoulli", shape);
  const n = sizeOf(s);
  const probs = isTensor(p) ? p.backend.readSync(p) : null;
  if (probs) {
    const off = s.length - pShape.length;
    if (off < 0 || pShape.some((d, i) => d !== 1 && d !== s[i + off])) {
      throw new RangeError(`random.bernoulli: p of shape [${pShape}] does not broadcast to [${s}]`);
    }
  } else if (typeof p !== "number" || Number.isNaN(p)) {
    throw new TypeError(`random.bernoulli: p must be a number or a tensor, got ${p}`);
  }
  const dtype = isTensor(p) && p.dtype === "float64" ? "float64" : "float32";
  const u = unitFloats(a, b, n, dtype);
  const out = new Uint8Array(n);
  if (!probs) {
    for (let i = 0; i < n; i++) out[i] = u[i] < (p as number) ? 1 : 0;
  } else {
    const index = broadcastIndex(pShape, s);
    for (let i = 0; i < n; i++) out[i] = u[i] < probs[index(i)] ? 1 : 0;
  }
  return fromTypedArray(out, s, "bool");
}

/** Maps a flat index of `outShape` to the flat index of a broadcast operand of `shape`. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): (i: number) => number {
  if (sizeOf(shape) === sizeOf(outShape)) return (i) => i;
  if (sizeOf(shape) === 1) return () => 0;
  const off = outShape.length - shape.length;
  return (i) => {
    let src = 0, stride = 1, rest = i;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const coord = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const sd = d - off;
      if (sd >= 0) {
        if (shape[sd] !== 1) src += coord * stride;
        stride *= shape[sd];
      }
    }
    return src;
  };
}

/**
 * Uniform integers on `[minval, maxval)` (JAX's two-word method).
 *
 * @example
 * ```ts
 * random.randint(random.key(0), [5], 0, 10);
 * ```
 */
export function randint(
  k: PRNGKey,
  shape: readonly number[] | number,
  minval: number,
  maxval: number,
  options: { dtype?: DType } = {},
): Tensor {
  words("randint", k);
  const s = shapeArg("randint", shape);
  const dtype = checkDType("random.randint", options.dtype ?? "int32");
  if (dtype !== "int32" && dtype !== "uint32") {
    throw new TypeError(`random.randint: dtype must be int32 or uint32, got ${dtype}`);
  }
  if (!Number.isInteger(minval) || !Number.isInteger(maxval) || maxval <= minval) {
    throw new RangeError(`random.randint: need integers minval < maxval, got ${minval}, ${maxval}`);
  }
  const span = maxval - minval;
  if (span > 0xffffffff) throw new RangeError(`random.randint: range ${span} exceeds 2^32`);
  const [k1, k2] = split(k);
  const [a1, b1] = words("randint", k1), [a2, b2] = words("randint", k2);
  const n = sizeOf(s);
  const hi = randomWords(a1, b1, n), lo = randomWords(a2, b2, n);
  // multiplier = (2^16 mod span)^2 mod span, all in uint32 arithmetic as JAX.
  let mult = 65536 % span;
  mult = Number((BigInt(mult) * BigInt(mult)) % BigInt(span));
  const out = dtype === "int32" ? new Int32Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const offset = ((Math.imul(hi[i] % span, mult) >>> 0) + (lo[i] % span)) >>> 0;
    out[i] = minval + (offset % span);
  }
  return fromTypedArray(out, s, dtype);
}

/** A stable sort of `values` by fresh random words, repeated as JAX's `_shuffle`. */
function shuffledIndices(k: PRNGKey, n: number): Int32Array {
  let idx = new Int32Array(n).map((_, i) => i);
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(0xffffffff));
  let current = k;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split(current);
    current = next;
    const [a, b] = words("permutation", sub);
    const sortKeys = randomWords(a, b, n);
    const order = Array.from(idx.keys()).sort((i, j) => sortKeys[i] - sortKeys[j] || i - j);
    idx = Int32Array.from(order, (i) => idx[i]);
  }
  return idx;
}

/**
 * A random permutation of `0..n-1`, or of `x` along `axis`.
 *
 * @example
 * ```ts
 * random.permutation(random.key(0), 10);
 * ```
 */
export function permutation(k: PRNGKey, x: number | Tensor, axis = 0): Tensor {
  words("permutation", k);
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) {
      throw new RangeError(`random.permutation: n must be a non-negative integer, got ${x}`);
    }
    return fromTypedArray(shuffledIndices(k, x), [x], "int32");
  }
  if (!isTensor(x) || x.ndim === 0) {
    throw new TypeError("random.permutation: x must be an integer or a tensor with an axis");
  }
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (ax < 0 || ax >= x.ndim) {
    throw new RangeError(`random.permutation: axis ${axis} out of range for shape [${x.shape}]`);
  }
  return takeAlong(x, shuffledIndices(k, x.shape[ax]), ax);
}

function takeAlong(x: Tensor, idx: Int32Array, axis: number): Tensor {
  return take(x, fromTypedArray(idx, [idx.length], "int32"), axis);
}

/** Options of {@link choice}. */
export interface ChoiceOptions {
  /** Draw with replacement (default true). */
  replace?: boolean;
  /** Probabilities of each element (need not be normalised). */
  p?: Tensor | readonly number[];
}

/**
 * Random elements of `a` (or of `0..a-1`), optionally weighted and without
 * replacement (JAX's methods: cumulative sums, Gumbel top-k).
 *
 * @example
 * ```ts
 * random.choice(random.key(0), 5, [3], { replace: false });
 * ```
 */
export function choice(
  k: PRNGKey,
  a: number | Tensor,
  shape: readonly number[] | number = [],
  options: ChoiceOptions = {},
): Tensor {
  words("choice", k);
  const s = shapeArg("choice", shape);
  const n = typeof a === "number" ? a : a.shape[0];
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`random.choice: need a positive population, got ${n}`);
  const m = sizeOf(s);
  const { replace = true } = options;
  if (!replace && m > n) {
    throw new RangeError(`random.choice: cannot take ${m} samples from ${n} without replacement`);
  }
  let p: Float64Array | null = null;
  if (options.p !== undefined) {
    const raw = isTensor(options.p) ? options.p.backend.readSync(options.p) : options.p;
    if (raw.length !== n || Array.from(raw).some((v) => !(v >= 0))) {
      throw new RangeError(`random.choice: p must have ${n} non-negative entries`);
    }
    p = Float64Array.from(raw);
  }
  let idx: Int32Array;
  if (p === null) {
    idx = replace ? randint(k, [m], 0, n).dataSync() as Int32Array : shuffledIndices(k, n).slice(0, m);
  } else if (replace) {
    const cum = new Float64Array(n);
    p.reduce((acc, v, i) => (cum[i] = acc + v), 0);
    const u = uniform(k, [m], { dtype: "float64" }).dataSync();
    idx = Int32Array.from(u, (v) => {
      const r = cum[n - 1] * (1 - v);
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    });
  } else {
    const u = uniform(k, [n], { minval: Number.MIN_VALUE, maxval: 1, dtype: "float64" }).dataSync();
    const score = Array.from(u, (v, i) => Math.log(-Math.log(v)) - Math.log(p![i]));
    idx = Int32Array.from(score.map((_, i) => i).sort((i, j) => score[i] - score[j]).slice(0, m));
  }
  if (typeof a === "number") return fromTypedArray(idx, s, "int32");
  return reshape(takeAlong(a, idx, 0), [...s, ...a.shape.slice(1)]);
}
