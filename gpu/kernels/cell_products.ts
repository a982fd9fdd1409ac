/**
 * The small dense kernels the cell sequence kernels need beside their
 * generated shaders: the block-diagonal feedback product of one step
 * (`S @ w` forward, `g @ w^T` backward, per block of `Ng` neurons), the
 * recurrent weights' cotangent `S^T @ gfb` over every step and sample, the
 * sum over the batch of parameter-gradient partials, and buffer copies
 * and fills. They stay here rather than using the matmul primitive's
 * kernel so that a whole sequence is one batch of dispatches with no
 * intermediate tensors; sums run in float32.
 *
 * @module
 */
import type { GpuHandle } from "../backend.ts";
import { dispatch, grid } from "../dispatch.ts";

/**
 * `out[b, g*Ng + k] = sum_l s[off + b*N + g*Ng + l] * w[g, l, k]` for `b <
 * B` (`transpose`: `w[g, k, l]`), with `N = G * Ng`: one step's feedback
 * through block-diagonal weights `[G, Ng, Ng]`. One invocation per output;
 * neighbouring invocations read neighbouring weights.
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const [spikes, w, feedback] = [newBuffer(16), newBuffer(64), newBuffer(16)];
 * blockProduct(spikes, 0, w, feedback, { B: 2, G: 1, Ng: 8, transpose: false });
 * ```
 */
export function blockProduct(
  s: GpuHandle,
  offset: number,
  w: GpuHandle,
  out: GpuHandle,
  { B, G, Ng, transpose }: { B: number; G: number; Ng: number; transpose: boolean },
): void {
  const N = G * Ng, n = B * N;
  const g = grid(n);
  const weight = transpose ? "w[base + k * u.Ng + l]" : "w[base + l * u.Ng + k]";
  dispatch(
    `cell_block_product:${transpose}`,
    () =>
      `struct U { n: u32, N: u32, Ng: u32, off: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i >= u.n) { return; }
  let b = i / u.N;
  let col = i % u.N;
  let blk = col / u.Ng;
  let k = col % u.Ng;
  let row = u.off + b * u.N + blk * u.Ng;
  let base = blk * u.Ng * u.Ng;
  var acc = 0.0;
  for (var l = 0u; l < u.Ng; l++) { acc += s[row + l] * ${weight}; }
  out[i] = acc;
}`,
    [s, w, out],
    new Uint32Array([n, N, Ng, offset, g.stride]),
    g.workgroups,
  );
}

/** Tile edge of the weight-gradient kernel (a workgroup computes a tile of `TILE x TILE` weights). */
const TILE = 16;

/**
 * The recurrent weights' cotangent `gw[g, l, k] = sum_r s[r, g*Ng + l] *
 * gfb[r, g*Ng + k]` over `rows = T * B` rows of `N = G * Ng` neurons: a
 * tiled product through workgroup memory.
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const [spikes, gfb, gw] = [newBuffer(80), newBuffer(80), newBuffer(64)];
 * weightGradient(spikes, gfb, gw, { rows: 10, G: 1, Ng: 8 });
 * ```
 */
export function weightGradient(
  s: GpuHandle,
  gfb: GpuHandle,
  out: GpuHandle,
  { rows, G, Ng }: { rows: number; G: number; Ng: number },
): void {
  const tiles = Math.ceil(Ng / TILE);
  dispatch(
    "cell_weight_gradient",
    () =>
      `struct U { rows: u32, N: u32, Ng: u32, tiles: u32 }
@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read> gfb: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> sa: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> ga: array<array<f32, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let blk = wg.z;
  let l = wg.y * ${TILE}u + lid.y;
  let k = wg.x * ${TILE}u + lid.x;
  let col0 = blk * u.Ng;
  var acc = 0.0;
  for (var r0 = 0u; r0 < u.rows; r0 += ${TILE}u) {
    // Row r0 + lid.y of this tile's spikes (columns wg.y's) and cotangents (columns wg.x's).
    let r = r0 + lid.y;
    let cs = wg.y * ${TILE}u + lid.x;
    let cg = wg.x * ${TILE}u + lid.x;
    sa[lid.y][lid.x] = select(0.0, s[r * u.N + col0 + cs], r < u.rows && cs < u.Ng);
    ga[lid.y][lid.x] = select(0.0, gfb[r * u.N + col0 + cg], r < u.rows && cg < u.Ng);
    workgroupBarrier();
    for (var q = 0u; q < ${TILE}u; q++) { acc += sa[q][lid.y] * ga[q][lid.x]; }
    workgroupBarrier();
  }
  if (l < u.Ng && k < u.Ng) { out[blk * u.Ng * u.Ng + l * u.Ng + k] = acc; }
}`,
    [s, gfb, out],
    new Uint32Array([rows, G * Ng, Ng, tiles]),
    [tiles, tiles, G],
  );
}

/**
 * `out[j] = sum_b partials[k*B*N + b*N + j]`: parameter `k`'s gradient
 * from its per-(sample, neuron) partials.
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const [partials, gBeta] = [newBuffer(64), newBuffer(16)];
 * sumOverBatch(partials, 0, gBeta, { B: 4, N: 16 });
 * ```
 */
export function sumOverBatch(
  partials: GpuHandle,
  k: number,
  out: GpuHandle,
  { B, N }: { B: number; N: number },
): void {
  const g = grid(N);
  dispatch(
    "cell_sum_over_batch",
    () =>
      `struct U { B: u32, N: u32, off: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * u.stride;
  if (j >= u.N) { return; }
  var acc = 0.0;
  for (var b = 0u; b < u.B; b++) { acc += p[u.off + b * u.N + j]; }
  out[j] = acc;
}`,
    [partials, out],
    new Uint32Array([B, N, k * B * N, g.stride]),
    g.workgroups,
  );
}

/**
 * `out[g, k, l] = w[g, l, k]`: each block of `[G, Ng, Ng]` weights
 * transposed (the resident backward pass reads `w^T` row by row).
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const [w, wT] = [newBuffer(128), newBuffer(128)];
 * transposeBlocks(w, wT, { G: 2, Ng: 8 });
 * ```
 */
export function transposeBlocks(w: GpuHandle, out: GpuHandle, { G, Ng }: { G: number; Ng: number }): void {
  const n = G * Ng * Ng;
  const g = grid(n);
  dispatch(
    "cell_transpose_blocks",
    () =>
      `struct U { n: u32, Ng: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i >= u.n) { return; }
  let per = u.Ng * u.Ng;
  let r = i % per;
  out[i] = w[i - r + (r % u.Ng) * u.Ng + r / u.Ng];
}`,
    [w, out],
    new Uint32Array([n, Ng, g.stride]),
    g.workgroups,
  );
}

/**
 * Copies `n` 32-bit words from `src` to `dst` inside the compute pass (a
 * buffer copy would end it).
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * const [initialState, state] = [newBuffer(32), newBuffer(32)];
 * copyWords(initialState, state, 32);
 * ```
 */
export function copyWords(src: GpuHandle, dst: GpuHandle, n: number): void {
  const g = grid(n);
  dispatch(
    "copy_words",
    () =>
      `struct U { n: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i < u.n) { dst[i] = src[i]; }
}`,
    [src, dst],
    new Uint32Array([n, g.stride]),
    g.workgroups,
  );
}

/**
 * Sets `n` 32-bit words of `dst` to `word` (0: float zeros).
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * fillWords(newBuffer(64), 64, 0);
 * ```
 */
export function fillWords(dst: GpuHandle, n: number, word: number): void {
  const g = grid(n);
  dispatch(
    "fill_words",
    () =>
      `struct U { n: u32, stride: u32, word: u32 }
@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i < u.n) { dst[i] = u.word; }
}`,
    [dst],
    new Uint32Array([n, g.stride, word >>> 0]),
    g.workgroups,
  );
}
