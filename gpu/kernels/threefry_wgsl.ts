/**
 * Threefry-2x32 (20 rounds) in WGSL, with the word layout of JAX's legacy
 * `threefry_2x32(key, iota(n))` (`autodiff/threefry.ts`): the same words
 * bit for bit, since every operation is u32 arithmetic, which wraps in
 * WGSL as `| 0` does on the host, and rotations are two shifts.
 *
 * @module
 */

/**
 * WGSL functions: `threefry(k, x)` encrypts the counter pair `x` under the
 * key `k`; `word_pair(k, p, n)` gives words `p` and `half + p` of the `n`
 * words from key `k` (`half = ceil(n / 2)`; the second is meaningless when
 * `half + p >= n`); `random_word(k, i, n)` gives word `i` alone;
 * `split4(k)` gives the four words of `randomWords(k, 4)` (JAX's split into
 * two keys: `.xy` the first key, `.zw` the second).
 *
 * @example
 * ```ts
 * const shader = `${THREEFRY_WGSL}
 * @group(0) @binding(0) var<storage, read_write> out: array<u32>;
 * @compute @workgroup_size(1) fn main() { out[0] = random_word(vec2u(0u, 0u), 0u, 4u); }`; // 4146024105
 * ```
 */
export const THREEFRY_WGSL = `
fn rotl_(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }
fn threefry(k: vec2u, x: vec2u) -> vec2u {
  let k2 = k.x ^ k.y ^ 0x1bd11bdau;
  var a = x.x + k.x;
  var b = x.y + k.y;
  a += b; b = rotl_(b, 13u) ^ a; a += b; b = rotl_(b, 15u) ^ a;
  a += b; b = rotl_(b, 26u) ^ a; a += b; b = rotl_(b, 6u) ^ a;
  a += k.y; b += k2 + 1u;
  a += b; b = rotl_(b, 17u) ^ a; a += b; b = rotl_(b, 29u) ^ a;
  a += b; b = rotl_(b, 16u) ^ a; a += b; b = rotl_(b, 24u) ^ a;
  a += k2; b += k.x + 2u;
  a += b; b = rotl_(b, 13u) ^ a; a += b; b = rotl_(b, 15u) ^ a;
  a += b; b = rotl_(b, 26u) ^ a; a += b; b = rotl_(b, 6u) ^ a;
  a += k.x; b += k.y + 3u;
  a += b; b = rotl_(b, 17u) ^ a; a += b; b = rotl_(b, 29u) ^ a;
  a += b; b = rotl_(b, 16u) ^ a; a += b; b = rotl_(b, 24u) ^ a;
  a += k.y; b += k2 + 4u;
  a += b; b = rotl_(b, 13u) ^ a; a += b; b = rotl_(b, 15u) ^ a;
  a += b; b = rotl_(b, 26u) ^ a; a += b; b = rotl_(b, 6u) ^ a;
  return vec2u(a + k2, b + k.x + 5u);
}
fn word_pair(k: vec2u, p: u32, n: u32) -> vec2u {
  let half = (n + 1u) / 2u;
  // An odd count pads the second half's last counter with 0.
  return threefry(k, vec2u(p, select(0u, half + p, half + p < n)));
}
fn random_word(k: vec2u, i: u32, n: u32) -> u32 {
  let half = (n + 1u) / 2u;
  if (i < half) { return word_pair(k, i, n).x; }
  return word_pair(k, i - half, n).y;
}
fn split4(k: vec2u) -> vec4u {
  let a = threefry(k, vec2u(0u, 2u));
  let b = threefry(k, vec2u(1u, 3u));
  return vec4u(a.x, b.x, a.y, b.y);
}`;
