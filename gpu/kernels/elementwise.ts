/**
 * WGSL kernels of the element-wise primitives: unary math, broadcast
 * binary ops and comparisons, `where`, dtype casts (XLA's saturating
 * float-to-int conversion, as on the CPU). Each shader is generated per
 * op, dtype and operand layout (contiguous, scalar or strided through
 * broadcasting) and cached by that key.
 *
 * Formulas keep the CPU kernels' semantics where WGSL's built-ins differ:
 * NaN propagation in `maximum`/`minimum`, the divisor's sign in `mod`,
 * `pow` of negative bases, `sign` and rounding of halves to even, and
 * overflow-free `tanh`, `sigmoid`, `log1p`, `expm1`.
 *
 * @module
 */
import type { DType } from "../../autodiff/dtype.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel, wgslType } from "../dispatch.ts";
import type { CastParams } from "../../autodiff/ops/elementwise.ts";
import {
  broadcastStrides,
  coalesce,
  MAX_RANK,
  stridedIndexWgsl,
  stridedUniforms,
  stridedUniformsWgsl,
} from "./indexing.ts";
import { LOG_WGSL } from "./log_wgsl.ts";
import { BINARY_OPS, UNARY_OPS } from "../../autodiff/ops/elementwise_names.ts";
import { ERF_WGSL, ERFINV_WGSL } from "./special_functions.ts";

/** A NaN in WGSL (a literal NaN is not allowed). */
export const NAN = "bitcast<f32>(0x7fc00000u)";

/** WGSL for each unary op on f32 `x`. */
const UNARY_F32: Record<string, string> = {
  neg: "-x",
  exp: "exp(x)",
  log: "log(x)",
  log1p: "log1p_(x)",
  expm1: "expm1_(x)",
  sqrt: "sqrt(x)",
  tanh: "tanh_(x)",
  sigmoid: "select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)",
  abs: "abs(x)",
  sign: "select(select(x, -1.0, x < 0.0), 1.0, x > 0.0)",
  floor: "floor(x)",
  ceil: "ceil(x)",
  round: "round(x)",
  sin: "sin(x)",
  cos: "cos(x)",
  erf: "erf_(x)",
  erfinv: "erfinv_(x)",
};

/** WGSL for the unary ops defined on integers (`x` i32 or u32). */
const UNARY_INT: Record<string, (t: string) => string> = {
  neg: (t) => (t === "u32" ? "0u - x" : "-x"),
  abs: (t) => (t === "u32" ? "x" : "abs(x)"),
  sign: (t) => (t === "u32" ? "select(0u, 1u, x > 0u)" : "sign(x)"),
  floor: () => "x",
  ceil: () => "x",
  round: () => "x",
};

/** Helper functions the f32 formulas call. */
const F32_HELPERS = `
fn tanh_(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn expm1_(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (abs(x) > 1.0) { return um1; }
  return um1 * x / log(u);
}
${ERF_WGSL}
${ERFINV_WGSL}
${LOG_WGSL}
`;

/** How an operand is read: the same index as the output, its one element, or through strides. */
type Form = "v" | "s" | "i";

function formOf(shape: readonly number[], outShape: readonly number[], n: number): Form {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === n && shape.length <= outShape.length && shapesMatchAsPrefixFree(shape, outShape)) return "v";
  if (size === 1) return "s";
  return "i";
}

/** Same number of elements and broadcasting only adds leading 1s: the layouts coincide. */
function shapesMatchAsPrefixFree(shape: readonly number[], outShape: readonly number[]): boolean {
  const off = outShape.length - shape.length;
  return shape.every((d, i) => d === outShape[i + off]);
}

function read(name: string, k: number, form: Form): string {
  return form === "v" ? `${name}[i]` : form === "s" ? `${name}[0]` : `${name}[idx_${k}]`;
}

/**
 * Runs an element-wise expression over operands broadcast to `outShape`:
 * `body` is WGSL computing `out` from `a0`, `a1`, ... (already read).
 */
function elementwise(
  key: string,
  operands: readonly { handle: ReturnType<typeof handleOf>; shape: readonly number[]; type: string }[],
  outShape: readonly number[],
  outType: string,
  body: string,
  helpers: string,
): ReturnType<typeof handleOf> {
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = outputFor({ shape: outShape, dtype: "float32" });
  if (n === 0) return out;
  const forms = operands.map((o) => formOf(o.shape, outShape, n));
  const strided = forms.includes("i");
  let rank = 0;
  let strides: number[][] = [];
  let shape: number[] = [];
  if (strided) {
    const c = coalesce(outShape, operands.map((o) => broadcastStrides(o.shape, outShape)));
    shape = c.shape;
    strides = c.strides;
    rank = shape.length;
    if (rank > MAX_RANK) throw new Error(`webgpu: ${key}: a broadcast over ${rank} axes (at most ${MAX_RANK})`);
  }
  const g = grid(n);
  const fullKey = `ew:${key}:${forms.join("")}`;
  dispatch(
    fullKey,
    () => {
      const bindings = operands.map((o, k) => `@group(0) @binding(${k}) var<storage, read> a${k}: array<${o.type}>;`);
      const outBinding = `@group(0) @binding(${operands.length}) var<storage, read_write> out: array<${outType}>;`;
      const uniforms = `@group(0) @binding(${operands.length + 1}) var<uniform> u: U;`;
      const reads = operands.map((_, k) => `let v${k} = ${read(`a${k}`, k, forms[k])};`).join(" ");
      return `${stridedUniformsWgsl(operands.length)}
${bindings.join("\n")}
${outBinding}
${uniforms}
${helpers}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.stride;
  if (i >= u.n) { return; }
  ${strided ? stridedIndexWgsl(operands.length) : ""}
  ${reads}
  out[i] = ${body};
}`;
    },
    [...operands.map((o) => o.handle), out],
    stridedUniforms(n, g.stride, shape, strides.length ? strides : operands.map(() => [])),
    g.workgroups,
  );
  return out;
}

for (const op of [...UNARY_OPS.filter((op) => op !== "logicalNot"), "erf", "erfinv"]) {
  registerGpuKernel<null>(op, ([x], _p, [out]) => {
    const t = wgslType(x.dtype);
    let expr: string;
    if (t === "f32") expr = UNARY_F32[op];
    else if (op in UNARY_INT) expr = UNARY_INT[op](t);
    else throw new TypeError(`${op}: the webgpu kernel takes float32 operands, got ${x.dtype}`);
    const helper = `${t === "f32" ? F32_HELPERS : ""}\nfn op_(x: ${t}) -> ${t} { return ${expr}; }`;
    return [elementwise(`${op}:${t}`, [operand(x)], out.shape, t, "op_(v0)", helper)];
  });
}

registerGpuKernel<null>("logicalNot", ([x], _p, [out]) => [
  elementwise("logicalNot", [operand(x)], out.shape, "u32", "select(0u, 1u, v0 == 0u)", ""),
]);

function operand(x: { handle: unknown; shape: readonly number[]; dtype: DType }) {
  return { handle: handleOf(x as never), shape: x.shape, type: wgslType(x.dtype) };
}

/** WGSL of each binary op on `x`, `y` of type `t` (comparisons give u32 0/1). */
function binaryExpr(op: string, t: string): string {
  const f = t === "f32";
  switch (op) {
    case "add":
      return "x + y";
    case "sub":
      return "x - y";
    case "mul":
      return "x * y";
    case "div":
      return f ? "x / y" : "select(x / y, 0, y == 0)";
    case "pow":
      return f ? "pow_(x, y)" : "ipow_(x, y)";
    case "maximum":
      return f ? `select(select(y, x, x > y), ${NAN}, x != x || y != y)` : "max(x, y)";
    case "minimum":
      return f ? `select(select(y, x, x < y), ${NAN}, x != x || y != y)` : "min(x, y)";
    case "mod":
      return t === "u32" ? "select(x % y, x, y == 0u)" : "mod_(x, y)";
    case "equal":
      return "select(0u, 1u, x == y)";
    case "notEqual":
      return "select(0u, 1u, x != y)";
    case "greater":
      return "select(0u, 1u, x > y)";
    case "greaterEqual":
      return "select(0u, 1u, x >= y)";
    case "less":
      return "select(0u, 1u, x < y)";
    case "lessEqual":
      return "select(0u, 1u, x <= y)";
    case "logicalAnd":
      return "select(0u, 1u, x != 0u && y != 0u)";
    case "logicalOr":
      return "select(0u, 1u, x != 0u || y != 0u)";
  }
  throw new Error(`webgpu: internal: no binary op ${op}`);
}

/** Helpers of the binary ops, per type. */
function binaryHelpers(t: string): string {
  if (t === "f32") {
    return `
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x < 0.0) {
    if (floor(y) != y) { return ${NAN}; }
    let r = pow(-x, y);
    return select(r, -r, (abs(y) % 2.0) == 1.0);
  }
  if (x == 0.0) { return select(0.0, bitcast<f32>(0x7f800000u), y < 0.0); }
  return pow(x, y);
}
fn mod_(x: f32, y: f32) -> f32 { let r = x % y; return select(r, r + y, r != 0.0 && ((r < 0.0) != (y < 0.0))); }`;
  }
  const z = t === "i32" ? "0" : "0u";
  return `
fn ipow_(x: ${t}, y: ${t}) -> ${t} {
  var r: ${t} = ${t === "i32" ? "1" : "1u"}; var b = x; var e = y;
  ${
    t === "i32"
      ? "if (e < 0) { return select(0, select(-1, 1, (abs(e) % 2) == 0), x == -1) + select(0, 1, x == 1); }"
      : ""
  }
  loop { if (e == ${z}) { break; } if ((e & ${t === "i32" ? "1" : "1u"}) != ${z}) { r = r * b; } b = b * b; e = e >> ${
    t === "i32" ? "1u" : "1u"
  }; }
  return r;
}
${
    t === "i32"
      // Remainders of magnitudes in u32: the software adapter's GL path gets i32 % wrong for a negative divisor (-3 % -2 gave -3).
      ? `fn mod_(x: i32, y: i32) -> i32 {
  if (y == 0) { return x; }
  let ax = select(bitcast<u32>(x), 0u - bitcast<u32>(x), x < 0);
  let ay = select(bitcast<u32>(y), 0u - bitcast<u32>(y), y < 0);
  let m = bitcast<i32>(ax % ay);
  let r = select(m, -m, x < 0);
  return select(r, r + y, r != 0 && ((r < 0) != (y < 0)));
}`
      : ""
  }`;
}

for (const op of BINARY_OPS) {
  registerGpuKernel<null>(op, ([a, b], _p, [out]) => {
    const t = wgslType(a.dtype);
    const helper = `${binaryHelpers(t)}\nfn op_(x: ${t}, y: ${t}) -> ${wgslType(out.dtype)} { return ${
      binaryExpr(op, t)
    }; }`;
    return [elementwise(`${op}:${t}`, [operand(a), operand(b)], out.shape, wgslType(out.dtype), "op_(v0, v1)", helper)];
  });
}

registerGpuKernel<null>("where", ([c, a, b], _p, [out]) => {
  const t = wgslType(a.dtype);
  return [
    elementwise(`where:${t}`, [operand(c), operand(a), operand(b)], out.shape, t, "select(v2, v1, v0 != 0u)", ""),
  ];
});

/** WGSL converting `x` of type `from` to dtype `to` (float to int saturates, NaN to 0, as XLA and the CPU do). */
function castExpr(from: DType, to: DType): string {
  const src = wgslType(from);
  if (to === "bool") {
    return src === "f32" ? "select(0u, 1u, x != 0.0 || x != x)" : `select(0u, 1u, x != ${src === "i32" ? "0" : "0u"})`;
  }
  if (from === "bool") return to === "float32" ? "f32(x)" : to === "int32" ? "i32(x)" : "x";
  if (to === "float32") return "f32(x)";
  if (src === "f32") {
    return to === "int32"
      ? "select(select(select(i32(trunc(x)), 2147483647, x >= 2147483648.0), -2147483647 - 1, x < -2147483648.0), 0, x != x)"
      : "select(select(select(u32(trunc(x)), 4294967295u, x >= 4294967296.0), 0u, x <= -1.0), 0u, x != x)";
  }
  // Between int32 and uint32 the bits are kept, as typed-array stores do.
  return to === "int32" ? "bitcast<i32>(x)" : "bitcast<u32>(x)";
}

registerGpuKernel<CastParams>("cast", ([x], { dtype }, [out]) => {
  const t = wgslType(x.dtype), o = wgslType(dtype);
  const helper = `fn op_(x: ${t}) -> ${o} { return ${castExpr(x.dtype, dtype)}; }`;
  return [elementwise(`cast:${x.dtype}:${dtype}`, [operand(x)], out.shape, o, "op_(v0)", helper)];
});
