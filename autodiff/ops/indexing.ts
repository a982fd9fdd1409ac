/**
 * Integer indexing: `take` and the ops built on the same `gather` /
 * `scatterAdd` pair (`flip`, `repeat`), and `roll` and `tile`, composed
 * from the shape primitives of `layout.ts`.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { normalizeAxis, type Shape } from "../shape.ts";
import type { VjpFn } from "../tape.ts";
import { isTensor, type NestedArray, type Tensor } from "../tensor.ts";
import { arange, asTensor, flattenNested, fromTypedArray, type TensorLike } from "./creation.ts";
import { add, astype, less, mul, where } from "./elementwise.ts";
import { broadcastTo, concatenate, moveaxis, reshape, split } from "./layout.ts";

/** Parameters of {@link GATHER}: the indexed axis. */
export interface GatherParams {
  readonly axis: number;
}

/**
 * `out[..., i, ...] = x[..., indices[i], ...]` along `axis`, with int32
 * indices `[k]` in `[-len, len)` (negative ones count from the end). An
 * index out of that range is an error where the backend can check it
 * synchronously (the CPU); a backend that cannot reads 0 there.
 */
export const GATHER: Primitive<GatherParams> = definePrimitive<GatherParams>({
  name: "gather",
  abstractEval: ([x, idx], { axis }) => [{ shape: replaceAxis(x.shape, axis, idx.shape[0]), dtype: x.dtype }],
  vjp: ([x, idx], _o, { axis }) => gatherVjp(idx, axis, x.shape),
  jvp: ([x, idx], [t], p) => [[bind1(GATHER, [x, idx], p)], [t && bind1(GATHER, [t, idx], p)]],
  batch: ([x, idx], [dx, di], { axis }, size) => {
    if (di === null) return [[bind1(GATHER, [batchFirst(x, dx, size), idx], { axis: axis + 1 })], [0]];
    const k = idx.shape[di === 0 ? 1 : 0];
    if (dx === null) {
      // One index list per member: gather all of them at once and split the result's axis.
      const flat = reshape(batchFirst(idx, di, size), [size * k]);
      const out = bind1(GATHER, [x, flat], { axis });
      return [[reshape(out, [...x.shape.slice(0, axis), size, k, ...x.shape.slice(axis + 1)])], [axis]];
    }
    // Both batched: offset each member's indices into the batch-merged axis.
    const xs = moveaxis(batchFirst(x, dx, size), axis + 1, 1);
    const len = xs.shape[1], rest = xs.shape.slice(2);
    const merged = reshape(xs, [size * len, ...rest]);
    const offsets = reshape(mul(arange(size), len), [size, 1]);
    const flat = reshape(add(wrapNegative(batchFirst(idx, di, size), len), offsets), [size * k]);
    const out = reshape(bind1(GATHER, [merged, flat], { axis: 0 }), [size, k, ...rest]);
    return [[moveaxis(out, 1, axis + 1)], [0]];
  },
});

/** Parameters of {@link SCATTER_ADD}: the indexed axis and the output shape. */
export interface ScatterAddParams {
  readonly axis: number;
  readonly shape: Shape;
}

/** Adjoint of {@link GATHER}: sums `updates` into zeros of `shape` along `axis`. */
export const SCATTER_ADD: Primitive<ScatterAddParams> = definePrimitive<ScatterAddParams>({
  name: "scatter_add",
  abstractEval: ([u], { shape }) => [{ shape, dtype: u.dtype }],
  vjp: ([, idx], _o, { axis }) => ([g]) => [g && gather(g, idx, axis), null],
  jvp: ([u, idx], [t], p) => [[bind1(SCATTER_ADD, [u, idx], p)], [t && bind1(SCATTER_ADD, [t, idx], p)]],
  batch: ([u, idx], [du, di], { axis, shape }, size) => {
    if (di === null) {
      return [[bind1(SCATTER_ADD, [batchFirst(u, du, size), idx], { axis: axis + 1, shape: [size, ...shape] })], [0]];
    }
    const len = shape[axis];
    const k = idx.shape[di === 0 ? 1 : 0];
    const us = moveaxis(batchFirst(u, du, size), axis + 1, 1);
    const rest = us.shape.slice(2);
    const offsets = reshape(mul(arange(size), len), [size, 1]);
    const flat = reshape(add(wrapNegative(batchFirst(idx, di, size), len), offsets), [size * k]);
    const out = bind1(SCATTER_ADD, [reshape(us, [size * k, ...rest]), flat], { axis: 0, shape: [size * len, ...rest] });
    return [[moveaxis(reshape(out, [size, len, ...rest]), 1, axis + 1)], [0]];
  },
});

/** Holds the indices and the shape, not the gathered tensor. */
function gatherVjp(idx: Tensor, axis: number, shape: Shape): VjpFn {
  return ([g]) => [g && scatterAdd(g, idx, axis, shape), null];
}

function replaceAxis(shape: Shape, axis: number, n: number): number[] {
  return [...shape.slice(0, axis), n, ...shape.slice(axis + 1)];
}

/** Indices with the negative ones counted from the end (so that offsets can be added to them). */
function wrapNegative(idx: Tensor, len: number): Tensor {
  return where(less(idx, 0), add(idx, len), idx);
}

/** `gather` and `scatterAdd` are each other's adjoint, so `take` has gradients of every order. */
function gather(x: Tensor, idx: Tensor, axis: number): Tensor {
  return bind1(GATHER, [x, idx], { axis });
}

function scatterAdd(g: Tensor, idx: Tensor, axis: number, shape: Shape): Tensor {
  return bind1(SCATTER_ADD, [g, idx], { axis, shape });
}

/**
 * Takes elements along `axis` at integer `indices` (negative indices count
 * from the end; out-of-range indices are an error, checked on the host for
 * JS arrays and in the kernel for index tensors). Without `axis`, indexes
 * the flattened array.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.array([[1, 2], [3, 4], [5, 6]]);
 * np.take(x, np.array([2, 0], { dtype: "int32" }), 0); // [[5, 6], [1, 2]]
 * np.take(x, [-1]); // [6] (flattened)
 * ```
 */
export function take(x: TensorLike, indices: TensorLike, axis?: number | null): Tensor {
  let t = asTensor(x);
  if (axis === undefined || axis === null) t = reshape(t, [t.size]);
  const ax = normalizeAxis("take", axis ?? 0, t.ndim);
  const idx = indexTensor("take", indices, t.shape[ax], ax, t.shape);
  const gathered = gather(t, reshape(idx, [idx.size]), ax);
  return reshape(gathered, [...t.shape.slice(0, ax), ...idx.shape, ...t.shape.slice(ax + 1)]);
}

/** Integer indices as an int32 tensor: a tensor is used as it is (the kernel checks its range), JS values are checked here. */
function indexTensor(op: string, indices: TensorLike, len: number, ax: number, shape: Shape): Tensor {
  if (isTensor(indices)) {
    if (indices.dtype !== "int32" && indices.dtype !== "uint32") {
      throw new TypeError(`${op}: indices must be integers, got dtype ${indices.dtype} [${indices.shape}]`);
    }
    return astype(indices, "int32");
  }
  const { flat: values, shape: idxShape } = typeof indices === "number"
    ? { flat: [indices], shape: [] }
    : ArrayBuffer.isView(indices)
    ? { flat: Array.from(indices), shape: [indices.length] }
    : flattenNested(op, indices as NestedArray);
  const fixed = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new TypeError(`${op}: indices must be integers, got ${JSON.stringify(indices)}`);
    }
    if (!(v >= -len && v < len)) {
      throw new RangeError(`${op}: index ${v} is out of bounds for axis ${ax} of shape [${shape}]`);
    }
    fixed[i] = v < 0 ? v + len : v;
  }
  return fromTypedArray(fixed, idxShape, "int32");
}

function hostIndices(idx: readonly number[] | Int32Array): Tensor {
  return fromTypedArray(Int32Array.from(idx), [idx.length], "int32");
}

/**
 * Reverses the order of elements along the given axes (all by default).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.flip(np.array([[1, 2], [3, 4]]), 0); // [[3, 4], [1, 2]]
 * ```
 */
export function flip(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = asTensor(x);
  const axes = axis === undefined
    ? t.shape.map((_, i) => i)
    : (typeof axis === "number" ? [axis] : axis).map((a) => normalizeAxis("flip", a, t.ndim));
  let out = t;
  for (const a of axes) {
    const n = t.shape[a];
    out = gather(out, hostIndices(new Int32Array(n).map((_, i) => n - 1 - i)), a);
  }
  return out;
}

/**
 * Rolls elements along `axis` by `shift` (flattened when `axis` omitted).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.roll(np.array([1, 2, 3]), 1, -1); // [3, 1, 2]
 * ```
 */
export function roll(
  x: TensorLike,
  shift: number | readonly number[],
  axis?: number | readonly number[] | null,
): Tensor {
  const t = asTensor(x);
  if (axis === undefined || axis === null) {
    if (typeof shift !== "number") {
      throw new RangeError(`roll: without an axis the shift must be one number, got [${shift}]`);
    }
    return reshape(roll(reshape(t, [t.size]), shift, 0), t.shape);
  }
  const axes = typeof axis === "number" ? [axis] : axis;
  const shifts = typeof shift === "number" ? axes.map(() => shift) : shift;
  if (shifts.length !== axes.length || !shifts.every(Number.isInteger)) {
    throw new RangeError(`roll: need one integer shift per axis, got shift [${shifts}] for axes [${axes}]`);
  }
  let out = t;
  axes.forEach((a, k) => {
    const ax = normalizeAxis("roll", a, t.ndim);
    const n = t.shape[ax];
    if (n === 0) return;
    const s = ((shifts[k] % n) + n) % n;
    if (s === 0) return;
    const [head, tail] = split(out, [n - s], ax);
    out = concatenate([tail, head], ax);
  });
  return out;
}

/**
 * Repeats each element `repeats` times along `axis` (flattened when
 * omitted); `repeats` may also give one count per element of that axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.repeat(np.array([1, 2]), 2); // [1, 1, 2, 2]
 * np.repeat(np.array([[1, 2]]), [1, 3], 1); // [[1, 2, 2, 2]]
 * ```
 */
export function repeat(x: TensorLike, repeats: number | readonly number[], axis?: number | null): Tensor {
  let t = asTensor(x);
  if (axis === undefined || axis === null) t = reshape(t, [t.size]);
  const ax = normalizeAxis("repeat", axis ?? 0, t.ndim);
  const n = t.shape[ax];
  const counts = typeof repeats === "number" ? new Array<number>(n).fill(repeats) : repeats;
  if (counts.length !== n || !counts.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new RangeError(
      `repeat: repeats must be a non-negative integer or ${n} of them for axis ${ax} of shape [${t.shape}], got ${
        JSON.stringify(repeats)
      }`,
    );
  }
  const idx: number[] = [];
  counts.forEach((r, i) => {
    for (let k = 0; k < r; k++) idx.push(i);
  });
  return gather(t, hostIndices(idx), ax);
}

/**
 * Tiles `x` `reps` times per axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.tile(np.array([1, 2]), [2]); // [1, 2, 1, 2]
 * ```
 */
export function tile(x: TensorLike, reps: number | readonly number[]): Tensor {
  let t = asTensor(x);
  const r = typeof reps === "number" ? [reps] : reps.slice();
  if (!r.every((k) => Number.isInteger(k) && k >= 0)) {
    throw new RangeError(`tile: reps must be non-negative integers, got ${JSON.stringify(reps)}`);
  }
  while (r.length < t.ndim) r.unshift(1);
  if (t.ndim < r.length) t = reshape(t, [...new Array(r.length - t.ndim).fill(1), ...t.shape]);
  // Broadcast a new leading axis per tiled axis, then merge.
  const expanded = t.shape.flatMap((d) => [1, d]);
  const target = t.shape.flatMap((d, i) => [r[i], d]);
  return reshape(broadcastTo(reshape(t, expanded), target), t.shape.map((d, i) => d * r[i]));
}
