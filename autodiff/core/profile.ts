/**
 * Where a program's time goes, by phase: with profiling on, `bind` times
 * every kernel call under its primitive's name, and kernels time their own
 * phases (a matrix product's operand copies, packing and arithmetic) under
 * names of their own. The benchmark's phase report (`bench/phases.ts`)
 * reads these totals at 1 and more threads to tell which phases do not
 * scale.
 *
 * @module
 */

const totals = new Map<string, { ms: number; calls: number }>();
let on = false;

/**
 * Turns profiling on or off (off by default: the timers cost a few
 * hundred nanoseconds per kernel call) and clears the totals.
 *
 * @example
 * ```ts
 * profileKernels(true);
 * // ... run a training step ...
 * phaseTimes(); // { matmul: { ms: 12.3, calls: 3 }, ... }
 * ```
 */
export function profileKernels(enabled: boolean): void {
  on = enabled;
  totals.clear();
}

/** Whether profiling is on. */
export function profiling(): boolean {
  return on;
}

/**
 * Adds `ms` to the total of `phase`.
 *
 * @example
 * ```ts
 * addPhaseTime("matmul: copy in", 1.5);
 * ```
 */
export function addPhaseTime(phase: string, ms: number): void {
  const t = totals.get(phase);
  if (t) {
    t.ms += ms;
    t.calls++;
  } else totals.set(phase, { ms, calls: 1 });
}

/**
 * Runs `fn`, adding its time to `phase` when profiling is on.
 *
 * @example
 * ```ts
 * const y = timePhase("my phase", () => 1 + 1);
 * ```
 */
export function timePhase<R>(phase: string, fn: () => R): R {
  if (!on) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    addPhaseTime(phase, performance.now() - t0);
  }
}

/**
 * The totals since profiling was turned on, by phase.
 *
 * @example
 * ```ts
 * Object.keys(phaseTimes()); // the phases seen so far
 * ```
 */
export function phaseTimes(): Record<string, { ms: number; calls: number }> {
  return Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }]));
}
