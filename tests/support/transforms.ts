/**
 * Helpers of the transformation tests (`jvp`, `vmap`): a spy on a
 * primitive's rules, and array plumbing written in plain JS over
 * `dataSync()` (stacking and slicing along an axis, perturbing values), so
 * that the oracles of those tests do not go through the batching rules
 * they check.
 */
import { np, primitives, type Tensor, type TypedArray } from "../../mod.ts";
import { numel, ravel, unravel } from "./arbitraries.ts";

/** A rule of a primitive that a test may count calls of. */
export type RuleName = "jvp" | "batch" | "composition" | "vjp";

/**
 * Runs `fn` with the rule `rule` of the primitive `name` wrapped in a call
 * counter, and returns `[fn's result, calls]`. The primitive's declaration
 * is restored afterwards, also when `fn` throws.
 */
export function countRuleCalls<R>(name: string, rule: RuleName, fn: () => R): [R, number] {
  const prim = primitives().get(name);
  if (prim === undefined) throw new Error(`countRuleCalls: no primitive named ${name}`);
  // deno-lint-ignore no-explicit-any
  const spec = prim as any;
  const original = spec[rule];
  if (typeof original !== "function") throw new Error(`countRuleCalls: primitive ${name} has no ${rule} rule`);
  let calls = 0;
  spec[rule] = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  try {
    return [fn(), calls];
  } finally {
    spec[rule] = original;
  }
}

/** A new typed array of `dtype` with `n` elements. */
function allocateLike(dtype: Tensor["dtype"], n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

/** A tensor from a typed array of its dtype. */
export function fromData(data: TypedArray, shape: readonly number[], dtype: Tensor["dtype"]): Tensor {
  return np.array(data, { shape: shape.slice(), dtype });
}

/** Tensors of one shape and dtype stacked along a new axis `axis` (negative counts from the end of the result). */
export function stackAlong(ts: readonly Tensor[], axis: number): Tensor {
  const shape = ts[0].shape.slice();
  const rank = shape.length + 1;
  const ax = axis < 0 ? axis + rank : axis;
  const outShape = [...shape.slice(0, ax), ts.length, ...shape.slice(ax)];
  const out = allocateLike(ts[0].dtype, numel(outShape));
  const datas = ts.map((t) => t.dataSync());
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    const b = idx[ax];
    idx.splice(ax, 1);
    out[i] = datas[b][ravel(idx, shape)];
  }
  return fromData(out, outShape, ts[0].dtype);
}

/** Element `b` of `t` along `axis` (negative counts from the end), without that axis. */
export function sliceAlong(t: Tensor, axis: number, b: number): Tensor {
  const ax = axis < 0 ? axis + t.ndim : axis;
  const shape = t.shape.filter((_, i) => i !== ax);
  const out = allocateLike(t.dtype, numel(shape));
  const data = t.dataSync();
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    idx.splice(ax, 0, b);
    out[i] = data[ravel(idx, t.shape)];
  }
  return fromData(out, shape, t.dtype);
}

/** `x + eps * t` computed in JS, in `x`'s dtype. */
export function axpy(x: Tensor, eps: number, t: Tensor): Tensor {
  const xd = x.dataSync(), td = t.dataSync();
  const out = allocateLike(x.dtype, xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i] + eps * td[i];
  return fromData(out, x.shape, x.dtype);
}

/** `sum(a * b)` over the elements, in float64 (a JS loop). */
export function inner(a: Tensor, b: Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  if (x.length !== y.length) throw new Error(`inner: sizes ${x.length} and ${y.length} differ`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}
