/**
 * WGSL generated from a cell's expressions, as `autodiff/cpu/cell_js.ts`
 * generates JavaScript from the same ones: the whole-sequence forward and
 * backward passes of the `cell_sequence` primitives in float32, one shader
 * per (cell, residuals or surrogate, pass).
 *
 * A non-recurrent cell runs in one dispatch per direction: one invocation
 * per (sample, neuron) loops over time with the state (forward) or the
 * carried cotangents and parameter-gradient partials (backward) in
 * registers. A recurrent cell's step needs the feedback `S @ w` of the
 * whole step's spikes, so each step is three dispatches: the spikes (or,
 * backward, the feedback's cotangent), the block product, and the update
 * reading the product; state and carried cotangents then live in buffers
 * between dispatches.
 *
 * Every shader reads the uniforms {@link CELL_UNIFORMS_WGSL}; its buffers
 * are named, and a shader lists the names it binds in order
 * (`CellShader.bindings`) so that a kernel binds exactly what the code
 * reads (WGSL's automatic layouts drop unread bindings).
 *
 * @module
 */
import { type Cell, type CellBackward, FB, GSFB, GY, lambdaOf, THRESHOLD, X } from "../autodiff/cell/cell.ts";
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

/** Helpers the generated code calls (WGSL's own tanh overflows to NaN on some devices). */
const HELPERS = `
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

/** A WGSL identifier for a symbol's value (the same scheme as the JavaScript kernels). */
function local(name: string): string {
  return "s_" + name.replace(/[^A-Za-z0-9]/g, "_");
}

/** A cache key per object (cells and backward derivations are compared by identity). */
const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, id = nextId++);
  return id;
}

/** Declarations of named f32 buffers at bindings 0.. and the uniforms after them. */
function declare(buffers: readonly (readonly [string, "read" | "read_write"])[]): string {
  const lines = buffers.map(([n, access], k) => `@group(0) @binding(${k}) var<storage, ${access}> ${n}: array<f32>;`);
  lines.push(`@group(0) @binding(${buffers.length}) var<uniform> u: U;`);
  return lines.join("\n");
}

/** The shader text around a body that runs once per (sample, neuron) `i = b * N + j`. */
function shader(buffers: readonly (readonly [string, "read" | "read_write"])[], body: string): string {
  return `${CELL_UNIFORMS_WGSL}
${declare(buffers)}
${HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * u.stride;
  let M = u.B * u.N;
  if (i >= M) { return; }
  let j = i % u.N;
  ${body}
}`;
}

function used(roots: readonly Expr[], names: readonly string[]): boolean[] {
  const reads = symbolsOf(roots);
  return names.map((n) => reads.has(n));
}

/** Loads of the parameters `roots` read (`p<k>[j]`), and their bindings. */
function paramLoads(cell: Cell, roots: readonly Expr[]): { code: string; buffers: [string, "read"][] } {
  const names = cell.spec.params.map((n) => cell.paramSymbol(n));
  const reads = used(roots, names);
  const buffers: [string, "read"][] = [];
  const code: string[] = [];
  names.forEach((n, k) => {
    if (!reads[k]) return;
    buffers.push([`p${k}`, "read"]);
    code.push(`let ${local(n)} = p${k}[j];`);
  });
  return { code: code.join(" "), buffers };
}

const timeIndex = "let t = select(s, u.T - 1u - s, u.rev == 1u); let off = t * M;";

/**
 * The forward pass of a non-recurrent cell in one dispatch: buffers
 * `xs`, `st_in<k>`, params `p<k>` in; `ys`, `st<k>` (final state) and
 * the saved residuals `r<k>` out.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * forwardWholeWgsl(LIF_CELL, ["state:v"]).bindings; // ["xs", "st_in0", "p0", "ys", "st0", "r0"]
 * ```
 */
export function forwardWholeWgsl(cell: Cell, residuals: readonly string[]): CellShader {
  const { spec } = cell;
  const roots = [cell.output, ...cell.next];
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : local(n));
  const body = emitWgsl(roots, { symbol });
  const params = paramLoads(cell, roots);
  const stateVars = spec.state.map((n) => local(cell.stateSymbol(n)));
  const buffers: [string, "read" | "read_write"][] = [
    ["xs", "read"],
    ...spec.state.map((_, k): [string, "read"] => [`st_in${k}`, "read"]),
    ...params.buffers,
    ["ys", "read_write"],
    ...spec.state.map((_, k): [string, "read_write"] => [`st${k}`, "read_write"]),
    ...residuals.map((_, k): [string, "read_write"] => [`r${k}`, "read_write"]),
  ];
  const wgsl = shader(
    buffers,
    `${stateVars.map((v, k) => `var ${v} = st_in${k}[i];`).join(" ")}
  ${params.code}
  for (var s = 0u; s < u.T; s++) {
    ${timeIndex}
    let ${local(X)} = xs[off + i];
    ${residuals.map((r, k) => `r${k}[off + i] = ${local(r)};`).join(" ")}
    ${body.code}
    ys[off + i] = ${body.ref(cell.output)};
    ${cell.next.map((e, k) => `${stateVars[k]} = ${body.ref(e)};`).join(" ")}
  }
  ${stateVars.map((v, k) => `st${k}[i] = ${v};`).join(" ")}`,
  );
  return { key: `cell_fwd:${idOf(cell)}:${residuals.join(",")}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's spikes of step `u.t` from the current state:
 * `st<k>`, params in; `sp` `[B, N]` out.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * forwardSpikesWgsl(RLIF_CELL).bindings; // ["st0", "sp"]
 * ```
 */
export function forwardSpikesWgsl(cell: Cell): CellShader {
  const spikeExpr = cell.spike!;
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : local(n));
  const body = emitWgsl([spikeExpr], { symbol });
  const params = paramLoads(cell, [spikeExpr]);
  const stateNames = cell.spec.state.map((n) => cell.stateSymbol(n));
  const reads = used([spikeExpr], stateNames);
  const buffers: [string, "read" | "read_write"][] = [
    ...stateNames.flatMap((_, k): [string, "read"][] => (reads[k] ? [[`st${k}`, "read"]] : [])),
    ...params.buffers,
    ["sp", "read_write"],
  ];
  const loads = stateNames.map((n, k) => (reads[k] ? `let ${local(n)} = st${k}[i];` : "")).join(" ");
  const wgsl = shader(buffers, `${loads} ${params.code}\n    ${body.code}\n  sp[i] = ${body.ref(spikeExpr)};`);
  return { key: `cell_fwd_spikes:${idOf(cell)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's update at step `u.t`: `xs`, `fb` (`S @ w` of this
 * step's spikes), `sp`, params in; `st<k>` updated in place, `ys` and the
 * residuals `r<k>` written at the step.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * forwardUpdateWgsl(RLIF_CELL, ["state:v"]).bindings; // ["xs", "fb", "sp", "p0", "st0", "ys", "r0"]
 * ```
 */
export function forwardUpdateWgsl(cell: Cell, residuals: readonly string[]): CellShader {
  const { spec } = cell;
  const roots = [cell.output, ...cell.next];
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : local(n));
  const body = emitWgsl(roots, { symbol, spike: () => "sp[i]" });
  const params = paramLoads(cell, roots);
  const buffers: [string, "read" | "read_write"][] = [
    ["xs", "read"],
    ["fb", "read"],
    ["sp", "read"],
    ...params.buffers,
    ...spec.state.map((_, k): [string, "read_write"] => [`st${k}`, "read_write"]),
    ["ys", "read_write"],
    ...residuals.map((_, k): [string, "read_write"] => [`r${k}`, "read_write"]),
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  let ${local(X)} = xs[off + i]; let ${local(FB)} = fb[i];
  ${spec.state.map((n, k) => `let ${local(cell.stateSymbol(n))} = st${k}[i];`).join(" ")}
  ${params.code}
  ${residuals.map((r, k) => `r${k}[off + i] = ${local(r)};`).join(" ")}
    ${body.code}
  ys[off + i] = ${body.ref(cell.output)};
  ${cell.next.map((e, k) => `st${k}[i] = ${body.ref(e)};`).join(" ")}`,
  );
  return { key: `cell_fwd_update:${idOf(cell)}:${residuals.join(",")}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/** Symbol names of the backward expressions in WGSL. */
function backwardSymbol(n: string): string {
  if (n === THRESHOLD) return "u.thr";
  if (n === GY) return "gy";
  if (n === GSFB) return "gsfb_";
  return local(n);
}

/** The expressions of the backward update: cotangents of the state, the input and the parameters. */
function backwardRoots(b: CellBackward): Expr[] {
  return [...b.state, b.x, ...b.params].filter((e): e is Expr => e !== null);
}

/** Loads of a backward step's residuals at `off + i`, the parameters they read and `gy`. */
function backwardLoads(cell: Cell, b: CellBackward, roots: readonly Expr[]) {
  const params = paramLoads(cell, roots);
  const residualReads = used(roots, b.residuals);
  const readsGy = symbolsOf(roots).has(GY);
  const buffers: [string, "read"][] = [
    ...(readsGy ? [["gys", "read"] as [string, "read"]] : []),
    ...b.residuals.flatMap((_, k): [string, "read"][] => (residualReads[k] ? [[`r${k}`, "read"]] : [])),
    ...params.buffers,
  ];
  const code = [
    readsGy ? "let gy = gys[off + i];" : "",
    ...b.residuals.map((r, k) => (residualReads[k] ? `let ${local(r)} = r${k}[off + i];` : "")),
    params.code,
  ].join(" ");
  return { code, buffers };
}

/**
 * The backward pass of a non-recurrent cell in one dispatch: `gys`, the
 * final state's cotangents `lam_in<k>`, the residuals `r<k>` and params
 * in; `gx`, the initial state's cotangents `lam<k>` and the parameters'
 * per-(sample, neuron) partials `gp` (`[P, B, N]`) out.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardWholeWgsl(LIF_CELL, LIF_CELL.backward(superspike().surrogate!.expr)).key;
 * ```
 */
export function backwardWholeWgsl(cell: Cell, b: CellBackward): CellShader {
  const { spec } = cell;
  const roots = backwardRoots(b);
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const lams = spec.state.map((n) => local(lambdaOf(n)));
  const gps = b.params.map((_, k) => `gp${k}_`);
  const buffers: [string, "read" | "read_write"][] = [
    ...spec.state.map((_, k): [string, "read"] => [`lam_in${k}`, "read"]),
    ...loads.buffers,
    ["gx", "read_write"],
    ...spec.state.map((_, k): [string, "read_write"] => [`lam${k}`, "read_write"]),
    ...(spec.params.length > 0 ? [["gp", "read_write"] as [string, "read_write"]] : []),
  ];
  const wgsl = shader(
    buffers,
    `${lams.map((l, k) => `var ${l} = lam_in${k}[i];`).join(" ")}
  ${gps.map((g) => `var ${g} = 0.0;`).join(" ")}
  for (var s = u.T; s > 0u; s--) {
    let s1 = s - 1u;
    let t = select(s1, u.T - 1u - s1, u.rev == 1u); let off = t * M;
    ${loads.code}
    ${body.code}
    gx[off + i] = ${b.x ? body.ref(b.x) : "0.0"};
    ${b.state.map((e, k) => `${lams[k]} = ${e ? body.ref(e) : "0.0"};`).join(" ")}
    ${b.params.map((e, k) => (e ? `${gps[k]} += ${body.ref(e)};` : "")).join(" ")}
  }
  ${lams.map((l, k) => `lam${k}[i] = ${l};`).join(" ")}
  ${gps.map((g, k) => `gp[${k}u * M + i] = ${g};`).join(" ")}`,
  );
  return { key: `cell_bwd:${idOf(cell)}:${idOf(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's backward step `u.t`, first half: the feedback's
 * cotangent and the recomputed spikes, written at the step into `gfb` and
 * `spall` (`[T, B, N]` each); the carried cotangents `lam<k>` are read.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardFeedbackWgsl(RLIF_CELL, RLIF_CELL.backward(superspike().surrogate!.expr)).bindings;
 * ```
 */
export function backwardFeedbackWgsl(cell: Cell, b: CellBackward): CellShader {
  const spikeExpr = cell.spike!;
  const roots = b.fb ? [b.fb, spikeExpr] : [spikeExpr];
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const lamNames = cell.spec.state.map((n) => lambdaOf(n));
  const lamReads = used(roots, lamNames);
  const buffers: [string, "read" | "read_write"][] = [
    ...loads.buffers,
    ...lamNames.flatMap((_, k): [string, "read"][] => (lamReads[k] ? [[`lam${k}`, "read"]] : [])),
    ["gfb", "read_write"],
    ["spall", "read_write"],
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  ${loads.code}
  ${lamNames.map((n, k) => (lamReads[k] ? `let ${local(n)} = lam${k}[i];` : "")).join(" ")}
    ${body.code}
  gfb[off + i] = ${b.fb ? body.ref(b.fb) : "0.0"};
  spall[off + i] = ${body.ref(spikeExpr)};`,
  );
  return { key: `cell_bwd_fb:${idOf(cell)}:${idOf(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's backward step `u.t`, second half: with `gsfb`
 * (`gfb @ w^T` of the step), the cotangents of the input (`gx`), of the
 * state before the step (`lam<k>`, in place) and the parameters' partials
 * (`gp`, started at the first step of the pass, `u.first`).
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardUpdateWgsl(RLIF_CELL, RLIF_CELL.backward(superspike().surrogate!.expr)).bindings;
 * ```
 */
export function backwardUpdateWgsl(cell: Cell, b: CellBackward): CellShader {
  const { spec } = cell;
  const roots = backwardRoots(b);
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const readsGsfb = symbolsOf(roots).has(GSFB);
  const buffers: [string, "read" | "read_write"][] = [
    ...loads.buffers,
    ...(readsGsfb ? [["gsfb", "read"] as [string, "read"]] : []),
    ["gx", "read_write"],
    ...spec.state.map((_, k): [string, "read_write"] => [`lam${k}`, "read_write"]),
    ...(spec.params.length > 0 ? [["gp", "read_write"] as [string, "read_write"]] : []),
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  ${loads.code}
  ${readsGsfb ? "let gsfb_ = gsfb[i];" : ""}
  ${spec.state.map((n, k) => `let ${local(lambdaOf(n))} = lam${k}[i];`).join(" ")}
    ${body.code}
  gx[off + i] = ${b.x ? body.ref(b.x) : "0.0"};
  ${b.state.map((e, k) => `lam${k}[i] = ${e ? body.ref(e) : "0.0"};`).join(" ")}
  ${
      b.params.map((e, k) => {
        // The partials start at the pass's first step (the buffer is uninitialised before it).
        const at = `gp[${k}u * M + i]`;
        return `${at} = select(${at}, 0.0, u.first == 1u) + ${e ? body.ref(e) : "0.0"};`;
      }).join(" ")
    }`,
  );
  return { key: `cell_bwd_update:${idOf(cell)}:${idOf(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}
