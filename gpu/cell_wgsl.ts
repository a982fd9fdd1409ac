/**
 * WGSL generated from a cell's expressions, as `autodiff/cpu/cell_js.ts`
 * generates JavaScript from the same ones: the expression emitter (every
 * operation in float32, in the expression's order) and the building
 * blocks of the `cell_sequence` shaders (uniforms, buffer declarations,
 * loads of parameters and residuals, naming of symbols), which
 * `cell_shaders.ts` and `cell_resident_shaders.ts` assemble.
 *
 * Every shader reads the uniforms {@link CELL_UNIFORMS_WGSL}; its buffers
 * are named, and a shader lists the names it binds in order
 * (`CellShader.bindings`) so that a kernel binds exactly what the code
 * reads (WGSL's automatic layouts drop unread bindings).
 *
 * @module
 */
import { type Cell, type CellBackward, GSFB, GY, THRESHOLD } from "../autodiff/cell/cell.ts";
import { type Expr, symbolsOf, topologicalOrder } from "../autodiff/cell/expr.ts";

/** A generated shader: its cache key, its text and the names of its buffers at bindings 0.. (uniforms next). */
export interface CellShader {
  readonly key: string;
  readonly wgsl: string;
  readonly bindings: readonly string[];
}

/**
 * The uniforms of every cell shader: sizes, direction, the step a
 * per-step dispatch works on, whether it is the first step of its pass,
 * the grid's row stride and the threshold.
 */
export const CELL_UNIFORMS_WGSL =
  `struct U { T: u32, B: u32, N: u32, rev: u32, t: u32, first: u32, stride: u32, thr: f32 }`;

/**
 * The uniform words of a cell dispatch (see {@link CELL_UNIFORMS_WGSL}).
 *
 * @example
 * ```ts
 * cellUniforms({ T: 5, B: 2, N: 3, reverse: false, t: 0, first: true, stride: 256, threshold: 1 });
 * ```
 */
export function cellUniforms(u: {
  T: number;
  B: number;
  N: number;
  reverse: boolean;
  t: number;
  first: boolean;
  stride: number;
  threshold: number;
}): Uint32Array {
  const words = new Uint32Array(8);
  words.set([u.T, u.B, u.N, u.reverse ? 1 : 0, u.t, u.first ? 1 : 0, u.stride]);
  new Float32Array(words.buffer)[7] = u.threshold;
  return words;
}

/** A float32 constant exactly (integers as literals, anything else by its bits: NaN, infinities, subnormals). */
export function f32Literal(value: number): string {
  const v = Math.fround(value);
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 24 && !Object.is(v, -0)) return `${v}.0`;
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

const NAN = "bitcast<f32>(0x7fc00000u)";

/**
 * Helper functions the generated code calls (`tanh_`, `sigmoid_`, NaN-propagating `max_`/`min_`,
 * `bool_`); WGSL's own tanh overflows to NaN on some devices.
 */
export const CELL_HELPERS_WGSL = `
fn tanh_(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn sigmoid_(x: f32) -> f32 { return select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0); }
fn max_(a: f32, b: f32) -> f32 { return select(select(b, a, a > b), ${NAN}, a != a || b != b); }
fn min_(a: f32, b: f32) -> f32 { return select(select(b, a, a < b), ${NAN}, a != a || b != b); }
fn bool_(c: bool) -> f32 { return select(0.0, 1.0, c); }`;

const UNARY: Record<string, (a: string) => string> = {
  neg: (a) => `-${a}`,
  abs: (a) => `abs(${a})`,
  exp: (a) => `exp(${a})`,
  log: (a) => `log(${a})`,
  tanh: (a) => `tanh_(${a})`,
  sigmoid: (a) => `sigmoid_(${a})`,
  sqrt: (a) => `sqrt(${a})`,
};

const BINARY: Record<string, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `max_(${a}, ${b})`,
  min: (a, b) => `min_(${a}, ${b})`,
  gt: (a, b) => `bool_(${a} > ${b})`,
  lt: (a, b) => `bool_(${a} < ${b})`,
  ge: (a, b) => `bool_(${a} >= ${b})`,
  le: (a, b) => `bool_(${a} <= ${b})`,
};

/**
 * WGSL statements computing `roots` (each node once, as `e<id>`), with
 * `symbol` naming each symbol's value and `spike` (optional) giving a
 * spike node's value (default: the step of its argument).
 *
 * @example
 * ```ts
 * import { symbol } from "../autodiff/cell/expr.ts";
 * const v = symbol("v");
 * emitWgsl([v.mul(2)], { symbol: () => "v0" }).code; // "let e.. = v0; let e.. = 2.0; let e.. = e.. * e..;"
 * ```
 */
export function emitWgsl(
  roots: readonly Expr[],
  ctx: { symbol: (name: string) => string; spike?: (e: Expr) => string },
): { code: string; ref: (e: Expr) => string } {
  const name = (e: Expr) => `e${e.id}`;
  const lines: string[] = [];
  for (const e of topologicalOrder(roots)) {
    const n = e.node;
    let v: string;
    switch (n.kind) {
      case "const":
        v = f32Literal(n.value);
        break;
      case "symbol":
        v = ctx.symbol(n.name);
        break;
      case "unary":
        v = UNARY[n.op](name(n.a));
        break;
      case "binary":
        v = BINARY[n.op](name(n.a), name(n.b));
        break;
      case "select":
        v = `select(${name(n.b)}, ${name(n.a)}, ${name(n.cond)} != 0.0)`;
        break;
      case "spike":
        v = ctx.spike ? ctx.spike(e) : `bool_(${name(n.u)} > 0.0)`;
        break;
    }
    lines.push(`let ${name(e)}: f32 = ${v};`);
  }
  return { code: lines.join("\n    "), ref: name };
}

/**
 * A WGSL identifier for a symbol's value (the same scheme as the
 * JavaScript kernels).
 *
 * @example
 * ```ts
 * wgslLocal("state:v"); // "s_state_v"
 * ```
 */
export function wgslLocal(name: string): string {
  return "s_" + name.replace(/[^A-Za-z0-9]/g, "_");
}

const ids = new WeakMap<object, number>();
let nextId = 0;

/**
 * A number per object, for shader cache keys (cells and backward
 * derivations are compared by identity).
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * cacheId(LIF_CELL) === cacheId(LIF_CELL); // true
 * ```
 */
export function cacheId(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, id = nextId++);
  return id;
}

/** A named f32 buffer of a shader and how it is bound. */
export type Binding = readonly [name: string, access: "read" | "read_write"];

/**
 * Declarations of named f32 buffers at bindings 0.. and the uniforms
 * (`u: U`) after them.
 *
 * @example
 * ```ts
 * declareBuffers([["xs", "read"], ["ys", "read_write"]]);
 * ```
 */
export function declareBuffers(buffers: readonly Binding[]): string {
  const lines = buffers.map(([n, access], k) => `@group(0) @binding(${k}) var<storage, ${access}> ${n}: array<f32>;`);
  lines.push(`@group(0) @binding(${buffers.length}) var<uniform> u: U;`);
  return lines.join("\n");
}

/**
 * The shader text around a body that runs once per (sample, neuron) `i =
 * b * N + j` (`M = B * N`), with the cell uniforms and helpers.
 *
 * @example
 * ```ts
 * shader([["ys", "read_write"]], "ys[i] = 1.0;");
 * ```
 */
export function shader(buffers: readonly Binding[], body: string): string {
  return `${CELL_UNIFORMS_WGSL}
${declareBuffers(buffers)}
${CELL_HELPERS_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.stride;
  let M = u.B * u.N;
  if (i >= M) { return; }
  let j = i % u.N;
  ${body}
}`;
}

/**
 * Which of `names` the expressions `roots` read.
 *
 * @example
 * ```ts
 * import { symbol } from "../autodiff/cell/expr.ts";
 * reads([symbol("a").add(1)], ["a", "b"]); // [true, false]
 * ```
 */
export function reads(roots: readonly Expr[], names: readonly string[]): boolean[] {
  const reads = symbolsOf(roots);
  return names.map((n) => reads.has(n));
}

/**
 * Loads of the parameters `roots` read (`p<k>[j]`), and their bindings.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * paramLoads(LIF_CELL, LIF_CELL.next).code; // "let s_param_beta = p0[j];"
 * ```
 */
export function paramLoads(cell: Cell, roots: readonly Expr[]): { code: string; buffers: Binding[] } {
  const names = cell.spec.params.map((n) => cell.paramSymbol(n));
  const read = reads(roots, names);
  const buffers: Binding[] = [];
  const code: string[] = [];
  names.forEach((n, k) => {
    if (!read[k]) return;
    buffers.push([`p${k}`, "read"]);
    code.push(`let ${wgslLocal(n)} = p${k}[j];`);
  });
  return { code: code.join(" "), buffers };
}

/**
 * How the backward expressions' symbols read in WGSL (`gy`, `gsfb_`,
 * the threshold uniform, locals).
 *
 * @example
 * ```ts
 * backwardSymbol("@gy"); // "gy"
 * ```
 */
export function backwardSymbol(n: string): string {
  if (n === THRESHOLD) return "u.thr";
  if (n === GY) return "gy";
  if (n === GSFB) return "gsfb_";
  return wgslLocal(n);
}

/**
 * The expressions of the backward update: cotangents of the state, the
 * input and the parameters.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardRoots(LIF_CELL.backward(superspike().surrogate!.expr)).length; // 3
 * ```
 */
export function backwardRoots(b: CellBackward): Expr[] {
  return [...b.state, b.x, ...b.params].filter((e): e is Expr => e !== null);
}

/**
 * Loads of a backward step's residuals at `off + i`, the parameters the
 * expressions `roots` read and `gy`, and their bindings.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * const b = LIF_CELL.backward(superspike().surrogate!.expr);
 * backwardLoads(LIF_CELL, b, backwardRoots(b)).buffers; // [["gys", "read"], ["r0", "read"], ["p0", "read"]]
 * ```
 */
export function backwardLoads(
  cell: Cell,
  b: CellBackward,
  roots: readonly Expr[],
): { code: string; buffers: Binding[] } {
  const params = paramLoads(cell, roots);
  const residualReads = reads(roots, b.residuals);
  const readsGy = symbolsOf(roots).has(GY);
  const buffers: Binding[] = [
    ...(readsGy ? [["gys", "read"] as const] : []),
    ...b.residuals.flatMap((_, k): Binding[] => (residualReads[k] ? [[`r${k}`, "read"]] : [])),
    ...params.buffers,
  ];
  const code = [
    readsGy ? "let gy = gys[off + i];" : "",
    ...b.residuals.map((r, k) => (residualReads[k] ? `let ${wgslLocal(r)} = r${k}[off + i];` : "")),
    params.code,
  ].join(" ");
  return { code, buffers };
}
