/**
 * Moving tensors between backends and releasing their storage early:
 * `devicePut` (as `jax.device_put`) and `tidy` (as TensorFlow.js's), over
 * any backend. On the CPU storage is plain garbage-collected memory; on a
 * GPU a tensor holds a device buffer, which the garbage collector releases
 * eventually and `tidy` or `t.dispose()` release at once.
 *
 * @module
 */
import { type Backend, findBackend } from "./backend.ts";
import { adoptIntoEnclosingScope, isTensor, Tensor, trackCreatedTensors } from "./tensor.ts";
import { flatten, type PyTree } from "./tree.ts";

function backendNamed(op: string, name: string): Backend {
  const b = findBackend(name);
  if (b === undefined) throw new Error(`${op}: no backend named ${JSON.stringify(name)} (is it initialised?)`);
  return b;
}

/**
 * A copy of `t` on the backend named `name` (`t` itself when it is there
 * already), as `jax.device_put`. Copying from a device reads it back, so
 * from a GPU under Deno it waits for the device; where reads cannot wait,
 * `await t.data()` first and build the tensor from the values.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.array([1, 2]);
 * devicePut(x, "cpu") === x; // true: already there
 * ```
 */
export function devicePut(t: Tensor, name: string): Tensor {
  if (!isTensor(t)) throw new TypeError(`devicePut: expected a Tensor, got ${typeof t}`);
  const target = backendNamed("devicePut", name);
  if (t.backend === target) return t;
  const values = t.backend.readSync(t).slice();
  return new Tensor(target.upload(values, t.dtype), t.shape, t.dtype, target);
}

/**
 * Runs `fn` and releases the storage of every tensor it created that is
 * not part of its result (a pytree), at once rather than when the garbage
 * collector gets to it: how a GPU training loop keeps its device memory
 * flat. Tensors created by `fn` that share storage with the result (a
 * reshape of it, say) are kept.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const y = tidy(() => np.sum(np.exp(np.ones([1000])))); // the exp's buffer is released now
 * ```
 */
export function tidy<T extends PyTree>(fn: () => T): T {
  const created: Tensor[] = [];
  const result = trackCreatedTensors(created, fn);
  const kept = new Set<unknown>();
  for (const leaf of flatten(result as PyTree)[0]) {
    if (isTensor(leaf) && !leaf.isDisposed) kept.add(leaf.handle);
  }
  const survivors: Tensor[] = [];
  for (const t of created) {
    if (t.isDisposed) continue;
    if (kept.has(t.handle)) survivors.push(t);
    else t.dispose();
  }
  // An enclosing tidy owns what this one returns.
  adoptIntoEnclosingScope(survivors);
  return result;
}
