/**
 * The WebGPU kernel of Adam's fused leaf update (`optim/adam_update.ts`):
 * one element-wise pass computing `(update, m', v')` from `(g, m, v)` in
 * float32, every operation in the order of the ops it replaces (as the CPU
 * kernel rounds them).
 *
 * A shader compiler may fuse a product and a sum into one fused
 * multiply-add, rounding once where the ops round twice; each product goes
 * through `keep_`, a select on a uniform the compiler cannot see through,
 * so that it is rounded on its own. WGSL's `sqrt` and `/` may be a few ulp
 * off (an H200's were): the update takes the correctly rounded ones of
 * `rounded_wgsl.ts`, so that all three outputs equal the CPU's bit for
 * bit.
 *
 * @module
 */
import type { DataHandle } from "../../autodiff/backend.ts";
import type { AdamUpdateParams } from "../../optim/adam_update.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel } from "../dispatch.ts";
import { ROUNDED_WGSL } from "./rounded_wgsl.ts";

const SHADER = `struct U { n: u32, stride: u32, never: u32, epsRootZero: u32,
  b1: f32, nb1: f32, b2: f32, nb2: f32, c1: f32, c2: f32, eps: f32, epsRoot: f32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> m1: array<f32>;
@group(0) @binding(5) var<storage, read_write> v1: array<f32>;
@group(0) @binding(6) var<uniform> u: U;
// u.never is 0: the select keeps x, rounded, out of any fused multiply-add. Its other arm is not a constant,
// which a compiler could fold the following addition into.
fn keep_(x: f32) -> f32 { return select(x, bitcast<f32>(u.epsRootZero), u.never == 1u); }
${ROUNDED_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i >= u.n) { return; }
  let gi = g[i];
  let mi = keep_(m[i] * u.b1) + keep_(gi * u.nb1);
  let vi = keep_(v[i] * u.b2) + keep_(keep_(gi * gi) * u.nb2);
  let scaled = keep_(vi * u.c2);
  let vHat = select(scaled + u.epsRoot, scaled, u.epsRootZero == 1u);
  out[i] = div_rn(keep_(mi * u.c1), sqrt_rn(vHat) + u.eps);
  m1[i] = mi;
  v1[i] = vi;
}`;

registerGpuKernel<AdamUpdateParams>("adam_update", ([g, m, v], k, avals): DataHandle[] => {
  if (g.dtype !== "float32") throw new TypeError(`adam_update: the webgpu kernel takes float32, got ${g.dtype}`);
  const n = g.shape.reduce((a, b) => a * b, 1);
  const [out, m1, v1] = avals.map(outputFor);
  const grid_ = grid(n);
  const words = new Uint32Array(12);
  words.set([n, grid_.stride, 0, Math.fround(k.epsRoot) === 0 ? 1 : 0]);
  // The scalars as the ops see them: converted to float32 first (1 - b rounded after the subtraction in float64).
  new Float32Array(words.buffer, 16).set([k.b1, 1 - k.b1, k.b2, 1 - k.b2, k.c1, k.c2, k.eps, k.epsRoot]);
  dispatch(
    "adam_update_f32",
    () => SHADER,
    [handleOf(g), handleOf(m), handleOf(v), out, m1, v1],
    words,
    grid_.workgroups,
  );
  return [out, m1, v1];
});
