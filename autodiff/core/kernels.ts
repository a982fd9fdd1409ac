/**
 * The kernel registry: one implementation per (primitive, backend). The
 * CPU backend registers a kernel for every primitive (`autodiff/cpu/
 * kernels.ts`); another backend registers what it has. A primitive with a
 * composition runs as that composition where its backend has no kernel,
 * and the fallback is counted ({@link kernelFallbacks}) and, with the
 * environment variable `SPYX_DEBUG` set, logged once per primitive and
 * backend, so that a slower path is never invisible.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../backend.ts";
import { envVar } from "../env.ts";
import type { Aval, Primitive } from "./primitive.ts";

/**
 * A backend's implementation of a primitive: reads its operands' storage
 * and returns the storage of each output (shapes and dtypes given).
 */
export type Kernel<P = unknown> = (
  inputs: readonly KernelTensor[],
  params: P,
  outputs: readonly Aval[],
) => DataHandle[];

/** Kernels by primitive name, then backend name. Keyed by name, so that a backend registers without importing the ops. */
const table = new Map<string, Map<string, Kernel<never>>>();

/**
 * Registers `kernel` as the implementation of the primitive named `prim`
 * (or given as its declaration) on the backend named `backend`, replacing
 * any earlier one.
 *
 * @example
 * ```ts
 * import { registerKernel } from "./kernels.ts";
 * // The CPU's exp, as another backend would register its own (handles are typed arrays here).
 * registerKernel<null>("exp", "host-copy", ([x]) => [(x.handle as Float32Array).map(Math.exp)]);
 * ```
 */
export function registerKernel<P>(prim: Primitive<P> | string, backend: string, kernel: Kernel<P>): void {
  const name = typeof prim === "string" ? prim : prim.name;
  let byBackend = table.get(name);
  if (byBackend === undefined) table.set(name, byBackend = new Map());
  byBackend.set(backend, kernel as Kernel<never>);
}

/**
 * The kernel of `prim` on `backend`, if one is registered.
 *
 * @example
 * ```ts
 * import { findKernel } from "./kernels.ts";
 * import { EXP } from "../ops/unary.ts";
 * findKernel(EXP, "cpu") !== undefined; // true once the CPU backend is loaded
 * ```
 */
export function findKernel<P>(prim: Primitive<P>, backend: string): Kernel<P> | undefined {
  return table.get(prim.name)?.get(backend) as Kernel<P> | undefined;
}

const fallbacks = new Map<string, number>();
const logged = new Set<string>();

function debugEnabled(): boolean {
  const v = envVar("SPYX_DEBUG");
  return v !== undefined && v !== "0";
}

/** Counts (and with `SPYX_DEBUG`, logs once) a run of `prim`'s composition on a backend without its kernel. */
export function noteFallback(prim: Primitive<unknown>, backend: string): void {
  const key = `${prim.name}@${backend}`;
  fallbacks.set(key, (fallbacks.get(key) ?? 0) + 1);
  if (!logged.has(key) && debugEnabled()) {
    logged.add(key);
    console.warn(`spyx: no "${prim.name}" kernel on backend "${backend}"; running its composition of other primitives`);
  }
}

/**
 * How often each primitive ran as its composition because its backend had
 * no kernel, keyed `"<primitive>@<backend>"`; with `reset`, the counts
 * start again from zero.
 *
 * @example
 * ```ts
 * import { kernelFallbacks } from "../../mod.ts";
 * kernelFallbacks(); // {} when every kernel ran natively
 * ```
 */
export function kernelFallbacks(reset = false): Record<string, number> {
  const out = Object.fromEntries(fallbacks);
  if (reset) fallbacks.clear();
  return out;
}
