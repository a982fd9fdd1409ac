/**
 * Float samplers (`uniform`, `normal`, `truncatedNormal`) and `bernoulli`,
 * built on JAX's mantissa construction of unit floats from random words.
 *
 * @module
 */
import { checkDType, type DType } from "../dtype.ts";
import { erf, erfinv, erfinvFloat32 } from "../erf.ts";
import { fromTypedArray } from "../ops/creation.ts";
import { sizeOf } from "../shape.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { randomWords } from "../threefry.ts";
import { keyWords, type PRNGKey, shapeArg, type ShapeLike } from "./keys.ts";

function floatDType(op: string, dtype: unknown): "float32" | "float64" {
  const d = checkDType(`random.${op}`, dtype ?? "float32");
  if (d !== "float32" && d !== "float64") {
    throw new TypeError(`random.${op}: dtype must be float32 or float64, got ${d}`);
  }
  return d;
}

const TWO_M23 = 2 ** -23;
const TWO_M52 = 2 ** -52;
const f32 = Math.fround;

/**
 * Floats in `[0, 1)` with JAX's mantissa construction: the top 23 (float32)
 * or 52 (float64) of 32 or 64 random bits over an exponent of 1, minus 1.
 * JAX's 64-bit words take their high halves from the first `n` words.
 *
 * @example
 * ```ts
 * import { unitFloats } from "./floats.ts";
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

/**
 * `max(lo, u * (hi - lo) + lo)` in place, rounding every operation to the
 * array's precision as JAX's `uniform` does. (Like JAX's, the result can
 * round up to `hi` for some ranges.)
 *
 * @example
 * ```ts
 * import { scaleUnit } from "./floats.ts";
 * const u = new Float32Array([0, 0.5]);
 * scaleUnit(u, -1, 1); // u is now [-1, 0]
 * ```
 */
export function scaleUnit(u: Float32Array | Float64Array, minval: number, maxval: number): void {
  if (u instanceof Float32Array) {
    const lo = f32(minval), span = f32(f32(maxval) - lo);
    if (lo === 0 && span === 1) return;
    for (let i = 0; i < u.length; i++) {
      const v = f32(f32(u[i] * span) + lo);
      u[i] = v < lo ? lo : v;
    }
  } else {
    const span = maxval - minval;
    for (let i = 0; i < u.length; i++) {
      const v = u[i] * span + minval;
      u[i] = v < minval ? minval : v;
    }
  }
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  /** Lower bound, included (default 0). */
  minval?: number;
  /** Upper bound, excluded (default 1). */
  maxval?: number;
  /** `float32` (default) or `float64`. */
  dtype?: DType;
}

/**
 * Uniform floats on `[minval, maxval)` (`jax.random.uniform`).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.uniform(random.key(0), [3], { minval: -1, maxval: 1 });
 * ```
 */
export function uniform(k: PRNGKey, shape: ShapeLike = [], options: UniformOptions = {}): Tensor {
  const words = keyWords("uniform", k);
  const s = shapeArg("uniform", shape);
  const dtype = floatDType("uniform", options.dtype);
  const { minval = 0, maxval = 1 } = options;
  const round = dtype === "float32" ? f32 : (v: number) => v;
  if (
    typeof minval !== "number" || typeof maxval !== "number" || !(round(minval) < round(maxval)) ||
    !Number.isFinite(round(maxval) - round(minval))
  ) {
    throw new RangeError(
      `random.uniform: need finite minval < maxval (in ${dtype}), got minval ${minval}, maxval ${maxval}`,
    );
  }
  const u = unitFloats(words, sizeOf(s), dtype);
  scaleUnit(u, minval, maxval);
  return fromTypedArray(u, s, dtype);
}

/** Options of the float samplers {@link normal} and {@link truncatedNormal}. */
export interface FloatOptions {
  /** `float32` (default) or `float64`. */
  dtype?: DType;
}

// The largest float below 1 in magnitude, negated: JAX's nextafter(-1, 0).
const ABOVE_MINUS_ONE_F32 = -(1 - 2 ** -24);
const ABOVE_MINUS_ONE_F64 = -(1 - 2 ** -53);

/**
 * Standard normal floats (JAX's method: `sqrt(2) * erfinv(u)` with `u`
 * uniform on `(-1, 1)`).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.normal(random.key(0), [4]); // ≈ [1.8160863, -0.75488514, 0.33988908, -0.53483534]
 * ```
 */
export function normal(k: PRNGKey, shape: ShapeLike = [], options: FloatOptions = {}): Tensor {
  const words = keyWords("normal", k);
  const s = shapeArg("normal", shape);
  const dtype = floatDType("normal", options.dtype);
  const u = unitFloats(words, sizeOf(s), dtype);
  if (u instanceof Float32Array) {
    scaleUnit(u, ABOVE_MINUS_ONE_F32, 1);
    const sqrt2 = f32(Math.SQRT2);
    for (let i = 0; i < u.length; i++) u[i] = sqrt2 * erfinvFloat32(u[i]);
  } else {
    scaleUnit(u, ABOVE_MINUS_ONE_F64, 1);
    for (let i = 0; i < u.length; i++) u[i] = Math.SQRT2 * erfinv(u[i]);
  }
  return fromTypedArray(u, s, dtype);
}

const F32_BOX = new Float32Array(1);
const F32_BITS = new Int32Array(F32_BOX.buffer);
const F64_BOX = new Float64Array(1);
const F64_BITS = new BigInt64Array(F64_BOX.buffer);

/** The next float of `dtype` after `x` towards `+Infinity` (`up`) or `-Infinity`. */
function nextAfter(x: number, up: boolean, dtype: "float32" | "float64"): number {
  if (Number.isNaN(x) || x === (up ? Infinity : -Infinity)) return x;
  if (x === 0) return (up ? 1 : -1) * (dtype === "float32" ? 2 ** -149 : Number.MIN_VALUE);
  // Away from zero the bit pattern grows, towards zero it shrinks.
  const away = (x > 0) === up;
  if (dtype === "float32") {
    F32_BOX[0] = x;
    F32_BITS[0] += away ? 1 : -1;
    return F32_BOX[0];
  }
  F64_BOX[0] = x;
  F64_BITS[0] += away ? 1n : -1n;
  return F64_BOX[0];
}

/**
 * Normal floats truncated to the open interval `(lower, upper)` (JAX's
 * inverse-CDF method: `u` uniform between `erf(lower/√2)` and
 * `erf(upper/√2)`, then `√2 erfinv(u)`, clipped just inside the bounds).
 * Either bound may be infinite.
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.truncatedNormal(random.key(0), -2, 2, [3, 3]);
 * ```
 */
export function truncatedNormal(
  k: PRNGKey,
  lower: number,
  upper: number,
  shape: ShapeLike = [],
  options: FloatOptions = {},
): Tensor {
  const words = keyWords("truncatedNormal", k);
  const s = shapeArg("truncatedNormal", shape);
  const dtype = floatDType("truncatedNormal", options.dtype);
  const round = dtype === "float32" ? f32 : (v: number) => v;
  const lo = round(lower), hi = round(upper);
  if (typeof lower !== "number" || typeof upper !== "number" || !(lo < hi)) {
    throw new RangeError(`random.truncatedNormal: need lower < upper (in ${dtype}), got ${lower}, ${upper}`);
  }
  const sqrt2 = round(Math.SQRT2);
  const a = round(erf(round(lo / sqrt2))), b = round(erf(round(hi / sqrt2)));
  const u = unitFloats(words, sizeOf(s), dtype);
  const inv = dtype === "float32" ? erfinvFloat32 : erfinv;
  const clipLo = nextAfter(lo, true, dtype), clipHi = nextAfter(hi, false, dtype);
  if (a < b) scaleUnit(u, a, b);
  else u.fill(a); // Both bounds so far in one tail that erf rounds them together.
  for (let i = 0; i < u.length; i++) {
    const v = round(sqrt2 * inv(u[i]));
    u[i] = v < clipLo ? clipLo : v > clipHi ? clipHi : v;
  }
  return fromTypedArray(u, s, dtype);
}

/**
 * Bool samples that are true with probability `p` (`uniform < p`, JAX's
 * method). `p` is a number or a float tensor broadcast to `shape`; `shape`
 * defaults to `p`'s shape. A float64 `p` draws float64 uniforms.
 *
 * @example
 * ```ts
 * import { np, random } from "../../mod.ts";
 * random.bernoulli(random.key(0), 0.3, [100]);
 * random.bernoulli(random.key(1), np.array([0.1, 0.9]), [5, 2]);
 * ```
 */
export function bernoulli(k: PRNGKey, p: number | Tensor = 0.5, shape?: ShapeLike): Tensor {
  const words = keyWords("bernoulli", k);
  if (!isTensor(p) && typeof p !== "number") {
    throw new TypeError(`random.bernoulli: p must be a number or a float tensor, got ${String(p)}`);
  }
  if (isTensor(p) && p.dtype !== "float32" && p.dtype !== "float64") {
    throw new TypeError(`random.bernoulli: p must have a float dtype, got ${p.dtype}`);
  }
  const pShape = isTensor(p) ? p.shape : [];
  const s = shape === undefined ? pShape.slice() : shapeArg("bernoulli", shape);
  const off = s.length - pShape.length;
  if (off < 0 || pShape.some((d, i) => d !== 1 && d !== s[i + off])) {
    throw new RangeError(`random.bernoulli: p of shape [${pShape}] does not broadcast to shape [${s}]`);
  }
  const probs = isTensor(p) ? p.backend.readSync(p) : [p];
  for (let i = 0; i < probs.length; i++) {
    if (!(probs[i] >= 0 && probs[i] <= 1)) {
      throw new RangeError(`random.bernoulli: p must lie in [0, 1], got ${probs[i]}`);
    }
  }
  const n = sizeOf(s);
  const out = new Uint8Array(n);
  const index = broadcastIndex(pShape, s);
  if (isTensor(p) && p.dtype === "float64") {
    const u = unitFloats(words, n, "float64");
    for (let i = 0; i < n; i++) out[i] = u[i] < probs[index(i)] ? 1 : 0;
  } else {
    // Compare the float32 uniform (w >>> 9) * 2^-23 without building it.
    const w = randomWords(words[0], words[1], n);
    if (probs.length === 1) {
      const pf = f32(probs[0]);
      for (let i = 0; i < n; i++) out[i] = (w[i] >>> 9) * TWO_M23 < pf ? 1 : 0;
    } else {
      for (let i = 0; i < n; i++) out[i] = (w[i] >>> 9) * TWO_M23 < f32(probs[index(i)]) ? 1 : 0;
    }
  }
  return fromTypedArray(out, s, "bool");
}

/** Maps a flat index of `outShape` to the flat index of an operand of `shape` broadcast to it. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): (i: number) => number {
  if (sizeOf(shape) === sizeOf(outShape)) return (i) => i;
  if (sizeOf(shape) === 1) return () => 0;
  const off = outShape.length - shape.length;
  return (i) => {
    let src = 0, stride = 1, rest = i;
    for (let d = outShape.length - 1; d >= off; d--) {
      const coord = rest % outShape[d];
      rest = (rest - coord) / outShape[d];
      if (shape[d - off] !== 1) src += coord * stride;
      stride *= shape[d - off];
    }
    return src;
  };
}
