/**
 * The threefry-2x32 block cipher (20 rounds, Random123) and the word layout
 * that JAX's legacy (non-partitionable) derivation feeds it. Pure uint32
 * arithmetic on the host: additions wrap through `| 0`, and typed-array
 * stores reinterpret the int32 results as uint32.
 *
 * @module
 */

// The round function is written out in full: it runs once per pair of random
// words, and a loop over rotation tables costs V8 about twice as much.

/**
 * Encrypts the counter pairs `(x0[i], x1[i])` under the key `(k0, k1)`, in
 * place, for `i` in `[start, end)` (default: all of `x0`).
 *
 * @example
 * ```ts
 * import { threefry2x32 } from "./threefry.ts";
 * const x0 = new Uint32Array([0]), x1 = new Uint32Array([0]);
 * threefry2x32(0, 0, x0, x1); // x0[0] = 1797259609, x1[0] = 2579123966
 * ```
 */
export function threefry2x32(
  k0: number,
  k1: number,
  x0: Uint32Array,
  x1: Uint32Array,
  start = 0,
  end: number = x0.length,
): void {
  if (x1.length < end || x0.length < end) {
    throw new RangeError(`threefry2x32: counter halves of lengths ${x0.length}, ${x1.length} are shorter than ${end}`);
  }
  const a0 = k0 | 0, a1 = k1 | 0, a2 = (k0 ^ k1 ^ 0x1bd11bda) | 0;
  for (let i = start; i < end; i++) {
    let a = (x0[i] + a0) | 0;
    let b = (x1[i] + a1) | 0;
    // Rounds 1-4 (rotations 13, 15, 26, 6), then key injection 1.
    a = (a + b) | 0, b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0, b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0, b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0, b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + a1) | 0, b = (b + a2 + 1) | 0;
    // Rounds 5-8 (rotations 17, 29, 16, 24), then key injection 2.
    a = (a + b) | 0, b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0, b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0, b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0, b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + a2) | 0, b = (b + a0 + 2) | 0;
    // Rounds 9-12, key injection 3.
    a = (a + b) | 0, b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0, b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0, b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0, b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + a0) | 0, b = (b + a1 + 3) | 0;
    // Rounds 13-16, key injection 4.
    a = (a + b) | 0, b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0, b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0, b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0, b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + a1) | 0, b = (b + a2 + 4) | 0;
    // Rounds 17-20, key injection 5.
    a = (a + b) | 0, b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0, b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0, b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0, b = ((b << 6) | (b >>> 26)) ^ a;
    x0[i] = a + a2;
    x1[i] = b + a0 + 5;
  }
}

/**
 * JAX's `threefry_2x32(key, counts)` on a flat list of words: the words are
 * split into a first and a second half (an odd count padded with one zero),
 * the halves are encrypted pairwise, and the result is concatenated back
 * (dropping the padding).
 *
 * @example
 * ```ts
 * import { hashWords } from "./threefry.ts";
 * hashWords(0, 0, new Uint32Array([0, 1, 2, 3])); // the four words of split(key(0))
 * ```
 */
export function hashWords(k0: number, k1: number, counts: Uint32Array): Uint32Array {
  const n = counts.length;
  const half = Math.ceil(n / 2);
  const out = new Uint32Array(2 * half);
  out.set(counts);
  threefry2x32(k0, k1, out.subarray(0, half), out.subarray(half));
  return n === 2 * half ? out : out.slice(0, n);
}

/**
 * `n` random words from a key: JAX's `threefry_2x32(key, iota(n))`, the
 * stream behind legacy `jax.random.bits`, `split` and every sampler.
 *
 * @example
 * ```ts
 * import { randomWords } from "./threefry.ts";
 * randomWords(0, 0, 4); // Uint32Array [4146024105, 967050713, 2718843009, 1272950319]
 * ```
 */
export function randomWords(k0: number, k1: number, n: number): Uint32Array {
  // JAX switches to several derived keys at 2^32 - 1 words; no typed array gets there.
  if (!Number.isInteger(n) || n < 0 || n >= 0xffffffff) {
    throw new RangeError(`randomWords: count must be an integer in [0, 2^32 - 1), got ${n}`);
  }
  const half = Math.ceil(n / 2);
  const out = new Uint32Array(2 * half);
  fillIota(out, n);
  threefry2x32(k0, k1, out.subarray(0, half), out.subarray(half));
  return n === 2 * half ? out : out.slice(0, n);
}

// A separate function, so that V8 optimises the fill on its own instead of
// deoptimising `randomWords` around it.
function fillIota(out: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = i;
}
