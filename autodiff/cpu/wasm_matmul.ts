/**
 * The float32 matrix product on WebAssembly SIMD, optionally spread over
 * worker threads that share the kernels' memory.
 *
 * This file holds the engine (kernels, memory, worker pool) and the job
 * protocol: a job's fields sit in a control block at the start of the
 * memory, its rows are cut into units of `MC` rows, and the calling thread
 * and any ready workers claim units from a shared counter (so a worker that
 * is slow to wake only means the caller does more units). Per unit and per
 * `KC`-deep slice of the contraction, the unit's rows are packed into that
 * thread's scratch (an `MC x KC` block sized for L2) and the micro-kernel
 * sweeps it against every panel of `b`. How one product is copied in,
 * chunked and copied out is `wasm_matmul_product.ts`.
 *
 * @module
 */
import { matmulModuleBytes, type TileShape } from "./wasm_matmul_codegen.ts";
import type { WorkerPool } from "./matmul_threads.ts";
import { addPhaseTime, profiling } from "../core/profile.ts";

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
  /** 1: add the product to the result already in memory (a later contraction chunk). */
  accumulate: 21,
  /** Tag of the job whose units `next` hands out (`next` holds `tag << 16 | unit`). */
  job: 22,
  /** Number of the current worker pool (see `matmul_threads.ts`). */
  epoch: 23,
  /** Bytes between the threads' partial results of the transposed sparse product. */
  partialStride: 24,
  /** Dense path: 0, or the leading dimension of `a` stored transposed (`[k, m]`, packed by `packAT`). */
  ldaT: 25,
  /** Units whose operands are in memory: the caller copies them in while the workers start on the first. */
  inputsReady: 26,
  ready: 32,
  ack: 64,
  /** Bytes reserved for the control block. */
  bytes: 4096,
} as const;

/**
 * `(a, ldaBytes, rows, len, b, ldbBytes, c, ldcBytes, nVec, scratch)`: the
 * signature both sparse kernels share (see `wasm_matmul_codegen.ts`).
 */
export type SparseKernel = (
  a: number,
  ldaBytes: number,
  rows: number,
  len: number,
  b: number,
  ldbBytes: number,
  c: number,
  ldcBytes: number,
  nVec: number,
  scratch: number,
) => void;

/** The kernels exported by the generated module. */
export interface MatmulExports {
  packA(src: number, ldaBytes: number, rows: number, kc: number, dst: number, panels: number): void;
  packAT(src: number, ldaBytes: number, rows: number, kc: number, dst: number, panels: number): void;
  packB(src: number, ldbBytes: number, cols: number, k: number, dst: number, panels: number): void;
  addInto(dst: number, src: number, vecs: number): void;
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
  sparse: SparseKernel;
  sparseT: SparseKernel;
}

/**
 * Runs units of the job described in the control block until none is left,
 * marking each finished unit in the job's flag array and then calling
 * `afterUnit` (the caller uses it to copy finished rows out while the
 * workers compute). Shared verbatim with the workers (its source text is
 * sent to them), so it must not refer to anything outside itself.
 */
export function runMatmulUnits(ex: MatmulExports, ctrl: Int32Array, thread: number, afterUnit?: () => void): void {
  // The tag first: a thread that wakes late, while the next job is being set up, may read a mix of two jobs'
  // fields, but then the tag in `next` no longer matches and it claims nothing.
  const tag = Atomics.load(ctrl, 22);
  const kind = ctrl[1], units = ctrl[4], m = ctrl[5], k = ctrl[6], n = ctrl[7], ldc = ctrl[8];
  const a = ctrl[9], b = ctrl[10], c = ctrl[11], mc = ctrl[14], kcMax = ctrl[15], mr = ctrl[16], nr = ctrl[17];
  const scratch = ctrl[12] + thread * ctrl[13], base = ctrl[21] === 1, ldaT = ctrl[25];
  const flags = new Int32Array(ctrl.buffer, ctrl[20], units);
  for (;;) {
    const word = Atomics.load(ctrl, 2);
    if (word >>> 16 !== tag || (word & 0xffff) >= units) return;
    if (Atomics.compareExchange(ctrl, 2, word, word + 1) !== word) continue;
    const unit = word & 0xffff;
    // The caller may still be copying this unit's operands in (ctrl[26]); it sets ctrl[18] if it gave up.
    for (let ready; (ready = Atomics.load(ctrl, 26)) <= unit;) {
      if (Atomics.load(ctrl, 18) !== 0) return;
      Atomics.wait(ctrl, 26, ready, 10);
    }
    const i0 = unit * mc;
    const rows = Math.min(mc, m - i0);
    if (kind === 1) {
      const mPanels = Math.ceil(rows / mr), nPanels = Math.ceil(n / nr);
      for (let pc = 0; pc < k; pc += kcMax) {
        const kc = Math.min(kcMax, k - pc);
        if (ldaT === 0) ex.packA(a + (i0 * k + pc) * 4, k * 4, rows, kc, scratch, mPanels);
        else ex.packAT(a + (pc * ldaT + i0) * 4, ldaT * 4, rows, kc, scratch, mPanels);
        ex.gemm(
          kc,
          scratch,
          b + pc * nr * 4,
          k * nr * 4,
          c + i0 * ldc * 4,
          ldc * 4,
          mPanels,
          nPanels,
          pc > 0 || base ? 1 : 0,
        );
      }
    } else if (kind === 2) {
      const ldb = ctrl[19];
      ex.sparse(a + i0 * k * 4, k * 4, rows, k, b, ldb * 4, c + i0 * ldc * 4, ldc * 4, ldc / 4, scratch);
    } else {
      // Rows of `a` here are contraction indices; each unit scatters into its own partial result.
      const ldb = ctrl[19];
      ex.sparseT(
        a + i0 * k * 4,
        k * 4,
        rows,
        k,
        b + i0 * ldb * 4,
        ldb * 4,
        c + unit * ctrl[24],
        ldc * 4,
        ldc / 4,
        scratch,
      );
    }
    Atomics.store(flags, unit, 1);
    Atomics.add(ctrl, 3, 1);
    // The caller may be asleep waiting for this unit (to copy it out, or to return).
    Atomics.notify(ctrl, 3);
    afterUnit?.();
  }
}

/** Units one job may have (`next` keeps the unit in its low 16 bits). */
export const MAX_UNITS = 0xffff;
/** A `next` that no job's tag matches: set before the fields of a new job are written. */
export const NO_JOB = 0x7fffffff;

/** Blocking of the dense path. */
export interface Blocking {
  /** Rows of `a` per unit of work (the L2 block). */
  mc: number;
  /** Depth of one slice of the contraction. */
  kc: number;
  /**
   * Bytes of one contraction chunk of packed `b` and of one chunk of `a`:
   * bounds the kernels' memory (16 MiB by default).
   */
  chunkBytes: number;
  /**
   * Bytes of the result kept in memory while the contraction chunks add
   * into it (default four chunks): every row chunk of the result copies and
   * packs all of `b` once more, a serial step that grows with the number
   * of threads, so the result gets the larger budget.
   */
  resultBytes?: number;
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
  blocking: Blocking = { mc: 96, kc: 384, chunkBytes: 16 << 20 },
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

/** `x` rounded up to a multiple of 64 (a cache line). */
export function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}

/** Grows the engine's memory to at least `bytes`. */
export function ensureBytes(engine: MatmulEngine, bytes: number): void {
  const have = engine.memory.buffer.byteLength;
  if (bytes > have) engine.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Threads that may join a call: scratch is reserved for each. */
export function threadCount(engine: MatmulEngine): number {
  return 1 + (engine.pool?.size ?? 0);
}

/**
 * Runs the job in the control block on this thread and any ready workers,
 * handing every finished unit to `copyOut` (on this thread) as soon as it
 * is done: the first writes into a fresh output array fault its pages in,
 * which on some virtual machines costs as much as the arithmetic, so it is
 * overlapped with the workers' units. With `loadUnit`, the job is posted
 * before its operands are in memory: this thread copies them in unit by
 * unit while the workers start on the units already copied, so the copy is
 * no longer a serial phase. The caller must have stored `NO_JOB` in `next`
 * before writing the job's fields.
 */
export function runJob(
  engine: MatmulEngine,
  ctrl: Int32Array,
  parallel: boolean,
  copyOut: ((unit: number) => void) | null,
  loadUnit: ((unit: number) => void) | null = null,
): void {
  const units = ctrl[Ctrl.units];
  const flags = new Int32Array(ctrl.buffer, ctrl[Ctrl.flags], units);
  flags.fill(0);
  ctrl[Ctrl.done] = 0;
  ctrl[Ctrl.error] = 0;
  Atomics.store(ctrl, Ctrl.inputsReady, loadUnit ? 0 : units);
  // Tags cycle below 0x7fff, which NO_JOB keeps for itself.
  const tag = (ctrl[Ctrl.job] + 1) % 0x7fff;
  Atomics.store(ctrl, Ctrl.job, tag);
  Atomics.store(ctrl, Ctrl.next, tag << 16);
  const pool = engine.pool;
  const joined = pool && parallel && units > 1 ? pool.post(ctrl) : null;
  const profile = profiling();
  let t0 = profile ? performance.now() : 0;
  if (loadUnit) {
    try {
      for (let u = 0; u < units; u++) {
        loadUnit(u);
        Atomics.store(ctrl, Ctrl.inputsReady, u + 1);
        if (joined) Atomics.notify(ctrl, Ctrl.inputsReady);
      }
    } catch (e) {
      // Release the workers waiting on operands that will not come, and let them finish before the next job.
      Atomics.store(ctrl, Ctrl.error, 1);
      Atomics.store(ctrl, Ctrl.inputsReady, units);
      Atomics.notify(ctrl, Ctrl.inputsReady);
      if (joined) pool!.waitFor(ctrl, joined);
      throw e;
    }
  }
  if (profile) {
    addPhaseTime("matmul: copy in a", performance.now() - t0);
    t0 = performance.now();
  }
  let copied = 0, scan = 0, copyMs = 0;
  const copyFinished = () => {
    const c0 = profile ? performance.now() : 0;
    for (let u = scan; u < units; u++) {
      if (Atomics.load(flags, u) === 1) {
        flags[u] = 2;
        copyOut?.(u);
        copied++;
      }
    }
    while (scan < units && flags[scan] === 2) scan++;
    if (profile) copyMs += performance.now() - c0;
  };
  runMatmulUnits(engine.exports, ctrl, 0, copyFinished);
  while (copied < units && ctrl[Ctrl.error] === 0) {
    const done = Atomics.load(ctrl, Ctrl.done);
    copyFinished();
    if (copied < units && Atomics.load(ctrl, Ctrl.done) === done) Atomics.wait(ctrl, Ctrl.done, done, 5);
  }
  if (joined) pool!.waitFor(ctrl, joined);
  if (profile) {
    addPhaseTime("matmul: copy out", copyMs);
    addPhaseTime("matmul: units and waits", performance.now() - t0 - copyMs);
  }
  if (ctrl[Ctrl.error] !== 0 || copied !== units) {
    throw new Error(`matmul: a worker thread failed (${ctrl[Ctrl.done]} of ${units} units done)`);
  }
}
