/**
 * CPU kernels of reductions. Every op accumulates in float64 (float32 sums
 * included) and adds in index order, so results do not depend on the layout
 * path taken and long sums stay accurate.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf } from "../shape.ts";
import { forEachIndex } from "./elementwise.ts";
import { compileLoop } from "./specialize.ts";

/** The reductions over a set of axes. */
export type ReduceOp = "sum" | "max" | "min" | "prod";

const INIT: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/** Each op as a statement that folds element `e` into `v`; NaN wins in max and min, as in numpy. */
const STEP: Record<ReduceOp, string> = {
  sum: "v += e;",
  prod: "v *= e;",
  max: "if (e > v || e !== e) v = e;",
  min: "if (e < v || e !== e) v = e;",
};

/**
 * Folds the contiguous block `x[xo ..]` of shape `[O, R, I]` over its middle
 * axis into `acc[ao ..]` of shape `[O, I]`.
 */
type BlockLoop = (acc: Float64Array, ao: number, x: TypedArray, xo: number, O: number, R: number, I: number) => void;

function blockLoop(op: ReduceOp, dtype: DType): BlockLoop {
  // A trailing reduced run keeps its partial result in a register; otherwise
  // whole rows of `I` are folded into the accumulator, reading `x` in order.
  return compileLoop<BlockLoop>(`reduce ${op} ${dtype}`, ["acc", "ao", "x", "xo", "O", "R", "I"], () =>
    `if (I === 1) {
  for (let o = 0; o < O; o++) {
    const base = xo + o * R;
    let v = acc[ao + o];
    for (let r = 0; r < R; r++) { const e = x[base + r]; ${STEP[op]} }
    acc[ao + o] = v;
  }
} else {
  for (let o = 0; o < O; o++) {
    const ab = ao + o * I;
    for (let r = 0; r < R; r++) {
      const base = xo + (o * R + r) * I;
      for (let j = 0; j < I; j++) { let v = acc[ab + j]; const e = x[base + j]; ${STEP[op]} acc[ab + j] = v; }
    }
  }
}`);
}

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
  const outSize = sizeOf(shape.filter((_, i) => !axes.includes(i)));
  const acc = new Float64Array(outSize).fill(INIT[op]);
  if (x.length > 0) {
    // Runs of neighbouring axes that are all reduced or all kept, length-1 axes dropped.
    const sizes: number[] = [], reduced: boolean[] = [];
    shape.forEach((d, i) => {
      if (d === 1) return;
      const r = axes.includes(i), last = sizes.length - 1;
      if (last >= 0 && reduced[last] === r) sizes[last] *= d;
      else {
        sizes.push(d);
        reduced.push(r);
      }
    });
    // The last reduced run with the kept runs around it form the block; the
    // runs before it are walked in order, kept ones advancing the output.
    const t = reduced.lastIndexOf(true);
    const after = t >= 0 && t + 1 < sizes.length ? sizes[t + 1] : 1;
    const before = t >= 1 ? sizes[t - 1] : t < 0 ? x.length : 1;
    const R = t >= 0 ? sizes[t] : 1;
    const prefix = t >= 1 ? t - 1 : 0;
    const xStrides: number[] = [], accStrides: number[] = [];
    let xs = before * R * after, as = before * after;
    for (let d = prefix - 1; d >= 0; d--) {
      xStrides[d] = xs;
      accStrides[d] = reduced[d] ? 0 : as;
      xs *= sizes[d];
      if (!reduced[d]) as *= sizes[d];
    }
    const block = blockLoop(op, dtype);
    forEachIndex(sizes.slice(0, prefix), [xStrides, accStrides], ([xo, ao]) => block(acc, ao, x, xo, before, R, after));
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
