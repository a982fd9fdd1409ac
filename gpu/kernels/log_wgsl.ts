/**
 * A float32 natural logarithm in WGSL with a relative error of about an
 * ulp everywhere (musl's `logf`, after fdlibm). WGSL's built-in `log`
 * only promises an absolute error of 2^-21 on [0.5, 2] (Vulkan's bound;
 * NVIDIA's hardware approximation is near it), so `log(u)` for `u` near 1
 * can be off in its leading digits; draws that order values by logarithms
 * (Gumbel top-k) need the relative accuracy to agree with the CPU's
 * correctly rounded `Math.log`.
 *
 * @module
 */

/**
 * WGSL functions `log_(x: f32) -> f32` and `log1p_(x: f32) -> f32`: `-inf`
 * at ±0 (`log1p_` at -1), NaN below, `x` itself at `+inf` and NaN. Near
 * 0, `log1p_` evaluates the series of `log(1 + f)` at `f = x` itself
 * (or `1 + 2x`, exact, with one halving) rather than at `(1 + x) - 1`,
 * and without rounding `1 + x`: shader compilers may reassociate
 * floating-point arithmetic (the software adapter turns `(1 + x) - 1`
 * into `x`), so no formula here relies on a cancellation being kept.
 *
 * @example
 * ```ts
 * const shader = `${LOG_WGSL}
 * @group(0) @binding(0) var<storage, read_write> out: array<f32>;
 * @compute @workgroup_size(1) fn main() { out[0] = log_(0.999); out[1] = log1p_(1e-3); }`;
 * ```
 */
export const LOG_WGSL = `
fn log_kernel_(f: f32, k: i32) -> f32 {
  // log(1 + f) + k log(2) for f in [sqrt(2)/2 - 1, sqrt(2) - 1].
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (bitcast<f32>(0x3eccce13u) + w * bitcast<f32>(0x3e789e26u));
  let t2 = z * (bitcast<f32>(0x3f2aaaaau) + w * bitcast<f32>(0x3e91e9eeu));
  let r = t2 + t1;
  let hfsq = 0.5 * f * f;
  let dk = f32(k);
  return s * (hfsq + r) + dk * bitcast<f32>(0x3717f7d1u) - hfsq + f + dk * bitcast<f32>(0x3f317180u);
}
fn log_(x0: f32) -> f32 {
  var ix = bitcast<u32>(x0);
  var k = 0i;
  if (ix < 0x00800000u || (ix >> 31u) != 0u) {
    if ((ix << 1u) == 0u) { return bitcast<f32>(0xff800000u); }
    if ((ix >> 31u) != 0u) { return bitcast<f32>(0x7fc00000u); }
    // Subnormal: scale up by 2^25.
    k = -25i;
    ix = bitcast<u32>(x0 * 33554432.0);
  } else if (ix >= 0x7f800000u) {
    return x0;
  } else if (ix == 0x3f800000u) {
    return 0.0;
  }
  // Reduce x into [sqrt(2)/2, sqrt(2)].
  ix += 0x3f800000u - 0x3f3504f3u;
  k += i32(ix >> 23u) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  return log_kernel_(bitcast<f32>(ix) - 1.0, k);
}
fn log1p_(x: f32) -> f32 {
  if (x > -0.29289321 && x < 0.41421356) { return log_kernel_(x, 0i); }
  // 1 + x = (1 + 2x) / 2 where 1 + 2x is exact (Sterbenz), rather than rounding 1 + x.
  if (x >= -0.5 && x <= -0.29289321) { return log_kernel_(1.0 + 2.0 * x, -1i); }
  return log_(1.0 + x);
}`;
