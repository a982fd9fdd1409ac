/**
 * Index arithmetic shared by the WGSL kernels: how an output element's
 * linear index maps to each operand's element through numpy broadcasting,
 * passed to the shader as strides in the uniforms.
 *
 * @module
 */

/** Axes a strided kernel supports (operands of higher rank are coalesced first). */
export const MAX_RANK = 8;

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Strides of an operand of `shape` read at the positions of `outShape`
 * (0 along broadcast axes).
 *
 * @example
 * ```ts
 * broadcastStrides([3, 1], [2, 3, 4]); // [0, 1, 0]
 * ```
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const src = i - off;
    return src < 0 || shape[src] === 1 ? 0 : s[src];
  });
}

/**
 * Merges neighbouring axes that every operand walks contiguously, and drops
 * length-1 axes, so that most broadcasts need two or three axes.
 *
 * @example
 * ```ts
 * coalesce([2, 3, 4], [[12, 4, 1], [0, 0, 1]]); // { shape: [6, 4], strides: [[4, 1], [0, 1]] }
 * ```
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => out[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (out[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => out[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: out };
}

/**
 * WGSL that computes, from the output index `i`, the index `<name>` of each
 * operand: `idx_<k>`, walking the axes of the uniform `u.shape` and
 * `u.s<k>` (vec4-packed arrays of `MAX_RANK` words).
 *
 * @example
 * ```ts
 * stridedIndexWgsl(2); // "var rem = i; var idx_0 = 0u; var idx_1 = 0u; ..."
 * ```
 */
export function stridedIndexWgsl(operands: number): string {
  const decls = Array.from({ length: operands }, (_, k) => `var idx_${k} = 0u;`).join(" ");
  const adds = Array.from({ length: operands }, (_, k) => `idx_${k} += c * u.s${k}[d / 4u][d % 4u];`).join(" ");
  return `var rem = i; ${decls}
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let len = u.shape[d / 4u][d % 4u];
    let c = rem % len;
    rem = rem / len;
    ${adds}
  }`;
}

/** The WGSL uniform struct of a strided kernel over `operands` operands. */
export function stridedUniformsWgsl(operands: number): string {
  const fields = Array.from({ length: operands }, (_, k) => `s${k}: array<vec4<u32>, ${MAX_RANK / 4}>,`).join(" ");
  return `struct U { n: u32, rank: u32, stride: u32, pad: u32, shape: array<vec4<u32>, ${MAX_RANK / 4}>, ${fields} };`;
}

/**
 * The uniform words of a strided kernel: `n`, the rank, the grid's row
 * stride, then the shape and each operand's strides padded to `MAX_RANK`.
 */
export function stridedUniforms(
  n: number,
  gridStride: number,
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): Uint32Array {
  const words = new Uint32Array(4 + MAX_RANK * (1 + strides.length));
  words.set([n, shape.length, gridStride, 0]);
  words.set(shape, 4);
  strides.forEach((s, k) => words.set(s, 4 + MAX_RANK * (1 + k)));
  return words;
}
