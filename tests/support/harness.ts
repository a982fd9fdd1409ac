/**
 * The test harness: every test file takes `describe` and `test` from here,
 * so that the whole suite runs against the backend named by the
 * environment variable `SPYX_BACKEND` (default `"cpu"`). The backend is
 * initialised and selected before any test runs; new tensors then live on
 * it, and the tests' own assertions read them back.
 *
 * A test that needs what the backend lacks (float64 on a GPU) is skipped
 * by rule: the error the backend throws for an unsupported dtype marks the
 * test skipped, with the reason, instead of failed. On the CPU nothing is
 * skipped.
 *
 *   SPYX_BACKEND=webgpu deno test -A tests/
 *
 * @module
 */
import process from "node:process";
import * as nodeTest from "node:test";
import { getBackend, setBackend } from "../../mod.ts";

/** How to make each backend available (the CPU is always there). */
const INITIALIZERS: Record<string, () => Promise<unknown>> = {
  cpu: () => Promise.resolve(),
  webgpu: async () => {
    const gpu = "../../gpu/mod.ts";
    const { closeWebGPU, initWebGPU } = await import(gpu);
    await initWebGPU();
    // `deno test` ends each file's runtime without `beforeExit`: the device
    // worker must be gone before then (see closeWebGPU).
    nodeTest.after(closeWebGPU);
  },
};

/** The backend the suite runs on. */
export const BACKEND: string = process.env.SPYX_BACKEND || "cpu";

const init = INITIALIZERS[BACKEND];
if (init === undefined) {
  throw new Error(`SPYX_BACKEND=${BACKEND}: unknown backend; known: ${Object.keys(INITIALIZERS).join(", ")}`);
}
await init();
setBackend(BACKEND);

/** The message of the errors a backend throws for a dtype it does not support (see `gpu/`). */
const UNSUPPORTED_DTYPE = /does not support (the )?dtype/;

type Fn = (t: nodeTest.TestContext) => void | Promise<void>;

/**
 * The message of the unsupported-dtype error `e` is or wraps, else null.
 * fast-check reports a failing property with its own message and the
 * property's error as `cause`, so the causes are followed.
 */
function unsupportedDType(e: unknown): string | null {
  for (let err = e, depth = 0; err instanceof Error && depth < 8; err = err.cause, depth++) {
    if (UNSUPPORTED_DTYPE.test(err.message)) return err.message;
  }
  return null;
}

function guarded(fn: Fn): Fn {
  if (getBackend().name === "cpu") return fn;
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const reason = unsupportedDType(e);
      if (reason !== null) {
        t.skip(`${BACKEND}: ${reason}`);
        return;
      }
      throw e;
    }
  };
}

/**
 * `node:test`'s `test`, run on the harness's backend (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { np } from "../../mod.ts";
 * test("adds", () => assert.equal(np.add(1, 2).item(), 3));
 * ```
 */
export function test(name: string, optionsOrFn: nodeTest.TestOptions | Fn, maybeFn?: Fn): void {
  if (typeof optionsOrFn === "function") nodeTest.test(name, guarded(optionsOrFn));
  else nodeTest.test(name, optionsOrFn, guarded(maybeFn!));
}

type SuiteFn = () => void;

/**
 * `node:test`'s `describe`; a suite whose set-up (the callback's own body)
 * needs a dtype the backend lacks is skipped by the same rule as a test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { np } from "../../mod.ts";
 * describe("addition", () => {
 *   const x = np.array([1, 2]);
 *   test("doubles", () => assert.deepEqual(np.add(x, x).toArray(), [2, 4]));
 * });
 * ```
 */
export function describe(name: string, optionsOrFn: nodeTest.TestOptions | SuiteFn, maybeFn?: SuiteFn): void {
  const [options, fn] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, maybeFn!];
  nodeTest.describe(name, options, () => {
    try {
      fn();
    } catch (e) {
      const reason = getBackend().name === "cpu" ? null : unsupportedDType(e);
      if (reason === null) throw e;
      nodeTest.test("set-up", { skip: `${BACKEND}: ${reason}` }, () => {});
    }
  });
}
