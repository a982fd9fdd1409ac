/**
 * CPU kernel of the general dilated convolution, in canonical layout:
 * `lhs [N, C, ...spatial]`, `rhs [O, C/groups, ...window]`,
 * `out [N, O, ...outSpatial]`, any number of spatial axes.
 *
 * The kernel is im2col + matmul: for each batch element and feature group it
 * gathers the input patches into a `[positions, C/groups * window]` matrix
 * and multiplies it by the group's transposed kernel with `matmul2d`. The
 * patch matrix is the left operand on purpose: `matmul2d` skips zero entries
 * of its left operand, so spike inputs (mostly zeros) and the stride-dilated
 * cotangents of the backward pass cost only their non-zero entries.
 *
 * Which input element (if any) feeds output position `y` through window
 * position `k` depends only on the geometry, so it is tabulated once per call
 * (`patchOffsets`) and the inner loops are plain table look-ups.
 *
 * @module
 */
import type { ConvParams } from "../ops/conv.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";
import { matmul2d } from "./matmul.ts";

/** Target size (elements) of one block of the patch matrix. */
const PATCH_BLOCK_ELEMENTS = 1 << 15;

/**
 * Input index along one spatial axis read by output index `y` through window
 * index `k`, or -1 when that point falls on padding or between dilated input
 * elements. Laid out as `[y * window + k]`.
 */
function axisTable(
  inSize: number,
  outSize: number,
  window: number,
  stride: number,
  lo: number,
  lhsDilation: number,
  rhsDilation: number,
): Int32Array {
  const table = new Int32Array(outSize * window);
  for (let y = 0; y < outSize; y++) {
    for (let k = 0; k < window; k++) {
      // Position in the dilated input (padding removed).
      const q = y * stride + k * rhsDilation - lo;
      let x = -1;
      if (q >= 0 && q % lhsDilation === 0) {
        const i = q / lhsDilation;
        if (i < inSize) x = i;
      }
      table[y * window + k] = x;
    }
  }
  return table;
}

/** Coordinates of every flat index of `shape`, `[index * rank + axis]`. */
function coordinates(shape: Shape): Int32Array {
  const rank = shape.length;
  const n = sizeOf(shape);
  const out = new Int32Array(n * rank);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < rank; d++) out[i * rank + d] = idx[d];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Flat spatial offset into one input channel read by output position `p`
 * through window position `k` (`[p * windowSize + k]`), -1 for zeros.
 */
function patchOffsets(inSpatial: Shape, window: Shape, outSpatial: Shape, params: ConvParams): Int32Array {
  const nd = inSpatial.length;
  const tables = inSpatial.map((n, d) =>
    axisTable(
      n,
      outSpatial[d],
      window[d],
      params.strides[d],
      params.padding[d][0],
      params.lhsDilation[d],
      params.rhsDilation[d],
    )
  );
  const inStrides = stridesOf(inSpatial);
  const pc = coordinates(outSpatial), kc = coordinates(window);
  const P = sizeOf(outSpatial), K = sizeOf(window);
  const offsets = new Int32Array(P * K);
  for (let p = 0; p < P; p++) {
    for (let k = 0; k < K; k++) {
      let off = 0;
      for (let d = 0; d < nd; d++) {
        const x = tables[d][pc[p * nd + d] * window[d] + kc[k * nd + d]];
        if (x < 0) {
          off = -1;
          break;
        }
        off += x * inStrides[d];
      }
      offsets[p * K + k] = off;
    }
  }
  return offsets;
}

/**
 * Convolution of `lhs [N, C, ...spatial]` with `rhs [O, C/groups, ...window]`
 * into `outShape = [N, O, ...outSpatial]` (computed and validated by the op
 * layer). Padding may be negative (it then crops the dilated input).
 *
 * @example
 * ```ts
 * const params = {
 *   strides: [1],
 *   padding: [[0, 0]] as [number, number][],
 *   lhsDilation: [1],
 *   rhsDilation: [1],
 *   featureGroupCount: 1,
 * };
 * const x = new Float32Array([1, 2, 3]), w = new Float32Array([1, 1]);
 * convKernel(x, [1, 1, 3], w, [1, 1, 2], params, [1, 1, 2], "float32");
 * // Float32Array [3, 5]
 * ```
 */
export function convKernel(
  lhs: TypedArray,
  lhsShape: Shape,
  rhs: TypedArray,
  rhsShape: Shape,
  params: ConvParams,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  const N = lhsShape[0], C = lhsShape[1], O = rhsShape[0], Cg = rhsShape[1];
  const G = params.featureGroupCount, Og = O / G;
  const inSpatial = lhsShape.slice(2), window = rhsShape.slice(2), outSpatial = outShape.slice(2);
  const P = sizeOf(outSpatial), K = sizeOf(window), inSize = sizeOf(inSpatial);
  const depth = Cg * K;
  if (out.length === 0 || depth === 0) return out;
  const offsets = patchOffsets(inSpatial, window, outSpatial, params);
  // Output positions are processed in blocks so that the patch matrix stays
  // cache-sized however large the image is.
  const block = Math.max(1, Math.min(P, Math.floor(PATCH_BLOCK_ELEMENTS / depth)));
  const cols = new Float64Array(block * depth);
  const wT = new Float64Array(depth * Og);
  const prod = new Float64Array(block * Og);
  for (let g = 0; g < G; g++) {
    // wT[c*K + k, o] = rhs[g*Og + o, c, k]
    for (let o = 0; o < Og; o++) {
      const src = (g * Og + o) * depth;
      for (let r = 0; r < depth; r++) wT[r * Og + o] = rhs[src + r];
    }
    for (let n = 0; n < N; n++) {
      for (let p0 = 0; p0 < P; p0 += block) {
        const rows = Math.min(block, P - p0);
        for (let c = 0; c < Cg; c++) {
          const base = (n * C + g * Cg + c) * inSize;
          for (let r = 0; r < rows; r++) {
            const row = r * depth + c * K, tab = (p0 + r) * K;
            for (let k = 0; k < K; k++) {
              const off = offsets[tab + k];
              cols[row + k] = off < 0 ? 0 : lhs[base + off];
            }
          }
        }
        matmul2d(cols, 0, wT, 0, prod, 0, rows, depth, Og);
        for (let o = 0; o < Og; o++) {
          const dst = (n * O + g * Og + o) * P + p0;
          for (let r = 0; r < rows; r++) out[dst + r] = prod[r * Og + o];
        }
      }
    }
  }
  return out;
}
