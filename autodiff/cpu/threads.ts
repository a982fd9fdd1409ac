/**
 * How many threads the CPU backend's kernels use (SPEC §11): every core the
 * runtime reports by default, `SPYX_THREADS` in the environment at start,
 * or `setNumThreads(n)` at any time. The matrix products and the
 * whole-sequence cell kernels split their work over this many threads (the
 * caller and `n - 1` workers).
 *
 * @module
 */
import { envVar } from "../env.ts";

/** The most threads a pool can have: its control block has 32 slots, the caller's included. */
export const MAX_THREADS = 32;

function hardwareThreads(): number {
  const hw = typeof navigator !== "undefined" ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(MAX_THREADS, hw || 1));
}

function fromEnvironment(): number {
  const v = envVar("SPYX_THREADS");
  if (v === undefined) return hardwareThreads();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`SPYX_THREADS must be an integer in [1, ${MAX_THREADS}], got ${JSON.stringify(v)}`);
  }
  return n;
}

let threads = fromEnvironment();
const listeners: ((n: number) => void)[] = [];

/**
 * Sets how many threads (the caller included) the CPU kernels may use and
 * returns the previous setting; `1` runs everything on the calling thread.
 *
 * @example
 * ```ts
 * import { setNumThreads } from "../../mod.ts";
 * const before = setNumThreads(2);
 * setNumThreads(before);
 * ```
 */
export function setNumThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setNumThreads: n must be an integer in [1, ${MAX_THREADS}], got ${String(n)}`);
  }
  const before = threads;
  threads = n;
  if (n !== before) { for (const f of listeners) f(n); }
  return before;
}

/**
 * How many threads the CPU kernels may use now.
 *
 * @example
 * ```ts
 * import { getNumThreads } from "../../mod.ts";
 * getNumThreads() >= 1; // true
 * ```
 */
export function getNumThreads(): number {
  return threads;
}

/**
 * Calls `f` with the new count whenever the setting changes (how a kernel
 * resizes its worker pool).
 *
 * @example
 * ```ts
 * onThreadsChange((n) => console.log(`now ${n} threads`));
 * ```
 */
export function onThreadsChange(f: (n: number) => void): void {
  listeners.push(f);
}
