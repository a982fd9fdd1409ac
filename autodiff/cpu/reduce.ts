/**
 * CPU kernels of reductions. Sums of float32 accumulate in float64 so that
 * results do not depend on the reduction order as much and long sums stay
 * accurate.
 *
 * @module
 */
import type { ReduceOp } from "../backend.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";

const INIT: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/**
 * Reduces the sorted `axes` of `x` away (max and min propagate NaN).
 *
 * @example
 * ```ts
 * import { reduceKernel } from "./reduce.ts";
 * reduceKernel("sum", new Float32Array([1, 2, 3, 4]), [2, 2], [0], "float32"); // [4, 6]
 * ```
 */
export function reduceKernel(
  op: ReduceOp,
  x: TypedArray,
  shape: Shape,
  axes: readonly number[],
  dtype: DType,
): TypedArray {
  const keep = shape.map((_, i) => !axes.includes(i));
  const outShape = shape.filter((_, i) => keep[i]);
  const outSize = sizeOf(outShape);
  const acc = new Float64Array(outSize).fill(INIT[op]);
  const n = x.length;
  // Inner block: the trailing run of reduced axes is contiguous.
  let innerReduced = 1;
  let d = shape.length - 1;
  while (d >= 0 && !keep[d]) innerReduced *= shape[d--];
  const allTrailing = axes.every((a) => a > d);
  if (allTrailing && n > 0) {
    for (let o = 0; o < outSize; o++) {
      let v = INIT[op];
      const base = o * innerReduced;
      if (op === "sum") { for (let i = 0; i < innerReduced; i++) v += x[base + i]; }
      else if (op === "max") {
        for (let i = 0; i < innerReduced; i++) {
          const e = x[base + i];
          if (e > v || e !== e) v = e;
          if (v !== v) break;
        }
      } else if (op === "min") {
        for (let i = 0; i < innerReduced; i++) {
          const e = x[base + i];
          if (e < v || e !== e) v = e;
          if (v !== v) break;
        }
      } else for (let i = 0; i < innerReduced; i++) v *= x[base + i];
      acc[o] = v;
    }
  } else if (n > 0) {
    const outStrides = stridesOf(outShape);
    const mapStride: number[] = [];
    let k = 0;
    for (let i = 0; i < shape.length; i++) mapStride.push(keep[i] ? outStrides[k++] : 0);
    const nd = shape.length;
    const idx = new Array<number>(nd).fill(0);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const e = x[i];
      if (op === "sum") acc[o] += e;
      else if (op === "prod") acc[o] *= e;
      else if (op === "max") {
        if (e > acc[o] || e !== e) acc[o] = e;
      } else if (e < acc[o] || e !== e) acc[o] = e;
      for (let a = nd - 1; a >= 0; a--) {
        idx[a]++;
        o += mapStride[a];
        if (idx[a] < shape[a]) break;
        o -= mapStride[a] * shape[a];
        idx[a] = 0;
      }
    }
  }
  const out = allocate(dtype, outSize);
  out.set(acc);
  return out;
}

/**
 * Index of the first maximum (or minimum) along `axis`; NaN wins, as in numpy.
 *
 * @example
 * ```ts
 * import { argReduceKernel } from "./reduce.ts";
 * argReduceKernel("argmax", new Float32Array([1, 5, 5, 0]), [2, 2], 1); // Int32Array [1, 0]
 * ```
 */
export function argReduceKernel(
  op: "argmax" | "argmin",
  x: TypedArray,
  shape: Shape,
  axis: number,
): Int32Array {
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new Int32Array(outer * inner);
  const better = op === "argmax" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = x[base], bi = 0;
      if (best === best) {
        for (let j = 1; j < len; j++) {
          const v = x[base + j * inner];
          if (v !== v) {
            bi = j;
            break;
          }
          if (better(v, best)) {
            best = v;
            bi = j;
          }
        }
      }
      out[o * inner + i] = bi;
    }
  }
  return out;
}
