/**
 * Shape primitives (`reshape`, `transpose`, `broadcastTo`, `slice`, `pad`,
 * `concatenate`, `take`) with their adjoints, and the numpy shape functions
 * composed from them.
 *
 * @module
 */
import { checkShape, normalizeAxis, type Shape, shapesEqual, sizeOf } from "../shape.ts";
import { isFloat, promoteTypes } from "../dtype.ts";
import { record } from "../tape.ts";
import { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { astype } from "./elementwise.ts";
import { sumToShape } from "./reduce.ts";

function derive(x: Tensor, handle: unknown, shape: Shape): Tensor {
  return new Tensor(handle, shape, x.dtype, x.backend);
}

function recordUnary(x: Tensor, out: Tensor, vjp: (g: Tensor) => Tensor): Tensor {
  if (isFloat(x.dtype)) record([x], [out], ([g]) => [g && vjp(g)]);
  return out;
}

/**
 * Gives `x` a new shape with the same number of elements; one entry may be
 * -1 (inferred). Shares storage with `x`.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]);
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x);
  const s = shape.slice();
  const inferred = s.indexOf(-1);
  if (inferred >= 0) {
    if (s.indexOf(-1, inferred + 1) >= 0) throw new RangeError(`reshape: more than one -1 in [${shape}]`);
    const known = sizeOf(s.filter((_, i) => i !== inferred));
    if (known === 0 || t.size % known !== 0) {
      throw new RangeError(`reshape: cannot reshape array of shape [${t.shape}] (size ${t.size}) into [${shape}]`);
    }
    s[inferred] = t.size / known;
  }
  checkShape("reshape", s);
  if (sizeOf(s) !== t.size) {
    throw new RangeError(`reshape: cannot reshape array of shape [${t.shape}] (size ${t.size}) into [${shape}]`);
  }
  if (shapesEqual(s, t.shape)) return t;
  return recordUnary(t, derive(t, t.handle, s), (g) => reshape(g, t.shape));
}

/**
 * Permutes axes (reverses them by default).
 *
 * @example
 * ```ts
 * transpose(x, [1, 0, 2]);
 * ```
 */
export function transpose(x: TensorLike, axes?: readonly number[]): Tensor {
  const t = asTensor(x);
  const perm = axes ? axes.map((a) => normalizeAxis("transpose", a, t.ndim)) : t.shape.map((_, i) => t.ndim - 1 - i);
  if (perm.length !== t.ndim || new Set(perm).size !== perm.length) {
    throw new RangeError(`transpose: axes [${axes}] are not a permutation of ${t.ndim} axes`);
  }
  if (perm.every((p, i) => p === i)) return t;
  const shape = perm.map((p) => t.shape[p]);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return recordUnary(t, derive(t, t.backend.transpose(t, perm), shape), (g) => transpose(g, inverse));
}

/**
 * Swaps two axes.
 *
 * @example
 * ```ts
 * swapaxes(x, 0, 1);
 * ```
 */
export function swapaxes(x: TensorLike, axis1: number, axis2: number): Tensor {
  const t = asTensor(x);
  const a = normalizeAxis("swapaxes", axis1, t.ndim), b = normalizeAxis("swapaxes", axis2, t.ndim);
  const perm = t.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return transpose(t, perm);
}

/**
 * Moves one axis to a new position.
 *
 * @example
 * ```ts
 * moveaxis(x, 0, -1);
 * ```
 */
export function moveaxis(x: TensorLike, source: number, destination: number): Tensor {
  const t = asTensor(x);
  const s = normalizeAxis("moveaxis", source, t.ndim), d = normalizeAxis("moveaxis", destination, t.ndim);
  const perm = t.shape.map((_, i) => i).filter((i) => i !== s);
  perm.splice(d, 0, s);
  return transpose(t, perm);
}

/**
 * Inserts a length-1 axis at `axis`.
 *
 * @example
 * ```ts
 * expandDims(x, 0);
 * ```
 */
export function expandDims(x: TensorLike, axis: number): Tensor {
  const t = asTensor(x);
  const a = normalizeAxis("expandDims", axis, t.ndim + 1);
  const shape = t.shape.slice();
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}

/**
 * Removes length-1 axes (all of them, or the given ones).
 *
 * @example
 * ```ts
 * squeeze(x, -1);
 * ```
 */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = asTensor(x);
  const axes = axis === undefined
    ? t.shape.flatMap((d, i) => (d === 1 ? [i] : []))
    : (typeof axis === "number" ? [axis] : axis).map((a) => normalizeAxis("squeeze", a, t.ndim));
  for (const a of axes) {
    if (t.shape[a] !== 1) {
      throw new RangeError(`squeeze: axis ${a} of shape [${t.shape}] has length ${t.shape[a]}, not 1`);
    }
  }
  return reshape(t, t.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Broadcasts `x` to `shape` (numpy rules).
 *
 * @example
 * ```ts
 * broadcastTo(array([1, 2]), [3, 2]);
 * ```
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x);
  const s = checkShape("broadcastTo", shape);
  if (shapesEqual(t.shape, s)) return t;
  const off = s.length - t.ndim;
  if (off < 0 || t.shape.some((d, i) => d !== 1 && d !== s[i + off])) {
    throw new RangeError(`broadcastTo: cannot broadcast shape [${t.shape}] to [${s}]`);
  }
  if (t.size === sizeOf(s)) return reshape(t, s);
  return recordUnary(t, derive(t, t.backend.broadcastTo(t, s), s), (g) => sumToShape(g, t.shape));
}

/**
 * Strided slice like `jax.lax.slice`: `starts` inclusive, `limits`
 * exclusive, optional positive `strides`, one entry per axis.
 *
 * @example
 * ```ts
 * slice(x, [0, 1], [2, 3]); // x[0:2, 1:3]
 * ```
 */
export function slice(
  x: TensorLike,
  starts: readonly number[],
  limits: readonly number[],
  strides?: readonly number[],
): Tensor {
  const t = asTensor(x);
  const steps = strides ?? t.shape.map(() => 1);
  if (starts.length !== t.ndim || limits.length !== t.ndim || steps.length !== t.ndim) {
    throw new RangeError(
      `slice: starts [${starts}], limits [${limits}] and strides [${steps}] must each have ${t.ndim} entries for shape [${t.shape}]`,
    );
  }
  for (let d = 0; d < t.ndim; d++) {
    const ok = Number.isInteger(starts[d]) && Number.isInteger(limits[d]) && Number.isInteger(steps[d]) &&
      starts[d] >= 0 && starts[d] <= limits[d] && limits[d] <= t.shape[d] && steps[d] >= 1;
    if (!ok) {
      throw new RangeError(
        `slice: invalid range ${starts[d]}:${limits[d]}:${steps[d]} on axis ${d} of shape [${t.shape}]`,
      );
    }
  }
  const sizes = starts.map((s, d) => Math.ceil((limits[d] - s) / steps[d]));
  if (shapesEqual(sizes, t.shape)) return t;
  const out = derive(t, t.backend.slice(t, starts, sizes, steps), sizes);
  return recordUnary(t, out, (g) => {
    // Adjoint: interior-pad the cotangent back into place.
    if (steps.every((s) => s === 1)) return pad(g, starts.map((s, d) => [s, t.shape[d] - s - sizes[d]]));
    return scatterStrided(g, t.shape, starts, steps);
  });
}

/** Places `g` at positions `starts + i*steps` of a zero tensor of `shape`. */
function scatterStrided(g: Tensor, shape: Shape, starts: readonly number[], steps: readonly number[]): Tensor {
  let out = g;
  for (let d = 0; d < shape.length; d++) {
    if (steps[d] === 1) continue;
    // Interleave zeros: [.., n, ..] -> [.., n, step, ..] -> [.., n*step, ..], then trim.
    const n = out.shape[d];
    const withAxis = reshape(out, [...out.shape.slice(0, d + 1), 1, ...out.shape.slice(d + 1)]);
    const pads = withAxis.shape.map((): [number, number] => [0, 0]);
    pads[d + 1] = [0, steps[d] - 1];
    const spread = reshape(pad(withAxis, pads), [...out.shape.slice(0, d), n * steps[d], ...out.shape.slice(d + 1)]);
    const keep = (n - 1) * steps[d] + 1;
    out = slice(spread, spread.shape.map(() => 0), spread.shape.map((s, i) => (i === d ? keep : s)));
  }
  return pad(out, shape.map((s, d) => [starts[d], s - starts[d] - out.shape[d]]));
}

/**
 * Constant padding, `[lo, hi]` per axis (negative values crop).
 *
 * @example
 * ```ts
 * pad(x, [[1, 1], [0, 2]]);
 * ```
 */
export function pad(
  x: TensorLike,
  padWidth: readonly (readonly [number, number])[],
  constantValue = 0,
): Tensor {
  const t = asTensor(x);
  if (padWidth.length !== t.ndim || padWidth.some((p) => p.length !== 2 || !p.every(Number.isInteger))) {
    throw new RangeError(
      `pad: need one integer [lo, hi] pair per axis of shape [${t.shape}], got ${JSON.stringify(padWidth)}`,
    );
  }
  // Negative widths crop first.
  const cropped = padWidth.some(([lo, hi]) => lo < 0 || hi < 0)
    ? slice(
      t,
      padWidth.map(([lo]) => Math.max(0, -lo)),
      padWidth.map(([, hi], d) => t.shape[d] - Math.max(0, -hi)),
    )
    : t;
  const pads = padWidth.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as [number, number]);
  if (pads.every(([lo, hi]) => lo === 0 && hi === 0)) return cropped;
  const shape = cropped.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = derive(cropped, cropped.backend.pad(cropped, pads, constantValue), shape);
  return recordUnary(
    cropped,
    out,
    (g) => slice(g, pads.map(([lo]) => lo), pads.map(([lo], d) => lo + cropped.shape[d])),
  );
}

/**
 * Joins tensors along an existing axis.
 *
 * @example
 * ```ts
 * concatenate([a, b], 0);
 * ```
 */
export function concatenate(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError("concatenate: need at least one array");
  let ts = xs.map((x) => asTensor(x));
  const dtype = ts.slice(1).reduce((dt, t) => promoteTypes(dt, t.dtype), ts[0].dtype);
  ts = ts.map((t) => astype(t, dtype));
  const nd = ts[0].ndim;
  const ax = normalizeAxis("concatenate", axis, nd);
  for (const t of ts) {
    if (t.ndim !== nd || t.shape.some((d, i) => i !== ax && d !== ts[0].shape[i])) {
      throw new RangeError(
        `concatenate: shapes ${ts.map((u) => `[${u.shape}]`).join(", ")} differ off axis ${ax}`,
      );
    }
  }
  if (ts.length === 1) return ts[0];
  const shape = ts[0].shape.slice();
  shape[ax] = ts.reduce((n, t) => n + t.shape[ax], 0);
  const out = new Tensor(ts[0].backend.concatenate(ts, ax), shape, dtype, ts[0].backend);
  if (isFloat(dtype)) {
    record(ts, [out], ([g]) => {
      if (!g) return ts.map(() => null);
      let at = 0;
      return ts.map((t) => {
        const starts = g.shape.map((_, i) => (i === ax ? at : 0));
        const limits = g.shape.map((d, i) => (i === ax ? at + t.shape[ax] : d));
        at += t.shape[ax];
        return slice(g, starts, limits);
      });
    });
  }
  return out;
}

/**
 * Joins tensors of one shape along a new axis.
 *
 * @example
 * ```ts
 * stack([a, b], 0);
 * ```
 */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError("stack: need at least one array");
  const ts = xs.map((x) => asTensor(x));
  for (const t of ts) {
    if (!shapesEqual(t.shape, ts[0].shape)) {
      throw new RangeError(`stack: all shapes must match, got ${ts.map((u) => `[${u.shape}]`).join(", ")}`);
    }
  }
  const ax = normalizeAxis("stack", axis, ts[0].ndim + 1);
  return concatenate(ts.map((t) => expandDims(t, ax)), ax);
}

/**
 * Splits into `sections` equal parts, or at the given indices, along `axis`.
 *
 * @example
 * ```ts
 * split(x, 2, -1); // two halves of the last axis
 * split(x, [1, 3], 0); // x[:1], x[1:3], x[3:]
 * ```
 */
export function split(x: TensorLike, sections: number | readonly number[], axis = 0): Tensor[] {
  const t = asTensor(x);
  const ax = normalizeAxis("split", axis, t.ndim);
  const len = t.shape[ax];
  let cuts: number[];
  if (typeof sections === "number") {
    if (!Number.isInteger(sections) || sections <= 0 || len % sections !== 0) {
      throw new RangeError(`split: axis ${ax} of length ${len} cannot be split into ${sections} equal sections`);
    }
    cuts = Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * len) / sections);
  } else {
    cuts = sections.map((c) => Math.min(Math.max(c, 0), len));
  }
  const bounds = [0, ...cuts, len];
  const parts: Tensor[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i], hi = Math.max(bounds[i], bounds[i + 1]);
    parts.push(slice(t, t.shape.map((_, d) => (d === ax ? lo : 0)), t.shape.map((s, d) => (d === ax ? hi : s))));
  }
  return parts;
}

/**
 * Takes elements along `axis` at integer `indices` (negative indices count
 * from the end; out-of-range indices are an error). Without `axis`, indexes
 * the flattened array.
 *
 * @example
 * ```ts
 * take(x, array([2, 0], { dtype: "int32" }), 0);
 * ```
 */
export function take(x: TensorLike, indices: TensorLike, axis?: number): Tensor {
  let t = asTensor(x);
  if (axis === undefined) t = reshape(t, [t.size]);
  const ax = normalizeAxis("take", axis ?? 0, t.ndim);
  const idxT = asTensor(indices, "int32");
  if (idxT.dtype !== "int32" && idxT.dtype !== "uint32") {
    throw new TypeError(`take: indices must be integers, got dtype ${idxT.dtype}`);
  }
  const raw = idxT.backend.readSync(idxT);
  const len = t.shape[ax];
  const fixed = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] < 0 ? raw[i] + len : raw[i];
    if (!(v >= 0 && v < len)) {
      throw new RangeError(`take: index ${raw[i]} is out of bounds for axis ${ax} of length ${len}`);
    }
    fixed[i] = v;
  }
  const idx = new Tensor(t.backend.upload(fixed, "int32"), [fixed.length], "int32", t.backend);
  const flatShape = [...t.shape.slice(0, ax), fixed.length, ...t.shape.slice(ax + 1)];
  const gathered = derive(t, t.backend.gather(t, idx, ax), flatShape);
  recordUnary(t, gathered, (g) => derive(g, g.backend.scatterAdd(g, idx, ax, t.shape), t.shape));
  return reshape(gathered, [...t.shape.slice(0, ax), ...idxT.shape, ...t.shape.slice(ax + 1)]);
}

/**
 * Reverses the order of elements along the given axes (all by default).
 *
 * @example
 * ```ts
 * flip(x, 0);
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
    const idx = new Int32Array(n).map((_, i) => n - 1 - i);
    out = take(out, new Tensor(t.backend.upload(idx, "int32"), [n], "int32", t.backend), a);
  }
  return out;
}

/**
 * Rolls elements along `axis` by `shift` (flattened when `axis` omitted).
 *
 * @example
 * ```ts
 * roll(x, 1, -1);
 * ```
 */
export function roll(x: TensorLike, shift: number | readonly number[], axis?: number | readonly number[]): Tensor {
  const t = asTensor(x);
  if (axis === undefined) return reshape(roll(reshape(t, [t.size]), shift as number, 0), t.shape);
  const axes = typeof axis === "number" ? [axis] : axis;
  const shifts = typeof shift === "number" ? axes.map(() => shift) : shift;
  if (shifts.length !== axes.length) {
    throw new RangeError(`roll: ${shifts.length} shifts for ${axes.length} axes`);
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
 * Repeats each element `repeats` times along `axis` (flattened when omitted).
 *
 * @example
 * ```ts
 * repeat(array([1, 2]), 2); // [1, 1, 2, 2]
 * ```
 */
export function repeat(x: TensorLike, repeats: number, axis?: number): Tensor {
  let t = asTensor(x);
  if (!Number.isInteger(repeats) || repeats < 0) {
    throw new RangeError(`repeat: repeats must be a non-negative integer, got ${repeats}`);
  }
  if (axis === undefined) t = reshape(t, [t.size]);
  const ax = normalizeAxis("repeat", axis ?? 0, t.ndim);
  const n = t.shape[ax];
  const idx = new Int32Array(n * repeats).map((_, i) => Math.floor(i / repeats));
  return take(t, new Tensor(t.backend.upload(idx, "int32"), [idx.length], "int32", t.backend), ax);
}

/**
 * Tiles `x` `reps` times per axis.
 *
 * @example
 * ```ts
 * tile(array([1, 2]), [2]); // [1, 2, 1, 2]
 * ```
 */
export function tile(x: TensorLike, reps: number | readonly number[]): Tensor {
  let t = asTensor(x);
  const r = typeof reps === "number" ? [reps] : reps.slice();
  while (r.length < t.ndim) r.unshift(1);
  if (t.ndim < r.length) t = reshape(t, [...new Array(r.length - t.ndim).fill(1), ...t.shape]);
  // Broadcast a new leading axis per tiled axis, then merge.
  const expanded = t.shape.flatMap((d) => [1, d]);
  const target = t.shape.flatMap((d, i) => [r[i], d]);
  return reshape(broadcastTo(reshape(t, expanded), target), t.shape.map((d, i) => d * r[i]));
}
