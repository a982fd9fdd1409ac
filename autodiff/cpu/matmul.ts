/**
 * CPU kernel of batched matrix products.
 *
 * The 2-d core walks `i, p, j` so that the innermost loop streams a row of
 * `b` and a row of the output, accumulating in float64. A zero in `a` skips
 * its whole row of `b`: spike inputs (mostly zeros) cost only their active
 * entries, which is what makes event-driven layers cheap.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf } from "../shape.ts";
import { broadcastStrides } from "./elementwise.ts";

/** `c[m, n] = a[m, k] @ b[k, n]` on views starting at the given offsets. */
export function matmul2d(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const aRow = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[aRow + p];
      if (av === 0) continue;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) acc[j] += av * b[bRow + j];
    }
    const oRow = outOff + i * n;
    for (let j = 0; j < n; j++) out[oRow + j] = acc[j];
  }
}

/** `[...batch, m, k] @ [...batch, k, n]` with broadcast batch axes. */
export function matmulKernel(
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  dtype: DType,
): TypedArray {
  const m = aShape[aShape.length - 2], k = aShape[aShape.length - 1];
  const n = bShape[bShape.length - 1];
  const out = allocate(dtype, sizeOf(outShape));
  const batchShape = outShape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const sa = broadcastStrides(aShape.slice(0, -2), batchShape);
  const sb = broadcastStrides(bShape.slice(0, -2), batchShape);
  const idx = new Array<number>(batchShape.length).fill(0);
  let pa = 0, pb = 0;
  for (let t = 0; t < batch; t++) {
    matmul2d(a, pa * m * k, b, pb * k * n, out, t * m * n, m, k, n);
    for (let d = batchShape.length - 1; d >= 0; d--) {
      idx[d]++;
      pa += sa[d];
      pb += sb[d];
      if (idx[d] < batchShape[d]) break;
      pa -= sa[d] * batchShape[d];
      pb -= sb[d] * batchShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
