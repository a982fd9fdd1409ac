/**
 * The generated CPU kernels of every neuron model (`nn.NEURON_MODELS`) and
 * every built-in surrogate (`axn.*`), called directly on arrays built here,
 * against an independent scalar oracle written in this file from SPEC §6's
 * table (each model's step) and §7 (each surrogate's formula):
 * - forward (`forwardKernel` of `cell_js.ts` in float32 and float64,
 *   `wasmCellForward` of `cell_wasm.ts`): spikes or outputs, saved
 *   residuals and final state equal the oracle bit for bit, the float32
 *   oracle rounding every operation with `Math.fround` in the step's order;
 * - backward (`backwardKernel`, `wasmCellBackward`): the inputs', initial
 *   state's, parameters' (and recurrent weights') cotangents equal central
 *   differences in float64 of the oracle with each spike frozen at its
 *   value and linearised with the surrogate's slope there,
 *   `S(u) = H(u*) + s(u*) (u - u*)`, whose exact derivative is the
 *   surrogate gradient;
 * - shapes that exercise the loops: `B*N` not a multiple of 4 (SIMD lanes),
 *   reverse order, and for WebAssembly a sequence longer than one chunk and
 *   not a multiple of it;
 * - the WebAssembly path is taken where it should be (LIF and IF with
 *   superspike, every non-recurrent model's forward) and declined for
 *   recurrent cells and for surrogates that need `exp` (tanh, sigmoid).
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, nn } from "../mod.ts";
import { FB, X } from "../autodiff/cell/cell.ts";
import type { Cell } from "../autodiff/cell/cell.ts";
import { backwardOf, savedResiduals } from "../autodiff/cell/sequence.ts";
import { backwardKernel, feedbackSharesInput, forwardKernel } from "../autodiff/cpu/cell_js.ts";
import { wasmCellBackward, wasmCellForward } from "../autodiff/cpu/cell_wasm.ts";
import { rng } from "./support/arbitraries.ts";

type ModelName = keyof typeof nn.NEURON_MODELS;
const MODELS = Object.keys(nn.NEURON_MODELS) as ModelName[];

// ---------------------------------------------------------------------------------------------------------------
// The oracle: SPEC §6, one step per model, every operation rounded by R (Math.fround in float32) in the table's order.

type Round = (v: number) => number;

/** What one neuron's step reads; `S` is the spike of this step (from the old state). */
interface StepIn {
  readonly R: Round;
  /** State parts before the step, in the cell's order. */
  readonly st: readonly number[];
  /** Parameters by name. */
  readonly p: Readonly<Record<string, number>>;
  readonly x: number;
  /** The recurrent feedback `S @ w` of this step (recurrent models). */
  readonly fb: number;
  readonly thr: number;
}

interface ModelOracle {
  /** The spike's argument from the old state (spiking models). */
  readonly u?: (s: StepIn) => number;
  /** Output and next state parts, given this step's spike `S`. */
  readonly step: (s: StepIn, S: number) => { out: number; next: number[] };
}

const ORACLES: Record<string, ModelOracle> = {
  // S = spike(V - thr); V' = V + x - S*thr
  IF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v], x, thr }, S) => ({ out: S, next: [R(R(v + x) - R(S * thr))] }),
  },
  // S = spike(V - thr); V' = beta*V + x - S*thr
  LIF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v], p, x, thr }, S) => ({ out: S, next: [R(R(R(p.beta * v) + x) - R(S * thr))] }),
  },
  // V' = beta*V + x, output V'
  LI: {
    step: ({ R, st: [v], p, x }) => {
      const next = R(R(p.beta * v) + x);
      return { out: next, next: [next] };
    },
  },
  // th = thr + A; S = spike(V - th); V' = beta*V + x - S*th; A' = gamma*A + (1-gamma)*S
  ALIF: {
    u: ({ R, st: [v, a], thr }) => R(v - R(thr + a)),
    step: ({ R, st: [v, a], p, x, thr }, S) => {
      const th = R(thr + a);
      return {
        out: S,
        next: [R(R(R(p.beta * v) + x) - R(S * th)), R(R(p.gamma * a) + R(R(1 - p.gamma) * S))],
      };
    },
  },
  // S = spike(V - thr); I' = alpha*I + x; V' = beta*(V - S*thr) + I'
  CuBaLIF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v, i], p, x, thr }, S) => {
      const iNext = R(R(p.alpha * i) + x);
      return { out: S, next: [R(R(p.beta * R(v - R(S * thr))) + iNext), iNext] };
    },
  },
  // S = spike(V - thr); V' = V + x + S@w - S*thr
  RIF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v], x, fb, thr }, S) => ({ out: S, next: [R(R(R(v + x) + fb) - R(S * thr))] }),
  },
  // S = spike(V - thr); V' = beta*V + x + S@w - S*thr
  RLIF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v], p, x, fb, thr }, S) => ({
      out: S,
      next: [R(R(R(R(p.beta * v) + x) + fb) - R(S * thr))],
    }),
  },
  // S = spike(V - thr); I' = alpha*I + x + S@w; V' = beta*(V - S*thr) + I'
  RCuBaLIF: {
    u: ({ R, st: [v], thr }) => R(v - thr),
    step: ({ R, st: [v, i], p, x, fb, thr }, S) => {
      const iNext = R(R(R(p.alpha * i) + x) + fb);
      return { out: S, next: [R(R(p.beta * R(v - R(S * thr))) + iNext), iNext] };
    },
  },
};

/** SPEC §7 (and the docs of the snnTorch ones): each built-in surrogate's `s(u)` at its default parameters. */
const SURROGATES: Record<string, (u: number) => number> = {
  superspike: (u) => 1 / (1 + 25 * Math.abs(u)) ** 2,
  arctan: (u) => 1 / ((1 + (2 * Math.PI * u) ** 2) * Math.PI),
  tanh: (u) => 4 / (Math.exp(-u) + Math.exp(u)) ** 2,
  boxcar: (u) => (Math.abs(u) < 1 ? 0.5 : 0),
  triangular: (u) => Math.max(0, 1 - Math.abs(2 * u)),
  straightThrough: () => 1,
  sigmoid: (u) => (25 * Math.exp(-25 * u)) / (Math.exp(-25 * u) + 1) ** 2,
  fastSigmoid: (u) => 1 / (25 * Math.abs(u) + 1) ** 2,
};

/** The built-in surrogates: the functions of `axn` that, called without arguments, give an activation with a surrogate. */
const BUILT_IN = Object.entries(axn).flatMap(([name, f]) => {
  if (typeof f !== "function" || f.length !== 0) return [];
  const act = (f as () => axn.SpikeActivation)();
  return act.surrogate === undefined ? [] : [[name, act] as const];
});

/** A call's arrays and sizes. */
interface Problem {
  readonly model: ModelName;
  readonly T: number;
  readonly B: number;
  readonly N: number;
  readonly reverse: boolean;
  readonly thr: number;
  /** Float64 values: xs [T, B, N], state parts [B, N] each, params [N] each by name, w [N, N] (recurrent). */
  readonly xs: Float64Array;
  readonly state: Float64Array[];
  readonly params: Record<string, Float64Array>;
  readonly w: Float64Array | null;
}

/** Per step (processing order is the caller's), the values the kernels save and the outputs. */
interface OracleRun {
  ys: Float64Array;
  final: Float64Array[];
  /** State parts before each step `[T, B, N]`, by part index; the feedback of each step. */
  before: Float64Array[];
  fb: Float64Array;
  /** The spike argument of each step `[T, B, N]` (spiking models). */
  u: Float64Array;
}

/** How spikes are computed: the step (`frozen` null), or frozen at `frozen.u*` and linearised with slope `s(u*)`. */
interface SpikeMode {
  readonly frozen: Float64Array | null;
  readonly s: ((u: number) => number) | null;
}

function runOracle(pr: Problem, R: Round, mode: SpikeMode, values = pr): OracleRun {
  const { T, B, N, reverse } = pr;
  const o = ORACLES[pr.model];
  const spec = nn.NEURON_MODELS[pr.model].cell.spec;
  const M = B * N;
  const thr = R(pr.thr);
  const st = values.state.map((s) => Float64Array.from(s, R));
  const params = Object.fromEntries(Object.entries(values.params).map(([k, v]) => [k, Float64Array.from(v, R)]));
  const w = values.w && Float64Array.from(values.w, R);
  const run: OracleRun = {
    ys: new Float64Array(T * M),
    final: [],
    before: spec.state.map(() => new Float64Array(T * M)),
    fb: new Float64Array(T * M),
    u: new Float64Array(T * M),
  };
  const S = new Float64Array(M);
  // Each neuron's parameters by name, made once (the loop below runs for every neuron of every step).
  const perNeuron = Array.from({ length: N }, (_, j) => Object.fromEntries(spec.params.map((k) => [k, params[k][j]])));
  const stepIn = { R, st: st.map(() => 0), p: perNeuron[0], x: 0, fb: 0, thr };
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const inputs = (i: number): StepIn => {
      for (let k = 0; k < st.length; k++) stepIn.st[k] = st[k][i];
      stepIn.p = perNeuron[i % N];
      stepIn.x = R(values.xs[t * M + i]);
      stepIn.fb = run.fb[t * M + i];
      return stepIn;
    };
    // Spikes first (from the old state): the feedback of a recurrent model reads all of them.
    for (let i = 0; i < M; i++) {
      if (o.u === undefined) continue;
      const u = o.u(inputs(i));
      run.u[t * M + i] = u;
      const star = mode.frozen?.[t * M + i];
      S[i] = star === undefined ? (u > 0 ? 1 : 0) : (star > 0 ? 1 : 0) + mode.s!(star) * (u - star);
    }
    if (w !== null) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < N; k++) acc = R(acc + R(S[b * N + k] * w[k * N + j]));
          run.fb[t * M + b * N + j] = acc;
        }
      }
    }
    for (let i = 0; i < M; i++) {
      const inp = inputs(i);
      st.forEach((part, k) => (run.before[k][t * M + i] = part[i]));
      const { out, next } = o.step(inp, S[i]);
      run.ys[t * M + i] = out;
      next.forEach((v, k) => (st[k][i] = v));
    }
  }
  run.final = st;
  return run;
}

// ---------------------------------------------------------------------------------------------------------------
// Problems and the kernels' arrays.

function problem(model: ModelName, T: number, B: number, N: number, reverse: boolean, seed: number): Problem {
  const r = rng(seed);
  const u = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
  const spec = nn.NEURON_MODELS[model].cell.spec;
  const M = B * N;
  return {
    model,
    T,
    B,
    N,
    reverse,
    // Not a float32 number: the kernels must round it as the ops do.
    thr: 0.3,
    xs: u(T * M, -0.2, 0.6),
    state: spec.state.map(() => u(M, -0.3, 0.5)),
    params: Object.fromEntries(spec.params.map((p) => [p, u(N, 0.2, 0.9)])),
    // Multiples of 1/64: sums of a few of them are exact in float32, whatever order a matrix kernel adds them in.
    w: spec.recurrent ? Float64Array.from(u(N * N, -0.5, 0.5), (v) => Math.round(v * 64) / 64) : null,
  };
}

type Arr = Float32Array | Float64Array;
const as = (f32: boolean, a: ArrayLike<number>): Arr => {
  const out = f32 ? new Float32Array(a.length) : new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
};

/** `rows [B, N] @ w [N, N]` (or `w^T`) in the kernel's dtype. */
function product(f32: boolean, rows: Arr, B: number, N: number, w: Arr, transpose: boolean): Arr {
  const out = f32 ? new Float32Array(B * N) : new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < N; k++) acc += rows[b * N + k] * (transpose ? w[j * N + k] : w[k * N + j]);
      out[b * N + j] = acc;
    }
  }
  return out;
}

function surrogateOf(name: string) {
  const act = BUILT_IN.find(([n]) => n === name)![1];
  return act.surrogate!.expr;
}

interface ForwardResult {
  ys: Arr;
  state: Arr[];
  residuals: Arr[];
}

/** Runs the JavaScript forward kernel, or the WebAssembly one (null where it declines). */
function runForward(pr: Problem, cell: Cell, names: string[], f32: boolean, wasm: boolean): ForwardResult | null {
  const { T, B, N } = pr, M = B * N;
  const w = pr.w && as(f32, pr.w);
  const a = {
    T,
    B,
    N,
    reverse: pr.reverse,
    x: as(f32, pr.xs),
    state: pr.state.map((s) => as(f32, s)),
    params: cell.spec.params.map((p) => as(f32, pr.params[p])),
    threshold: pr.thr,
    ys: as(f32, new Float64Array(T * M)),
    residuals: names.map(() => as(f32, new Float64Array(T * M))),
  };
  if (wasm) return wasmCellForward(cell, names, a) ? a : null;
  forwardKernel(cell, names, f32)({
    ...a,
    feedback: w ? (s) => product(f32, s as Arr, B, N, w, false) : null,
    spikes: w ? as(f32, new Float64Array(M)) : null,
  });
  return a;
}

interface BackwardResult {
  gx: Arr;
  lam: Arr[];
  gParams: Float64Array[];
  gw: Float64Array | null;
}

/** Runs the JavaScript backward kernel, or the WebAssembly one (null where it declines). */
function runBackward(
  pr: Problem,
  cell: Cell,
  surrogate: string | null,
  run: OracleRun,
  gys: Float64Array,
  lam: Float64Array[],
  f32: boolean,
  wasm: boolean,
): BackwardResult | null {
  const { T, B, N } = pr, M = B * N;
  const b = backwardOf({ cell, surrogate: surrogate === null ? null : surrogateOf(surrogate) });
  const w = pr.w && as(f32, pr.w);
  const residual = (name: string) => {
    if (name === X) return pr.xs;
    if (name === FB) return run.fb;
    return run.before[cell.spec.state.indexOf(name.slice("state:".length))];
  };
  const a = {
    T,
    B,
    N,
    reverse: pr.reverse,
    gys: as(f32, gys),
    lam: lam.map((l) => as(f32, l)),
    residuals: b.residuals.map((n) => as(f32, residual(n))),
    params: cell.spec.params.map((p) => as(f32, pr.params[p])),
    threshold: pr.thr,
    gx: as(f32, new Float64Array(T * M)),
    gParams: cell.spec.params.map(() => new Float64Array(N)),
  };
  if (wasm) return wasmCellBackward(cell, b, a) ? { ...a, gw: null } : null;
  const gFeedback = w === null ? null : feedbackSharesInput(b) ? a.gx : as(f32, new Float64Array(T * M));
  const spikes = w === null ? null : as(f32, new Float64Array(T * M));
  backwardKernel(cell, b, f32)({
    ...a,
    gFeedback,
    spikes,
    feedbackT: w ? (g) => product(f32, g as Arr, B, N, w, true) : null,
  });
  let gw: Float64Array | null = null;
  if (w !== null) {
    // w's cotangent: sum over steps and samples of spikes^T @ the feedback's cotangent.
    gw = new Float64Array(N * N);
    for (let row = 0; row < T * B; row++) {
      for (let k = 0; k < N; k++) {
        for (let j = 0; j < N; j++) gw[k * N + j] += spikes![row * N + k] * gFeedback![row * N + j];
      }
    }
  }
  return { gx: a.gx, lam: a.lam, gParams: a.gParams, gw };
}

function assertBitEqual(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: kernel ${got[i]}, oracle ${want[i]}`);
  }
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]);
    if (!ok) assert.fail(`${what}[${i}]: kernel ${got[i]}, oracle ${want[i]}`);
  }
}

/** The forward kernels of one model against the oracle, bit for bit. */
function checkForward(pr: Problem, surrogate: string | null, f32: boolean, wasm: boolean): boolean {
  const cell = nn.NEURON_MODELS[pr.model].cell;
  const names = savedResiduals({ cell, surrogate: surrogate === null ? null : surrogateOf(surrogate) });
  const got = runForward(pr, cell, names, f32, wasm);
  if (got === null) return false;
  const R: Round = f32 ? Math.fround : (v) => v;
  const want = runOracle(pr, R, { frozen: null, s: null });
  const what = `${pr.model}/${surrogate} ${f32 ? "float32" : "float64"}${wasm ? " wasm" : ""} forward`;
  assertBitEqual(got.ys, want.ys, `${what}: outputs`);
  got.state.forEach((s, k) => assertBitEqual(s, want.final[k], `${what}: final state ${k}`));
  names.forEach((n, k) => {
    const expected = n === FB ? want.fb : want.before[cell.spec.state.indexOf(n.slice("state:".length))];
    assertBitEqual(got.residuals[k], expected, `${what}: residual ${n}`);
  });
  return true;
}

/**
 * The gradients of `L = <gys, ys> + <lam, final>` by central differences of
 * the float64 oracle with spikes frozen and linearised at the unperturbed
 * run: the exact surrogate gradient.
 */
function oracleGradients(pr: Problem, surrogate: string | null, gys: Float64Array, lam: Float64Array[]) {
  const id: Round = (v) => v;
  const base = runOracle(pr, id, { frozen: null, s: null });
  const mode: SpikeMode = { frozen: base.u, s: surrogate === null ? null : SURROGATES[surrogate] };
  const loss = (values: Problem) => {
    const run = runOracle(pr, id, mode, values);
    let l = 0;
    run.ys.forEach((y, i) => (l += y * gys[i]));
    run.final.forEach((part, k) => part.forEach((v, i) => (l += v * lam[k][i])));
    return l;
  };
  const eps = 1e-6;
  const derivative = (edit: (values: Problem, d: number) => Problem) =>
    (loss(edit(pr, eps)) - loss(edit(pr, -eps))) / (2 * eps);
  const bump = (a: Float64Array, i: number, d: number) => {
    const c = a.slice();
    c[i] += d;
    return c;
  };
  return {
    base,
    gx: Array.from(pr.xs, (_, i) => derivative((v, d) => ({ ...v, xs: bump(v.xs, i, d) }))),
    lam: pr.state.map((part, k) =>
      Array.from(
        part,
        (_, i) => derivative((v, d) => ({ ...v, state: v.state.map((s, kk) => (kk === k ? bump(s, i, d) : s)) })),
      )
    ),
    params: Object.fromEntries(
      Object.entries(pr.params).map(([name, p]) => [
        name,
        Array.from(p, (_, i) => derivative((v, d) => ({ ...v, params: { ...v.params, [name]: bump(p, i, d) } }))),
      ]),
    ),
    gw: pr.w && Array.from(pr.w, (_, i) => derivative((v, d) => ({ ...v, w: bump(v.w!, i, d) }))),
  };
}

function cotangents(pr: Problem, seed: number) {
  const r = rng(seed);
  const u = (n: number) => Float64Array.from({ length: n }, () => 2 * r() - 1);
  return { gys: u(pr.T * pr.B * pr.N), lam: pr.state.map((s) => u(s.length)) };
}

/** The backward kernels of one model against the oracle's surrogate gradient. */
function checkBackward(pr: Problem, surrogate: string | null, f32: boolean, wasm: boolean): boolean {
  const cell = nn.NEURON_MODELS[pr.model].cell;
  const { gys, lam } = cotangents(pr, 99);
  const want = oracleGradients(pr, surrogate, gys, lam);
  const R: Round = f32 ? Math.fround : (v) => v;
  const run = runOracle(pr, R, { frozen: null, s: null });
  const got = runBackward(pr, cell, surrogate, run, gys, lam, f32, wasm);
  if (got === null) return false;
  const [rtol, atol] = f32 ? [2e-4, 2e-5] : [1e-7, 1e-8];
  const what = `${pr.model}/${surrogate} ${f32 ? "float32" : "float64"}${wasm ? " wasm" : ""} backward`;
  assertClose(got.gx, want.gx, rtol, atol, `${what}: inputs' cotangent`);
  got.lam.forEach((l, k) => assertClose(l, want.lam[k], rtol, atol, `${what}: initial state ${k}'s cotangent`));
  cell.spec.params.forEach((p, k) =>
    assertClose(got.gParams[k], want.params[p], rtol, atol, `${what}: ${p}'s cotangent`)
  );
  if (want.gw !== null) assertClose(got.gw!, want.gw, rtol, atol, `${what}: w's cotangent`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------

const spikingModels = MODELS.filter((m) => nn.NEURON_MODELS[m].cell.spiking);
const EXP_SURROGATES = new Set(["tanh", "sigmoid"]);

describe("generated cell kernels against a scalar oracle", () => {
  test("the oracle covers every model of nn.NEURON_MODELS and every built-in surrogate", () => {
    assert.deepEqual(MODELS.filter((m) => !(m in ORACLES)), [], "models without an oracle step");
    const names = BUILT_IN.map(([n]) => n);
    assert.deepEqual(names.filter((n) => !(n in SURROGATES)), [], "surrogates without an oracle formula");
    assert.ok(names.length >= 8, `built-in surrogates: ${names}`);
  });

  for (const model of MODELS) {
    const spiking = nn.NEURON_MODELS[model].cell.spiking;
    const surrogates = spiking ? BUILT_IN.map(([n]) => n) : [null];
    test(`${model}: forward kernels (JS float32/float64, WebAssembly) equal the oracle bit for bit`, () => {
      for (const surrogate of surrogates) {
        for (const [T, B, N, reverse] of [[5, 2, 3, false], [4, 3, 1, true], [1, 1, 5, false]] as const) {
          const pr = problem(model, T, B, N, reverse, 7 * T + N);
          checkForward(pr, surrogate, true, false);
          checkForward(pr, surrogate, false, false);
          const tookWasm = checkForward(pr, surrogate, true, true);
          assert.equal(tookWasm, !nn.NEURON_MODELS[model].cell.spec.recurrent, `${model}/${surrogate}: wasm forward`);
        }
      }
    });

    test(`${model}: backward kernels equal central differences of the oracle's surrogate gradient`, () => {
      for (const surrogate of surrogates) {
        for (const [T, B, N, reverse] of [[5, 2, 3, false], [3, 1, 2, true]] as const) {
          const pr = problem(model, T, B, N, reverse, 11 * T + N);
          checkBackward(pr, surrogate, false, false);
          checkBackward(pr, surrogate, true, false);
          const tookWasm = checkBackward(pr, surrogate, true, true);
          const expected = !nn.NEURON_MODELS[model].cell.spec.recurrent && !EXP_SURROGATES.has(surrogate ?? "");
          assert.equal(tookWasm, expected, `${model}/${surrogate}: wasm backward`);
        }
      }
    });
  }

  test("WebAssembly is taken for LIF and IF with superspike, declined for exp surrogates and recurrent cells", () => {
    for (const model of spikingModels) {
      const pr = problem(model, 3, 1, 5, false, 1);
      const recurrent = !!nn.NEURON_MODELS[model].cell.spec.recurrent;
      if (model === "LIF" || model === "IF") {
        assert.equal(checkForward(pr, "superspike", true, true), true, `${model} forward`);
        assert.equal(checkBackward(pr, "superspike", true, true), true, `${model} backward`);
      }
      for (const s of EXP_SURROGATES) assert.equal(checkBackward(pr, s, true, true), false, `${model}/${s} backward`);
      if (recurrent) assert.equal(checkForward(pr, "superspike", true, true), false, `${model} forward`);
    }
  });

  test("WebAssembly over several chunks of steps (T not a multiple of the chunk, B*N not a multiple of 4)", () => {
    // 4 MiB chunks: a step of 349527 neurons (349528 floats with the lane padding) leaves room for 2 steps, so 3
    // steps take a chunk of 2 and one of 1. Too big for the oracle's loop: the kernels, each checked against the
    // oracle above, must agree with each other.
    const [T, B, N] = [3, 3, 116509], M = B * N;
    const wave = (n: number, phase: number, lo: number, hi: number) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (0.5 + 0.5 * Math.sin(i * 0.7368 + phase));
      return out;
    };
    for (const model of ["LIF", "IF"] as const) {
      const cell = nn.NEURON_MODELS[model].cell;
      const pr: Problem = {
        model,
        T,
        B,
        N,
        reverse: model === "IF",
        thr: 0.3,
        xs: wave(T * M, 0, -0.2, 0.6),
        state: [wave(M, 1, -0.3, 0.5)],
        params: Object.fromEntries(cell.spec.params.map((p) => [p, wave(N, 2, 0.2, 0.9)])),
        w: null,
      };
      const names = savedResiduals({ cell, surrogate: surrogateOf("superspike") });
      const js = runForward(pr, cell, names, true, false)!;
      const wasm = runForward(pr, cell, names, true, true);
      assert.ok(wasm !== null, `${model}: wasm forward`);
      assertBitEqual(wasm.ys, js.ys, `${model}: spikes`);
      assertBitEqual(wasm.state[0], js.state[0], `${model}: final state`);
      wasm.residuals.forEach((r, k) => assertBitEqual(r, js.residuals[k], `${model}: residual ${names[k]}`));
      const run = { before: [Float64Array.from(js.residuals[0])], fb: new Float64Array(0) } as unknown as OracleRun;
      const gys = wave(T * M, 3, -1, 1), lam = [wave(M, 4, -1, 1)];
      const wasmBack = runBackward(pr, cell, "superspike", run, gys, lam, true, true);
      assert.ok(wasmBack !== null, `${model}: wasm backward`);
      const jsBack = runBackward(pr, cell, "superspike", run, gys, lam, true, false)!;
      // Both float32; the JS kernel accumulates parameter cotangents in float64, WebAssembly per lane in float32.
      assertBitEqual(wasmBack.gx, jsBack.gx, `${model}: inputs' cotangent`);
      assertBitEqual(wasmBack.lam[0], jsBack.lam[0], `${model}: initial state's cotangent`);
      wasmBack.gParams.forEach((g, k) => assertClose(g, jsBack.gParams[k], 1e-5, 1e-4, `${model}: parameter ${k}`));
    }
  });
});
