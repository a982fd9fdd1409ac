/**
 * WebGPU kernels of the random primitives that sort or search:
 * `random_permutation` (JAX's repeated stable sorts by random words) and
 * `random_choice_weighted` (inverse-CDF search with replacement, Gumbel
 * top-k without), bit for bit as the CPU kernels compute them, except
 * that Gumbel scores use a float32 `log` (`log_wgsl.ts`, within about an
 * ulp) where the CPU rounds `Math.log`: two candidates whose scores lie
 * within an ulp or two may then come out in the other order.
 *
 * The device cannot throw: weights that the CPU kernel rejects (negative,
 * not finite, summing to 0) give some indices here instead of an error.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../../autodiff/backend.ts";
import type { PermutationParams, WeightedChoiceParams } from "../../autodiff/random/primitives.ts";
import type { GpuHandle } from "../backend.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel } from "../dispatch.ts";
import { sortLength, sortPairs } from "./bitonic.ts";
import { copyWords } from "./cell_products.ts";
import { LOG_WGSL } from "./log_wgsl.ts";
import { keyCount } from "./random.ts";
import { THREEFRY_WGSL } from "./threefry_wgsl.ts";

/** Uniforms: key count, elements per key, padded length, grid stride, two extra words, and the invocation count. */
const UNIFORMS_WGSL = `struct U { keys: u32, n: u32, P: u32, stride: u32, a: u32, b: u32, c: u32, total: u32 }`;

/** The uniform fields a kernel sets (`stride` and `total` are filled in). */
interface Fields {
  readonly keys: number;
  readonly n: number;
  readonly P?: number;
  readonly a?: number;
}

/** One invocation per index `idx < total`, with the buffers `bindings` declares at 0.. and the uniforms after them. */
function perElement(
  name: string,
  bindings: string,
  buffers: readonly GpuHandle[],
  total: number,
  f: Fields,
  body: string,
  helpers = "",
): void {
  if (total === 0) return;
  const g = grid(total);
  dispatch(
    `random_${name}`,
    () =>
      `${UNIFORMS_WGSL}
${bindings}
@group(0) @binding(${buffers.length}) var<uniform> u: U;
${THREEFRY_WGSL}
${helpers}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * u.stride;
  if (idx >= u.total) { return; }
  ${body}
}`,
    buffers,
    new Uint32Array([f.keys, f.n, f.P ?? 0, g.stride, f.a ?? 0, 0, 0, total]),
    g.workgroups,
  );
}

/** `ceil(3 ln n / ln(2^32 - 1))`: JAX's number of shuffle rounds (as the CPU computes it). */
function shuffleRounds(n: number): number {
  return Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(0xffffffff));
}

/** Pairs `(key, position)` for round `r`: word `i` of the round's sort key (padding sorts last). */
function shuffleWords(key: KernelTensor, pairs: GpuHandle, n: number, P: number, round: number): void {
  const keys = keyCount(key);
  perElement(
    "shuffle_words",
    `@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read_write> pairs: array<vec2u>;`,
    [handleOf(key), pairs],
    keys * P,
    { keys, n, P, a: round },
    `let kk = idx / u.P;
  let i = idx % u.P;
  // Each round splits the current key: the first half carries on, the second draws the round's words.
  var current = vec2u(key[2u * kk], key[2u * kk + 1u]);
  for (var r = 0u; r < u.a; r++) { current = split4(current).xy; }
  let sortKey = split4(current).zw;
  pairs[idx] = select(vec2u(0xffffffffu, i), vec2u(random_word(sortKey, i, u.n), i), i < u.n);`,
  );
}

/** `out[kk, i] = prev[kk, order[kk, i]]` (`prev` null: the order itself). */
function gatherOrder(pairs: GpuHandle, prev: GpuHandle | null, out: GpuHandle, keys: number, n: number, P: number) {
  perElement(
    prev ? "shuffle_compose" : "shuffle_first",
    `@group(0) @binding(0) var<storage, read> pairs: array<vec2u>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
${prev ? "@group(0) @binding(2) var<storage, read> prev: array<u32>;" : ""}`,
    prev ? [pairs, out, prev] : [pairs, out],
    keys * n,
    { keys, n, P },
    `let kk = idx / u.n;
  let i = idx % u.n;
  let o = pairs[kk * u.P + i].y;
  out[idx] = ${prev ? "prev[kk * u.n + o]" : "o"};`,
  );
}

registerGpuKernel<PermutationParams>("random_permutation", ([key], { n }, [aval]): DataHandle[] => {
  const keys = keyCount(key);
  const out = outputFor(aval);
  const rounds = shuffleRounds(n);
  if (keys === 0 || n === 0) return [out];
  const P = sortLength(n);
  const pairs = outputFor({ shape: [keys * P * 2], dtype: "uint32" });
  const prev = rounds > 1 ? outputFor({ shape: [keys * n], dtype: "int32" }) : null;
  for (let r = 0; r < rounds; r++) {
    shuffleWords(key, pairs, n, P, r);
    sortPairs(pairs, keys, P);
    if (r > 0) copyWords(out, prev!, keys * n);
    gatherOrder(pairs, r > 0 ? prev : null, out, keys, n, P);
  }
  // n = 1 needs no round: the identity.
  if (rounds === 0) gatherIdentity(out, keys, n);
  return [out];
});

function gatherIdentity(out: GpuHandle, keys: number, n: number): void {
  perElement(
    "identity",
    "@group(0) @binding(0) var<storage, read_write> out: array<u32>;",
    [out],
    keys * n,
    { keys, n },
    "out[idx] = idx % u.n;",
  );
}

/** `(w >>> 9) * 2^-23`, JAX's float32 unit float. */
const UNIT_F32 = "fn unit_(w: u32) -> f32 { return f32(w >> 9u) * bitcast<f32>(0x34000000u); }";

registerGpuKernel<WeightedChoiceParams>("random_choice_weighted", ([key, p], { count, replace }, [aval]) => {
  const keys = keyCount(key);
  const n = p.shape[p.shape.length - 1];
  const out = outputFor(aval);
  if (keys === 0 || count === 0) return [out];
  if (replace) inverseCdf(key, handleOf(p), out, keys, n, count);
  else gumbelTopK(key, handleOf(p), out, keys, n, count);
  return [out];
});

/** With replacement: `searchsorted(cumsum(p), total * (1 - u))` per draw, the sums in float32 in order. */
function inverseCdf(key: KernelTensor, p: GpuHandle, out: GpuHandle, keys: number, n: number, m: number): void {
  const cum = outputFor({ shape: [keys * n], dtype: "float32" });
  perElement(
    "cumsum",
    `@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read_write> cum: array<f32>;`,
    [p, cum],
    keys,
    { keys, n },
    `var acc = 0.0;
  for (var i = 0u; i < u.n; i++) { acc += p[idx * u.n + i]; cum[idx * u.n + i] = acc; }`,
  );
  perElement(
    "inverse_cdf",
    `@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read> cum: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;`,
    [handleOf(key), cum, out],
    keys * m,
    { keys, n, a: m },
    `let kk = idx / u.a;
  let j = idx % u.a;
  let k = vec2u(key[2u * kk], key[2u * kk + 1u]);
  let row = kk * u.n;
  let r = cum[row + u.n - 1u] * (1.0 - unit_(random_word(k, j, u.a)));
  var lo = 0u;
  var hi = u.n - 1u;
  loop {
    if (lo >= hi) { break; }
    let mid = (lo + hi) >> 1u;
    if (cum[row + mid] < r) { lo = mid + 1u; } else { hi = mid; }
  }
  out[idx] = lo;`,
    UNIT_F32,
  );
}

/**
 * Without replacement: the `m` largest of `gumbel + log p`, found by
 * sorting `(descending score key, position)` pairs.
 */
function gumbelTopK(key: KernelTensor, p: GpuHandle, out: GpuHandle, keys: number, n: number, m: number): void {
  const P = sortLength(n);
  const pairs = outputFor({ shape: [keys * P * 2], dtype: "uint32" });
  perElement(
    "gumbel_scores",
    `@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read_write> pairs: array<vec2u>;`,
    [handleOf(key), p, pairs],
    keys * P,
    { keys, n, P },
    `let kk = idx / u.P;
  let i = idx % u.P;
  if (i >= u.n) { pairs[idx] = vec2u(0xffffffffu, i); return; }
  let k = vec2u(key[2u * kk], key[2u * kk + 1u]);
  // JAX's gumbel draws on [tiny, 1): u * (1 - tiny) + tiny in float32 is u + tiny, at least tiny.
  let tiny = bitcast<f32>(0x00800000u);
  let v = max(unit_(random_word(k, i, u.n)) + tiny, tiny);
  let score = -log_(-log_(v)) + log_(p[kk * u.n + i]);
  // Larger scores first: the order-preserving bits of the score, complemented (-0 as +0).
  let bits = bitcast<u32>(select(score, 0.0, score == 0.0));
  let ascending = select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
  pairs[idx] = vec2u(~ascending, i);`,
    UNIT_F32 + LOG_WGSL,
  );
  sortPairs(pairs, keys, P);
  perElement(
    "top_k",
    `@group(0) @binding(0) var<storage, read> pairs: array<vec2u>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;`,
    [pairs, out],
    keys * m,
    { keys, n, P, a: m },
    `let kk = idx / u.a;
  out[idx] = pairs[kk * u.P + idx % u.a].y;`,
  );
}
