/**
 * The WebGPU kernel of the `matmul` primitive: `op(a) @ op(b)` over
 * broadcast batch axes, with `op` a transpose of the last two axes where
 * `transA`/`transB` say so (see `autodiff/ops/linalg.ts`).
 *
 * The plan (`matmul_plan.ts`) picks the simple kernel or a register-blocked
 * tile (`matmul_tiled.ts`) and how many slices the contraction is split
 * into; a split product writes its slices' partial sums to a scratch
 * buffer and a second pass adds them up (`matmul_simple.ts`). Everything a
 * shader is specialised to is in its cache key, so each combination is
 * generated and compiled once.
 *
 * @module
 */
import type { MatmulParams } from "../../autodiff/ops/linalg.ts";
import { deviceClient, webgpuBackend } from "../backend.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import { MAX_RANK } from "./indexing.ts";
import { type BatchLayout, batchLayout, type MatmulPlan, MAX_GROUPS, planMatmul, tileSize } from "./matmul_plan.ts";
import { simpleWgsl, splitSumWgsl } from "./matmul_simple.ts";
import { tiledKey, type TiledSpec, tiledWgsl } from "./matmul_tiled.ts";

type Handle = ReturnType<typeof handleOf>;

/** The uniform words of {@link MATMUL_UNIFORMS_WGSL}. */
function uniforms(layout: BatchLayout, kChunk: number, splits: number, zBase: number): Uint32Array {
  if (layout.shape.length > MAX_RANK) {
    throw new Error(`webgpu: matmul: ${layout.shape.length} batch axes that do not merge (at most ${MAX_RANK})`);
  }
  const w = new Uint32Array(8 + 3 * MAX_RANK);
  w.set([layout.m, layout.n, layout.k, kChunk, layout.shape.length, zBase, splits, layout.count]);
  w.set(layout.shape, 8);
  w.set(layout.aStrides, 8 + MAX_RANK);
  w.set(layout.bStrides, 8 + 2 * MAX_RANK);
  return w;
}

/**
 * Queues the dispatches of `op(a) @ op(b)` into `out` (shapes as the
 * primitive's) and returns `out`.
 *
 * @example
 * ```ts
 * import { newBuffer } from "../backend.ts";
 * import { initWebGPU } from "../mod.ts";
 * await initWebGPU();
 * const a = newBuffer(24), b = newBuffer(12), out = newBuffer(32); // [8, 3] @ [3, 4]
 * encodeMatmul(a, [8, 3], b, [3, 4], out, [8, 4], "float32", false, false);
 * ```
 */
export function encodeMatmul(
  a: Handle,
  aShape: readonly number[],
  b: Handle,
  bShape: readonly number[],
  out: Handle,
  outShape: readonly number[],
  dtype: "float32" | "int32" | "uint32" | "bool",
  transA: boolean,
  transB: boolean,
  plan?: MatmulPlan,
): Handle {
  const layout = batchLayout(aShape, bShape, outShape, transA);
  const { m, n, k, count } = layout;
  if (m * n * count === 0) return out;
  plan ??= planMatmul(layout, dtype, deviceClient().info.limits.maxStorageBufferBindingSize ?? 1 << 27);
  // An empty contraction writes zeros; its 4-byte operands could not be bound as vec4 arrays anyway.
  if (k === 0) plan = { kind: "simple" };
  if (plan.kind === "simple") {
    const t = wgslType(dtype);
    const g = grid(m * n * count);
    dispatch(
      `matmul:simple:${t}:${transA ? "T" : "N"}${transB ? "T" : "N"}`,
      () => simpleWgsl(t, transA, transB),
      [a, b, out],
      uniforms(layout, g.stride, 1, 0),
      g.workgroups,
    );
    return out;
  }
  const { tile, splits, kChunk } = plan;
  const { bm, bn } = tileSize(tile);
  const spec: TiledSpec = {
    tile,
    transA,
    transB,
    // vec4 reads and writes need the contiguous axis to be a multiple of 4 (which also aligns every row).
    vecA: (transA ? m : k) % 4 === 0,
    vecB: (transB ? k : n) % 4 === 0,
    vecC: n % 4 === 0,
    checkM: m % bm !== 0,
    checkN: n % bn !== 0,
    // Slices are multiples of bk deep: only the contraction's end can cut a step short.
    checkK: k % tile.bk !== 0,
  };
  const target = splits > 1 ? outputFor({ shape: [count * splits, m, n], dtype: "float32" }) : out;
  const key = tiledKey(spec);
  const groups = count * splits;
  for (let z = 0; z < groups; z += MAX_GROUPS) {
    dispatch(
      key,
      () => tiledWgsl(spec),
      [a, b, target],
      uniforms(layout, kChunk, splits, z),
      [Math.ceil(n / bn), Math.ceil(m / bm), Math.min(MAX_GROUPS, groups - z)],
    );
  }
  if (splits > 1) {
    const total = count * m * n;
    const g = grid(total);
    dispatch(
      "matmul:splitsum",
      splitSumWgsl,
      [target, out],
      new Uint32Array([total, m * n, splits, g.stride]),
      g.workgroups,
    );
    webgpuBackend.dispose(target);
  }
  return out;
}

registerGpuKernel<MatmulParams>("matmul", ([a, b], { transA, transB }, [out]) => {
  const y = outputFor(out);
  return [encodeMatmul(handleOf(a), a.shape, handleOf(b), b.shape, y, out.shape, out.dtype as never, transA, transB)];
});
