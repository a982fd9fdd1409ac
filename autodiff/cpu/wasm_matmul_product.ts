/**
 * One float32 product on the WebAssembly engine of `wasm_matmul.ts`.
 *
 * A call copies `b` into the engine's memory and packs it, then copies `a`
 * in unit by unit while the workers start on the units already there (a
 * transposed dense `a` as stored, packed by `packAT`; other transposed
 * operands transposed on the way), and copies the result out as units
 * finish. Operands bigger than a few
 * MiB go through in row chunks of `a` and contraction chunks of `a` and `b`
 * (the result of each later contraction chunk is added to the previous
 * ones), so the memory, which WebAssembly can only grow, stays near four
 * chunks (64 MiB). A sparse `a` used transposed (`x^T @ g`) is scattered
 * from its non-zeros instead.
 *
 * @module
 */
import {
  align64,
  Ctrl,
  ensureBytes,
  type MatmulEngine,
  MAX_MEMORY_BYTES,
  MAX_UNITS,
  NO_JOB,
  runJob,
  threadCount,
} from "./wasm_matmul.ts";
import { timePhase } from "../core/profile.ts";

/** Side of the square tiles of {@link copyBlock}'s transposing copy (two 4 KiB tiles stay in L1). */
const TILE = 32;

/**
 * `dst[dstAt + i * dstLd + j] = op(src)[row0 + i, col0 + j]` for
 * `i < rows, j < cols`, where `op(src)` is the row-major `src` (leading
 * dimension `srcLd`) or, with `trans`, its transpose; the transposing copy
 * walks square tiles so that both sides stay in cache.
 */
function copyBlock(
  src: Float32Array,
  srcOff: number,
  srcLd: number,
  trans: boolean,
  row0: number,
  col0: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstAt: number,
  dstLd: number,
): void {
  if (!trans) {
    if (cols === srcLd && dstLd === srcLd) {
      const from = srcOff + row0 * srcLd + col0;
      dst.set(src.subarray(from, from + rows * cols), dstAt);
      return;
    }
    for (let i = 0; i < rows; i++) {
      const from = srcOff + (row0 + i) * srcLd + col0;
      dst.set(src.subarray(from, from + cols), dstAt + i * dstLd);
    }
    return;
  }
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(cols, j0 + TILE);
      for (let j = j0; j < j1; j++) {
        const from = srcOff + (col0 + j) * srcLd + row0;
        let to = dstAt + i0 * dstLd + j;
        for (let i = i0; i < i1; i++, to += dstLd) dst[to] = src[from + i];
      }
    }
  }
}

/** How one product is cut to keep the kernels' memory small. */
interface ChunkPlan {
  /** Rows of the result per row chunk (a multiple of the unit rows, or all). */
  chunkRows: number;
  /** Contraction depth per contraction chunk (all of `k` for the sparse path). */
  chunkK: number;
  unitRows: number;
  ldc: number;
}

function planChunks(engine: MatmulEngine, m: number, k: number, n: number, sparse: boolean): ChunkPlan {
  const { nr } = engine.tile;
  const { mc, kc, chunkBytes } = engine.blocking;
  const resultBytes = engine.blocking.resultBytes ?? 4 * chunkBytes;
  const threads = threadCount(engine);
  const ldc = sparse ? Math.ceil(n / 4) * 4 : Math.ceil(n / nr) * nr;
  const unitRows = sparse ? Math.max(16, Math.ceil(m / (8 * threads))) : mc;
  // Chunks of equal whole units (at most one unit over the budget): a thin last chunk would leave a thread idle.
  const rowsIn = (fitRows: number) => {
    const chunks = Math.ceil(m / Math.max(unitRows, fitRows));
    return Math.min(m, Math.ceil(Math.ceil(m / chunks) / unitRows) * unitRows);
  };
  if (sparse) {
    // The sparse kernel reads any row of `b`: all of the contraction at once.
    return { chunkRows: rowsIn(Math.floor(chunkBytes / (Math.max(k, ldc) * 4))), chunkK: k, unitRows, ldc };
  }
  // As many result rows as its budget holds (`b` is copied and packed once per row chunk), then the contraction
  // chunks that fit `b`'s and `a`'s budgets, of equal depth.
  const chunkRows = rowsIn(Math.floor(resultBytes / (ldc * 4)));
  const fitK = Math.max(kc, Math.floor(chunkBytes / (Math.max(ldc, chunkRows) * 4)));
  const chunkK = Math.ceil(k / Math.ceil(k / Math.min(k, fitK)));
  return { chunkRows, chunkK, unitRows, ldc };
}

/** Layout of the wasm memory for one product (byte offsets). */
function layoutMemory(engine: MatmulEngine, plan: ChunkPlan, n: number, sparse: boolean) {
  const { mr } = engine.tile;
  const { mc, kc } = engine.blocking;
  const { chunkRows, chunkK, ldc } = plan;
  const threads = threadCount(engine);
  const bAt = Ctrl.bytes;
  // Dense: `chunkK` rows of `op(b)` are copied raw after the packed panels, then packed.
  const bBytes = align64(chunkK * ldc * 4) + (sparse ? 0 : align64(chunkK * n * 4));
  const scratchStride = align64(sparse ? 8 * chunkK : mc * kc * 4);
  const scratchAt = bAt + bBytes;
  const aAt = align64(scratchAt + threads * scratchStride);
  const cAt = align64(aAt + chunkRows * chunkK * 4);
  const flagsAt = align64(cAt + Math.ceil(chunkRows / mr) * mr * ldc * 4);
  const end = flagsAt + 4 * (Math.ceil(chunkRows / 16) + 16);
  return { bAt, rawBAt: bAt + align64(chunkK * ldc * 4), scratchAt, scratchStride, aAt, cAt, flagsAt, end };
}

/**
 * `out = a^T @ op(b)` for a sparse `a` stored `[k, m]`, by scattering
 * (`sparseT`): units are rows of `a` (contraction indices), unit `u` of
 * every contraction chunk adds into zeroed partial result `u` (`m x ldc`),
 * and the partials are summed in order at the end. The units depend only on
 * the sizes, not on which thread ran them, so the result is the same bit
 * for bit whatever the threads. Contraction chunks bound the copies.
 */
function sparseTransposedA(
  engine: MatmulEngine,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  transB: boolean,
  out: Float32Array,
  outOff: number,
  m: number,
  k: number,
  n: number,
  parallel: boolean,
): void {
  const threads = threadCount(engine);
  const ldc = Math.ceil(n / 4) * 4;
  // Chunks of equal depth: a thin last chunk would be a single unit, on one thread.
  const maxChunkK = Math.max(64, Math.floor(engine.blocking.chunkBytes / (Math.max(m, ldc) * 4)));
  const chunkK = Math.ceil(k / Math.ceil(k / maxChunkK));
  const unitRows = Math.max(16, Math.ceil(chunkK / SCATTER_UNITS));
  const partials = Math.ceil(chunkK / unitRows);
  const partialStride = align64(m * ldc * 4);
  const bAt = Ctrl.bytes;
  const cAt = align64(bAt + chunkK * ldc * 4);
  const scratchAt = cAt + partials * partialStride;
  const scratchStride = align64(8 * m);
  const aAt = align64(scratchAt + threads * scratchStride);
  const flagsAt = align64(aAt + chunkK * m * 4);
  ensureBytes(engine, flagsAt + 4 * (Math.ceil(chunkK / unitRows) + 16));
  const heap = new Float32Array(engine.memory.buffer);
  heap.fill(0, cAt / 4, (cAt + partials * partialStride) / 4);
  const ctrl = new Int32Array(engine.memory.buffer, 0, Ctrl.bytes / 4);
  Atomics.store(ctrl, Ctrl.next, NO_JOB);
  ctrl[Ctrl.kind] = 3;
  ctrl[Ctrl.k] = m;
  ctrl[Ctrl.n] = n;
  ctrl[Ctrl.ldc] = ldc;
  ctrl[Ctrl.ldb] = ldc;
  ctrl[Ctrl.a] = aAt;
  ctrl[Ctrl.b] = bAt;
  ctrl[Ctrl.c] = cAt;
  ctrl[Ctrl.partialStride] = partialStride;
  ctrl[Ctrl.scratch] = scratchAt;
  ctrl[Ctrl.scratchStride] = scratchStride;
  ctrl[Ctrl.flags] = flagsAt;
  ctrl[Ctrl.mc] = unitRows;
  for (let k0 = 0; k0 < k; k0 += chunkK) {
    const kk = Math.min(chunkK, k - k0);
    Atomics.store(ctrl, Ctrl.next, NO_JOB);
    // A unit is rows of `a` and the same rows of `op(b)`.
    const loadUnit = (unit: number) => {
      const i0 = unit * unitRows, i1 = Math.min(kk, i0 + unitRows);
      if (ldc !== n) heap.fill(0, bAt / 4 + i0 * ldc, bAt / 4 + i1 * ldc);
      copyBlock(b, bOff, transB ? k : n, transB, k0 + i0, 0, i1 - i0, n, heap, bAt / 4 + i0 * ldc, ldc);
      heap.set(a.subarray(aOff + (k0 + i0) * m, aOff + (k0 + i1) * m), aAt / 4 + i0 * m);
    };
    ctrl[Ctrl.m] = kk;
    ctrl[Ctrl.units] = Math.ceil(kk / unitRows);
    runJob(engine, ctrl, parallel, null, loadUnit);
  }
  for (let u = 1; u < partials; u++) engine.exports.addInto(cAt, cAt + u * partialStride, (m * ldc) / 4);
  const c0 = cAt / 4;
  if (ldc === n) out.set(heap.subarray(c0, c0 + m * n), outOff);
  else for (let i = 0; i < m; i++) out.set(heap.subarray(c0 + i * ldc, c0 + i * ldc + n), outOff + i * n);
}

/** Units (and partial results) per contraction chunk of the scattering product. */
const SCATTER_UNITS = 8;

/** Operand transposition flags of {@link wasmMatmul}. */
export interface MatmulTranspose {
  /** `a` is stored `[k, m]`: multiply by its transpose. */
  a?: boolean;
  /** `b` is stored `[n, k]`: multiply by its transpose. */
  b?: boolean;
}

/**
 * `out[m, n] = op(a) @ op(b)` (row-major views at the given offsets, `op`
 * the identity or, per `trans`, the transpose: `a` stored `[k, m]`, `b`
 * stored `[n, k]`) on the engine, dense (`sparse = false`) or skipping the
 * zeros of `op(a)`, on the engine's workers too when `parallel`. `k` must
 * be at least 1. A transposed `a` of the dense path is packed from its
 * stored rows (`packAT`); other transposed operands are transposed while
 * being copied into the kernels' memory, so no transposed copy is ever
 * allocated; big
 * products are cut into row and contraction chunks of `chunkBytes` each,
 * so the kernels' memory stays small whatever the operands' size.
 *
 * @example
 * ```ts
 * import { createMatmulEngine } from "./wasm_matmul.ts";
 * const engine = createMatmulEngine();
 * const out = new Float32Array(4);
 * wasmMatmul(engine, new Float32Array([1, 2, 3, 4]), 0, new Float32Array([1, 0, 0, 1]), 0, out, 0, 2, 2, 2, false);
 * out; // [1, 2, 3, 4]
 * ```
 */
export function wasmMatmul(
  engine: MatmulEngine,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  out: Float32Array,
  outOff: number,
  m: number,
  k: number,
  n: number,
  sparse: boolean,
  parallel = true,
  trans: MatmulTranspose = {},
): void {
  const { mr, nr } = engine.tile;
  const transA = trans.a ?? false, transB = trans.b ?? false;
  // Scatter when the partial results stay small; otherwise transpose `a` on the way in like the dense path.
  if (sparse && transA && SCATTER_UNITS * m * n * 4 <= engine.blocking.chunkBytes) {
    return sparseTransposedA(engine, a, aOff, b, bOff, transB, out, outOff, m, k, n, parallel);
  }
  const plan = planChunks(engine, m, k, n, sparse);
  const { chunkRows, chunkK, unitRows, ldc } = plan;
  const at = layoutMemory(engine, plan, n, sparse);
  if (at.end > MAX_MEMORY_BYTES || Math.ceil(chunkRows / unitRows) > MAX_UNITS) {
    throw new RangeError(`matmul: operands [${m},${k}] @ [${k},${n}] exceed the wasm kernel's memory`);
  }
  ensureBytes(engine, at.end);
  const heap = new Float32Array(engine.memory.buffer);
  // Leading dimensions of the stored operands.
  const lda = transA ? m : k, ldb = transB ? k : n;

  const ctrl = new Int32Array(engine.memory.buffer, 0, Ctrl.bytes / 4);
  Atomics.store(ctrl, Ctrl.next, NO_JOB);
  ctrl[Ctrl.kind] = sparse ? 2 : 1;
  ctrl[Ctrl.n] = n;
  ctrl[Ctrl.ldc] = ldc;
  ctrl[Ctrl.ldb] = ldc;
  ctrl[Ctrl.a] = at.aAt;
  ctrl[Ctrl.b] = at.bAt;
  ctrl[Ctrl.c] = at.cAt;
  ctrl[Ctrl.scratch] = at.scratchAt;
  ctrl[Ctrl.scratchStride] = at.scratchStride;
  ctrl[Ctrl.flags] = at.flagsAt;
  ctrl[Ctrl.mr] = mr;
  ctrl[Ctrl.nr] = nr;
  ctrl[Ctrl.mc] = unitRows;
  const loadB = (k0: number, kk: number) =>
    timePhase("matmul: copy and pack b", () => {
      if (sparse) {
        // The sparse kernel reads rows of `b` padded to `ldc`, zeros past `n`.
        if (ldc !== n) heap.fill(0, at.bAt / 4, (at.bAt + kk * ldc * 4) / 4);
        copyBlock(b, bOff, ldb, transB, k0, 0, kk, n, heap, at.bAt / 4, ldc);
      } else {
        copyBlock(b, bOff, ldb, transB, k0, 0, kk, n, heap, at.rawBAt / 4, n);
        engine.exports.packB(at.rawBAt, n * 4, n, kk, at.bAt, ldc / nr);
      }
    });
  const kChunks = Math.ceil(k / chunkK);
  if (kChunks === 1) loadB(0, k);
  for (let r0 = 0; r0 < m; r0 += chunkRows) {
    const rows = Math.min(chunkRows, m - r0);
    for (let c = 0; c < kChunks; c++) {
      const k0 = c * chunkK, kk = Math.min(chunkK, k - k0);
      Atomics.store(ctrl, Ctrl.next, NO_JOB);
      ctrl[Ctrl.m] = rows;
      ctrl[Ctrl.units] = Math.ceil(rows / unitRows);
      if (kChunks > 1) loadB(k0, kk);
      // Dense: a transposed `a` is copied as stored (its rows are contiguous) and packed by `packAT`.
      const packT = transA && !sparse;
      const loadUnit = (unit: number) => {
        const i0 = unit * unitRows, i1 = Math.min(rows, i0 + unitRows);
        if (packT) copyBlock(a, aOff, lda, false, k0, r0 + i0, kk, i1 - i0, heap, at.aAt / 4 + i0, rows);
        else copyBlock(a, aOff, lda, transA, r0 + i0, k0, i1 - i0, kk, heap, at.aAt / 4 + i0 * kk, kk);
      };
      ctrl[Ctrl.ldaT] = packT ? rows : 0;
      ctrl[Ctrl.k] = kk;
      // Equal slices: a thin last slice would run the micro-kernel at a poor load-to-flop ratio.
      ctrl[Ctrl.kc] = Math.ceil(kk / Math.ceil(kk / engine.blocking.kc));
      ctrl[Ctrl.accumulate] = c > 0 ? 1 : 0;
      const last = c === kChunks - 1;
      const c0 = at.cAt / 4;
      runJob(
        engine,
        ctrl,
        parallel,
        last
          ? (unit) => {
            const i0 = unit * unitRows, i1 = Math.min(rows, i0 + unitRows);
            if (ldc === n) out.set(heap.subarray(c0 + i0 * n, c0 + i1 * n), outOff + (r0 + i0) * n);
            else {
              for (let i = i0; i < i1; i++) {
                out.set(heap.subarray(c0 + i * ldc, c0 + i * ldc + n), outOff + (r0 + i) * n);
              }
            }
          }
          : null,
        loadUnit,
      );
    }
  }
}
