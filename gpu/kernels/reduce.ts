/**
 * WGSL kernels of the reductions: `reduce_sum`, `reduce_max`, `reduce_min`,
 * `reduce_prod` over a set of axes, and `argmax`/`argmin` along one axis.
 *
 * An output element's inputs are addressed through two strided maps, one
 * over the kept axes (which output element) and one over the reduced axes
 * (which of its inputs), each coalesced to as few axes as the layout
 * allows, so that any set of axes is reduced in place without a transpose.
 *
 * A reduction over more than {@link SERIAL_MAX} elements is a tree: each
 * workgroup folds one chunk of {@link CHUNK} inputs of one output element
 * (four per invocation, then a halving tree in workgroup memory), and the
 * per-chunk partials are reduced again the same way until one chunk is
 * left. A float32 sum then carries a rounding error that grows with the
 * logarithm of the length, where a serial loop's would grow with the
 * length itself. Short reductions take one invocation per output element.
 * Max and min propagate NaN, as on the CPU. Integer sums and products wrap
 * modulo 2^32, which is what the CPU's float64 accumulator stores as long
 * as it is exact (below 2^53).
 *
 * @module
 */
import type { DType } from "../../autodiff/dtype.ts";
import type { ArgReduceParams, ReduceParams } from "../../autodiff/ops/reduce.ts";
import { type GpuHandle, newBuffer, webgpuBackend } from "../backend.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import { coalesce, MAX_RANK, stridesOf } from "./indexing.ts";
import { axisWgsl, ISNAN_WGSL, packUniforms, uniformWgsl, workgroupGrid } from "./uniforms.ts";

/** The reductions over a set of axes. */
type ReduceOp = "sum" | "max" | "min" | "prod";

/** Invocations of a tree workgroup. */
const TREE_WORKGROUP = 256;
/** Inputs each tree invocation folds before the tree. */
const PER_INVOCATION = 4;
/** Inputs one tree workgroup reduces. */
const CHUNK = TREE_WORKGROUP * PER_INVOCATION;
/** Reductions at most this long run one invocation per output element. */
const SERIAL_MAX = 16;

/** The identity of `op` in WGSL type `t` (infinities as bit patterns: WGSL has no literal for them). */
function identity(op: ReduceOp, t: string): string {
  const lit = (f: string, i: string, u: string) => (t === "f32" ? f : t === "i32" ? i : u);
  switch (op) {
    case "sum":
      return lit("0.0", "0", "0u");
    case "prod":
      return lit("1.0", "1", "1u");
    case "max":
      return lit("bitcast<f32>(0xff800000u)", "bitcast<i32>(0x80000000u)", "0u");
    case "min":
      return lit("bitcast<f32>(0x7f800000u)", "2147483647", "0xffffffffu");
  }
}

/** WGSL `comb_(a, b)`: `op` applied to an accumulator and an element (NaN wins in max and min). */
function combineWgsl(op: ReduceOp, t: string): string {
  let body: string;
  if (op === "sum") body = "return a + b;";
  else if (op === "prod") body = "return a * b;";
  else if (t !== "f32") body = `return ${op}(a, b);`;
  else {
    const cmp = op === "max" ? "b > a" : "b < a";
    body = `if (isnan_(a)) { return a; } if (isnan_(b)) { return b; } return select(a, b, ${cmp});`;
  }
  return `${ISNAN_WGSL}\nfn comb_(a: ${t}, b: ${t}) -> ${t} { ${body} }`;
}

const LAYOUT = {
  scalars: ["outs", "red", "chunks", "row", "keptRank", "redRank"],
  arrays: ["keptShape", "keptStrides", "redShape", "redStrides"],
};

/** WGSL `<name>Offset(i)`: the flat offset of index `i` through the uniform shape and strides `<name>*`. */
function offsetFnWgsl(name: string): string {
  return `fn ${name}Offset(i: u32) -> u32 {
  var rem = i; var off = 0u;
  for (var dd = 0u; dd < u.${name}Rank; dd++) {
    let d = u.${name}Rank - 1u - dd;
    let len = ${axisWgsl(`${name}Shape`, "d")};
    off += (rem % len) * ${axisWgsl(`${name}Strides`, "d")};
    rem = rem / len;
  }
  return off;
}`;
}

function header(op: ReduceOp, t: string): string {
  return `@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> y: array<${t}>;
${uniformWgsl(LAYOUT, 2)}
${combineWgsl(op, t)}
${offsetFnWgsl("kept")}
${offsetFnWgsl("red")}`;
}

function serialWgsl(op: ReduceOp, t: string): string {
  return `${header(op, t)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let o = g.x + g.y * u.row;
  if (o >= u.outs) { return; }
  let base = keptOffset(o);
  var acc: ${t} = ${identity(op, t)};
  for (var r = 0u; r < u.red; r++) { acc = comb_(acc, x[base + redOffset(r)]); }
  y[o] = acc;
}`;
}

function treeWgsl(op: ReduceOp, t: string): string {
  // No early return: every invocation must reach the barriers.
  return `${header(op, t)}
var<workgroup> part: array<${t}, ${TREE_WORKGROUP}>;
@compute @workgroup_size(${TREE_WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let w = wg.x + wg.y * u.row;
  let o = w / u.chunks;
  let c = w % u.chunks;
  var acc: ${t} = ${identity(op, t)};
  if (o < u.outs) {
    let base = keptOffset(o);
    for (var j = 0u; j < ${PER_INVOCATION}u; j++) {
      let r = c * ${CHUNK}u + j * ${TREE_WORKGROUP}u + t;
      if (r < u.red) { acc = comb_(acc, x[base + redOffset(r)]); }
    }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = ${TREE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { part[t] = comb_(part[t], part[t + s]); }
    workgroupBarrier();
  }
  if (t == 0u && o < u.outs) { y[w] = part[0]; }
}`;
}

/** A strided map coalesced to at most {@link MAX_RANK} axes. */
function strided(shape: number[], strides: number[], what: string): { shape: number[]; strides: number[] } {
  const c = coalesce(shape, [strides]);
  if (c.shape.length > MAX_RANK) {
    throw new Error(`webgpu: reduction: ${c.shape.length} ${what} axes that do not merge (at most ${MAX_RANK})`);
  }
  return { shape: c.shape, strides: c.strides[0] };
}

/**
 * One pass: reduces `red` elements per output element of `outs`, writing
 * `outs * chunks` values (one per chunk of {@link CHUNK}, or one per
 * output element for a serial pass).
 */
function reducePass(
  op: ReduceOp,
  t: string,
  x: GpuHandle,
  outs: number,
  kept: { shape: number[]; strides: number[] },
  red: { shape: number[]; strides: number[]; size: number },
  out: GpuHandle | null,
): { handle: GpuHandle; chunks: number } {
  const serial = red.size <= SERIAL_MAX;
  const chunks = serial ? 1 : Math.ceil(red.size / CHUNK);
  const y = out !== null && chunks === 1 ? out : newBuffer(outs * chunks);
  let workgroups: [number, number, number], row: number;
  if (serial) {
    const g = grid(outs);
    workgroups = g.workgroups;
    row = g.stride;
  } else {
    const g = workgroupGrid(outs * chunks);
    workgroups = g.workgroups;
    row = g.rowLength;
  }
  const uniforms = packUniforms(LAYOUT, {
    outs,
    red: red.size,
    chunks,
    row,
    keptRank: kept.shape.length,
    redRank: red.shape.length,
  }, { keptShape: kept.shape, keptStrides: kept.strides, redShape: red.shape, redStrides: red.strides });
  const kind = serial ? "serial" : "tree";
  dispatch(
    `reduce:${op}:${t}:${kind}`,
    () => (serial ? serialWgsl(op, t) : treeWgsl(op, t)),
    [x, y],
    uniforms,
    workgroups,
  );
  return { handle: y, chunks };
}

function reduce(op: ReduceOp, x: GpuHandle, shape: readonly number[], axes: readonly number[], dtype: DType) {
  const t = wgslType(dtype);
  const s = stridesOf(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outs = keptAxes.reduce((n, i) => n * shape[i], 1);
  const out = outputFor({ shape: keptAxes.map((i) => shape[i]), dtype });
  if (outs === 0) return out;
  const kept = strided(keptAxes.map((i) => shape[i]), keptAxes.map((i) => s[i]), "kept");
  const redShape = axes.map((i) => shape[i]);
  let red = { ...strided(redShape, axes.map((i) => s[i]), "reduced"), size: redShape.reduce((n, d) => n * d, 1) };
  let pass = reducePass(op, t, x, outs, kept, red, out);
  // Each further pass reduces the previous pass's partials, laid out [outs, chunks].
  while (pass.chunks > 1) {
    const partials = pass.handle, chunks = pass.chunks;
    red = { shape: [chunks], strides: [1], size: chunks };
    pass = reducePass(op, t, partials, outs, { shape: [outs], strides: [chunks] }, red, out);
    // Freed after the dispatch that reads it (the executor keeps queued work's buffers alive).
    webgpuBackend.dispose(partials);
  }
  return out;
}

for (const op of ["sum", "max", "min", "prod"] as const) {
  registerGpuKernel<ReduceParams>(`reduce_${op}`, ([x], { axes }) => [
    reduce(op, handleOf(x), x.shape, axes, x.dtype),
  ]);
}

const ARG_LAYOUT = { scalars: ["outs", "row", "len", "step", "keptRank"], arrays: ["keptShape", "keptStrides"] };

function argWgsl(op: "argmax" | "argmin", t: string): string {
  const better = op === "argmax" ? "v > best" : "v < best";
  const nan = t === "f32";
  // The first NaN wins; otherwise the first extremum (a strict comparison keeps the earlier of ties).
  return `@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> y: array<i32>;
${uniformWgsl(ARG_LAYOUT, 2)}
${ISNAN_WGSL}
${offsetFnWgsl("kept")}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let o = g.x + g.y * u.row;
  if (o >= u.outs) { return; }
  let base = keptOffset(o);
  var bi = 0u;
  if (u.len > 0u) {
    var best = x[base];
    if (${nan ? "!isnan_(best)" : "true"}) {
      for (var j = 1u; j < u.len; j++) {
        let v = x[base + j * u.step];
        ${nan ? "if (isnan_(v)) { bi = j; break; }" : ""}
        if (${better}) { best = v; bi = j; }
      }
    }
  }
  y[o] = i32(bi);
}`;
}

for (const op of ["argmax", "argmin"] as const) {
  registerGpuKernel<ArgReduceParams>(op, ([x], { axis }, [aval]) => {
    const t = wgslType(x.dtype);
    const out = outputFor(aval);
    const outs = aval.shape.reduce((a, b) => a * b, 1);
    if (outs === 0) return [out];
    const s = stridesOf(x.shape);
    const keptAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const kept = strided(keptAxes.map((i) => x.shape[i]), keptAxes.map((i) => s[i]), "kept");
    const g = grid(outs);
    const uniforms = packUniforms(
      ARG_LAYOUT,
      { outs, row: g.stride, len: x.shape[axis], step: s[axis], keptRank: kept.shape.length },
      { keptShape: kept.shape, keptStrides: kept.strides },
    );
    dispatch(`${op}:${t}`, () => argWgsl(op, t), [handleOf(x), out], uniforms, g.workgroups);
    return [out];
  });
}
