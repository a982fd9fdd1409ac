/**
 * Test helpers for property tests of the op layer: seeded values,
 * fast-check arbitraries for shapes (broadcast pairs included) and a naive
 * index-by-index reference for n-d arrays, written independently of the
 * library's kernels.
 */
import fc from "fast-check";
import { np, type Tensor } from "../../mod.ts";

/** A seeded uniform generator on `[0, 1)` (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in `[lo, hi)`. */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** `n` values whose magnitudes lie in `[lo, hi)`, with random signs (never near 0 when `lo > 0`). */
export function awayFromZero(n: number, seed: number, lo = 0.2, hi = 1.5): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r()));
}

/** `n` distinct values, shuffled, any two at least 0.05 apart (no ties for max/min/sort). */
export function distinctValues(n: number, seed: number): number[] {
  const r = rng(seed);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.04 * r());
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float64 tensor from flat values. */
export function f64(values: readonly number[], shape: readonly number[]): Tensor {
  return np.array(values.slice(), { shape: shape.slice(), dtype: "float64" });
}

/** A float64 tensor of uniform values in `[lo, hi)`. */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return f64(randomValues(numel(shape), seed, lo, hi), shape);
}

/** Seeds for the value generators. */
export const seedArb: fc.Arbitrary<number> = fc.integer({ min: 1, max: 0x7fffffff });

/** Shapes of rank `minRank..maxRank` with axes of length `1..maxDim`. */
export function shapeArb(minRank = 0, maxRank = 3, maxDim = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together: both derive from one output shape by
 * dropping leading axes and setting some axes to 1.
 */
export function broadcastPairArb(maxRank = 3, maxDim = 3): fc.Arbitrary<[number[], number[]]> {
  return fc.tuple(shapeArb(0, maxRank, maxDim), seedArb).map(([out, seed]) => {
    const r = rng(seed);
    const derive = () => {
      const drop = Math.floor(r() * (out.length + 1) * 0.6);
      return out.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
    };
    return [derive(), derive()];
  });
}

/** Multi-index of flat position `i` in a row-major `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat position of a multi-index in a row-major `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

/** numpy broadcast of two shapes, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(Math.max(da, db));
  }
  return out;
}

/** Value of `data` (of `shape`) seen at `outIdx` of a broadcast to a larger shape. */
export function broadcastRead(data: ArrayLike<number>, shape: readonly number[], outIdx: readonly number[]): number {
  const off = outIdx.length - shape.length;
  const idx = shape.map((d, i) => (d === 1 ? 0 : outIdx[i + off]));
  return data[ravel(idx, shape)];
}

/** Builds flat values of `shape` from a function of the multi-index. */
export function build(shape: readonly number[], at: (idx: number[]) => number): number[] {
  return Array.from({ length: numel(shape) }, (_, i) => at(unravel(i, shape)));
}

/** Naive broadcast binary map. */
export function refBinary(
  f: (x: number, y: number) => number,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
): { data: number[]; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  if (!shape) throw new Error(`refBinary: [${aShape}] and [${bShape}] do not broadcast`);
  return { shape, data: build(shape, (idx) => f(broadcastRead(a, aShape, idx), broadcastRead(b, bShape, idx))) };
}

/** Naive reduction of `axes` (sorted) with `f` folded from `init`. */
export function refReduce(
  data: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  f: (acc: number, v: number) => number,
  init: number,
): { data: number[]; shape: number[] } {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const out = new Array<number>(numel(outShape)).fill(init);
  for (let i = 0; i < numel(shape); i++) {
    const idx = unravel(i, shape);
    const o = ravel(idx.filter((_, d) => !axes.includes(d)), outShape);
    out[o] = f(out[o], data[i]);
  }
  return { data: out, shape: outShape };
}
