/**
 * WebGPU kernels of the word-wise random primitives (`random_bits`,
 * `random_split`, `random_fold_in`, `random_unit`, `random_randint`): one
 * invocation per (key, pair of words) runs threefry-2x32 in WGSL and
 * writes both words of its pair, in JAX's layout, bit for bit as the CPU
 * kernels (`autodiff/cpu/random.ts`). float32 unit floats only: float64
 * is refused on the device.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../../autodiff/backend.ts";
import type {
  FoldInParams,
  RandintParams,
  SampleParams,
  SplitParams,
  UnitParams,
} from "../../autodiff/random/primitives.ts";
import { sizeOf } from "../../autodiff/shape.ts";
import type { GpuHandle } from "../backend.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel } from "../dispatch.ts";
import { THREEFRY_WGSL } from "./threefry_wgsl.ts";

/** Uniforms of the word-wise kernels: key count, words per key, pairs per key, grid stride and four extra words. */
const UNIFORMS_WGSL = `struct U { keys: u32, n: u32, half: u32, stride: u32, a: u32, b: u32, c: u32, d: u32 }`;

/** Number of keys of a `[...K, 2]` key operand. */
export function keyCount(key: KernelTensor): number {
  return sizeOf(key.shape) / 2;
}

/**
 * Runs `body` once per (key `kk`, pair `p`) of `n` words per key, with
 * `k` the key (vec2u), `base = kk * n`, `half = ceil(n / 2)`; `body`
 * writes `out` (of element type `outType`) at `base + p` and, when
 * `half + p < n`, at `base + half + p`.
 */
function perPair(
  name: string,
  key: KernelTensor,
  n: number,
  out: GpuHandle,
  outType: string,
  body: string,
  extra: readonly number[] = [],
  helpers = "",
): void {
  const keys = keyCount(key), half = Math.ceil(n / 2);
  if (keys === 0 || n === 0) return;
  const g = grid(keys * half);
  dispatch(
    `random_${name}`,
    () =>
      `${UNIFORMS_WGSL}
@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<uniform> u: U;
${THREEFRY_WGSL}
${helpers}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * u.stride;
  if (idx >= u.keys * u.half) { return; }
  let kk = idx / u.half;
  let p = idx % u.half;
  let k = vec2u(key[2u * kk], key[2u * kk + 1u]);
  let base = kk * u.n;
  let half = u.half;
  let second = half + p < u.n;
  ${body}
}`,
    [handleOf(key), out],
    new Uint32Array([keys, n, half, g.stride, ...extra, 0, 0, 0, 0].slice(0, 8)),
    g.workgroups,
  );
}

const WORDS_BODY = `let w = word_pair(k, p, u.n);
  out[base + p] = w.x;
  if (second) { out[base + half + p] = w.y; }`;

registerGpuKernel<SampleParams>("random_bits", ([key], { shape }, [aval]): DataHandle[] => {
  const out = outputFor(aval);
  perPair("bits", key, sizeOf(shape), out, "u32", WORDS_BODY);
  return [out];
});

registerGpuKernel<SplitParams>("random_split", ([key], { count }, [aval]): DataHandle[] => {
  const out = outputFor(aval);
  perPair("bits", key, 2 * count, out, "u32", WORDS_BODY);
  return [out];
});

registerGpuKernel<FoldInParams>("random_fold_in", ([key], { data }, [aval]): DataHandle[] => {
  const out = outputFor(aval);
  // JAX hashes the two words [0, data]: one pair, counters (0, data).
  perPair(
    "fold_in",
    key,
    2,
    out,
    "u32",
    `let w = threefry(k, vec2u(0u, u.a));
  out[base] = w.x;
  out[base + 1u] = w.y;`,
    [data >>> 0],
  );
  return [out];
});

/** `(w >>> 9) * 2^-23`: JAX's float32 mantissa construction (exact in f32). */
const UNIT_F32 = "fn unit_(w: u32) -> f32 { return f32(w >> 9u) * bitcast<f32>(0x34000000u); }";

registerGpuKernel<UnitParams>("random_unit", ([key], { shape, dtype }, [aval]): DataHandle[] => {
  if (dtype !== "float32") throw new TypeError(`random_unit: the webgpu backend does not support the dtype ${dtype}`);
  const out = outputFor(aval);
  perPair(
    "unit_f32",
    key,
    sizeOf(shape),
    out,
    "f32",
    `let w = word_pair(k, p, u.n);
  out[base + p] = unit_(w.x);
  if (second) { out[base + half + p] = unit_(w.y); }`,
    [],
    UNIT_F32,
  );
  return [out];
});

registerGpuKernel<RandintParams>("random_randint", ([key], { shape, minval, maxval }, [aval]): DataHandle[] => {
  const out = outputFor(aval);
  const span = maxval - minval;
  const full = span === 2 ** 32;
  // (2^16 mod span)^2 mod span = 2^32 mod span, with JAX's uint32 wrap-around above 2^16 (as the CPU computes it).
  const half = full ? 0 : 65536 % span;
  const multiplier = full ? 0 : (Math.imul(half, half) >>> 0) % span;
  perPair(
    "randint",
    key,
    sizeOf(shape),
    out,
    "u32",
    `let sub = split4(k);
  let hi = word_pair(sub.xy, p, u.n);
  let lo = word_pair(sub.zw, p, u.n);
  out[base + p] = reduce_(hi.x, lo.x);
  if (second) { out[base + half + p] = reduce_(hi.y, lo.y); }`,
    [full ? 0 : span, multiplier, minval >>> 0, full ? 1 : 0],
    // u32 products keep the low 32 bits, as Math.imul(...) >>> 0 does.
    `fn reduce_(h: u32, l: u32) -> u32 {
  if (u.d == 1u) { return u.c + l; }
  let off = (h % u.a) * u.b + (l % u.a);
  return u.c + off % u.a;
}`,
  );
  return [out];
});
