/**
 * Integer indexing: `take` and the ops built on the same `gather` /
 * `scatterAdd` pair (`flip`, `repeat`), and `roll` and `tile`, composed
 * from the shape primitives of `layout.ts`.
 *
 * @module
 */
import { normalizeAxis, type Shape } from "../shape.ts";
import { isTensor, type NestedArray, Tensor } from "../tensor.ts";
import { array, asTensor, type TensorLike } from "./creation.ts";
import { broadcastTo, concatenate, derive, recordUnary, reshape, split } from "./layout.ts";

/**
 * Takes elements along `axis` at integer `indices` (negative indices count
 * from the end; out-of-range indices are an error). Without `axis`, indexes
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
  const { values, shape: idxShape } = readIndices("take", indices);
  const len = t.shape[ax];
  const fixed = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] < 0 ? values[i] + len : values[i];
    if (!(v >= 0 && v < len)) {
      throw new RangeError(`take: index ${values[i]} is out of bounds for axis ${ax} of shape [${t.shape}]`);
    }
    fixed[i] = v;
  }
  const gathered = gather(t, indexTensor(t, fixed), ax);
  return reshape(gathered, [...t.shape.slice(0, ax), ...idxShape, ...t.shape.slice(ax + 1)]);
}

/** Integer index values from a tensor, a number or (nested) JS arrays. */
function readIndices(op: string, indices: TensorLike): { values: ArrayLike<number>; shape: readonly number[] } {
  if (isTensor(indices)) {
    if (indices.dtype !== "int32" && indices.dtype !== "uint32") {
      throw new TypeError(`${op}: indices must be integers, got dtype ${indices.dtype} [${indices.shape}]`);
    }
    return { values: indices.backend.readSync(indices), shape: indices.shape };
  }
  const t = array(indices as NestedArray | number, { dtype: "float64" });
  const values = t.dataSync();
  if (!values.every(Number.isInteger)) {
    throw new TypeError(`${op}: indices must be integers, got ${JSON.stringify(indices)}`);
  }
  return { values, shape: t.shape };
}

function indexTensor(like: Tensor, idx: Int32Array): Tensor {
  return new Tensor(like.backend.upload(idx, "int32"), [idx.length], "int32", like.backend);
}

/** `gather` and `scatterAdd` are each other's adjoint, so `take` has gradients of every order. */
function gather(t: Tensor, idx: Tensor, ax: number): Tensor {
  const shape = [...t.shape.slice(0, ax), idx.size, ...t.shape.slice(ax + 1)];
  return recordUnary(t, derive(t, t.backend.gather(t, idx, ax), shape), ungather, { idx, ax, shape: t.shape });
}

function scatterAdd(g: Tensor, idx: Tensor, ax: number, shape: Shape): Tensor {
  return recordUnary(g, derive(g, g.backend.scatterAdd(g, idx, ax, shape), shape), unscatter, { idx, ax });
}

const ungather = (g: Tensor, p: { idx: Tensor; ax: number; shape: Shape }) => scatterAdd(g, p.idx, p.ax, p.shape);
const unscatter = (h: Tensor, p: { idx: Tensor; ax: number }) => gather(h, p.idx, p.ax);

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
    out = gather(out, indexTensor(t, new Int32Array(n).map((_, i) => n - 1 - i)), a);
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
  return gather(t, indexTensor(t, Int32Array.from(idx)), ax);
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
