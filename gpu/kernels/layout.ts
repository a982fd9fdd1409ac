/**
 * WGSL kernels of the primitives that move elements without arithmetic:
 * `transpose`, `broadcast_to`, `slice`, `pad` and `concatenate`.
 *
 * Elements move as raw 32-bit words (`u32` whatever the dtype), so one
 * shader serves every dtype and a float32 NaN keeps its payload, as the
 * CPU's bit copies do. Transpose, broadcast and slice are one strided
 * copy: each output element reads the input at a signed offset plus a
 * signed stride per (coalesced) axis.
 *
 * @module
 */
import type { KernelTensor } from "../../autodiff/backend.ts";
import type {
  ConcatenateParams,
  PadParams,
  ShapeParams,
  SliceParams,
  TransposeParams,
} from "../../autodiff/ops/layout.ts";
import type { Aval } from "../../autodiff/core/primitive.ts";
import { deviceClient, type GpuHandle } from "../backend.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel } from "../dispatch.ts";
import { broadcastStrides, coalesce, MAX_RANK, stridesOf } from "./indexing.ts";
import { axisWgsl, packUniforms, uniformWgsl, valueBits } from "./uniforms.ts";

const COPY_LAYOUT = { scalars: ["n", "row", "rank", "offset"], arrays: ["shape", "strides"] };

const COPY_WGSL = `@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
${uniformWgsl(COPY_LAYOUT, 2)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  var rem = i;
  var src = bitcast<i32>(u.offset);
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let len = ${axisWgsl("shape", "d")};
    src += i32(rem % len) * bitcast<i32>(${axisWgsl("strides", "d")});
    rem = rem / len;
  }
  y[i] = x[u32(src)];
}`;

/**
 * `out[i] = x[offset + Σ c_d * strides[d]]` for the coordinates `c` of `i`
 * in `shape` (strides may be 0 or negative).
 */
function stridedCopy(x: GpuHandle, aval: Aval, strides: readonly number[], offset: number): GpuHandle {
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  const c = coalesce(aval.shape, [strides]);
  if (c.shape.length > MAX_RANK) {
    throw new Error(`webgpu: a copy over ${c.shape.length} axes that do not merge (at most ${MAX_RANK})`);
  }
  const g = grid(n);
  const uniforms = packUniforms(COPY_LAYOUT, { n, row: g.stride, rank: c.shape.length, offset }, {
    shape: c.shape,
    strides: c.strides[0],
  });
  dispatch("layout:copy", () => COPY_WGSL, [x, out], uniforms, g.workgroups);
  return out;
}

registerGpuKernel<TransposeParams>("transpose", ([x], { perm }, [aval]) => {
  const s = stridesOf(x.shape);
  return [stridedCopy(handleOf(x), aval, perm.map((p) => s[p]), 0)];
});

registerGpuKernel<ShapeParams>("broadcast_to", ([x], { shape }, [aval]) => [
  stridedCopy(handleOf(x), aval, broadcastStrides(x.shape, shape), 0),
]);

registerGpuKernel<SliceParams>("slice", ([x], { starts, steps }, [aval]) => {
  const s = stridesOf(x.shape);
  const offset = starts.reduce((o, st, d) => o + st * s[d], 0);
  return [stridedCopy(handleOf(x), aval, s.map((v, d) => v * steps[d]), offset)];
});

const PAD_LAYOUT = { scalars: ["n", "row", "rank", "value"], arrays: ["shape", "lo", "size", "strides"] };

const PAD_WGSL = `@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
${uniformWgsl(PAD_LAYOUT, 2)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  var rem = i;
  var src = 0u;
  var inside = true;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let len = ${axisWgsl("shape", "d")};
    let q = i32(rem % len) - i32(${axisWgsl("lo", "d")});
    rem = rem / len;
    if (q < 0 || q >= i32(${axisWgsl("size", "d")})) { inside = false; } else { src += u32(q) * ${
  axisWgsl("strides", "d")
}; }
  }
  var v = u.value;
  if (inside) { v = x[src]; }
  y[i] = v;
}`;

/**
 * The axes of a padding merged where the inner axis is not padded (a
 * whole row of the input then lands contiguously), length-1 unpadded
 * axes dropped: `out`, `lo` and `size` (input length) per merged axis.
 */
function padAxes(shape: readonly number[], pads: PadParams["pads"]) {
  const out: number[] = [], lo: number[] = [], size: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const [l, h] = pads[d];
    if (shape[d] === 1 && l === 0 && h === 0) continue;
    const inner = out.length > 0 && lo[0] === 0 && out[0] === size[0];
    if (inner) {
      lo[0] = l * out[0];
      out[0] *= shape[d] + l + h;
      size[0] *= shape[d];
    } else {
      out.unshift(shape[d] + l + h);
      lo.unshift(l);
      size.unshift(shape[d]);
    }
  }
  return { out, lo, size };
}

registerGpuKernel<PadParams>("pad", ([x], { pads, value }, [aval]) => {
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return [out];
  const axes = padAxes(x.shape, pads);
  if (axes.out.length > MAX_RANK) {
    throw new Error(`webgpu: pad over ${axes.out.length} axes that do not merge (at most ${MAX_RANK})`);
  }
  const g = grid(n);
  const uniforms = packUniforms(
    PAD_LAYOUT,
    { n, row: g.stride, rank: axes.out.length, value: valueBits(value, x.dtype) },
    { shape: axes.out, lo: axes.lo, size: axes.size, strides: stridesOf(axes.size) },
  );
  dispatch("layout:pad", () => PAD_WGSL, [handleOf(x), out], uniforms, g.workgroups);
  return [out];
});

const CONCAT_LAYOUT = { scalars: ["n", "row", "width", "rowLength", "col"], arrays: ["ends"] };

/** Operands one concatenation dispatch binds at most (within every device's binding limit, and a short shader). */
const CONCAT_GROUP = 7;

/**
 * WGSL copying `k` operands, side by side along the concatenated axis,
 * into columns `col ..< col + width` of rows of `rowLength` words. Operand
 * `m` covers columns `ends[m-1] ..< ends[m]` of the group.
 */
function concatWgsl(k: number): string {
  const bindings = Array.from(
    { length: k },
    (_, m) => `@group(0) @binding(${m}) var<storage, read> x${m}: array<u32>;`,
  );
  const reads = Array.from({ length: k }, (_, m) => {
    const start = m === 0 ? "0u" : axisWgsl("ends", `${m - 1}u`);
    const end = axisWgsl("ends", `${m}u`);
    const read = `v = x${m}[o * (${end} - ${start}) + j - ${start}];`;
    return m === k - 1 ? `{ ${read} }` : `if (j < ${end}) { ${read} }`;
  });
  return `${bindings.join("\n")}
@group(0) @binding(${k}) var<storage, read_write> y: array<u32>;
${uniformWgsl(CONCAT_LAYOUT, k + 1)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  let o = i / u.width;
  let j = i % u.width;
  var v = 0u;
  ${reads.join(" else ")}
  y[o * u.rowLength + u.col + j] = v;
}`;
}

registerGpuKernel<ConcatenateParams>("concatenate", (xs, { axis }, [aval]) => {
  const out = outputFor(aval);
  const outer = aval.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const chunk = (x: KernelTensor) => x.shape.slice(axis).reduce((a, b) => a * b, 1);
  const rowLength = chunk({ shape: aval.shape } as KernelTensor);
  if (outer * rowLength === 0) return [out];
  // One dispatch per group of operands: a shader binds a bounded number of buffers.
  const limit = deviceClient().info.limits.maxStorageBuffersPerShaderStage ?? 8;
  const group = Math.max(1, Math.min(CONCAT_GROUP, limit - 1));
  let col = 0;
  for (let first = 0; first < xs.length; first += group) {
    const members = xs.slice(first, first + group).filter((x) => chunk(x) > 0);
    if (members.length === 0) continue;
    const ends: number[] = [];
    let width = 0;
    for (const x of members) ends.push(width += chunk(x));
    const n = outer * width;
    const g = grid(n);
    const uniforms = packUniforms(CONCAT_LAYOUT, { n, row: g.stride, width, rowLength, col }, { ends });
    dispatch(
      `layout:concat:${members.length}`,
      () => concatWgsl(members.length),
      [...members.map(handleOf), out],
      uniforms,
      g.workgroups,
    );
    col += width;
  }
  return [out];
});
