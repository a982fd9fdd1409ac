/**
 * WGSL kernel of the general dilated convolution in canonical layout:
 * `lhs [N, C, ...spatial]`, `rhs [O, C/groups, ...window]`,
 * `out [N, O, ...outSpatial]`, strides, `[lo, hi]` padding (negative
 * crops), lhs and rhs dilation and feature groups, any number of spatial
 * axes up to {@link MAX_RANK}.
 *
 * A direct kernel, one invocation per output element: for each window
 * point it finds the input element read there (none on padding or between
 * dilated input elements, as the CPU's `axisTable` decides), then adds the
 * products over the group's input channels. spyx's convolutional nets are
 * small, so the simple loop is the right first kernel; the accumulation is
 * in the operands' type (the CPU accumulates in float64).
 *
 * @module
 */
import type { ConvParams } from "../../autodiff/ops/conv.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import { MAX_RANK, stridesOf } from "./indexing.ts";
import { axisWgsl, packUniforms, uniformWgsl } from "./uniforms.ts";

const LAYOUT = {
  scalars: ["n", "row", "rank", "O", "C", "Cg", "Og", "points", "inSize", "positions"],
  arrays: ["inShape", "inStrides", "outShape", "window", "strides", "lo", "lhsDil", "rhsDil"],
};

function convWgsl(t: string): string {
  const a = (name: string) => axisWgsl(name, "d");
  return `@group(0) @binding(0) var<storage, read> lhs: array<${t}>;
@group(0) @binding(1) var<storage, read> rhs: array<${t}>;
@group(0) @binding(2) var<storage, read_write> y: array<${t}>;
${uniformWgsl(LAYOUT, 3)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  let pos = i % u.positions;
  let o = (i / u.positions) % u.O;
  let b = i / (u.positions * u.O);
  let grp = o / u.Og;
  // Output coordinates, less the low padding: the window's origin in the padded, dilated input.
  var origin: array<i32, ${MAX_RANK}>;
  var rem = pos;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    origin[d] = i32((rem % ${a("outShape")}) * ${a("strides")}) - bitcast<i32>(${a("lo")});
    rem = rem / ${a("outShape")};
  }
  let lhsBase = (b * u.C + grp * u.Cg) * u.inSize;
  let rhsBase = o * u.Cg * u.points;
  var acc = ${t}(0);
  for (var k = 0u; k < u.points; k++) {
    var kr = k;
    var off = 0u;
    var hit = true;
    for (var dd = 0u; dd < u.rank; dd++) {
      let d = u.rank - 1u - dd;
      let q = origin[d] + i32((kr % ${a("window")}) * ${a("rhsDil")});
      kr = kr / ${a("window")};
      let dil = i32(${a("lhsDil")});
      if (q < 0 || q % dil != 0 || q / dil >= i32(${a("inShape")})) { hit = false; break; }
      off += u32(q / dil) * ${a("inStrides")};
    }
    if (!hit) { continue; }
    for (var c = 0u; c < u.Cg; c++) {
      acc += lhs[lhsBase + c * u.inSize + off] * rhs[rhsBase + c * u.points + k];
    }
  }
  y[i] = acc;
}`;
}

registerGpuKernel<ConvParams>("conv", ([lhs, rhs], params, [aval]) => {
  const t = wgslType(lhs.dtype);
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return [out];
  const inSpatial = lhs.shape.slice(2), window = rhs.shape.slice(2), outSpatial = aval.shape.slice(2);
  if (inSpatial.length > MAX_RANK) {
    throw new Error(`webgpu: conv over ${inSpatial.length} spatial axes (at most ${MAX_RANK})`);
  }
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const [O, Cg] = rhs.shape;
  const g = grid(n);
  const uniforms = packUniforms(LAYOUT, {
    n,
    row: g.stride,
    rank: inSpatial.length,
    O,
    C: lhs.shape[1],
    Cg,
    Og: O / params.featureGroupCount,
    points: size(window),
    inSize: size(inSpatial),
    positions: size(outSpatial),
  }, {
    inShape: inSpatial,
    inStrides: stridesOf(inSpatial),
    outShape: outSpatial,
    window,
    strides: params.strides,
    lo: params.padding.map(([lo]) => lo),
    lhsDil: params.lhsDilation,
    rhsDil: params.rhsDilation,
  });
  dispatch(`conv:${t}`, () => convWgsl(t), [handleOf(lhs), handleOf(rhs), out], uniforms, g.workgroups);
  return [out];
});
