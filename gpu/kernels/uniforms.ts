/**
 * Uniform blocks of the structural kernels (reductions, layout, indexing,
 * windows, convolution): a few named scalar words followed by named
 * per-axis arrays of {@link MAX_RANK} words. WGSL lays uniform arrays out
 * with a 16-byte element stride, so each array is `array<vec4<u32>, 2>`
 * and is read through {@link axisWgsl}; the scalar header is padded to a
 * whole `vec4`. Words are 32-bit integers; a negative number is stored as
 * its two's complement and read back with `bitcast<i32>`.
 *
 * @module
 */
import { allocate, type DType } from "../../autodiff/dtype.ts";
import { MAX_RANK } from "./indexing.ts";

/** The names of a block's scalar words and of its per-axis arrays. */
export interface UniformLayout {
  readonly scalars: readonly string[];
  readonly arrays: readonly string[];
}

function headerWords(layout: UniformLayout): number {
  return Math.ceil(layout.scalars.length / 4) * 4;
}

/**
 * The WGSL struct `U` of `layout` and its binding at `binding`, as
 * `var<uniform> u: U`.
 *
 * @example
 * ```ts
 * uniformWgsl({ scalars: ["n", "rank"], arrays: ["shape"] }, 2);
 * // "struct U { n: u32, rank: u32, _p0: u32, _p1: u32, shape: array<vec4<u32>, 2>, };\n@group(0) @binding(2) ..."
 * ```
 */
export function uniformWgsl(layout: UniformLayout, binding: number): string {
  const fields = layout.scalars.map((s) => `${s}: u32,`);
  for (let i = layout.scalars.length; i < headerWords(layout); i++) fields.push(`_p${i}: u32,`);
  for (const a of layout.arrays) fields.push(`${a}: array<vec4<u32>, ${MAX_RANK / 4}>,`);
  return `struct U { ${fields.join(" ")} };\n@group(0) @binding(${binding}) var<uniform> u: U;`;
}

/**
 * The words of `layout` for the given values: every scalar and array must
 * be named; an array holds at most {@link MAX_RANK} entries (the rest are 0).
 *
 * @example
 * ```ts
 * packUniforms({ scalars: ["n"], arrays: ["shape"] }, { n: 6 }, { shape: [2, 3] });
 * ```
 */
export function packUniforms(
  layout: UniformLayout,
  scalars: Readonly<Record<string, number>>,
  arrays: Readonly<Record<string, readonly number[]>> = {},
): Uint32Array {
  const head = headerWords(layout);
  const words = new Int32Array(head + MAX_RANK * layout.arrays.length);
  layout.scalars.forEach((s, i) => {
    if (!(s in scalars)) throw new Error(`webgpu: internal: uniform ${s} is missing`);
    words[i] = scalars[s];
  });
  layout.arrays.forEach((a, k) => {
    const v = arrays[a];
    if (v === undefined) throw new Error(`webgpu: internal: uniform array ${a} is missing`);
    if (v.length > MAX_RANK) throw new Error(`webgpu: internal: uniform array ${a} has ${v.length} > ${MAX_RANK} axes`);
    words.set(v, head + MAX_RANK * k);
  });
  return new Uint32Array(words.buffer);
}

/**
 * WGSL reading entry `d` (a `u32` expression) of the uniform array `name`.
 *
 * @example
 * ```ts
 * axisWgsl("shape", "d"); // "u.shape[(d) / 4u][(d) % 4u]"
 * ```
 */
export function axisWgsl(name: string, d: string): string {
  return `u.${name}[(${d}) / 4u][(${d}) % 4u]`;
}

/**
 * The 32-bit pattern of `value` stored as `dtype` (as a typed array of
 * that dtype stores it: float32 rounded, int32 wrapped, bool 0 or 1), for
 * a kernel that writes raw words.
 *
 * @example
 * ```ts
 * valueBits(1, "float32"); // 0x3f800000
 * ```
 */
export function valueBits(value: number, dtype: DType): number {
  const a = allocate(dtype, 1);
  a[0] = value;
  if (dtype === "bool") return a[0] !== 0 ? 1 : 0;
  return new Uint32Array(a.buffer, 0, 1)[0];
}

/**
 * A `[x, y, 1]` grid of `count` workgroups (two dimensions past 65535)
 * and the row length a shader uses to number them:
 * `wg.x + wg.y * rowLength`.
 *
 * @example
 * ```ts
 * workgroupGrid(70000); // { workgroups: [65535, 2, 1], rowLength: 65535 }
 * ```
 */
export function workgroupGrid(count: number): { workgroups: [number, number, number]; rowLength: number } {
  const x = Math.max(1, Math.min(count, 65535));
  return { workgroups: [x, Math.ceil(Math.max(1, count) / x), 1], rowLength: x };
}

/** WGSL that is NaN-safe under any float optimisation: a NaN is any exponent-all-ones word with a mantissa. */
export const ISNAN_WGSL = "fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }";
