/**
 * The simple matrix product (one invocation per output element, looping
 * over the contraction) for integer dtypes, small products and
 * matrix-vector shapes, and the pass that adds up the partial products of
 * a split contraction.
 *
 * In a matrix-vector product the invocations of a workgroup read
 * consecutive elements of the matrix (`b` in `[1, k] @ [k, n]`) or the same
 * element of the vector, so one invocation per output is already
 * memory-bound, which is what such a product is.
 *
 * @module
 */
import { BATCH_OFFSETS_WGSL, MATMUL_UNIFORMS_WGSL } from "./matmul_tiled.ts";

/**
 * The simple kernel for element type `t` (`f32`, `i32`, `u32`). Bindings
 * as the tiled kernel's; a 1-d grid of 256-invocation workgroups (2-d past
 * 65535 of them, row stride `u.kChunk` reused as the grid stride) over the
 * `count * M * N` outputs. Integer products wrap on overflow, as int32
 * arithmetic does on the CPU.
 *
 * @example
 * ```ts
 * const wgsl = simpleWgsl("i32", false, true);
 * ```
 */
export function simpleWgsl(t: "f32" | "i32" | "u32", transA: boolean, transB: boolean): string {
  const aIdx = transA ? "aOff + p * u.M + r" : "aOff + r * u.K + p";
  const bIdx = transB ? "bOff + c * u.K + p" : "bOff + p * u.N + c";
  return `${MATMUL_UNIFORMS_WGSL}
@group(0) @binding(0) var<storage, read> A: array<${t}>;
@group(0) @binding(1) var<storage, read> B: array<${t}>;
@group(0) @binding(2) var<storage, read_write> C: array<${t}>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * u.kChunk;
  let mn = u.M * u.N;
  if (i >= u.count * mn) { return; }
  let bz = i / mn;
  let r = (i % mn) / u.N;
  let c = i % u.N;
  ${BATCH_OFFSETS_WGSL}
  var acc: ${t} = ${t}(0);
  for (var p = 0u; p < u.K; p++) {
    acc += A[${aIdx}] * B[${bIdx}];
  }
  C[i] = acc;
}`;
}

/**
 * The pass that adds the `splits` partial products of a split contraction:
 * the partial buffer holds matrices `[count, splits, M, N]`, the output
 * `[count, M, N]`. Uniforms: `total = count * M * N`, `mn = M * N`,
 * `splits`, the grid's row stride.
 *
 * @example
 * ```ts
 * const wgsl = splitSumWgsl();
 * ```
 */
export function splitSumWgsl(): string {
  return `struct S { total: u32, mn: u32, splits: u32, stride: u32 };
@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<uniform> s: S;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * s.stride;
  if (i >= s.total) { return; }
  let bz = i / s.mn;
  let base = bz * s.splits * s.mn + i % s.mn;
  var acc = 0.0;
  for (var q = 0u; q < s.splits; q++) {
    acc += P[base + q * s.mn];
  }
  C[i] = acc;
}`;
}
