/**
 * Shape primitives (`reshape`, `transpose`, `broadcastTo`, `slice`, `pad`,
 * `concatenate`) with their adjoints, and the numpy shape functions
 * composed from them. Integer indexing (`take`, `flip`, `roll`, `repeat`,
 * `tile`) is in `indexing.ts`.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { checkShape, normalizeAxis, type Shape, shapesEqual, sizeOf } from "../shape.ts";
import { promoteTypes } from "../dtype.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, full, type TensorLike } from "./creation.ts";
import { astype } from "./elementwise.ts";
import { sumToShape } from "./reduce.ts";

/** Parameters of {@link RESHAPE} and {@link BROADCAST_TO}: the output shape. */
export interface ShapeParams {
  readonly shape: Shape;
}

/** A new shape over the same elements (shares storage). */
export const RESHAPE: Primitive<ShapeParams> = definePrimitive<ShapeParams>({
  name: "reshape",
  sharesStorage: true,
  abstractEval: ([x], { shape }) => [{ shape, dtype: x.dtype }],
  vjp: ([x]) => shapeVjp(reshapeBack, x.shape),
  jvp: ([x], [t], p) => [[bind1(RESHAPE, [x], p)], [t && bind1(RESHAPE, [t], p)]],
  batch: ([x], [d], { shape }, size) => [[bind1(RESHAPE, [batchFirst(x, d, size)], { shape: [size, ...shape] })], [0]],
});

const reshapeBack = (g: Tensor, shape: Shape) => reshape(g, shape);

/** A VJP that reads only a shape (so that the tape holds no tensor). */
function shapeVjp(rule: (g: Tensor, shape: Shape) => Tensor, shape: Shape): VjpFn {
  return ([g]) => [g && rule(g, shape)];
}

/** Parameters of {@link TRANSPOSE}. */
export interface TransposeParams {
  /** Output axis `i` is input axis `perm[i]`. */
  readonly perm: readonly number[];
}

/** An axis permutation. */
export const TRANSPOSE: Primitive<TransposeParams> = definePrimitive<TransposeParams>({
  name: "transpose",
  abstractEval: ([x], { perm }) => [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }],
  vjp: (_x, _o, { perm }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return ([g]) => [g && transpose(g, inverse)];
  },
  jvp: ([x], [t], p) => [[bind1(TRANSPOSE, [x], p)], [t && bind1(TRANSPOSE, [t], p)]],
  batch: ([x], [d], { perm }, size) => [
    [bind1(TRANSPOSE, [batchFirst(x, d, size)], { perm: [0, ...perm.map((p) => p + 1)] })],
    [0],
  ],
});

/** Numpy broadcasting to a shape. */
export const BROADCAST_TO: Primitive<ShapeParams> = definePrimitive<ShapeParams>({
  name: "broadcast_to",
  abstractEval: ([x], { shape }) => [{ shape, dtype: x.dtype }],
  vjp: ([x]) => shapeVjp(sumToShape, x.shape),
  jvp: ([x], [t], p) => [[bind1(BROADCAST_TO, [x], p)], [t && bind1(BROADCAST_TO, [t], p)]],
  batch: ([x], [d], { shape }, size) => {
    const first = batchFirst(x, d, size);
    // Align the example's axes to the right of the target, as broadcasting does, behind the batch axis.
    const padded = reshape(first, [
      size,
      ...new Array<number>(shape.length - (first.ndim - 1)).fill(1),
      ...first.shape.slice(1),
    ]);
    return [[bind1(BROADCAST_TO, [padded], { shape: [size, ...shape] })], [0]];
  },
});

/** Parameters of {@link SLICE}: element `i` of axis `d` is `starts[d] + i*steps[d]`, `sizes[d]` of them. */
export interface SliceParams {
  readonly starts: readonly number[];
  readonly sizes: readonly number[];
  readonly steps: readonly number[];
}

/** A strided slice. */
export const SLICE: Primitive<SliceParams> = definePrimitive<SliceParams>({
  name: "slice",
  abstractEval: ([x], { sizes }) => [{ shape: sizes, dtype: x.dtype }],
  vjp: ([x], _o, p) => unsliceVjp({ shape: x.shape, ...p }),
  jvp: ([x], [t], p) => [[bind1(SLICE, [x], p)], [t && bind1(SLICE, [t], p)]],
  batch: ([x], [d], p, size) => [[
    bind1(SLICE, [batchFirst(x, d, size)], {
      starts: [0, ...p.starts],
      sizes: [size, ...p.sizes],
      steps: [1, ...p.steps],
    }),
  ], [0]],
});

function unsliceVjp(p: { shape: Shape; starts: Shape; sizes: Shape; steps: Shape }): VjpFn {
  return ([g]) => [g && unslice(g, p)];
}

/** Parameters of {@link PAD}: `[lo, hi]` non-negative widths per axis and the fill value. */
export interface PadParams {
  readonly pads: readonly (readonly [number, number])[];
  readonly value: number;
}

/** Constant padding. */
export const PAD: Primitive<PadParams> = definePrimitive<PadParams>({
  name: "pad",
  abstractEval: ([x], { pads }) => [{ shape: x.shape.map((d, i) => d + pads[i][0] + pads[i][1]), dtype: x.dtype }],
  vjp: ([x], _o, { pads }) => unpadVjp(pads.map(([lo]) => lo), x.shape),
  jvp: ([x], [t], p) => [[bind1(PAD, [x], p)], [t && bind1(PAD, [t], { pads: p.pads, value: 0 })]],
  batch: (
    [x],
    [d],
    p,
    size,
  ) => [[bind1(PAD, [batchFirst(x, d, size)], { pads: [[0, 0], ...p.pads], value: p.value })], [0]],
});

function unpadVjp(lo: Shape, shape: Shape): VjpFn {
  return ([g]) => [g && slice(g, lo, lo.map((l, d) => l + shape[d]))];
}

/** Parameters of {@link CONCATENATE}. */
export interface ConcatenateParams {
  readonly axis: number;
}

/** Joins operands of one dtype along an existing axis. */
export const CONCATENATE: Primitive<ConcatenateParams> = definePrimitive<ConcatenateParams>({
  name: "concatenate",
  abstractEval: (xs, { axis }) => {
    const shape = xs[0].shape.slice();
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    return [{ shape, dtype: xs[0].dtype }];
  },
  vjp: (xs, _o, { axis }) => concatenateVjp(xs.map((x) => x.shape[axis]), axis),
  jvp: (xs, ts, p) => {
    const out = bind1(CONCATENATE, xs, p);
    if (ts.every((t) => t === null)) return [[out], [null]];
    return [[out], [bind1(CONCATENATE, ts.map((t, i) => t ?? full(xs[i].shape, 0, { dtype: xs[i].dtype })), p)]];
  },
  batch: (
    xs,
    ds,
    { axis },
    size,
  ) => [[bind1(CONCATENATE, xs.map((x, i) => batchFirst(x, ds[i], size)), { axis: axis + 1 })], [0]],
});

/**
 * Gives `x` a new shape with the same number of elements; one entry may be
 * -1 (inferred). Shares storage with `x`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.reshape(np.arange(6), [2, -1]); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: TensorLike, shape: number | readonly number[]): Tensor {
  const t = asTensor(x);
  if (typeof shape === "number") shape = [shape];
  if (!Array.isArray(shape)) throw new TypeError(`reshape: shape must be an array of integers, got ${shape}`);
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
  return bind1(RESHAPE, [t], { shape: s });
}

/**
 * Permutes axes (reverses them by default).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.transpose(np.zeros([2, 3, 4]), [1, 0, 2]).shape; // [3, 2, 4]
 * ```
 */
export function transpose(x: TensorLike, axes?: readonly number[]): Tensor {
  const t = asTensor(x);
  const perm = axes ? axes.map((a) => normalizeAxis("transpose", a, t.ndim)) : t.shape.map((_, i) => t.ndim - 1 - i);
  if (perm.length !== t.ndim || new Set(perm).size !== perm.length) {
    throw new RangeError(`transpose: axes [${axes}] are not a permutation of ${t.ndim} axes`);
  }
  if (perm.every((p, i) => p === i)) return t;
  return bind1(TRANSPOSE, [t], { perm });
}

/**
 * Swaps two axes.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.swapaxes(np.zeros([2, 3, 4]), 0, -1).shape; // [4, 3, 2]
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
 * import { np } from "../mod.ts";
 * np.moveaxis(np.zeros([2, 3, 4]), 0, -1).shape; // [3, 4, 2]
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
 * Inserts a length-1 axis at `axis` (or at each of several positions of
 * the result, as `jnp.expand_dims`).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.expandDims(np.zeros([2, 3]), 0).shape; // [1, 2, 3]
 * np.expandDims(np.zeros([2, 3]), [0, -1]).shape; // [1, 2, 3, 1]
 * ```
 */
export function expandDims(x: TensorLike, axis: number | readonly number[]): Tensor {
  const t = asTensor(x);
  const list = typeof axis === "number" ? [axis] : axis;
  const nd = t.ndim + list.length;
  const axes = list.map((a) => normalizeAxis("expandDims", a, nd));
  if (new Set(axes).size !== axes.length) throw new RangeError(`expandDims: repeated axis in [${list}]`);
  const shape: number[] = [];
  let k = 0;
  for (let d = 0; d < nd; d++) shape.push(axes.includes(d) ? 1 : t.shape[k++]);
  return reshape(t, shape);
}

/**
 * Removes length-1 axes (all of them, or the given ones).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.squeeze(np.zeros([1, 2, 1]), -1).shape; // [1, 2]
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
 * import { np } from "../mod.ts";
 * np.broadcastTo(np.array([1, 2]), [3, 2]); // [[1, 2], [1, 2], [1, 2]]
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
  return bind1(BROADCAST_TO, [t], { shape: s });
}

/**
 * Strided slice like `jax.lax.slice`: `starts` inclusive, `limits`
 * exclusive, optional positive `strides`, one entry per axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.reshape(np.arange(12), [3, 4]);
 * np.slice(x, [0, 1], [2, 3]); // x[0:2, 1:3] = [[1, 2], [5, 6]]
 * np.slice(x, [0, 0], [3, 4], [2, 3]); // x[::2, ::3] = [[0, 3], [8, 11]]
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
  return bind1(SLICE, [t], { starts: starts.slice(), sizes, steps: steps.slice() });
}

/** Adjoint of {@link slice}: interior-pads the cotangent back into place. */
function unslice(g: Tensor, p: { shape: Shape; starts: Shape; sizes: Shape; steps: Shape }): Tensor {
  const { shape, starts, sizes, steps } = p;
  if (sizeOf(sizes) === 0) return full(shape, 0, { dtype: g.dtype });
  if (steps.every((s) => s === 1)) return pad(g, starts.map((s, d) => [s, shape[d] - s - sizes[d]]));
  return scatterStrided(g, shape, starts, steps);
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

/** Pad widths as accepted by {@link pad}. */
export type PadWidth = number | readonly [number, number] | readonly (readonly [number, number])[];

function padPairs(op: string, padWidth: PadWidth, shape: Shape): [number, number][] {
  const bad = () =>
    new RangeError(
      `${op}: need one integer [lo, hi] pair per axis of shape [${shape}], got ${JSON.stringify(padWidth)}`,
    );
  let pairs: readonly (readonly number[])[];
  if (typeof padWidth === "number") pairs = shape.map(() => [padWidth, padWidth]);
  else if (!Array.isArray(padWidth)) throw bad();
  else if (padWidth.length === 2 && padWidth.every((p) => typeof p === "number")) {
    pairs = shape.map(() => padWidth as readonly number[]);
  } else if (padWidth.length === 1 && shape.length > 1) pairs = shape.map(() => padWidth[0] as readonly number[]);
  else pairs = padWidth as readonly (readonly number[])[];
  if (
    pairs.length !== shape.length ||
    pairs.some((p) => !Array.isArray(p) || p.length !== 2 || !p.every(Number.isInteger))
  ) throw bad();
  pairs.forEach(([lo, hi], d) => {
    if (Math.max(0, -lo) + Math.max(0, -hi) > shape[d]) {
      throw new RangeError(
        `${op}: negative widths [${lo}, ${hi}] remove more than the ${
          shape[d]
        } elements of axis ${d} of shape [${shape}]`,
      );
    }
  });
  return pairs.map(([lo, hi]) => [lo, hi]);
}

/**
 * Constant padding, `[lo, hi]` per axis, as `jnp.pad`; negative widths crop
 * (as `lax.pad`). A single pair or a single number applies to every axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.pad(np.array([[1, 2]]), [[1, 0], [0, 1]]); // [[0, 0, 0], [1, 2, 0]]
 * np.pad(np.array([1, 2, 3]), [[-1, 1]]); // [2, 3, 0]
 * ```
 */
export function pad(x: TensorLike, padWidth: PadWidth, constantValue = 0): Tensor {
  const t = asTensor(x);
  const widths = padPairs("pad", padWidth, t.shape);
  if (typeof constantValue !== "number") {
    throw new TypeError(`pad: constantValue must be a number, got ${JSON.stringify(constantValue)}`);
  }
  // Negative widths crop first.
  const cropped = widths.some(([lo, hi]) => lo < 0 || hi < 0)
    ? slice(
      t,
      widths.map(([lo]) => Math.max(0, -lo)),
      widths.map(([, hi], d) => t.shape[d] - Math.max(0, -hi)),
    )
    : t;
  const pads = widths.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as [number, number]);
  if (pads.every(([lo, hi]) => lo === 0 && hi === 0)) return cropped;
  return bind1(PAD, [cropped], { pads, value: constantValue });
}

/**
 * Joins tensors along an existing axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.concatenate([np.zeros([1, 2]), np.ones([2, 2])], 0).shape; // [3, 2]
 * ```
 */
export function concatenate(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError("concatenate: need at least one array");
  let ts = xs.map((x) => asTensor(x));
  const dtype = ts.slice(1).reduce((dt, t) => promoteTypes(dt, t.dtype), ts[0].dtype);
  ts = ts.map((t) => astype(t, dtype));
  const nd = ts[0].ndim;
  if (ts.some((t) => t.ndim === 0)) {
    throw new RangeError(
      `concatenate: zero-dimensional arrays cannot be concatenated (shapes ${
        ts.map((u) => `[${u.shape}]`).join(", ")
      })`,
    );
  }
  const ax = normalizeAxis("concatenate", axis, nd);
  for (const t of ts) {
    if (t.ndim !== nd || t.shape.some((d, i) => i !== ax && d !== ts[0].shape[i])) {
      throw new RangeError(
        `concatenate: shapes ${ts.map((u) => `[${u.shape}]`).join(", ")} differ off axis ${ax}`,
      );
    }
  }
  if (ts.length === 1) return ts[0];
  return bind1(CONCATENATE, ts, { axis: ax });
}

/** The VJP of a concatenation of parts of `lengths` along `ax` (it holds no part). */
function concatenateVjp(lengths: readonly number[], ax: number): VjpFn {
  return ([g]) => {
    if (!g) return lengths.map(() => null);
    let at = 0;
    return lengths.map((n) => {
      const starts = g.shape.map((_, i) => (i === ax ? at : 0));
      const limits = g.shape.map((d, i) => (i === ax ? at + n : d));
      at += n;
      return slice(g, starts, limits);
    });
  };
}

/**
 * Joins tensors of one shape along a new axis.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.stack([np.zeros([2]), np.ones([2])], 1); // [[0, 1], [0, 1]]
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
 * import { np } from "../mod.ts";
 * const x = np.reshape(np.arange(8), [4, 2]);
 * np.split(x, 2, -1); // two halves of the last axis: [[0], [2], [4], [6]] and [[1], [3], [5], [7]]
 * np.split(x, [1, 3], 0); // x[:1], x[1:3], x[3:]
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
    if (!Array.isArray(sections) || !sections.every(Number.isInteger)) {
      throw new RangeError(
        `split: sections must be a positive integer or an array of integer indices, got ${sections}`,
      );
    }
    // Indices behave like Python slice bounds: negative ones count from the end.
    cuts = sections.map((c) => Math.min(Math.max(c < 0 ? c + len : c, 0), len));
  }
  const bounds = [0, ...cuts, len];
  const parts: Tensor[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i], hi = Math.max(bounds[i], bounds[i + 1]);
    parts.push(slice(t, t.shape.map((_, d) => (d === ax ? lo : 0)), t.shape.map((s, d) => (d === ax ? hi : s))));
  }
  return parts;
}
