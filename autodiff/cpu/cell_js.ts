/**
 * Whole-sequence cell kernels generated as JavaScript from the cell's
 * expressions: one monomorphic loop per (cell, residuals or surrogate,
 * dtype), compiled once with `new Function`. In float32 every operation is
 * rounded (`Math.fround`) in the expression's order, so the forward pass
 * equals the per-step ops bit for bit and the backward pass recomputes the
 * very spikes the forward pass fired.
 *
 * Forward, per step: read the state and the input, save the residuals,
 * compute the output and the next state. A recurrent cell first computes
 * its spikes over the whole step, multiplies them by `w` (the feedback),
 * then updates. Backward, per step in reverse: read the residuals and the
 * carried cotangents, compute the cotangents of the input, of the state
 * before the step (carried on) and of the parameters (accumulated in
 * float64); a recurrent cell first computes the feedback's cotangent over
 * the step and multiplies it by `w^T`, and its weights' cotangent is one
 * product over all steps at the end.
 *
 * @module
 */
import { type Cell, type CellBackward, FB, GSFB, GY, lambdaOf, THRESHOLD, X } from "../cell/cell.ts";
import { type Expr, topologicalOrder } from "../cell/expr.ts";
import type { TypedArray } from "../dtype.ts";

/** How a symbol reads in generated code, and how spikes are computed. */
interface EmitContext {
  readonly symbol: (name: string) => string;
  /** Expression for a spike node (default: the step of its argument). */
  readonly spike?: (e: Expr, u: string) => string;
  /** Round every operation to float32. */
  readonly f32: boolean;
}

const UNARY_JS: Record<string, (a: string) => string> = {
  neg: (a) => `-${a}`,
  abs: (a) => `Math.abs(${a})`,
  exp: (a) => `Math.exp(${a})`,
  log: (a) => `Math.log(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  // The same two branches as the sigmoid op's kernel, so that exp never overflows.
  sigmoid: (a) => `(${a} >= 0 ? 1 / (1 + Math.exp(-${a})) : Math.exp(${a}) / (1 + Math.exp(${a})))`,
  sqrt: (a) => `Math.sqrt(${a})`,
};

const BINARY_JS: Record<string, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `(${a} !== ${a} || ${b} !== ${b} ? NaN : ${a} > ${b} ? ${a} : ${b})`,
  min: (a, b) => `(${a} !== ${a} || ${b} !== ${b} ? NaN : ${a} < ${b} ? ${a} : ${b})`,
  gt: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  lt: (a, b) => `(${a} < ${b} ? 1 : 0)`,
  ge: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  le: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
};

/**
 * Statements computing `roots` (each node once, as `e<id>`) and a function
 * naming each root's value.
 */
function emit(roots: readonly Expr[], ctx: EmitContext): { code: string; ref: (e: Expr) => string } {
  const name = (e: Expr) => `e${e.id}`;
  const lines: string[] = [];
  const round = (x: string) => (ctx.f32 ? `Math.fround(${x})` : x);
  for (const e of topologicalOrder(roots)) {
    const n = e.node;
    let v: string;
    switch (n.kind) {
      case "const":
        v = String(ctx.f32 ? Math.fround(n.value) : n.value);
        break;
      case "symbol":
        v = ctx.symbol(n.name);
        break;
      case "unary":
        v = round(UNARY_JS[n.op](name(n.a)));
        break;
      case "binary":
        v = n.op === "gt" || n.op === "lt" || n.op === "ge" || n.op === "le"
          ? BINARY_JS[n.op](name(n.a), name(n.b))
          : round(BINARY_JS[n.op](name(n.a), name(n.b)));
        break;
      case "select":
        v = `(${name(n.cond)} !== 0 ? ${name(n.a)} : ${name(n.b)})`;
        break;
      case "spike":
        v = ctx.spike ? ctx.spike(e, name(n.u)) : `(${name(n.u)} > 0 ? 1 : 0)`;
        break;
    }
    lines.push(`const ${name(e)} = ${v};`);
  }
  return { code: lines.join("\n"), ref: name };
}

/**
 * The threshold as the kernel reads it: a value of the cell's dtype, as the
 * per-step ops and the WebAssembly kernels take it (a float32 kernel that
 * read `0.3` unrounded computed `A + thr` of ALIF, and every spike's
 * argument, in another rounding).
 */
function threshold(f32: boolean): string {
  return `const thr = ${f32 ? "Math.fround(a.threshold)" : "a.threshold"};`;
}

/** A valid identifier for a symbol's value inside the loop. */
function local(name: string): string {
  return "s_" + name.replace(/[^A-Za-z0-9]/g, "_");
}

/** What a generated forward kernel takes (arrays of the cell's dtype). */
export interface ForwardArrays {
  readonly T: number;
  readonly B: number;
  readonly N: number;
  readonly reverse: boolean;
  readonly x: TypedArray;
  /** The current state, one `[B, N]` array per part: the initial state in, the final state out. */
  readonly state: readonly TypedArray[];
  /** Parameters, `[N]` each. */
  readonly params: readonly TypedArray[];
  readonly threshold: number;
  readonly ys: TypedArray;
  /** Saved residuals, `[T, B, N]` each, in the order of `savedResiduals`. */
  readonly residuals: readonly TypedArray[];
  /** `S @ w` of a step's spikes `[B, N]` (recurrent cells). */
  readonly feedback: ((spikes: TypedArray) => TypedArray) | null;
  /** Scratch for a step's spikes `[B, N]` (recurrent cells). */
  readonly spikes: TypedArray | null;
}

type ForwardKernel = (a: ForwardArrays) => void;

const forwardCache = new WeakMap<Cell, Map<string, ForwardKernel>>();

/**
 * The forward kernel of `cell` saving `residuals` (names, see
 * `CellBackward.residuals`), in float32 or float64.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * const run = forwardKernel(LIF_CELL, ["state:v"], true);
 * ```
 */
export function forwardKernel(cell: Cell, residuals: readonly string[], f32: boolean): ForwardKernel {
  let byKey = forwardCache.get(cell);
  if (byKey === undefined) forwardCache.set(cell, byKey = new Map());
  const key = `${residuals.join(",")}|${f32}`;
  let k = byKey.get(key);
  if (k === undefined) byKey.set(key, k = compileForward(cell, residuals, f32));
  return k;
}

function compileForward(cell: Cell, residuals: readonly string[], f32: boolean): ForwardKernel {
  const { spec } = cell;
  const recurrent = spec.recurrent === true;
  const symbol = (n: string) => (n === THRESHOLD ? "thr" : local(n));
  const loadState = spec.state.map((n, k) => `const ${local(cell.stateSymbol(n))} = st${k}[i];`).join(" ");
  const loadParams = spec.params.map((n, k) => `const ${local(cell.paramSymbol(n))} = p${k}[j];`).join(" ");
  const saves = residuals.map((r, k) => `r${k}[off + i] = ${r === FB ? "fb[i]" : local(r)};`).join(" ");
  const body = emit([cell.output, ...cell.next], {
    symbol,
    f32,
    spike: recurrent ? () => "sp[i]" : undefined,
  });
  const stores = [
    `ys[off + i] = ${body.ref(cell.output)};`,
    ...cell.next.map((e, k) => `st${k}[i] = ${body.ref(e)};`),
  ].join(" ");
  const spikePass = recurrent
    ? (() => {
      const s = emit([cell.spike!], { symbol, f32 });
      return `for (let i = 0; i < M; i++) { ${loadState} ${loadParamsAt("i % N", spec.params.length, cell)} ${s.code}
  sp[i] = ${s.ref(cell.spike!)}; }
const fb = feedback(sp);`;
    })()
    : "";
  const src = `const { T, B, N, reverse, x, state, params, ys, residuals: r, feedback, spikes: sp } = a;
${threshold(f32)}
const M = B * N;
${spec.state.map((_, k) => `const st${k} = state[${k}];`).join("\n")}
${spec.params.map((_, k) => `const p${k} = params[${k}];`).join("\n")}
${residuals.map((_, k) => `const r${k} = r[${k}];`).join("\n")}
for (let s = 0; s < T; s++) {
  const off = (reverse ? T - 1 - s : s) * M;
  ${spikePass}
  for (let b = 0, i = 0; b < B; b++) {
    for (let j = 0; j < N; j++, i++) {
      const ${local(X)} = x[off + i]; ${recurrent ? `const ${local(FB)} = fb[i];` : ""}
      ${loadState} ${loadParams}
      ${saves}
      ${body.code}
      ${stores}
    }
  }
}`;
  return new Function("a", src) as ForwardKernel;
}

function loadParamsAt(index: string, count: number, cell: Cell): string {
  return cell.spec.params.slice(0, count).map((n, k) => `const ${local(cell.paramSymbol(n))} = p${k}[${index}];`)
    .join(" ");
}

/** What a generated backward kernel takes. */
export interface BackwardArrays {
  readonly T: number;
  readonly B: number;
  readonly N: number;
  readonly reverse: boolean;
  /** Output cotangents `[T, B, N]`. */
  readonly gys: TypedArray;
  /** Carried cotangents of the state parts `[B, N]`: the final state's in, the initial state's out. */
  readonly lam: readonly TypedArray[];
  /** Residuals `[T, B, N]` in the order of `CellBackward.residuals` (`xs` among them where read). */
  readonly residuals: readonly TypedArray[];
  readonly params: readonly TypedArray[];
  readonly threshold: number;
  /** Out: the inputs' cotangent `[T, B, N]` (may be a residual array: each element is read before it is written). */
  readonly gx: TypedArray;
  /** Out: the parameters' cotangents, zeroed float64 accumulators `[N]`. */
  readonly gParams: readonly Float64Array[];
  /** Recurrent cells: out, the feedback's cotangent `[T, B, N]` (may be `gx`), and the recomputed spikes `[T, B, N]`. */
  readonly gFeedback: TypedArray | null;
  readonly spikes: TypedArray | null;
  /** `g @ w^T` of a step's feedback cotangent `[B, N]` (recurrent cells). */
  readonly feedbackT: ((g: TypedArray) => TypedArray) | null;
}

type BackwardKernel = (a: BackwardArrays) => void;

const backwardCache = new WeakMap<CellBackward, Map<string, BackwardKernel>>();

/**
 * The backward kernel of `cell` with the derived expressions `b` (one
 * surrogate's), in float32 or float64.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * import { superspike } from "../../nn/axn/surrogates.ts";
 * const run = backwardKernel(LIF_CELL, LIF_CELL.backward(superspike().surrogate!.expr), true);
 * ```
 */
export function backwardKernel(cell: Cell, b: CellBackward, f32: boolean): BackwardKernel {
  let byKey = backwardCache.get(b);
  if (byKey === undefined) backwardCache.set(b, byKey = new Map());
  const key = String(f32);
  let k = byKey.get(key);
  if (k === undefined) byKey.set(key, k = compileBackward(cell, b, f32));
  return k;
}

/** Whether the feedback's cotangent is the same expression as the input's (then `gx` holds both). */
export function feedbackSharesInput(b: CellBackward): boolean {
  return b.fb !== null && b.fb === b.x;
}

function compileBackward(cell: Cell, b: CellBackward, f32: boolean): BackwardKernel {
  const { spec } = cell;
  const recurrent = spec.recurrent === true;
  const symbol = (n: string) => {
    if (n === THRESHOLD) return "thr";
    if (n === GY) return "gy";
    if (n === GSFB) return "gsfb[i]";
    return local(n);
  };
  const loads = [
    ...b.residuals.map((r, k) => `const ${local(r)} = r${k}[off + i];`),
    ...spec.state.map((n, k) => `const ${local(lambdaOf(n))} = lam${k}[i];`),
    ...spec.params.map((n, k) => `const ${local(cell.paramSymbol(n))} = p${k}[j];`),
    "const gy = gys[off + i];",
  ].join(" ");
  const roots = [...b.state, b.x, ...b.params].filter((e): e is Expr => e !== null);
  const body = emit(roots, { symbol, f32 });
  const stores = [
    `gx[off + i] = ${b.x ? body.ref(b.x) : 0};`,
    ...b.state.map((e, k) => `lam${k}[i] = ${e ? body.ref(e) : 0};`),
    ...b.params.flatMap((e, k) => (e ? [`gp${k}[j] += ${body.ref(e)};`] : [])),
  ].join(" ");
  let feedbackPass = "";
  if (recurrent) {
    const f = emit([b.fb ?? cell.spike!, cell.spike!], { symbol, f32 });
    const gfb = b.fb ? f.ref(b.fb) : "0";
    feedbackPass = `for (let b = 0, i = 0; b < B; b++) {
    for (let j = 0; j < N; j++, i++) { ${loads} ${f.code}
      gfbAll[off + i] = ${gfb}; spAll[off + i] = ${f.ref(cell.spike!)}; }
  }
  const gsfb = feedbackT(gfbAll.subarray(off, off + M));`;
  }
  const src = `const { T, B, N, reverse, gys, lam, residuals: r, params, gx, gParams, feedbackT } = a;
${threshold(f32)}
const gfbAll = a.gFeedback, spAll = a.spikes;
const M = B * N;
${spec.state.map((_, k) => `const lam${k} = lam[${k}];`).join("\n")}
${spec.params.map((_, k) => `const p${k} = params[${k}]; const gp${k} = gParams[${k}];`).join("\n")}
${b.residuals.map((_, k) => `const r${k} = r[${k}];`).join("\n")}
for (let s = T - 1; s >= 0; s--) {
  const off = (reverse ? T - 1 - s : s) * M;
  ${feedbackPass}
  for (let b = 0, i = 0; b < B; b++) {
    for (let j = 0; j < N; j++, i++) {
      ${loads}
      ${body.code}
      ${stores}
    }
  }
}`;
  return new Function("a", src) as BackwardKernel;
}
