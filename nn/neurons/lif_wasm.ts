/**
 * WebAssembly SIMD kernels of the LIF and IF sequences in float32.
 *
 * The JavaScript loops of `lif.ts` and `if.ts` cost 4 to 10 ns per neuron
 * and step, most of it the spike test's branch, which a membrane near
 * threshold mispredicts. These kernels compute four neurons at a time
 * without branches. The forward one computes in float32 in the per-step
 * path's order (`(beta * V + x) - S * thr`, each operation rounded), so
 * its spikes and membranes match that path bit for bit. IF is LIF with
 * `beta = 1` (`1 * V` is `V` exactly).
 *
 * The backward kernel knows the built-in surrogates whose derivative needs
 * no `exp` (superspike, fastSigmoid, arctan, triangular, boxcar,
 * straightThrough). For the others, and for float64, the JavaScript loops
 * run.
 *
 * WebAssembly cannot read JavaScript arrays, so the arrays go through the
 * kernels' own memory, a chunk of time steps at a time. That keeps the
 * memory to a few MiB whatever the sequence length.
 *
 * @module
 */
import {
  assembleModule,
  bump,
  countDown,
  FunctionBody,
  Op,
  SimdOp,
  ValType,
} from "../../autodiff/cpu/wasm_assembler.ts";
import type { TypedArray } from "../../autodiff/dtype.ts";
import type { Surrogate } from "../axn/mod.ts";
import { timeIndex } from "./sequence.ts";

const { i32, f32, v128 } = ValType;

/** Bytes of one chunk array (a few time steps of `[B, N]`). */
const CHUNK_BYTES = 4 << 20;
/** 64 KiB pages the kernels' memory may grow to (1 GiB). */
const MAX_PAGES = 16384;

/** Surrogates the backward kernel computes, by the name in their `Surrogate` description. */
const SURROGATE_FORMS = ["superspike", "fastSigmoid", "arctan", "triangular", "boxcar", "straightThrough"] as const;
type SurrogateForm = typeof SURROGATE_FORMS[number];

/** `f32x4.splat` of an f32 local. */
function splat(f: FunctionBody, local: number): number {
  const out = f.local(v128);
  f.get(local).simd(SimdOp.f32x4Splat).set(out);
  return out;
}

/** A v128 local holding four copies of the constant `x`. */
function constant(f: FunctionBody, x: number): number {
  const out = f.local(v128);
  f.f32Const(x).simd(SimdOp.f32x4Splat).set(out);
  return out;
}

/**
 * `lifForward(x, vs, v, beta, rows, vecs, thr)`: `rows` steps of `vecs`
 * f32x4 lanes; per step: `vs = V`, `S = V > thr`, `V = (beta * V + x) -
 * S * thr`. The spikes overwrite `x`.
 */
function forwardKernel(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, f32], []);
  const [x, vs, v, beta, rows, vecs, thr] = [0, 1, 2, 3, 4, 5, 6];
  const vp = f.local(i32), bp = f.local(i32), left = f.local(i32);
  const vi = f.local(v128), spike = f.local(v128);
  const thrV = splat(f, thr), one = constant(f, 1);
  countDown(f, rows, () => {
    f.get(v).set(vp);
    f.get(beta).set(bp);
    f.get(vecs).set(left);
    countDown(f, left, () => {
      f.get(vp).simdMem(SimdOp.v128Load, 4, 0).set(vi);
      f.get(vs).get(vi).simdMem(SimdOp.v128Store, 4, 0);
      f.get(vi).get(thrV).simd(SimdOp.f32x4Gt).get(one).simd(SimdOp.v128And).set(spike);
      // V' = (beta * V + x) - S * thr, then S over x.
      f.get(vp);
      f.get(bp).simdMem(SimdOp.v128Load, 4, 0).get(vi).simd(SimdOp.f32x4Mul);
      f.get(x).simdMem(SimdOp.v128Load, 4, 0).simd(SimdOp.f32x4Add);
      f.get(spike).get(thrV).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Sub);
      f.simdMem(SimdOp.v128Store, 4, 0);
      f.get(x).get(spike).simdMem(SimdOp.v128Store, 4, 0);
      for (const p of [x, vs, vp, bp]) bump(f, p, 16);
    });
  });
  return f;
}

/** Pushes the surrogate derivative `s(u)` of the v128 local `u`; `p1`, `p2` are its parameters (v128 locals). */
function pushSurrogate(f: FunctionBody, form: SurrogateForm, u: number, p1: number, p2: number, one: number): void {
  switch (form) {
    case "superspike":
    case "fastSigmoid": {
      // 1 / (1 + k|u|)^2
      const t = f.local(v128);
      f.get(one).get(p1).get(u).simd(SimdOp.f32x4Abs).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add).set(t);
      f.get(one).get(t).get(t).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Div);
      return;
    }
    case "arctan": {
      // 1 / ((1 + (k*pi*u)^2) * pi), p1 = k*pi, p2 = pi
      const a = f.local(v128);
      f.get(p1).get(u).simd(SimdOp.f32x4Mul).set(a);
      f.get(one);
      f.get(one).get(a).get(a).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add).get(p2).simd(SimdOp.f32x4Mul);
      f.simd(SimdOp.f32x4Div);
      return;
    }
    case "triangular":
      // max(0, 1 - |k*u|)
      f.v128Zero();
      f.get(one).get(p1).get(u).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Abs).simd(SimdOp.f32x4Sub);
      f.simd(SimdOp.f32x4Max);
      return;
    case "boxcar":
      // |u| < width / 2 ? height : 0, p1 = width / 2, p2 = height
      f.get(u).simd(SimdOp.f32x4Abs).get(p1).simd(SimdOp.f32x4Lt).get(p2).simd(SimdOp.v128And);
      return;
    case "straightThrough":
      f.get(one);
      return;
  }
}

/**
 * `backward_<form>(vs, gys, lam, beta, gbeta, rows, vecs, thr, p1, p2)`:
 * the steps of the chunk from its last row to its first; per step, with
 * `l = lam`: `gS = gy - thr * l`, `gbeta += l * V`, `vs = l` (the input's
 * cotangent), `lam = beta * l + gS * s(V - thr)`.
 */
function backwardKernel(form: SurrogateForm): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, f32, f32, f32], []);
  const [vs, gys, lam, beta, gb, rows, vecs, thr, p1, p2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const lp = f.local(i32), bp = f.local(i32), gp = f.local(i32), left = f.local(i32), rowBytes = f.local(i32);
  const vi = f.local(v128), l = f.local(v128), gS = f.local(v128), u = f.local(v128);
  const thrV = splat(f, thr), p1V = splat(f, p1), p2V = splat(f, p2), one = constant(f, 1);
  f.get(vecs).i32Const(16).op(Op.i32Mul).set(rowBytes);
  // Start at the last row of the chunk.
  for (const p of [vs, gys]) bump(f, p, () => f.get(rows).i32Const(1).op(Op.i32Sub).get(rowBytes).op(Op.i32Mul));
  countDown(f, rows, () => {
    f.get(lam).set(lp);
    f.get(beta).set(bp);
    f.get(gb).set(gp);
    f.get(vecs).set(left);
    countDown(f, left, () => {
      f.get(vs).simdMem(SimdOp.v128Load, 4, 0).set(vi);
      f.get(lp).simdMem(SimdOp.v128Load, 4, 0).set(l);
      f.get(gys).simdMem(SimdOp.v128Load, 4, 0).get(thrV).get(l).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Sub).set(gS);
      f.get(gp).get(gp).simdMem(SimdOp.v128Load, 4, 0).get(l).get(vi).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add);
      f.simdMem(SimdOp.v128Store, 4, 0);
      f.get(vs).get(l).simdMem(SimdOp.v128Store, 4, 0);
      f.get(vi).get(thrV).simd(SimdOp.f32x4Sub).set(u);
      f.get(lp);
      f.get(bp).simdMem(SimdOp.v128Load, 4, 0).get(l).simd(SimdOp.f32x4Mul);
      f.get(gS);
      pushSurrogate(f, form, u, p1V, p2V, one);
      f.simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add);
      f.simdMem(SimdOp.v128Store, 4, 0);
      for (const p of [vs, gys, lp, bp, gp]) bump(f, p, 16);
    });
    // Back to the start of the previous row.
    for (const p of [vs, gys]) bump(f, p, () => f.i32Const(0).get(rowBytes).i32Const(2).op(Op.i32Mul).op(Op.i32Sub));
  });
  return f;
}

interface Exports {
  lifForward(x: number, vs: number, v: number, beta: number, rows: number, vecs: number, thr: number): void;
  [backward: `backward_${string}`]: (
    vs: number,
    gys: number,
    lam: number,
    beta: number,
    gb: number,
    rows: number,
    vecs: number,
    thr: number,
    p1: number,
    p2: number,
  ) => void;
}

interface Kernels {
  memory: WebAssembly.Memory;
  exports: Exports;
}

let kernels: Kernels | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is missing. */
function getKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const limits = { initial: 1, maximum: MAX_PAGES, shared: false };
    const bytes = assembleModule(limits, [
      { name: "lifForward", body: forwardKernel() },
      ...SURROGATE_FORMS.map((form) => ({ name: `backward_${form}`, body: backwardKernel(form) })),
    ]);
    const memory = new WebAssembly.Memory(limits);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernels = { memory, exports: instance.exports as unknown as Exports };
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Grows the kernels' memory to at least `bytes`; false when that is over its maximum. */
function reserve(k: Kernels, bytes: number): boolean {
  const have = k.memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / 65536);
  if (have / 65536 + pages > MAX_PAGES) return false;
  try {
    k.memory.grow(pages);
  } catch {
    // The engine could not reserve the memory: the JavaScript loops need none of it.
    return false;
  }
  return true;
}

/** Where the arrays of one call live in the kernels' memory (float offsets). */
interface Layout {
  /** Floats per step, `B * N` rounded up to whole f32x4 lanes. */
  stride: number;
  /** Steps per chunk. */
  chunk: number;
  at: number[];
}

/** `vectors` arrays of one step each, then `chunked` arrays of a chunk of steps each. */
function layout(k: Kernels, M: number, T: number, vectors: number, chunked: number): Layout | null {
  const stride = Math.ceil(M / 4) * 4;
  const chunk = Math.max(1, Math.min(T, Math.floor(CHUNK_BYTES / (stride * 4))));
  const at: number[] = [];
  let next = 0;
  for (let a = 0; a < vectors; a++, next += stride) at.push(next);
  for (let a = 0; a < chunked; a++, next += chunk * stride) at.push(next);
  return reserve(k, next * 4) ? { stride, chunk, at } : null;
}

/**
 * Copies steps `[s0, s0 + rows)` of the time-major `src` (`M` per step,
 * in time order `reverse`) to or from rows of `heap` at `at`, `stride`
 * apart.
 */
function moveRows(
  toHeap: boolean,
  arr: Float32Array,
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
    const t = timeIndex(s0 + r, T, reverse) * M, h = at + r * stride;
    if (toHeap) heap.set(arr.subarray(t, t + M), h);
    else arr.set(heap.subarray(h, h + M), t);
  }
}

/** Per-lane decays `[B * N]` from per-neuron ones (`null`: IF, all 1). */
function laneDecays(heap: Float32Array, at: number, beta: Float64Array | null, B: number, N: number): void {
  if (beta === null) heap.fill(1, at, at + B * N);
  else for (let b = 0; b < B; b++) for (let j = 0; j < N; j++) heap[at + b * N + j] = beta[j];
}

/** Arguments of {@link lifForwardFloat32}. */
export interface LifForwardArrays {
  T: number;
  B: number;
  N: number;
  reverse: boolean;
  /** Inputs `[T, B, N]`. */
  x: TypedArray;
  /** Initial membrane `[B, N]`. */
  v0: TypedArray;
  /** Per-neuron decays `[N]`, or null for IF. */
  beta: Float64Array | null;
  threshold: number;
  /** Out: spikes `[T, B, N]`. */
  ys: TypedArray;
  /** Out: the membrane before every step `[T, B, N]`. */
  vs: TypedArray;
  /** Out: the final membrane `[B, N]`. */
  final: TypedArray;
}

/**
 * The LIF (or, with `beta` null, IF) forward loop in float32 on the SIMD
 * kernel; false, having written nothing, where it cannot run (arrays that
 * are not float32, no WebAssembly SIMD, or a `[B, N]` over the kernels'
 * memory), so that the caller runs its JavaScript loop.
 *
 * @example
 * ```ts
 * const [T, B, N] = [3, 1, 2];
 * const ys = new Float32Array(T * B * N), vs = new Float32Array(T * B * N), final = new Float32Array(B * N);
 * lifForwardFloat32({
 *   T, B, N, reverse: false, x: new Float32Array(6).fill(0.6), v0: new Float32Array(2),
 *   beta: new Float64Array([0.5, 0.5]), threshold: 1, ys, vs, final,
 * }); // true where WebAssembly SIMD runs; ys = [0, 0, 0, 0, 0, 0]
 * ```
 */
export function lifForwardFloat32(a: LifForwardArrays): boolean {
  const { x, v0, ys, vs, final } = a;
  const f32 = x instanceof Float32Array && v0 instanceof Float32Array && ys instanceof Float32Array &&
    vs instanceof Float32Array && final instanceof Float32Array;
  const k = f32 ? getKernels() : null;
  const M = a.B * a.N;
  const plan = k && M > 0 ? layout(k, M, a.T, 2, 2) : null;
  if (!f32 || !k || !plan) return false;
  const { stride, chunk, at: [vAt, betaAt, xAt, vsAt] } = plan;
  const heap = new Float32Array(k.memory.buffer);
  // Zero the lanes past `M` (a chunk's rows are only written up to `M`).
  heap.fill(0, 0, stride === M ? xAt : xAt + 2 * chunk * stride);
  heap.set(v0, vAt);
  laneDecays(heap, betaAt, a.beta, a.B, a.N);
  for (let s0 = 0; s0 < a.T; s0 += chunk) {
    const rows = Math.min(chunk, a.T - s0);
    moveRows(true, x, heap, xAt, stride, s0, rows, M, a.T, a.reverse);
    k.exports.lifForward(xAt * 4, vsAt * 4, vAt * 4, betaAt * 4, rows, stride / 4, a.threshold);
    moveRows(false, ys, heap, xAt, stride, s0, rows, M, a.T, a.reverse);
    moveRows(false, vs, heap, vsAt, stride, s0, rows, M, a.T, a.reverse);
  }
  final.set(heap.subarray(vAt, vAt + M));
  return true;
}

/** Arguments of {@link lifBackwardFloat32}. */
export interface LifBackwardArrays {
  T: number;
  B: number;
  N: number;
  reverse: boolean;
  /** The forward's membranes `[T, B, N]`; overwritten with the inputs' cotangent. */
  vs: TypedArray;
  /** Cotangent of the spikes `[T, B, N]`. */
  gys: TypedArray;
  /** Cotangent of the final membrane `[B, N]`. */
  gFinal: TypedArray;
  /** Per-neuron decays `[N]`, or null for IF. */
  beta: Float64Array | null;
  threshold: number;
  /** The spike function's surrogate when it is a built-in (see `isBuiltinSurrogate`), else null. */
  surrogate: Surrogate | null;
  /** Out: cotangent of the initial membrane `[B, N]`. */
  gState: TypedArray;
  /** Out: cotangent of the decays `[N]`, added to (null for IF). */
  gBeta: Float64Array | null;
}

/** `[p1, p2]` of a surrogate's kernel, or null when the kernel does not know its formula. */
function surrogateParameters(s: Surrogate): [SurrogateForm, number, number] | null {
  const p = s.params as Record<string, number>;
  switch (s.name) {
    case "superspike":
    case "fastSigmoid":
    case "triangular":
      return [s.name, p.k, 0];
    case "arctan":
      return ["arctan", p.k * Math.PI, Math.PI];
    case "boxcar":
      return ["boxcar", p.width / 2, p.height];
    case "straightThrough":
      return ["straightThrough", 0, 0];
  }
  return null;
}

/**
 * The LIF (or IF) backward loop in float32 on the SIMD kernel; false,
 * having written nothing, where it cannot run (see
 * {@link lifForwardFloat32}, or a surrogate that is not a built-in without
 * `exp`).
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * const [T, B, N] = [2, 1, 1];
 * const gState = new Float32Array(1);
 * lifBackwardFloat32({
 *   T, B, N, reverse: false, vs: new Float32Array([0, 0.5]), gys: new Float32Array([1, 1]),
 *   gFinal: new Float32Array(1), beta: null, threshold: 1, surrogate: axn.superspike(2).surrogate!,
 *   gState, gBeta: null,
 * }); // true where WebAssembly SIMD runs
 * ```
 */
export function lifBackwardFloat32(a: LifBackwardArrays): boolean {
  const { vs, gys, gFinal, gState } = a;
  const f32 = vs instanceof Float32Array && gys instanceof Float32Array && gFinal instanceof Float32Array &&
    gState instanceof Float32Array;
  const form = f32 && a.surrogate ? surrogateParameters(a.surrogate) : null;
  const k = form ? getKernels() : null;
  const M = a.B * a.N;
  const plan = k && M > 0 ? layout(k, M, a.T, 3, 2) : null;
  if (!f32 || !form || !k || !plan) return false;
  const { stride, chunk, at: [lamAt, betaAt, gbAt, vsAt, gysAt] } = plan;
  const heap = new Float32Array(k.memory.buffer);
  heap.fill(0, 0, stride === M ? vsAt : vsAt + 2 * chunk * stride);
  heap.set(gFinal, lamAt);
  laneDecays(heap, betaAt, a.beta, a.B, a.N);
  const run = k.exports[`backward_${form[0]}`];
  for (let s1 = a.T; s1 > 0; s1 -= chunk) {
    const s0 = Math.max(0, s1 - chunk), rows = s1 - s0;
    moveRows(true, vs, heap, vsAt, stride, s0, rows, M, a.T, a.reverse);
    moveRows(true, gys, heap, gysAt, stride, s0, rows, M, a.T, a.reverse);
    run(vsAt * 4, gysAt * 4, lamAt * 4, betaAt * 4, gbAt * 4, rows, stride / 4, a.threshold, form[1], form[2]);
    moveRows(false, vs, heap, vsAt, stride, s0, rows, M, a.T, a.reverse);
  }
  gState.set(heap.subarray(lamAt, lamAt + M));
  if (a.gBeta) {
    for (let b = 0; b < a.B; b++) for (let j = 0; j < a.N; j++) a.gBeta[j] += heap[gbAt + b * a.N + j];
  }
  return true;
}
