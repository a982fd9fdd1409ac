/**
 * WGSL kernels of integer indexing along one axis: `gather` and its
 * adjoint `scatter_add`.
 *
 * Indices are int32, negative ones counted from the end. The CPU throws
 * for an index outside `[-len, len)`; the device cannot, so `gather` reads
 * 0 there and `scatter_add` drops that update.
 *
 * WGSL has no float atomics, so `scatter_add` is computed per output
 * element: each one sums, in index order, the updates whose index hits it.
 * That is deterministic and adds in the CPU's order, at the cost of a scan
 * of the index list per output element (fine for the index lists of
 * `take`, `flip` and `repeat`).
 *
 * @module
 */
import type { GatherParams, ScatterAddParams } from "../../autodiff/ops/indexing.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import { packUniforms, uniformWgsl } from "./uniforms.ts";

/** Both kernels view the data as `[outer, len or m, inner]`. */
const LAYOUT = { scalars: ["n", "row", "len", "m", "inner"], arrays: [] };

const WRAP_WGSL = `fn wrap_(v: i32) -> i32 { return select(v, v + i32(u.len), v < 0); }`;

const GATHER_WGSL = `@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
${uniformWgsl(LAYOUT, 3)}
${WRAP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  let j = i % u.inner;
  let k = (i / u.inner) % u.m;
  let o = i / (u.inner * u.m);
  let w = wrap_(idx[k]);
  var v = 0u;
  if (w >= 0 && w < i32(u.len)) { v = x[(o * u.len + u32(w)) * u.inner + j]; }
  y[i] = v;
}`;

registerGpuKernel<GatherParams>("gather", ([x, idx], { axis }, [aval]) => {
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return [out];
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const g = grid(n);
  const uniforms = packUniforms(LAYOUT, { n, row: g.stride, len: x.shape[axis], m: idx.shape[0], inner });
  // Elements move as raw words whatever the dtype.
  dispatch("gather", () => GATHER_WGSL, [handleOf(x), handleOf(idx), out], uniforms, g.workgroups);
  return [out];
});

function scatterWgsl(t: string): string {
  return `@group(0) @binding(0) var<storage, read> upd: array<${t}>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<${t}>;
${uniformWgsl(LAYOUT, 3)}
${WRAP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  let j = i % u.inner;
  let l = i32((i / u.inner) % u.len);
  let o = i / (u.inner * u.len);
  var acc = ${t}(0);
  for (var k = 0u; k < u.m; k++) {
    if (wrap_(idx[k]) == l) { acc += upd[(o * u.m + k) * u.inner + j]; }
  }
  y[i] = acc;
}`;
}

registerGpuKernel<ScatterAddParams>("scatter_add", ([upd, idx], { axis, shape }, [aval]) => {
  const t = wgslType(upd.dtype);
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return [out];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const g = grid(n);
  const uniforms = packUniforms(LAYOUT, { n, row: g.stride, len: shape[axis], m: idx.shape[0], inner });
  dispatch(`scatter_add:${t}`, () => scatterWgsl(t), [handleOf(upd), handleOf(idx), out], uniforms, g.workgroups);
  return [out];
});
