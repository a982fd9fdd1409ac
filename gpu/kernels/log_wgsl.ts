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
 * WGSL function `log_(x: f32) -> f32`: `-inf` at ±0, NaN below 0, `x`
 * itself at `+inf` and NaN.
 *
 * @example
 * ```ts
 * const shader = `${LOG_WGSL}
 * @group(0) @binding(0) var<storage, read_write> out: array<f32>;
 * @compute @workgroup_size(1) fn main() { out[0] = log_(0.999); }`;
 * ```
 */
export const LOG_WGSL = `
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
  let f = bitcast<f32>(ix) - 1.0;
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (bitcast<f32>(0x3eccce13u) + w * bitcast<f32>(0x3e789e26u));
  let t2 = z * (bitcast<f32>(0x3f2aaaaau) + w * bitcast<f32>(0x3e91e9eeu));
  let r = t2 + t1;
  let hfsq = 0.5 * f * f;
  let dk = f32(k);
  return s * (hfsq + r) + dk * bitcast<f32>(0x3717f7d1u) - hfsq + f + dk * bitcast<f32>(0x3f317180u);
}`;
