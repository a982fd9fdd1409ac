/**
 * The error function and its inverse on the host, for the random samplers:
 * `erf`/`erfc` to double precision, `erfinvFloat32` as XLA evaluates it in
 * float32 (so that float32 normals match JAX's), and `erfinv` refined to
 * double precision.
 *
 * @module
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_PI = 1.7724538509055159;

/**
 * The error function, accurate to double precision (its Taylor series,
 * whose terms are all positive, below 2; `1 - erfc` above).
 *
 * @example
 * ```ts
 * import { erf } from "./erf.ts";
 * erf(0.5); // 0.5204998778130465
 * ```
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) >= 2) return Math.sign(x) * (1 - erfc(Math.abs(x)));
  // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)).
  const x2 = x * x;
  let term = x, sum = x;
  for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * The complementary error function `1 - erf(x)`, with full relative
 * accuracy in the upper tail (a continued fraction from 2 up).
 *
 * @example
 * ```ts
 * import { erfc } from "./erf.ts";
 * erfc(3); // 0.000022090496998585438
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 2) return 1 - erf(x);
  if (x === Infinity) return 0;
  // Lentz's method on erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * SQRT_PI);
}

/** Giles' single-precision polynomial for `erfinv(y) / y` (w = -log(1 - y^2)); `round` is applied after every step. */
function gilesRatio(w: number, round: (v: number) => number): number {
  let p: number;
  if (w < 5) {
    w = round(w - 2.5);
    p = 2.81022636e-8;
    p = round(3.43273939e-7 + round(p * w));
    p = round(-3.5233877e-6 + round(p * w));
    p = round(-4.39150654e-6 + round(p * w));
    p = round(0.00021858087 + round(p * w));
    p = round(-0.00125372503 + round(p * w));
    p = round(-0.00417768164 + round(p * w));
    p = round(0.246640727 + round(p * w));
    p = round(1.50140941 + round(p * w));
  } else {
    w = round(round(Math.sqrt(w)) - 3);
    p = -0.000200214257;
    p = round(0.000100950558 + round(p * w));
    p = round(0.00134934322 + round(p * w));
    p = round(-0.00367342844 + round(p * w));
    p = round(0.00573950773 + round(p * w));
    p = round(-0.0076224613 + round(p * w));
    p = round(0.00943887047 + round(p * w));
    p = round(1.00167406 + round(p * w));
    p = round(2.83297682 + round(p * w));
  }
  return p;
}

const f32 = Math.fround;

/**
 * The inverse error function evaluated as XLA does in float32 (Giles'
 * approximation with `w = -log1p(-y*y)`, every operation rounded to
 * float32); `±1` give `±Infinity`. Relative error about 1e-7.
 *
 * @example
 * ```ts
 * import { erfinvFloat32 } from "./erf.ts";
 * erfinvFloat32(0.5); // 0.4769362807273865 (a float32 value)
 * ```
 */
export function erfinvFloat32(y: number): number {
  y = f32(y);
  if (Math.abs(y) === 1) return y * Infinity;
  if (!(Math.abs(y) < 1)) return NaN;
  const w = -f32(Math.log1p(f32(-f32(y * y))));
  return f32(gilesRatio(w, f32) * y);
}

/**
 * The inverse error function to double precision: Giles' approximation
 * refined by Newton steps, on `erf` for `|y| <= 0.5` and on
 * `log(erfc)` above (where `1 - |y|` is exact, and the logarithm is nearly
 * linear so that even a rough start in the far tail converges).
 *
 * @example
 * ```ts
 * import { erfinv } from "./erf.ts";
 * erfinv(0.5); // 0.4769362762044699
 * ```
 */
export function erfinv(y: number): number {
  if (Math.abs(y) === 1) return y * Infinity;
  if (!(Math.abs(y) < 1)) return NaN;
  if (y === 0) return y;
  const a = Math.abs(y);
  let z = gilesRatio(-Math.log1p(-a * a), (v) => v) * a;
  const logTail = Math.log(1 - a);
  for (let i = 0; i < 8; i++) {
    const density = TWO_OVER_SQRT_PI * Math.exp(-z * z);
    let step: number;
    if (a <= 0.5) {
      step = (a - erf(z)) / density;
    } else {
      const tail = erfc(z);
      step = (Math.log(tail) - logTail) * (tail / density);
    }
    z += step;
    if (Math.abs(step) <= 1e-16 * z) break;
  }
  return y < 0 ? -z : z;
}
