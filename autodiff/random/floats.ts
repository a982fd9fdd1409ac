/**
 * Float samplers (`uniform`, `normal`, `truncatedNormal`) and `bernoulli`,
 * built on JAX's mantissa construction of unit floats from random words.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { checkDType, type DType } from "../dtype.ts";
import { erf } from "../erf.ts";
import { full } from "../ops/creation.ts";
import { add, astype, erfinv, less, maximum, minimum, mul } from "../ops/elementwise.ts";
import { checkValues } from "../ops/identity.ts";
import { broadcastTo } from "../ops/layout.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { checkKey, type PRNGKey, shapeArg, type ShapeLike } from "./keys.ts";
import { RANDOM_UNIT } from "./primitives.ts";

function floatDType(op: string, dtype: unknown): "float32" | "float64" {
  const d = checkDType(`random.${op}`, dtype ?? "float32");
  if (d !== "float32" && d !== "float64") {
    throw new TypeError(`random.${op}: dtype must be float32 or float64, got ${d}`);
  }
  return d;
}

const f32 = Math.fround;

/** Floats in `[0, 1)` from `k`, JAX's mantissa construction (see `RANDOM_UNIT`). */
function unit(k: PRNGKey, shape: readonly number[], dtype: "float32" | "float64"): Tensor {
  return bind1(RANDOM_UNIT, [k], { shape, dtype });
}

/**
 * `max(lo, u * (hi - lo) + lo)`, every operation rounded to `u`'s dtype as
 * JAX's `uniform` computes it (so the result can round up to `hi` for
 * some ranges, as JAX's can). The identity for `[0, 1)`.
 */
function scaleUnit(u: Tensor, minval: number, maxval: number): Tensor {
  const round = u.dtype === "float32" ? f32 : (v: number) => v;
  const lo = round(minval), span = round(round(maxval) - lo);
  if (lo === 0 && span === 1) return u;
  return maximum(add(mul(u, span), lo), lo);
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
  checkKey("uniform", k);
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
  return scaleUnit(unit(k, s, dtype), minval, maxval);
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
  checkKey("normal", k);
  const s = shapeArg("normal", shape);
  const dtype = floatDType("normal", options.dtype);
  const lo = dtype === "float32" ? ABOVE_MINUS_ONE_F32 : ABOVE_MINUS_ONE_F64;
  const u = scaleUnit(unit(k, s, dtype), lo, 1);
  return mul(dtype === "float32" ? f32(Math.SQRT2) : Math.SQRT2, erfinv(u));
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
  checkKey("truncatedNormal", k);
  const s = shapeArg("truncatedNormal", shape);
  const dtype = floatDType("truncatedNormal", options.dtype);
  const round = dtype === "float32" ? f32 : (v: number) => v;
  const lo = round(lower), hi = round(upper);
  if (typeof lower !== "number" || typeof upper !== "number" || !(lo < hi)) {
    throw new RangeError(`random.truncatedNormal: need lower < upper (in ${dtype}), got ${lower}, ${upper}`);
  }
  const sqrt2 = round(Math.SQRT2);
  const a = round(erf(round(lo / sqrt2))), b = round(erf(round(hi / sqrt2)));
  const clipLo = nextAfter(lo, true, dtype), clipHi = nextAfter(hi, false, dtype);
  // Both bounds so far in one tail that erf rounds them together: every draw is that bound.
  const u = a < b ? scaleUnit(unit(k, s, dtype), a, b) : full(s, a, { dtype });
  return minimum(maximum(mul(sqrt2, erfinv(u)), clipLo), clipHi);
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
  checkKey("bernoulli", k);
  if (!isTensor(p) && typeof p !== "number") {
    throw new TypeError(`random.bernoulli: p must be a number or a float tensor, got ${String(p)}`);
  }
  if (isTensor(p) && p.dtype !== "float32" && p.dtype !== "float64") {
    throw new TypeError(`random.bernoulli: p must have a float dtype, got ${p.dtype}`);
  }
  if (!isTensor(p) && !(p >= 0 && p <= 1)) throw new RangeError(`random.bernoulli: p must lie in [0, 1], got ${p}`);
  const pShape = isTensor(p) ? p.shape : [];
  const s = shape === undefined ? pShape.slice() : shapeArg("bernoulli", shape);
  const off = s.length - pShape.length;
  if (off < 0 || pShape.some((d, i) => d !== 1 && d !== s[i + off])) {
    throw new RangeError(`random.bernoulli: p of shape [${pShape}] does not broadcast to shape [${s}]`);
  }
  const dtype = isTensor(p) && p.dtype === "float64" ? "float64" : "float32";
  const prob = isTensor(p)
    ? broadcastTo(checkValues(p, { min: 0, max: 1, integer: false, what: "random.bernoulli: p" }), s)
    : astype(full([], p, { dtype }), dtype);
  return less(unit(k, s, dtype), prob);
}
