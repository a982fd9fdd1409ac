/**
 * A forced, synchronous full garbage collection under both test runners,
 * without command-line flags: Bun has `Bun.gc(true)`; under Deno, V8's
 * `gc` function is exposed to a fresh context once the flag is set.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Returns a function that runs a full garbage collection. */
export function forcedGc(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Waits for the next macrotask: objects that a `WeakRef` was created for or
 * read in the current job stay alive until that job ends.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
