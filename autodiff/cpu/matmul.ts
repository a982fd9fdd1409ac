/**
 * CPU kernel of batched matrix products.
 *
 * float32 products go to the WebAssembly SIMD kernels of
 * {@link ./wasm_matmul.ts} (packed and register-blocked, spread over worker
 * threads when they are big enough), choosing per call between the dense
 * path and a sparse one that skips the zeros of `a`: spike inputs (mostly
 * zeros) then cost only their active entries. Which one is decided from a
 * sample of `a`, so that the check costs almost nothing.
 *
 * The reference path, used for float64, for tiny products and where
 * WebAssembly SIMD is missing, walks `i, p, j` so that the innermost loop
 * streams a row of `b` and a row of the output, accumulating in float64,
 * and also skips the zeros of `a`.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf } from "../shape.ts";
import { broadcastStrides } from "./elementwise.ts";
import { transposeKernel } from "./layout.ts";
import { createMatmulEngine, type MatmulEngine } from "./wasm_matmul.ts";
import { wasmMatmul } from "./wasm_matmul_product.ts";
import { startWorkerPool } from "./matmul_threads.ts";
import { getNumThreads, onThreadsChange } from "./threads.ts";

/** `c[m, n] = a[m, k] @ b[k, n]` on views starting at the given offsets (the reference path). */
export function matmul2d(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const aRow = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[aRow + p];
      if (av === 0) continue;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) acc[j] += av * b[bRow + j];
    }
    const oRow = outOff + i * n;
    for (let j = 0; j < n; j++) out[oRow + j] = acc[j];
  }
}

/**
 * Which kernel computes a product: `"auto"` picks per call; the others
 * force one (tests compare them).
 */
export type MatmulPath = "auto" | "reference" | "dense" | "sparse";

/** Below this many multiply-adds the reference loop beats the wasm call overhead. */
const WASM_MIN_WORK = 8192;
/** Below this many multiply-adds waking the workers costs more than it saves. */
const THREADS_MIN_WORK = 1 << 21;
/** Fraction of non-zeros in `a` below which the sparse kernel is faster. */
const SPARSE_MAX_DENSITY = 0.2;
/** Elements of `a` sampled to estimate its density. */
const DENSITY_SAMPLES = 512;

let engine: MatmulEngine | null | undefined;

// A new thread count takes effect with a pool of the new size, started by the next big product.
onThreadsChange((n) => {
  const e = engine;
  if (e?.pool && e.pool.size !== n - 1) {
    e.pool.terminate();
    e.pool = null;
  }
});

function getEngine(): MatmulEngine | null {
  if (engine === undefined) {
    try {
      engine = createMatmulEngine();
    } catch {
      engine = null;
    }
  }
  return engine;
}

/** What the float32 product runs on right now. */
export interface MatmulStatus {
  /** Whether the WebAssembly SIMD kernels are in use. */
  wasm: boolean;
  /** The register tile of the dense kernel, e.g. `"6x8 fma"`. */
  tile: string;
  /** Threads allowed (the caller included). */
  threads: number;
  /** Workers started and ready to join a product. */
  readyWorkers: number;
}

/**
 * Reports the float32 product's kernels and threads (benchmarks print it;
 * tests wait on `readyWorkers`).
 *
 * @example
 * ```ts
 * matmulStatus().threads >= 1; // true
 * ```
 */
export function matmulStatus(): MatmulStatus {
  const e = getEngine();
  return {
    wasm: e !== null,
    tile: e ? `${e.tile.mr}x${e.tile.nr}${e.tile.fma ? " fma" : ""}` : "none",
    threads: getNumThreads(),
    readyWorkers: e?.pool?.readyCount() ?? 0,
  };
}

/**
 * Fraction of non-zeros among up to `DENSITY_SAMPLES` elements of
 * `a[off, off + size)` spread over the whole range.
 *
 * @example
 * ```ts
 * sampleDensity(new Float32Array([0, 1, 0, 0]), 0, 4); // 0.25
 * ```
 */
export function sampleDensity(a: TypedArray, off: number, size: number): number {
  const samples = Math.min(size, DENSITY_SAMPLES);
  const step = size / samples;
  let nonzero = 0;
  for (let s = 0; s < samples; s++) if (a[off + Math.floor(s * step + 0.5 * step)] !== 0) nonzero++;
  return nonzero / samples;
}

function product2d(
  path: MatmulPath,
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  dtype: DType,
): void {
  const work = m * k * n;
  const f32 = a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array;
  const wasm = f32 && k > 0 && (path === "dense" || path === "sparse" || (path === "auto" && work >= WASM_MIN_WORK))
    ? getEngine()
    : null;
  if (!wasm) {
    const [ra, raOff] = transA
      ? [transposeKernel(a.subarray(aOff, aOff + m * k), [k, m], [1, 0], dtype), 0]
      : [a, aOff];
    const [rb, rbOff] = transB
      ? [transposeKernel(b.subarray(bOff, bOff + k * n), [n, k], [1, 0], dtype), 0]
      : [b, bOff];
    return matmul2d(ra, raOff, rb, rbOff, out, outOff, m, k, n);
  }
  const threads = getNumThreads();
  if (threads > 1 && !wasm.pool && work >= THREADS_MIN_WORK) wasm.pool = startWorkerPool(wasm, threads - 1);
  // The density of `a` does not depend on which way it is stored.
  const sparse = path === "sparse" || (path === "auto" && sampleDensity(a, aOff, m * k) <= SPARSE_MAX_DENSITY);
  wasmMatmul(
    wasm,
    a as Float32Array,
    aOff,
    b as Float32Array,
    bOff,
    out as Float32Array,
    outOff,
    m,
    k,
    n,
    sparse,
    work >= THREADS_MIN_WORK,
    { a: transA, b: transB },
  );
}

/**
 * `op(a) @ op(b)` over broadcast batch axes: `[...batch, m, k] @
 * [...batch, k, n]`, where with `transA` the operand `a` is stored
 * `[...batch, k, m]` and with `transB` the operand `b` is stored
 * `[...batch, n, k]` (the products of matmul's VJP, without a transposed
 * copy).
 *
 * @example
 * ```ts
 * const out = matmulKernel(new Float32Array([1, 2]), [1, 2], new Float32Array([3, 4]), [2, 1], [1, 1], "float32");
 * out[0]; // 11
 * ```
 */
export function matmulKernel(
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
  path: MatmulPath = "auto",
  transA = false,
  transB = false,
): TypedArray {
  const [m, k] = transA ? aShape.slice(-2).reverse() : aShape.slice(-2);
  const n = transB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const out = allocate(dtype, sizeOf(outShape));
  const batchShape = outShape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const sa = broadcastStrides(aShape.slice(0, -2), batchShape);
  const sb = broadcastStrides(bShape.slice(0, -2), batchShape);
  const idx = new Array<number>(batchShape.length).fill(0);
  let pa = 0, pb = 0;
  for (let t = 0; t < batch; t++) {
    product2d(path, a, pa * m * k, b, pb * k * n, out, t * m * n, m, k, n, transA, transB, dtype);
    for (let d = batchShape.length - 1; d >= 0; d--) {
      idx[d]++;
      pa += sa[d];
      pb += sb[d];
      if (idx[d] < batchShape[d]) break;
      pa -= sa[d] * batchShape[d];
      pb -= sb[d] * batchShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
