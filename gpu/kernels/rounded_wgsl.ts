/**
 * Correctly rounded float32 square root and division in WGSL, computed in
 * u32 integer arithmetic (restoring digit-by-digit square root, long
 * division, round to nearest even, subnormals included). WGSL allows its
 * `sqrt` and `/` an error of a few ulp, and devices use it: on an NVIDIA
 * H200 Adam's update came out up to 3 ulp from the CPU's. Integer steps
 * give the IEEE result on every device, whatever the shader compiler
 * fuses or reorders.
 *
 * @module
 */

/**
 * WGSL functions `sqrt_rn(x: f32) -> f32` and `div_rn(a: f32, b: f32) ->
 * f32`. Infinities, NaNs and zeros go through the built-ins (exact there);
 * a device that flushes subnormal inputs to zero may still do so before
 * they arrive.
 *
 * @example
 * ```ts
 * const shader = `${ROUNDED_WGSL}
 * @group(0) @binding(0) var<storage, read_write> out: array<f32>;
 * @compute @workgroup_size(1) fn main() { out[0] = div_rn(1.0, 3.0); out[1] = sqrt_rn(2.0); }`;
 * ```
 */
export const ROUNDED_WGSL = `
// The significand (with its leading 1, normalised for subnormals) and the exponent e of |x| = m * 2^e.
fn unpack_(bits: u32) -> vec2i {
  let ef = i32((bits >> 23u) & 0xffu);
  var m = bits & 0x7fffffu;
  var e = ef - 150;
  if (ef == 0) {
    e = -149;
    loop { if (m >= 0x800000u) { break; } m <<= 1u; e -= 1; }
  } else {
    m |= 0x800000u;
  }
  return vec2i(i32(m), e);
}
// sign | (m + rounding) * 2^e for a 24-bit significand m, given its round and sticky bits: overflow to
// infinity, and subnormal results rounded once at their own position.
fn pack_(sign: u32, m0: u32, e0: i32, roundBit: bool, sticky: bool) -> f32 {
  var m = m0;
  var e = e0;
  var biased = e + 150;
  if (biased >= 1) {
    if (roundBit && (sticky || (m & 1u) == 1u)) { m += 1u; }
    if (m == 0x1000000u) { m = 0x800000u; biased += 1; }
    if (biased >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
    return bitcast<f32>(sign | (u32(biased) << 23u) | (m & 0x7fffffu));
  }
  // Subnormal: drop s more bits (the round bit below them joins the sticky bits).
  let s = u32(1 - biased);
  if (s >= 25u) { return bitcast<f32>(sign); }
  let kept = m >> s;
  let dropped = m & ((1u << s) - 1u);
  let half = 1u << (s - 1u);
  let rest = sticky || roundBit;
  var r = kept;
  if (dropped > half || (dropped == half && (rest || (kept & 1u) == 1u))) { r += 1u; }
  return bitcast<f32>(sign | r);
}
fn sqrt_rn(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  if ((bits & 0x7fffffffu) == 0u || bits >= 0x7f800000u) { return sqrt(x); }
  let me = unpack_(bits);
  var m = u32(me.x);
  var e = me.y;
  if ((e & 1) != 0) { m <<= 1u; e -= 1; }
  // root = floor(sqrt(m * 2^26)), two radicand bits per step, m < 2^25.
  var root = 0u;
  var rem = 0u;
  for (var j = 0u; j < 26u; j++) {
    let pair = select(0u, (m >> (24u - 2u * j)) & 3u, j <= 12u);
    rem = (rem << 2u) | pair;
    let trial = (root << 2u) | 1u;
    root <<= 1u;
    if (rem >= trial) { rem -= trial; root |= 1u; }
  }
  // sqrt(x) = root * 2^((e - 26) / 2), root of 25 or 26 bits.
  let half = (e - 26) / 2;
  if (root >= 0x2000000u) {
    return pack_(0u, root >> 2u, half + 2, ((root >> 1u) & 1u) == 1u, (root & 1u) == 1u || rem != 0u);
  }
  return pack_(0u, root >> 1u, half + 1, (root & 1u) == 1u, rem != 0u);
}
fn div_rn(a: f32, b: f32) -> f32 {
  let ab = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  if ((ab & 0x7fffffffu) == 0u || (bb & 0x7fffffffu) == 0u || (ab & 0x7fffffffu) >= 0x7f800000u ||
      (bb & 0x7fffffffu) >= 0x7f800000u) { return a / b; }
  let sign = (ab ^ bb) & 0x80000000u;
  let ua = unpack_(ab);
  let ub = unpack_(bb);
  var ma = u32(ua.x);
  let mb = u32(ub.x);
  var e = ua.y - ub.y;
  if (ma < mb) { ma <<= 1u; e -= 1; }
  // 25 quotient bits of ma / mb in [1, 2): 24 for the significand, one to round with.
  var q = 0u;
  var r = ma;
  for (var i = 0u; i < 25u; i++) {
    q <<= 1u;
    if (r >= mb) { r -= mb; q |= 1u; }
    r <<= 1u;
  }
  return pack_(sign, q >> 1u, e - 23, (q & 1u) == 1u, r != 0u);
}`;
