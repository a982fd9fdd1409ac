/**
 * The threefry-2x32 block cipher (20 rounds, Random123) and the word layout
 * JAX's legacy (non-partitionable) key derivation feeds it. Pure uint32
 * arithmetic on the host.
 *
 * @module
 */

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];

/**
 * Encrypts counter pairs `(x0[i], x1[i])` under `key` in place.
 *
 * @example
 * ```ts
 * const x0 = new Uint32Array([0]), x1 = new Uint32Array([0]);
 * threefry2x32(0, 0, x0, x1); // x0[0] = 1797259609, x1[0] = 2579123966
 * ```
 */
export function threefry2x32(k0: number, k1: number, x0: Uint32Array, x1: Uint32Array): void {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  for (let i = 0; i < x0.length; i++) {
    let a = (x0[i] + ks[0]) >>> 0;
    let b = (x1[i] + ks[1]) >>> 0;
    for (let group = 0; group < 5; group++) {
      const base = (group & 1) * 4;
      for (let r = 0; r < 4; r++) {
        a = (a + b) >>> 0;
        const rot = ROTATIONS[base + r];
        b = ((b << rot) | (b >>> (32 - rot))) ^ a;
      }
      a = (a + ks[(group + 1) % 3]) >>> 0;
      b = (b + ks[(group + 2) % 3] + group + 1) >>> 0;
    }
    x0[i] = a;
    x1[i] = b;
  }
}

/**
 * JAX's `threefry_2x32(key, counts)` on a flat array of words: the words
 * are split into a first and a second half (an odd count is padded with a
 * zero), encrypted pairwise, and concatenated back.
 *
 * @example
 * ```ts
 * hashWords(0, 0, new Uint32Array([0, 1, 2, 3])); // the words of split(key(0))
 * ```
 */
export function hashWords(k0: number, k1: number, counts: Uint32Array): Uint32Array {
  const n = counts.length;
  const half = Math.ceil(n / 2);
  const x0 = counts.slice(0, half);
  const x1 = new Uint32Array(half);
  x1.set(counts.subarray(half));
  threefry2x32(k0, k1, x0, x1);
  const out = new Uint32Array(n);
  out.set(x0.subarray(0, Math.min(half, n)));
  out.set(x1.subarray(0, n - half), half);
  return out;
}

/**
 * `n` pseudo-random words from a key: `threefry_2x32(key, iota(n))`.
 *
 * @example
 * ```ts
 * randomWords(0, 0, 4);
 * ```
 */
export function randomWords(k0: number, k1: number, n: number): Uint32Array {
  const counts = new Uint32Array(n);
  for (let i = 0; i < n; i++) counts[i] = i;
  return hashWords(k0, k1, counts);
}
