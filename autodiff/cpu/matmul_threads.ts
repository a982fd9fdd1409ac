/**
 * Worker threads for the wasm matrix product.
 *
 * Each worker instantiates the same kernel module over the same shared
 * memory and sleeps in `Atomics.wait` on the job generation word of the
 * control block. The caller posts a job by bumping that word; every worker
 * that had announced itself ready is then expected to acknowledge the
 * generation once it has run out of units, and the caller returns only after
 * those acknowledgements, so no worker can touch a job's memory after
 * its call has returned. A worker that starts late never blocks a call: it
 * simply joins the next one.
 *
 * Workers come from `node:worker_threads` (Deno, Bun and Node all provide
 * it through `process.getBuiltinModule`), are `unref`'d so that they never
 * keep a process alive, and are only started for products big enough to
 * repay a wake-up.
 *
 * @module
 */
import { Ctrl, type MatmulEngine, type MatmulExports, runMatmulUnits } from "./wasm_matmul.ts";

/** The caller's side of the workers sharing one engine's memory. */
export interface WorkerPool {
  /** Number of workers started (ready or not). */
  readonly size: number;
  /** Workers that have announced themselves ready. */
  readyCount(): number;
  /** Wakes the workers for the job in `ctrl`; returns the generation and the workers expected to join. */
  post(ctrl: Int32Array): PostedJob;
  /** Blocks until every expected worker has finished with the job. */
  waitFor(ctrl: Int32Array, job: PostedJob): void;
  /** Stops the workers. */
  terminate(): void;
}

/** A job posted to the pool: its generation and the workers that will acknowledge it. */
export interface PostedJob {
  gen: number;
  workers: number[];
}

interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  index: number;
  /** The pool's number in `Ctrl.epoch`: a worker of an older pool must not run (it shares this index's scratch). */
  epoch: number;
}

interface WorkerHandle {
  unref(): void;
  terminate(): unknown;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
}

interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: WorkerData }) => WorkerHandle;
}

/** Body of a worker; like `runMatmulUnits` its source text is what runs there. */
function workerMain(run: typeof runMatmulUnits): void {
  // deno-lint-ignore no-explicit-any
  const data = (globalThis as any).process.getBuiltinModule("node:worker_threads").workerData as WorkerData;
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const ex = instance.exports as unknown as MatmulExports;
  const ctrl = new Int32Array(data.memory.buffer, 0, 1024);
  const t = data.index;
  // Ready before reading the generation: see the protocol in the module docs.
  Atomics.store(ctrl, 32 + t, 1);
  let seen = Atomics.load(ctrl, 0);
  Atomics.store(ctrl, 64 + t, seen);
  Atomics.notify(ctrl, 64 + t);
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    // A terminated pool's worker may still be waiting here when a new pool reuses its index.
    if (Atomics.load(ctrl, 23) !== data.epoch) return;
    try {
      // A fresh view: the memory may have grown since the last job.
      run(ex, new Int32Array(data.memory.buffer, 0, 1024), t);
    } catch {
      Atomics.store(ctrl, 18, 1);
    }
    Atomics.store(ctrl, 64 + t, seen);
    Atomics.notify(ctrl, 64 + t);
  }
}

function workerThreads(): WorkerThreadsModule | null {
  try {
    // deno-lint-ignore no-explicit-any
    const proc = (globalThis as any).process;
    return proc?.getBuiltinModule?.("node:worker_threads") ?? null;
  } catch {
    return null;
  }
}

/**
 * Starts `workers` workers over the engine's shared memory, or returns null
 * when the platform has no shared wasm memory or no worker threads.
 *
 * @example
 * ```ts
 * import { createMatmulEngine } from "./wasm_matmul.ts";
 * const engine = createMatmulEngine();
 * const pool = startWorkerPool(engine, 1);
 * pool?.terminate();
 * ```
 */
export function startWorkerPool(engine: MatmulEngine, workers: number): WorkerPool | null {
  const wt = workerThreads();
  if (!wt || workers < 1 || !(engine.memory.buffer instanceof SharedArrayBuffer)) return null;
  if (workers > Ctrl.ack - Ctrl.ready - 1) throw new RangeError(`startWorkerPool: at most 31 workers, got ${workers}`);
  const source = `(${workerMain.toString()})(${runMatmulUnits.toString()});`;
  const handles: WorkerHandle[] = [];
  const ctrl = new Int32Array(engine.memory.buffer, 0, Ctrl.bytes / 4);
  const epoch = Atomics.add(ctrl, Ctrl.epoch, 1) + 1;
  try {
    for (let t = 1; t <= workers; t++) {
      const w = new wt.Worker(source, {
        eval: true,
        workerData: { module: engine.module, memory: engine.memory, index: t, epoch },
      });
      // A worker that dies is simply never counted as ready again.
      w.on?.("error", () => Atomics.store(ctrl, Ctrl.ready + t, 0));
      w.unref();
      handles.push(w);
    }
  } catch {
    for (const w of handles) w.terminate();
    return null;
  }
  return {
    size: handles.length,
    readyCount() {
      let n = 0;
      for (let t = 1; t <= handles.length; t++) n += Atomics.load(ctrl, Ctrl.ready + t);
      return n;
    },
    post(c) {
      const gen = Atomics.add(c, Ctrl.gen, 1) + 1;
      Atomics.notify(c, Ctrl.gen);
      const expected: number[] = [];
      for (let t = 1; t <= handles.length; t++) if (Atomics.load(c, Ctrl.ready + t) === 1) expected.push(t);
      return { gen, workers: expected };
    },
    waitFor(c, job) {
      for (const t of job.workers) {
        for (;;) {
          const seen = Atomics.load(c, Ctrl.ack + t);
          if (seen === job.gen) break;
          Atomics.wait(c, Ctrl.ack + t, seen, 100);
        }
      }
    },
    terminate() {
      Atomics.add(ctrl, Ctrl.epoch, 1);
      for (let t = 1; t <= handles.length; t++) Atomics.store(ctrl, Ctrl.ready + t, 0);
      for (const w of handles) w.terminate();
    },
  };
}
