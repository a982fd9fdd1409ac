/**
 * The float32 matrix product on WebAssembly SIMD, optionally spread over
 * worker threads that share the kernels' memory.
 *
 * One call copies `a` and `b` into the wasm memory, packs `b` once, then
 * splits the rows of `a` into units of `MC` rows; the calling thread and
 * any ready workers claim units from a shared counter (so a worker that is
 * slow to wake only means the caller does more units), and the caller
 * copies the result out. Per unit and per `KC`-deep slice of the
 * contraction, the unit's rows are packed into that thread's scratch (an
 * `MC x KC` block sized for L2) and the micro-kernel sweeps it against
 * every panel of `b`.
 *
 * @module
 */
import { matmulModuleBytes, type TileShape } from "./wasm_matmul_codegen.ts";
import type { WorkerPool } from "./matmul_threads.ts";

/** Layout of the control block at the start of the memory (Int32 indices). */
export const Ctrl = {
  gen: 0,
  kind: 1,
  next: 2,
  done: 3,
  units: 4,
  m: 5,
  k: 6,
  n: 7,
  ldc: 8,
  a: 9,
  b: 10,
  c: 11,
  scratch: 12,
  scratchStride: 13,
  mc: 14,
  kc: 15,
  mr: 16,
  nr: 17,
  error: 18,
  ldb: 19,
  flags: 20,
  ready: 32,
  ack: 64,
  /** Bytes reserved for the control block. */
  bytes: 4096,
} as const;

/** The kernels exported by the generated module. */
export interface MatmulExports {
  packA(src: number, ldaBytes: number, rows: number, kc: number, dst: number, panels: number): void;
  packB(src: number, ldbBytes: number, cols: number, k: number, dst: number, panels: number): void;
  gemm(
    kc: number,
    pa: number,
    pb: number,
    pbStride: number,
    c: number,
    ldcBytes: number,
    mPanels: number,
    nPanels: number,
    accumulate: number,
  ): void;
  sparse(
    a: number,
    ldaBytes: number,
    rows: number,
    k: number,
    b: number,
    ldbBytes: number,
    c: number,
    ldcBytes: number,
    nVec: number,
    scratch: number,
  ): void;
}

/**
 * Runs units of the job described in the control block until none is left,
 * marking each finished unit in the job's flag array and then calling
 * `afterUnit` (the caller uses it to copy finished rows out while the
 * workers compute). Shared verbatim with the workers (its source text is
 * sent to them), so it must not refer to anything outside itself.
 */
export function runMatmulUnits(ex: MatmulExports, ctrl: Int32Array, thread: number, afterUnit?: () => void): void {
  const kind = ctrl[1], units = ctrl[4], m = ctrl[5], k = ctrl[6], n = ctrl[7], ldc = ctrl[8];
  const a = ctrl[9], b = ctrl[10], c = ctrl[11], mc = ctrl[14], kcMax = ctrl[15], mr = ctrl[16], nr = ctrl[17];
  const scratch = ctrl[12] + thread * ctrl[13];
  const flags = new Int32Array(ctrl.buffer, ctrl[20], units);
  for (;;) {
    const unit = Atomics.add(ctrl, 2, 1);
    if (unit >= units) return;
    const i0 = unit * mc;
    const rows = Math.min(mc, m - i0);
    if (kind === 1) {
      const mPanels = Math.ceil(rows / mr), nPanels = Math.ceil(n / nr);
      for (let pc = 0; pc < k; pc += kcMax) {
        const kc = Math.min(kcMax, k - pc);
        ex.packA(a + (i0 * k + pc) * 4, k * 4, rows, kc, scratch, mPanels);
        ex.gemm(kc, scratch, b + pc * nr * 4, k * nr * 4, c + i0 * ldc * 4, ldc * 4, mPanels, nPanels, pc > 0 ? 1 : 0);
      }
    } else {
      const ldb = ctrl[19];
      ex.sparse(a + i0 * k * 4, k * 4, rows, k, b, ldb * 4, c + i0 * ldc * 4, ldc * 4, ldc / 4, scratch);
    }
    Atomics.store(flags, unit, 1);
    Atomics.add(ctrl, 3, 1);
    afterUnit?.();
  }
}

/** Blocking of the dense path. */
export interface Blocking {
  /** Rows of `a` per unit of work (the L2 block). */
  mc: number;
  /** Depth of one slice of the contraction. */
  kc: number;
}

/** The wasm side of one thread: its memory view and kernels. */
export interface MatmulEngine {
  readonly tile: TileShape;
  readonly blocking: Blocking;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly exports: MatmulExports;
  /** Worker pool sharing `memory`, when threads are available. */
  pool: WorkerPool | null;
}

const PAGE = 65536;
/** Upper bound of the memory; bigger products are done in row chunks. */
export const MAX_MEMORY_BYTES = 1 << 30;

function supportsRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(
      matmulModuleBytes({ mr: 1, nr: 4, fma: true }, { initial: 1, maximum: 1, shared: false }),
    );
  } catch {
    return false;
  }
}

function supportsSharedMemory(): boolean {
  try {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer !== "undefined" && mem.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * Compiles the kernels for `tile` and creates their memory (shared when the
 * platform allows it, so that workers can join).
 *
 * @example
 * ```ts
 * const engine = createMatmulEngine({ mr: 4, nr: 8, fma: false });
 * engine.exports.gemm; // the micro-kernel driver
 * ```
 */
export function createMatmulEngine(
  tile?: TileShape,
  blocking: Blocking = { mc: 96, kc: 384 },
): MatmulEngine {
  const fma = supportsRelaxedSimd();
  const chosen = tile ?? (fma ? { mr: 6, nr: 8, fma: true } : { mr: 4, nr: 8, fma: false });
  const shared = supportsSharedMemory();
  const limits = { initial: 2, maximum: MAX_MEMORY_BYTES / PAGE, shared };
  const memory = new WebAssembly.Memory(limits);
  const module = new WebAssembly.Module(matmulModuleBytes(chosen, limits));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return {
    tile: chosen,
    blocking,
    memory,
    module,
    exports: instance.exports as unknown as MatmulExports,
    pool: null,
  };
}

function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}

function ensureBytes(engine: MatmulEngine, bytes: number): void {
  const have = engine.memory.buffer.byteLength;
  if (bytes > have) engine.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Threads that may join a call: scratch is reserved for each. */
function threadCount(engine: MatmulEngine): number {
  return 1 + (engine.pool?.size ?? 0);
}

/**
 * Runs the job in the control block on this thread and any ready workers,
 * handing every finished unit to `copyOut` (on this thread) as soon as it
 * is done: the first writes into a fresh output array fault its pages in,
 * which on some virtual machines costs as much as the arithmetic, so it is
 * overlapped with the workers' units.
 */
function runJob(engine: MatmulEngine, ctrl: Int32Array, parallel: boolean, copyOut: (unit: number) => void): void {
  const units = ctrl[Ctrl.units];
  const flags = new Int32Array(ctrl.buffer, ctrl[Ctrl.flags], units);
  flags.fill(0);
  ctrl[Ctrl.next] = 0;
  ctrl[Ctrl.done] = 0;
  ctrl[Ctrl.error] = 0;
  const pool = engine.pool;
  const joined = pool && parallel && units > 1 ? pool.post(ctrl) : null;
  let copied = 0, scan = 0;
  const copyFinished = () => {
    for (let u = scan; u < units; u++) {
      if (Atomics.load(flags, u) === 1) {
        flags[u] = 2;
        copyOut(u);
        copied++;
      }
    }
    while (scan < units && flags[scan] === 2) scan++;
  };
  runMatmulUnits(engine.exports, ctrl, 0, copyFinished);
  while (copied < units && ctrl[Ctrl.error] === 0) {
    const done = Atomics.load(ctrl, Ctrl.done);
    copyFinished();
    if (copied < units && Atomics.load(ctrl, Ctrl.done) === done) Atomics.wait(ctrl, Ctrl.done, done, 5);
  }
  if (joined) pool!.waitFor(ctrl, joined);
  if (ctrl[Ctrl.error] !== 0 || copied !== units) {
    throw new Error(`matmul: a worker thread failed (${ctrl[Ctrl.done]} of ${units} units done)`);
  }
}

/**
 * `out[m, n] = a[m, k] @ b[k, n]` (row-major views at the given offsets) on
 * the engine, dense (`sparse = false`) or skipping the zeros of `a`, on
 * the engine's workers too when `parallel`. `k` must be at least 1.
 *
 * @example
 * ```ts
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
): void {
  const { mr, nr } = engine.tile;
  const threads = threadCount(engine);
  const { mc, kc } = engine.blocking;
  const ldc = sparse ? Math.ceil(n / 4) * 4 : Math.ceil(n / nr) * nr;
  const bBytes = sparse ? align64(k * ldc * 4) : align64(k * n * 4) + align64(k * ldc * 4);
  const scratchStride = align64(sparse ? 8 * k : mc * kc * 4);
  const fixed = Ctrl.bytes + bBytes + threads * scratchStride;
  const perRow = (k + ldc) * 4;
  if (fixed + perRow * Math.min(m, mc) > MAX_MEMORY_BYTES) {
    throw new RangeError(`matmul: operands [${m},${k}] @ [${k},${n}] exceed the wasm kernel's memory`);
  }
  // Rows per chunk: everything that fits, in whole units.
  const fitRows = Math.floor((MAX_MEMORY_BYTES - fixed) / perRow);
  const chunkRows = Math.min(m, Math.max(mc, Math.floor(fitRows / mc) * mc));
  const bAt = Ctrl.bytes;
  const scratchAt = bAt + bBytes;
  const aAt = align64(scratchAt + threads * scratchStride);
  const cAt = align64(aAt + chunkRows * k * 4);
  const flagsAt = align64(cAt + Math.ceil(chunkRows / mr) * mr * ldc * 4);
  ensureBytes(engine, flagsAt + 4 * (Math.ceil(chunkRows / 16) + 16));

  let heap = new Float32Array(engine.memory.buffer);
  if (sparse) {
    if (ldc === n) heap.set(b.subarray(bOff, bOff + k * n), bAt / 4);
    else {
      for (let p = 0; p < k; p++) {
        heap.set(b.subarray(bOff + p * n, bOff + p * n + n), bAt / 4 + p * ldc);
        heap.fill(0, bAt / 4 + p * ldc + n, bAt / 4 + (p + 1) * ldc);
      }
    }
  } else {
    const rawAt = bAt + align64(k * ldc * 4);
    heap.set(b.subarray(bOff, bOff + k * n), rawAt / 4);
    engine.exports.packB(rawAt, n * 4, n, k, bAt, ldc / nr);
  }

  const ctrl = new Int32Array(engine.memory.buffer, 0, Ctrl.bytes / 4);
  ctrl[Ctrl.kind] = sparse ? 2 : 1;
  ctrl[Ctrl.k] = k;
  ctrl[Ctrl.n] = n;
  ctrl[Ctrl.ldc] = ldc;
  ctrl[Ctrl.ldb] = ldc;
  ctrl[Ctrl.a] = aAt;
  ctrl[Ctrl.b] = bAt;
  ctrl[Ctrl.c] = cAt;
  ctrl[Ctrl.scratch] = scratchAt;
  ctrl[Ctrl.scratchStride] = scratchStride;
  ctrl[Ctrl.flags] = flagsAt;
  // Equal slices: a thin last slice would run the micro-kernel at a poor load-to-flop ratio.
  ctrl[Ctrl.kc] = Math.ceil(k / Math.ceil(k / kc));
  ctrl[Ctrl.mr] = mr;
  ctrl[Ctrl.nr] = nr;
  const unitRows = sparse ? Math.max(16, Math.ceil(Math.min(chunkRows, m) / (8 * threads))) : mc;
  ctrl[Ctrl.mc] = unitRows;
  for (let r0 = 0; r0 < m; r0 += chunkRows) {
    const rows = Math.min(chunkRows, m - r0);
    heap = new Float32Array(engine.memory.buffer);
    heap.set(a.subarray(aOff + r0 * k, aOff + (r0 + rows) * k), aAt / 4);
    ctrl[Ctrl.m] = rows;
    ctrl[Ctrl.units] = Math.ceil(rows / unitRows);
    const c0 = cAt / 4;
    runJob(engine, ctrl, parallel, (unit) => {
      const i0 = unit * unitRows, i1 = Math.min(rows, i0 + unitRows);
      if (ldc === n) out.set(heap.subarray(c0 + i0 * n, c0 + i1 * n), outOff + (r0 + i0) * n);
      else {
        for (let i = i0; i < i1; i++) {
          out.set(heap.subarray(c0 + i * ldc, c0 + i * ldc + n), outOff + (r0 + i) * n);
        }
      }
    });
  }
}
