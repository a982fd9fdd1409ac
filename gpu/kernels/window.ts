/**
 * WGSL kernels of the windowed reductions: `reduce_window_sum`,
 * `reduce_window_max`, and the max window's derivatives
 * `select_and_scatter_max` (the adjoint) and `window_select_max` (its
 * transpose), with the CPU's rules: windows visit their points in
 * row-major order, padding counts 0 in sums and -Infinity in maxima, a
 * NaN wins a max, and the derivatives pick each window's first maximum
 * (the first point, replaced only by a strictly greater value).
 *
 * Every kernel runs one invocation per output element. The adjoint has no
 * atomics to scatter with: each input element visits the windows that can
 * contain it (a box of output positions per axis) in output order, finds
 * each one's first maximum and adds that window's cotangent if it is
 * itself, which keeps the sum deterministic.
 *
 * @module
 */
import type { WindowParams } from "../../autodiff/ops/window.ts";
import type { KernelTensor } from "../../autodiff/backend.ts";
import type { Aval } from "../../autodiff/core/primitive.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import { MAX_RANK, stridesOf } from "./indexing.ts";
import { axisWgsl, ISNAN_WGSL, packUniforms, uniformWgsl } from "./uniforms.ts";

const LAYOUT = {
  scalars: ["n", "row", "rank", "points"],
  arrays: ["inShape", "inStrides", "outShape", "window", "strides", "lo"],
};

/** Bindings and helpers every window kernel shares: `inputs` are `[name, type]` pairs read-only, then `y`. */
function header(inputs: readonly [string, string][], outType: string): string {
  const bindings = inputs.map(([name, t], k) => `@group(0) @binding(${k}) var<storage, read> ${name}: array<${t}>;`);
  const a = (name: string) => axisWgsl(name, "d");
  return `${bindings.join("\n")}
@group(0) @binding(${inputs.length}) var<storage, read_write> y: array<${outType}>;
${uniformWgsl(LAYOUT, inputs.length + 1)}
${ISNAN_WGSL}
/** The first input index on each axis of window number \`o\` (negative inside the low padding). */
fn starts_(o: u32) -> array<i32, ${MAX_RANK}> {
  var s: array<i32, ${MAX_RANK}>;
  var rem = o;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    s[d] = i32((rem % ${a("outShape")}) * ${a("strides")}) - bitcast<i32>(${a("lo")});
    rem = rem / ${a("outShape")};
  }
  return s;
}
/** The flat input offset of point \`p\` of the window at \`s\`, or -1 on padding. */
fn point_(s: array<i32, ${MAX_RANK}>, p: u32) -> i32 {
  var rem = p;
  var off = 0u;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let q = s[d] + i32(rem % ${a("window")});
    rem = rem / ${a("window")};
    if (q < 0 || q >= i32(${a("inShape")})) { return -1; }
    off += u32(q) * ${a("inStrides")};
  }
  return i32(off);
}`;
}

/** WGSL `first_max_(s)`: the flat input offset of the first maximum of `x` in the window at `s` (-1: all padding). */
function firstMaxWgsl(t: string): string {
  return `fn first_max_(s: array<i32, ${MAX_RANK}>) -> i32 {
  var best: ${t} = x[0];
  var at = -1;
  for (var p = 0u; p < u.points; p++) {
    let off = point_(s, p);
    if (off < 0) { continue; }
    let v = x[off];
    if (at < 0 || v > best) { best = v; at = off; }
  }
  return at;
}`;
}

/** The lowest value of type `t` (what a window of padding alone holds on the CPU: -Infinity, or 0 as an integer). */
function lowest(t: string): string {
  return t === "f32" ? "bitcast<f32>(0xff800000u)" : t === "i32" ? "bitcast<i32>(0x80000000u)" : "0u";
}

function reduceWindowWgsl(op: "sum" | "max", t: string): string {
  const isF = t === "f32";
  const fold = op === "sum"
    ? "acc += v;"
    : `if (v > acc${isF ? " || isnan_(v)" : ""}) { acc = v; } found = true;${
      isF ? " if (isnan_(acc)) { break; }" : ""
    }`;
  const init = op === "sum" ? `${t}(0)` : lowest(t);
  // An integer window lying wholly in the padding is 0 (the CPU stores -Infinity into an integer array).
  const result = op === "max" && !isF ? `select(${t}(0), acc, found)` : "acc";
  return `${header([["x", t]], t)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let o = g.x + g.y * u.row;
  if (o >= u.n) { return; }
  let s = starts_(o);
  var acc: ${t} = ${init};
  var found = false;
  for (var p = 0u; p < u.points; p++) {
    let off = point_(s, p);
    if (off < 0) { continue; }
    let v = x[off];
    ${fold}
  }
  y[o] = ${result};
}`;
}

function windowSelectWgsl(t: string, h: string): string {
  return `${header([["x", t], ["h", h]], h)}
${firstMaxWgsl(t)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let o = g.x + g.y * u.row;
  if (o >= u.n) { return; }
  let at = first_max_(starts_(o));
  var v = ${h}(0);
  if (at >= 0) { v = h[at]; }
  y[o] = v;
}`;
}

function selectAndScatterWgsl(t: string, c: string): string {
  const a = (name: string) => axisWgsl(name, "d");
  return `${header([["x", t], ["cot", c]], c)}
${firstMaxWgsl(t)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.row;
  if (i >= u.n) { return; }
  // The box of windows containing element i: first window and count per axis.
  var first: array<u32, ${MAX_RANK}>;
  var count: array<u32, ${MAX_RANK}>;
  var total = 1u;
  var rem = i;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let pc = i32(rem % ${a("inShape")}) + bitcast<i32>(${a("lo")});
    rem = rem / ${a("inShape")};
    let st = i32(${a("strides")});
    // Windows w with w * st <= pc < w * st + window; the division truncates, so both ends are clamped.
    let hi = min(select(-1, pc / st, pc >= 0), i32(${a("outShape")}) - 1);
    let lo = max(0, (pc - i32(${a("window")}) + st) / st);
    first[d] = u32(lo);
    count[d] = u32(max(0, hi - lo + 1));
    total *= count[d];
  }
  var acc = ${c}(0);
  for (var k = 0u; k < total; k++) {
    // Window number k of the box, in row-major (output) order.
    var r = k;
    var o = 0u;
    var ostride = 1u;
    for (var dd = 0u; dd < u.rank; dd++) {
      let d = u.rank - 1u - dd;
      o += (first[d] + r % count[d]) * ostride;
      r = r / count[d];
      ostride *= ${a("outShape")};
    }
    if (first_max_(starts_(o)) == i32(i)) { acc += cot[o]; }
  }
  y[i] = acc;
}`;
}

/** Uniforms of a window kernel over `n` invocations. */
function uniforms(n: number, row: number, shape: readonly number[], outShape: readonly number[], p: WindowParams) {
  if (shape.length > MAX_RANK) {
    throw new Error(`webgpu: windows over ${shape.length} axes (at most ${MAX_RANK})`);
  }
  return packUniforms(
    LAYOUT,
    { n, row, rank: shape.length, points: p.window.reduce((a, b) => a * b, 1) },
    {
      inShape: shape,
      inStrides: stridesOf(shape),
      outShape,
      window: p.window,
      strides: p.strides,
      lo: p.padding.map(([l]) => l),
    },
  );
}

/** Queues `wgsl` over `n` elements of `aval` with operands `inputs`. */
function run(
  key: string,
  wgsl: () => string,
  inputs: KernelTensor[],
  aval: Aval,
  x: KernelTensor,
  outShape: readonly number[],
  p: WindowParams,
) {
  const out = outputFor(aval);
  const n = aval.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  const g = grid(n);
  dispatch(key, wgsl, [...inputs.map(handleOf), out], uniforms(n, g.stride, x.shape, outShape, p), g.workgroups);
  return out;
}

for (const op of ["sum", "max"] as const) {
  registerGpuKernel<WindowParams>(`reduce_window_${op}`, ([x], p, [aval]) => {
    const t = wgslType(x.dtype);
    return [run(`reduce_window:${op}:${t}`, () => reduceWindowWgsl(op, t), [x], aval, x, aval.shape, p)];
  });
}

registerGpuKernel<WindowParams>("window_select_max", ([x, h], p, [aval]) => {
  const t = wgslType(x.dtype), ht = wgslType(h.dtype);
  return [run(`window_select_max:${t}:${ht}`, () => windowSelectWgsl(t, ht), [x, h], aval, x, aval.shape, p)];
});

registerGpuKernel<WindowParams>("select_and_scatter_max", ([x, cot], p, [aval]) => {
  const t = wgslType(x.dtype), ct = wgslType(cot.dtype);
  const key = `select_and_scatter_max:${t}:${ct}`;
  return [run(key, () => selectAndScatterWgsl(t, ct), [x, cot], aval, x, cot.shape, p)];
});
