/**
 * WebAssembly SIMD kernels of cells in float32, generated from the cell's
 * expressions (as `cell_js.ts` generates JavaScript from the same ones):
 * four neurons at a time, with spikes and comparisons as lane masks rather
 * than branches (a membrane near threshold mispredicts a branch often,
 * which dominated the JavaScript loops' cost). WebAssembly's float32
 * operations round as `Math.fround` does, so the forward pass equals the
 * JavaScript kernel and the per-step ops bit for bit; the backward pass
 * accumulates the parameters' cotangents per lane in float32 (the
 * JavaScript kernel does so per neuron in float64).
 *
 * Cells whose expressions need `exp`, `log`, `tanh` or `sigmoid` (which
 * SIMD lacks), recurrent cells and float64 take the JavaScript kernels.
 *
 * WebAssembly cannot read JavaScript arrays, so a call's arrays go through
 * the kernels' own memory: the per-step vectors (state, parameters,
 * cotangents) stay there, the time-major arrays pass through in chunks of
 * steps, which keeps that memory to a few MiB whatever the sequence length.
 *
 * @module
 */
import { type Cell, type CellBackward, GY, lambdaOf, THRESHOLD, X } from "../cell/cell.ts";
import { type Expr, topologicalOrder } from "../cell/expr.ts";
import type { TypedArray } from "../dtype.ts";
import type { BackwardArrays, ForwardArrays } from "./cell_js.ts";
import {
  assembleModule,
  bump,
  countDown,
  FunctionBody,
  Op,
  SimdOp,
  ValType,
  type ValTypeCode,
} from "./wasm_assembler.ts";

const { i32, f32, v128 } = ValType;

/** Bytes of one chunk array (a few time steps of `[B, N]`). */
const CHUNK_BYTES = 4 << 20;
/** 64 KiB pages a kernel's memory may grow to (1 GiB). */
const MAX_PAGES = 16384;

const UNARY: Record<string, number> = { neg: SimdOp.f32x4Neg, abs: SimdOp.f32x4Abs, sqrt: SimdOp.f32x4Sqrt };
const ARITHMETIC: Record<string, number> = {
  add: SimdOp.f32x4Add,
  sub: SimdOp.f32x4Sub,
  mul: SimdOp.f32x4Mul,
  div: SimdOp.f32x4Div,
  max: SimdOp.f32x4Max,
  min: SimdOp.f32x4Min,
};
const COMPARE: Record<string, number> = {
  gt: SimdOp.f32x4Gt,
  lt: SimdOp.f32x4Lt,
  ge: SimdOp.f32x4Ge,
  le: SimdOp.f32x4Le,
};

/** Whether SIMD has an instruction for every node of `roots`. */
function simdable(roots: readonly Expr[]): boolean {
  return topologicalOrder(roots).every((e) => e.node.kind !== "unary" || e.node.op in UNARY);
}

/**
 * Emits `roots` into `f`: each node computed once into a v128 local
 * (constants splatted once at the top, before `loopStart`), `symbol(name)`
 * giving the local that holds each symbol. Returns the local of each node.
 */
class SimdEmitter {
  readonly locals = new Map<Expr, number>();
  readonly one: number;
  readonly zero: number;

  constructor(private readonly f: FunctionBody, roots: readonly Expr[]) {
    this.one = this.splatConst(1);
    this.zero = this.splatConst(0);
    for (const e of topologicalOrder(roots)) {
      if (e.node.kind === "const") this.locals.set(e, this.splatConst(e.node.value));
    }
  }

  private splatConst(x: number): number {
    const l = this.f.local(v128);
    this.f.f32Const(x).simd(SimdOp.f32x4Splat).set(l);
    return l;
  }

  /** Binds a symbol to a local that the caller fills. */
  bind(e: Expr, local: number): void {
    this.locals.set(e, local);
  }

  /** Computes every node of `roots` not yet bound (symbols must be bound). */
  compute(roots: readonly Expr[]): void {
    const f = this.f;
    const get = (e: Expr) => {
      const l = this.locals.get(e);
      if (l === undefined) throw new Error(`cell_wasm: internal: node ${e.id} has no value`);
      return l;
    };
    for (const e of topologicalOrder(roots)) {
      if (this.locals.has(e)) continue;
      const n = e.node;
      const out = f.local(v128);
      switch (n.kind) {
        case "const":
        case "symbol":
          throw new Error(`cell_wasm: internal: unbound ${n.kind}`);
        case "unary":
          f.get(get(n.a)).simd(UNARY[n.op]);
          break;
        case "binary":
          f.get(get(n.a)).get(get(n.b));
          if (n.op in COMPARE) f.simd(COMPARE[n.op]).get(this.one).simd(SimdOp.v128And);
          else f.simd(ARITHMETIC[n.op]);
          break;
        case "select":
          // bitselect takes lanes of its first operand where the mask is set.
          f.get(get(n.a)).get(get(n.b)).get(get(n.cond)).get(this.zero).simd(SimdOp.f32x4Ne).simd(SimdOp.v128Bitselect);
          break;
        case "spike":
          f.get(get(n.u)).get(this.zero).simd(SimdOp.f32x4Gt).get(this.one).simd(SimdOp.v128And);
          break;
      }
      f.set(out);
      this.locals.set(e, out);
    }
  }

  local(e: Expr): number {
    return this.locals.get(e)!;
  }
}

/** Adds `rows - 1` rows to pointer locals (the backward pass starts at a chunk's last row). */
function toLastRow(f: FunctionBody, pointers: readonly number[], rows: number, rowBytes: number): void {
  for (const p of pointers) bump(f, p, () => f.get(rows).i32Const(1).op(Op.i32Sub).get(rowBytes).op(Op.i32Mul));
}

/**
 * `forward(x, ys, state..., params..., residuals..., rows, vecs, thr)`:
 * `rows` steps of `vecs` f32x4 lanes each. Time-major arrays advance a row
 * per step; the state and parameter vectors are the same every step.
 */
function forwardBody(cell: Cell, residuals: readonly string[]): FunctionBody {
  const { spec } = cell;
  const parts = spec.state.length, nParams = spec.params.length, nRes = residuals.length;
  const params = new Array<ValTypeCode>(2 + parts + nParams + nRes + 2).fill(i32);
  params.push(f32);
  const f = new FunctionBody(params, []);
  const [xP, ysP] = [0, 1];
  const stP = Array.from({ length: parts }, (_, k) => 2 + k);
  const pP = Array.from({ length: nParams }, (_, k) => 2 + parts + k);
  const rP = Array.from({ length: nRes }, (_, k) => 2 + parts + nParams + k);
  const rows = 2 + parts + nParams + nRes, vecs = rows + 1, thr = rows + 2;
  const roots = [cell.output, ...cell.next];
  const em = new SimdEmitter(f, roots);
  const thrV = f.local(v128);
  f.get(thr).simd(SimdOp.f32x4Splat).set(thrV);
  const symbols = new Map<string, number>([[THRESHOLD, thrV]]);
  const xV = f.local(v128);
  symbols.set(X, xV);
  const stV = stP.map(() => f.local(v128)), pV = pP.map(() => f.local(v128));
  spec.state.forEach((n, k) => symbols.set(cell.stateSymbol(n), stV[k]));
  spec.params.forEach((n, k) => symbols.set(cell.paramSymbol(n), pV[k]));
  for (const e of topologicalOrder(roots)) if (e.node.kind === "symbol") em.bind(e, symbols.get(e.node.name)!);
  const stRow = stP.map(() => f.local(i32)), pRow = pP.map(() => f.local(i32)), left = f.local(i32);
  countDown(f, rows, () => {
    stP.forEach((p, k) => f.get(p).set(stRow[k]));
    pP.forEach((p, k) => f.get(p).set(pRow[k]));
    f.get(vecs).set(left);
    countDown(f, left, () => {
      f.get(xP).simdMem(SimdOp.v128Load, 4, 0).set(xV);
      stRow.forEach((p, k) => f.get(p).simdMem(SimdOp.v128Load, 4, 0).set(stV[k]));
      pRow.forEach((p, k) => f.get(p).simdMem(SimdOp.v128Load, 4, 0).set(pV[k]));
      residuals.forEach((r, k) => f.get(rP[k]).get(symbols.get(r)!).simdMem(SimdOp.v128Store, 4, 0));
      em.compute(roots);
      f.get(ysP).get(em.local(cell.output)).simdMem(SimdOp.v128Store, 4, 0);
      cell.next.forEach((e, k) => f.get(stRow[k]).get(em.local(e)).simdMem(SimdOp.v128Store, 4, 0));
      for (const p of [xP, ysP, ...rP, ...stRow, ...pRow]) bump(f, p, 16);
    });
  });
  return f;
}

/**
 * `backward(gys, gx, residuals..., lam..., params..., gParams..., rows,
 * vecs, thr)`: the steps of a chunk from its last row to its first.
 */
function backwardBody(cell: Cell, b: CellBackward): FunctionBody {
  const { spec } = cell;
  const parts = spec.state.length, nParams = spec.params.length, nRes = b.residuals.length;
  const params = new Array<ValTypeCode>(2 + nRes + parts + 2 * nParams + 2).fill(i32);
  params.push(f32);
  const f = new FunctionBody(params, []);
  const [gysP, gxP] = [0, 1];
  const rP = Array.from({ length: nRes }, (_, k) => 2 + k);
  const lamP = Array.from({ length: parts }, (_, k) => 2 + nRes + k);
  const pP = Array.from({ length: nParams }, (_, k) => 2 + nRes + parts + k);
  const gpP = Array.from({ length: nParams }, (_, k) => 2 + nRes + parts + nParams + k);
  const rows = 2 + nRes + parts + 2 * nParams, vecs = rows + 1, thr = rows + 2;
  const roots = [...b.state, b.x, ...b.params].filter((e): e is Expr => e !== null);
  const em = new SimdEmitter(f, roots);
  const thrV = f.local(v128), gyV = f.local(v128);
  f.get(thr).simd(SimdOp.f32x4Splat).set(thrV);
  const symbols = new Map<string, number>([[THRESHOLD, thrV], [GY, gyV]]);
  const rV = rP.map(() => f.local(v128)), lamV = lamP.map(() => f.local(v128)), pV = pP.map(() => f.local(v128));
  b.residuals.forEach((r, k) => symbols.set(r, rV[k]));
  spec.state.forEach((n, k) => symbols.set(lambdaOf(n), lamV[k]));
  spec.params.forEach((n, k) => symbols.set(cell.paramSymbol(n), pV[k]));
  for (const e of topologicalOrder(roots)) if (e.node.kind === "symbol") em.bind(e, symbols.get(e.node.name)!);
  const lamRow = lamP.map(() => f.local(i32)), pRow = pP.map(() => f.local(i32)), gpRow = gpP.map(() => f.local(i32));
  const left = f.local(i32), rowBytes = f.local(i32);
  f.get(vecs).i32Const(16).op(Op.i32Mul).set(rowBytes);
  const chunked = [gysP, gxP, ...rP];
  toLastRow(f, chunked, rows, rowBytes);
  countDown(f, rows, () => {
    lamP.forEach((p, k) => f.get(p).set(lamRow[k]));
    pP.forEach((p, k) => f.get(p).set(pRow[k]));
    gpP.forEach((p, k) => f.get(p).set(gpRow[k]));
    f.get(vecs).set(left);
    countDown(f, left, () => {
      f.get(gysP).simdMem(SimdOp.v128Load, 4, 0).set(gyV);
      rP.forEach((p, k) => f.get(p).simdMem(SimdOp.v128Load, 4, 0).set(rV[k]));
      lamRow.forEach((p, k) => f.get(p).simdMem(SimdOp.v128Load, 4, 0).set(lamV[k]));
      pRow.forEach((p, k) => f.get(p).simdMem(SimdOp.v128Load, 4, 0).set(pV[k]));
      em.compute(roots);
      f.get(gxP);
      if (b.x) f.get(em.local(b.x));
      else f.v128Zero();
      f.simdMem(SimdOp.v128Store, 4, 0);
      b.state.forEach((e, k) => {
        f.get(lamRow[k]);
        if (e) f.get(em.local(e));
        else f.v128Zero();
        f.simdMem(SimdOp.v128Store, 4, 0);
      });
      b.params.forEach((e, k) => {
        if (!e) return;
        f.get(gpRow[k]).get(gpRow[k]).simdMem(SimdOp.v128Load, 4, 0).get(em.local(e)).simd(SimdOp.f32x4Add);
        f.simdMem(SimdOp.v128Store, 4, 0);
      });
      for (const p of [...chunked, ...lamRow, ...pRow, ...gpRow]) bump(f, p, 16);
    });
    // Back to the start of the previous row.
    for (const p of chunked) bump(f, p, () => f.i32Const(0).get(rowBytes).i32Const(2).op(Op.i32Mul).op(Op.i32Sub));
  });
  return f;
}

/** A compiled kernel and the memory it works in. */
interface Program {
  readonly memory: WebAssembly.Memory;
  readonly run: (...args: number[]) => void;
}

const MEMORY_LIMITS = { initial: 1, maximum: MAX_PAGES, shared: false };
/**
 * One memory for every cell kernel: a call copies its arrays in, runs and
 * copies the results out before the next call starts, so the kernels can
 * share it, and the process holds the largest call's bytes once instead of
 * once per model and direction.
 */
let sharedMemory: WebAssembly.Memory | null = null;

function compile(body: FunctionBody): Program | null {
  try {
    const bytes = assembleModule(MEMORY_LIMITS, [{ name: "run", body }]);
    const memory = sharedMemory ?? new WebAssembly.Memory(MEMORY_LIMITS);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    sharedMemory = memory;
    return { memory, run: instance.exports.run as (...args: number[]) => void };
  } catch {
    // No WebAssembly SIMD here: the JavaScript kernels run instead.
    return null;
  }
}

const forwardPrograms = new WeakMap<Cell, Map<string, Program | null>>();
const backwardPrograms = new WeakMap<CellBackward, Program | null>();

function forwardProgram(cell: Cell, residuals: readonly string[]): Program | null {
  let byKey = forwardPrograms.get(cell);
  if (byKey === undefined) forwardPrograms.set(cell, byKey = new Map());
  const key = residuals.join(",");
  if (!byKey.has(key)) {
    const ok = !cell.spec.recurrent && simdable([cell.output, ...cell.next]);
    byKey.set(key, ok ? compile(forwardBody(cell, residuals)) : null);
  }
  return byKey.get(key)!;
}

function backwardProgram(cell: Cell, b: CellBackward): Program | null {
  if (!backwardPrograms.has(b)) {
    const roots = [...b.state, b.x, ...b.params].filter((e): e is Expr => e !== null);
    const ok = !cell.spec.recurrent && simdable(roots);
    backwardPrograms.set(b, ok ? compile(backwardBody(cell, b)) : null);
  }
  return backwardPrograms.get(b)!;
}

/** Grows a program's memory to at least `bytes`; false when that is over its maximum. */
function reserve(p: Program, bytes: number): boolean {
  const have = p.memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / 65536);
  if (have / 65536 + pages > MAX_PAGES) return false;
  try {
    p.memory.grow(pages);
  } catch {
    // The engine could not reserve the memory: the JavaScript kernels need none of it.
    return false;
  }
  return true;
}

/** Where a call's arrays live in a program's memory (float offsets). */
interface Layout {
  /** Floats per step, `B * N` rounded up to whole f32x4 lanes. */
  readonly stride: number;
  /** Steps per chunk. */
  readonly chunk: number;
  readonly vectors: number[];
  readonly chunks: number[];
}

/** `vectors` arrays of one step each, then `chunked` arrays of a chunk of steps each; null when they do not fit. */
function layout(p: Program, M: number, T: number, vectors: number, chunked: number): Layout | null {
  const stride = Math.ceil(M / 4) * 4;
  const chunk = Math.max(1, Math.min(T, Math.floor(CHUNK_BYTES / (stride * 4))));
  let next = 0;
  const at = (n: number, size: number) => Array.from({ length: n }, () => (next += size) - size);
  const v = at(vectors, stride), c = at(chunked, chunk * stride);
  if (!reserve(p, next * 4)) return null;
  // Lanes past `M` are never written by the copies: zero them so that they stay finite.
  new Float32Array(p.memory.buffer).fill(0, 0, next);
  return { stride, chunk, vectors: v, chunks: c };
}

/**
 * Copies steps `[s0, s0 + rows)` of the time-major `arr` (`M` per step, in
 * processing order: reversed with `reverse`) to or from rows of `heap` at
 * `at`, `stride` apart.
 */
function moveRows(
  toHeap: boolean,
  arr: TypedArray,
  heap: Float32Array,
  at: number,
  stride: number,
  s0: number,
  rows: number,
  M: number,
  T: number,
  reverse: boolean,
): void {
  if (!reverse && stride === M) {
    if (toHeap) heap.set(arr.subarray(s0 * M, (s0 + rows) * M), at);
    else arr.set(heap.subarray(at, at + rows * M), s0 * M);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const t = (reverse ? T - 1 - (s0 + r) : s0 + r) * M, h = at + r * stride;
    if (toHeap) heap.set(arr.subarray(t, t + M), h);
    else arr.set(heap.subarray(h, h + M), t);
  }
}

/** Per-lane values `[B * N]` of per-neuron ones `[N]`. */
function lanes(heap: Float32Array, at: number, values: TypedArray, B: number, N: number): void {
  for (let b = 0; b < B; b++) heap.set(values.subarray(0, N), at + b * N);
}

function allFloat32(arrays: readonly TypedArray[]): boolean {
  return arrays.every((a) => a instanceof Float32Array);
}

/**
 * Runs a float32 cell's forward pass in WebAssembly SIMD; false, having
 * written nothing, where it cannot (see the module doc, or arrays over the
 * kernel's memory), so that the caller runs the JavaScript kernel.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * const x = new Float32Array(6).fill(0.6), ys = new Float32Array(6), vs = new Float32Array(6);
 * wasmCellForward(LIF_CELL, ["state:v"], {
 *   T: 3, B: 1, N: 2, reverse: false, x, state: [new Float32Array(2)], params: [new Float32Array([0.5, 0.5])],
 *   threshold: 1, ys, residuals: [vs],
 * }); // true where WebAssembly SIMD runs
 * ```
 */
export function wasmCellForward(
  cell: Cell,
  residuals: readonly string[],
  a: Omit<ForwardArrays, "feedback" | "spikes">,
): boolean {
  const M = a.B * a.N;
  if (M === 0 || !allFloat32([a.x, a.ys, ...a.state, ...a.params, ...a.residuals])) return false;
  const p = forwardProgram(cell, residuals);
  const plan = p && layout(p, M, a.T, a.state.length + a.params.length, 2 + residuals.length);
  if (!p || !plan) return false;
  const heap = new Float32Array(p.memory.buffer);
  const { stride, chunk } = plan;
  const stAt = plan.vectors.slice(0, a.state.length), pAt = plan.vectors.slice(a.state.length);
  const [xAt, ysAt, ...rAt] = plan.chunks;
  a.state.forEach((s, k) => heap.set(s, stAt[k]));
  a.params.forEach((v, k) => lanes(heap, pAt[k], v, a.B, a.N));
  for (let s0 = 0; s0 < a.T; s0 += chunk) {
    const rows = Math.min(chunk, a.T - s0);
    moveRows(true, a.x, heap, xAt, stride, s0, rows, M, a.T, a.reverse);
    p.run(
      xAt * 4,
      ysAt * 4,
      ...stAt.map((o) => o * 4),
      ...pAt.map((o) => o * 4),
      ...rAt.map((o) => o * 4),
      rows,
      stride / 4,
      a.threshold,
    );
    moveRows(false, a.ys, heap, ysAt, stride, s0, rows, M, a.T, a.reverse);
    a.residuals.forEach((r, k) => moveRows(false, r, heap, rAt[k], stride, s0, rows, M, a.T, a.reverse));
  }
  a.state.forEach((s, k) => s.set(heap.subarray(stAt[k], stAt[k] + M)));
  return true;
}

/**
 * Runs a float32 cell's backward pass in WebAssembly SIMD; false, having
 * written nothing, where it cannot.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * import { superspike } from "../../nn/axn/surrogates.ts";
 * const b = LIF_CELL.backward(superspike().surrogate!.expr);
 * wasmCellBackward(LIF_CELL, b, {
 *   T: 1, B: 1, N: 1, reverse: false, gys: new Float32Array([1]), lam: [new Float32Array(1)],
 *   residuals: [new Float32Array([0.5])], params: [new Float32Array([0.9])], threshold: 1,
 *   gx: new Float32Array(1), gParams: [new Float64Array(1)],
 * });
 * ```
 */
export function wasmCellBackward(
  cell: Cell,
  b: CellBackward,
  a: Omit<BackwardArrays, "gFeedback" | "spikes" | "feedbackT">,
): boolean {
  const M = a.B * a.N;
  if (M === 0 || !allFloat32([a.gys, a.gx, ...a.lam, ...a.residuals, ...a.params])) return false;
  const p = backwardProgram(cell, b);
  const nP = a.params.length;
  const plan = p && layout(p, M, a.T, a.lam.length + 2 * nP, 2 + a.residuals.length);
  if (!p || !plan) return false;
  const heap = new Float32Array(p.memory.buffer);
  const { stride, chunk } = plan;
  const lamAt = plan.vectors.slice(0, a.lam.length);
  const pAt = plan.vectors.slice(a.lam.length, a.lam.length + nP), gpAt = plan.vectors.slice(a.lam.length + nP);
  const [gysAt, gxAt, ...rAt] = plan.chunks;
  a.lam.forEach((l, k) => heap.set(l, lamAt[k]));
  a.params.forEach((v, k) => lanes(heap, pAt[k], v, a.B, a.N));
  for (let s1 = a.T; s1 > 0; s1 -= chunk) {
    const s0 = Math.max(0, s1 - chunk), rows = s1 - s0;
    moveRows(true, a.gys, heap, gysAt, stride, s0, rows, M, a.T, a.reverse);
    a.residuals.forEach((r, k) => moveRows(true, r, heap, rAt[k], stride, s0, rows, M, a.T, a.reverse));
    const args = [gysAt, gxAt, ...rAt, ...lamAt, ...pAt, ...gpAt].map((o) => o * 4);
    p.run(...args, rows, stride / 4, a.threshold);
    moveRows(false, a.gx, heap, gxAt, stride, s0, rows, M, a.T, a.reverse);
  }
  a.lam.forEach((l, k) => l.set(heap.subarray(lamAt[k], lamAt[k] + M)));
  a.gParams.forEach((acc, k) => {
    for (let bb = 0; bb < a.B; bb++) for (let j = 0; j < a.N; j++) acc[j] += heap[gpAt[k] + bb * a.N + j];
  });
  return true;
}
