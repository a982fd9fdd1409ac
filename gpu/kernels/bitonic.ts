/**
 * A bitonic sort of `(key, index)` pairs of u32 on the device, ascending
 * by key then index, over `K` independent segments of `P` pairs (`P` a
 * power of two, at least {@link LOCAL}). With distinct indices the order
 * is total, so sorting is stable by construction: the random shuffles and
 * the Gumbel top-k draw sort by random words and scores and break ties by
 * position, as the CPU's stable sorts do.
 *
 * Stages whose compare distance fits in a workgroup's block of
 * {@link LOCAL} pairs run together in workgroup memory (one dispatch);
 * longer distances take one dispatch each: `P = 2^16` sorts in 36
 * dispatches.
 *
 * @module
 */
import type { GpuHandle } from "../backend.ts";
import { dispatch } from "../dispatch.ts";

/** Pairs per workgroup block (256 invocations, two pairs each). */
export const LOCAL = 512;

/**
 * The padded segment length for `n` pairs: a power of two, at least
 * {@link LOCAL}.
 *
 * @example
 * ```ts
 * sortLength(1000); // 1024
 * ```
 */
export function sortLength(n: number): number {
  let p = LOCAL;
  while (p < n) p *= 2;
  return p;
}

const COMPARE = `fn less_(a: vec2u, b: vec2u) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }`;

/** Groups of a dispatch over `count` workgroups (two dimensions past 65535). */
function groups(count: number): [number, number, number] {
  const x = Math.min(count, 65535);
  return [x, Math.ceil(count / x), 1];
}

/** Every stage with `j < LOCAL` of the merges `k` in `[kFirst, kLast]`, within each block, in workgroup memory. */
function localStages(pairs: GpuHandle, segments: number, P: number, kFirst: number, kLast: number): void {
  const blocks = (segments * P) / LOCAL;
  const g = groups(blocks);
  dispatch(
    "bitonic_local",
    () =>
      `struct U { kFirst: u32, kLast: u32, rowBlocks: u32, mask: u32 }
@group(0) @binding(0) var<storage, read_write> a: array<vec2u>;
@group(0) @binding(1) var<uniform> u: U;
var<workgroup> s: array<vec2u, ${LOCAL}>;
${COMPARE}
@compute @workgroup_size(${LOCAL / 2})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let block = wg.x + wg.y * u.rowBlocks;
  let base = block * ${LOCAL}u;
  let t = lid.x;
  s[t] = a[base + t];
  s[t + ${LOCAL / 2}u] = a[base + t + ${LOCAL / 2}u];
  workgroupBarrier();
  for (var k = u.kFirst; k <= u.kLast; k <<= 1u) {
    var j = min(k >> 1u, ${LOCAL / 2}u);
    loop {
      if (j == 0u) { break; }
      let i = (t / j) * 2u * j + t % j;
      let l = i + j;
      // The direction comes from the position in the segment, so blocks agree with the global stages.
      let up = ((base + i) & u.mask & k) == 0u;
      let x = s[i];
      let y = s[l];
      if (less_(y, x) == up) { s[i] = y; s[l] = x; }
      workgroupBarrier();
      j >>= 1u;
    }
  }
  a[base + t] = s[t];
  a[base + t + ${LOCAL / 2}u] = s[t + ${LOCAL / 2}u];
}`,
    [pairs],
    new Uint32Array([kFirst, kLast, g[0], P - 1]),
    g,
  );
}

/** One stage `(k, j)` over all segments, one invocation per compared pair. */
function globalStage(pairs: GpuHandle, segments: number, P: number, k: number, j: number): void {
  const half = (segments * P) / 2;
  const g = groups(Math.ceil(half / 256));
  dispatch(
    "bitonic_global",
    () =>
      `struct U { k: u32, j: u32, half: u32, stride: u32, mask: u32 }
@group(0) @binding(0) var<storage, read_write> a: array<vec2u>;
@group(0) @binding(1) var<uniform> u: U;
${COMPARE}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x + gid.y * u.stride;
  if (t >= u.half) { return; }
  let i = (t / u.j) * 2u * u.j + t % u.j;
  let l = i + u.j;
  let up = (i & u.mask & u.k) == 0u;
  let x = a[i];
  let y = a[l];
  if (less_(y, x) == up) { a[i] = y; a[l] = x; }
}`,
    [pairs],
    new Uint32Array([k, j, half, g[0] * 256, P - 1]),
    g,
  );
}

/**
 * Sorts each of `segments` runs of `P` pairs (`array<vec2u>`) ascending by
 * `(x, y)`. A merge's direction comes from the position within the
 * segment (`i mod P`), so that the last merge of every segment is
 * ascending.
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const P = sortLength(100); // 512
 * sortPairs(newBuffer(4 * P * 2), 4, P); // 4 segments of 512 (key, index) pairs
 * ```
 */
export function sortPairs(pairs: GpuHandle, segments: number, P: number): void {
  if (segments === 0) return;
  if (P < LOCAL || (P & (P - 1)) !== 0) throw new Error(`webgpu: internal: bitonic length ${P}`);
  localStages(pairs, segments, P, 2, LOCAL);
  for (let k = 2 * LOCAL; k <= P; k *= 2) {
    for (let j = k / 2; j >= LOCAL; j /= 2) globalStage(pairs, segments, P, k, j);
    localStages(pairs, segments, P, k, k);
  }
}
