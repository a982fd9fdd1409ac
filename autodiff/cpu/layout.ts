/**
 * CPU kernels that move elements without arithmetic: transpose, broadcast,
 * strided slice, padding, concatenation, gather and its adjoint.
 *
 * Elements are moved as raw bits (see `bitsOf`) with loops compiled
 * per element width (see `specialize.ts`), and contiguous stretches go
 * through `set`, `fill` and `copyWithin`, which are memcpy and memset.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";
import { broadcastStrides, coalesce, forEachIndex, forEachRowBlock, rowLayout } from "./elementwise.ts";
import { compileLoop } from "./specialize.ts";

type Bits = Int32Array | Float64Array | Uint8Array;

/**
 * `a` viewed with one integer (or float64) per element, so that copies
 * move bits without converting them (a float32 NaN keeps its payload) and
 * a copy loop sees three array types whatever the dtype.
 */
function bitsOf(a: TypedArray): Bits {
  return a.BYTES_PER_ELEMENT === 4 ? new Int32Array(a.buffer, a.byteOffset, a.length) : a as Float64Array | Uint8Array;
}

/**
 * Below this many elements a loop beats the call and `subarray` of a `set`
 * (V8 on an Int32Array: 0.8 ns per element either way at 96).
 */
const SET_MIN = 96;

/**
 * `m` rows of `n` elements: row `r` of `dst` starts at `o + r * ro`, its
 * elements `t` apart; its source starts at `p + r * rp`, elements `s` apart.
 */
type CopyLoop = (
  dst: Bits,
  o: number,
  ro: number,
  t: number,
  src: Bits,
  p: number,
  rp: number,
  s: number,
  m: number,
  n: number,
) => void;

function copyLoop(kind: string, t: number, s: number): CopyLoop {
  const form = t !== 1 ? "step" : s === 1 ? "unit" : s === 0 ? "one" : "gather";
  const row = {
    unit: `if (n >= ${SET_MIN}) dst.set(src.subarray(p, p + n), o);
  else for (let i = 0; i < n; i++) dst[o + i] = src[p + i];`,
    one: "const v = src[p];\n  for (let i = 0; i < n; i++) dst[o + i] = v;",
    gather: "for (let i = 0; i < n; i++) dst[o + i] = src[p + i * s];",
    step: "for (let i = 0; i < n; i++) dst[o + i * t] = src[p + i * s];",
  }[form];
  return compileLoop<CopyLoop>(
    `copy ${kind} ${form}`,
    ["dst", "o", "ro", "t", "src", "p", "rp", "s", "m", "n"],
    () => `for (let r = 0; r < m; r++, o += ro, p += rp) {\n  ${row}\n}`,
  );
}

/** Gathers `x` through arbitrary per-axis source strides into a new dense array. */
function stridedCopy(
  x: TypedArray,
  outShape: Shape,
  srcStrides: number[],
  srcOffset: number,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  if (out.length === 0) return out;
  const dst = bitsOf(out), src = bitsOf(x);
  const rows = rowLayout(outShape, [srcStrides]);
  const [s] = rows.inner, [rp] = rows.step, n = rows.n;
  const copy = copyLoop(src.constructor.name, 1, s);
  forEachRowBlock(rows, (o, [p], m) => copy(dst, o, n, 1, src, p + srcOffset, rp, s, m, n));
  return out;
}

/**
 * `dst[o + j * os + i] = src[p + i * ps + j]` for `i < R`, `j < C`: a 2-d
 * transpose done in square tiles, so that both the strided reads and the
 * strided writes of a tile stay in cache.
 */
type TileLoop = (dst: Bits, o: number, os: number, src: Bits, p: number, ps: number, R: number, C: number) => void;

const TILE = 32;

function tileLoop(kind: string): TileLoop {
  return compileLoop<TileLoop>(
    `transpose ${kind}`,
    ["dst", "o", "os", "src", "p", "ps", "R", "C"],
    () =>
      `for (let i0 = 0; i0 < R; i0 += ${TILE}) {
  const i1 = Math.min(R, i0 + ${TILE});
  for (let j0 = 0; j0 < C; j0 += ${TILE}) {
    const j1 = Math.min(C, j0 + ${TILE});
    for (let j = j0; j < j1; j++) {
      const oj = o + j * os, pj = p + j;
      for (let i = i0; i < i1; i++) dst[oj + i] = src[pj + i * ps];
    }
  }
}`,
  );
}

/**
 * Permutes axes: `out.shape[i] = shape[perm[i]]`.
 *
 * Axes that stay neighbours merge first. If the last axis stays last, the
 * output is whole rows of `x`, copied with `set`; otherwise it is a batch
 * of 2-d transposes between the output's last axis and the axis that walks
 * `x` contiguously, done in tiles.
 *
 * @example
 * ```ts
 * import { transposeKernel } from "./layout.ts";
 * transposeKernel(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0], "float32"); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transposeKernel(x: TypedArray, shape: Shape, perm: readonly number[], dtype: DType): TypedArray {
  const s = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = perm.map((p) => s[p]);
  const c = coalesce(outShape, [srcStrides]);
  const k = c.shape.length, from = c.strides[0];
  // The output axis that walks `x` contiguously; none when at most one element.
  const q = from.indexOf(1);
  if (x.length === 0 || q < 0 || q === k - 1) return stridedCopy(x, outShape, srcStrides, 0, dtype);
  const out = allocate(dtype, x.length);
  const dst = bitsOf(out), src = bitsOf(x);
  const to = stridesOf(c.shape);
  const batch = c.shape.map((_, d) => d).filter((d) => d !== q && d !== k - 1);
  const tile = tileLoop(src.constructor.name);
  forEachIndex(
    batch.map((d) => c.shape[d]),
    [batch.map((d) => to[d]), batch.map((d) => from[d])],
    ([o, p]) => tile(dst, o, to[q], src, p, from[k - 1], c.shape[k - 1], c.shape[q]),
  );
  return out;
}

/**
 * The number of `fill`, `set` and `copyWithin` calls {@link replicate}
 * makes: one per innermost run it writes, and one per doubling along each
 * broadcast axis.
 */
function replicateCalls(shape: number[], strides: number[]): number {
  let runs = 1, doublings = 0;
  for (let d = 0; d < shape.length - 1; d++) {
    if (strides[d] === 0) doublings += runs * Math.ceil(Math.log2(shape[d]));
    else runs *= shape[d];
  }
  return runs + doublings;
}

/**
 * Writes the block of `dst` at `o` that axes `d..` of `shape` span, from
 * `src` at `p`. Along a broadcast axis (stride 0) the first sub-block is
 * written and then doubled with `copyWithin` until the axis is full.
 */
function replicate(dst: Bits, src: Bits, shape: number[], strides: number[], d: number, o: number, p: number): void {
  const n = shape[d], s = strides[d];
  if (d === shape.length - 1) {
    if (s === 0) dst.fill(src[p], o, o + n);
    else dst.set(src.subarray(p, p + n), o);
    return;
  }
  let block = 1;
  for (let e = d + 1; e < shape.length; e++) block *= shape[e];
  if (s !== 0) {
    for (let i = 0; i < n; i++) replicate(dst, src, shape, strides, d + 1, o + i * block, p + i * s);
    return;
  }
  replicate(dst, src, shape, strides, d + 1, o, p);
  for (let done = 1; done < n;) {
    const count = Math.min(done, n - done);
    dst.copyWithin(o + done * block, o, o + count * block);
    done += count;
  }
}

/**
 * Repeats `x` along broadcast axes to fill `outShape`.
 *
 * @example
 * ```ts
 * import { broadcastKernel } from "./layout.ts";
 * broadcastKernel(new Float32Array([1, 2]), [2, 1], [2, 2], "float32"); // [1, 1, 2, 2]
 * ```
 */
export function broadcastKernel(x: TypedArray, shape: Shape, outShape: Shape, dtype: DType): TypedArray {
  const strides = broadcastStrides(shape, outShape);
  const c = coalesce(outShape, [strides]);
  const size = sizeOf(outShape);
  // Block copies pay a call each; short ones are faster done element by element.
  if (size === 0 || size < SET_MIN * replicateCalls(c.shape, c.strides[0])) {
    return stridedCopy(x, outShape, strides, 0, dtype);
  }
  const out = allocate(dtype, size);
  replicate(bitsOf(out), bitsOf(x), c.shape, c.strides[0], 0, 0, 0);
  return out;
}

/**
 * Strided slice: `sizes[d]` elements from `starts[d]` in steps of `steps[d]`.
 *
 * @example
 * ```ts
 * import { sliceKernel } from "./layout.ts";
 * sliceKernel(new Float32Array([0, 1, 2, 3, 4]), [5], [1], [2], [2], "float32"); // [1, 3]
 * ```
 */
export function sliceKernel(
  x: TypedArray,
  shape: Shape,
  starts: readonly number[],
  sizes: readonly number[],
  steps: readonly number[],
  dtype: DType,
): TypedArray {
  const s = stridesOf(shape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += starts[d] * s[d];
  return stridedCopy(x, sizes, s.map((v, d) => v * steps[d]), offset, dtype);
}

/**
 * Constant padding with non-negative `[lo, hi]` widths per axis.
 *
 * @example
 * ```ts
 * import { padKernel } from "./layout.ts";
 * padKernel(new Float32Array([1, 2]), [2], [[1, 2]], 0, "float32"); // [0, 1, 2, 0, 0]
 * ```
 */
export function padKernel(
  x: TypedArray,
  shape: Shape,
  pads: readonly (readonly [number, number])[],
  value: number,
  dtype: DType,
): TypedArray {
  const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = allocate(dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  if (sizeOf(shape) === 0) return out;
  const os = stridesOf(outShape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += pads[d][0] * os[d];
  // Walk the source row by row; a row lands contiguously in the output
  // unless the source's trailing axes have length 1.
  const dst = bitsOf(out), src = bitsOf(x);
  const rows = rowLayout(shape, [os, stridesOf(shape)]);
  const [ro, rp] = rows.step, [t, s] = rows.inner;
  const copy = copyLoop(src.constructor.name, t, s);
  forEachRowBlock(rows, (_, [o, p], m) => copy(dst, offset + o, ro, t, src, p, rp, s, m, rows.n));
  return out;
}

/**
 * Concatenates along `axis` (all other axes equal).
 *
 * @example
 * ```ts
 * import { concatKernel } from "./layout.ts";
 * const a = { data: new Float32Array([1, 2]), shape: [2, 1] }, b = { data: new Float32Array([3, 4]), shape: [2, 1] };
 * concatKernel([a, b], 1, "float32"); // [1, 3, 2, 4]
 * ```
 */
export function concatKernel(
  xs: readonly { data: TypedArray; shape: Shape }[],
  axis: number,
  dtype: DType,
): TypedArray {
  const outer = sizeOf(xs[0].shape.slice(0, axis));
  const chunks = xs.map((x) => sizeOf(x.shape.slice(axis)));
  const row = chunks.reduce((a, b) => a + b, 0);
  const out = allocate(dtype, outer * row);
  let col = 0;
  xs.forEach((x, k) => {
    const c = chunks[k];
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * c, o * c + c), o * row + col);
    col += c;
  });
  return out;
}

/**
 * Indices in `[-len, len)` with the negative ones counted from the end; any
 * other index is an error naming `take` (the op users call) and the axis.
 */
function wrapIndices(indices: TypedArray, len: number, axis: number, shape: Shape): TypedArray {
  let out: Int32Array | null = null;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (v >= 0 && v < len) continue;
    if (!(v < 0 && v >= -len)) {
      throw new RangeError(`take: index ${v} is out of bounds for axis ${axis} of shape [${shape}]`);
    }
    out ??= Int32Array.from(indices);
    out[i] = v + len;
  }
  return out ?? indices;
}

/**
 * `out[pre, i, post] = x[pre, indices[i], post]`; indices in `[-len, len)`,
 * negative ones counted from the end (others throw).
 *
 * @example
 * ```ts
 * import { gatherKernel } from "./layout.ts";
 * gatherKernel(new Float32Array([10, 20, 30]), [3], new Int32Array([2, 0, 2]), 0, "float32"); // [30, 10, 30]
 * ```
 */
export function gatherKernel(
  x: TypedArray,
  shape: Shape,
  indices: TypedArray,
  axis: number,
  dtype: DType,
): TypedArray {
  const len = shape[axis];
  indices = wrapIndices(indices, len, axis, shape);
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const m = indices.length;
  const out = allocate(dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const src = (o * len + indices[i]) * inner;
      out.set(x.subarray(src, src + inner), (o * m + i) * inner);
    }
  }
  return out;
}

/**
 * Adjoint of {@link gatherKernel}: accumulates rows into zeros.
 *
 * @example
 * ```ts
 * import { scatterAddKernel } from "./layout.ts";
 * scatterAddKernel(new Float32Array([1, 2, 3]), new Int32Array([2, 0, 2]), 0, [3], "float32"); // [2, 0, 4]
 * ```
 */
export function scatterAddKernel(
  updates: TypedArray,
  indices: TypedArray,
  axis: number,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const len = outShape[axis];
  indices = wrapIndices(indices, len, axis, outShape);
  const inner = sizeOf(outShape.slice(axis + 1));
  const outer = sizeOf(outShape.slice(0, axis));
  const m = indices.length;
  const out = allocate(dtype, sizeOf(outShape));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const dst = (o * len + indices[i]) * inner;
      const src = (o * m + i) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] += updates[src + j];
    }
  }
  return out;
}
