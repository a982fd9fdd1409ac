/**
 * A recurrent cell's whole sequence in one dispatch per direction, for
 * weight blocks of up to {@link RESIDENT_MAX_BLOCK} neurons: one workgroup
 * per (sample, block) loops over the steps, keeps the step's spikes
 * (backward: the feedback's cotangents) in workgroup memory, and after a
 * barrier computes each neuron's feedback `S @ w` (backward `g @ w^T`,
 * from the transposed weights) and its update. A dispatch costs the
 * runtime about 0.1 ms (measured on an H200 under Deno), so the per-step
 * path's three dispatches a step dominate small blocks; here a step costs
 * two barriers. But only `B * G` workgroups run, each looping over its
 * block for every neuron: measured on an H200 (RLIF, B = 16, 256
 * invocations a workgroup), a block of 1024 took 0.4 ms a step forward
 * and 0.9 ms backward against about 1.3 ms either way step by step, and a
 * block of 4096 was several times slower than step by step; hence the
 * limit.
 *
 * The feedback sums run in the same order as the per-step block product
 * (`cell_products.ts`), skipping zeros (a spike that did not fire adds
 * nothing): both paths give the same numbers. Invocations of a workgroup
 * take neurons `k = lid, lid + W, ...` (`W` invocations a workgroup, up
 * to one per neuron of the block); state and carried cotangents
 * stay in their output buffers between steps.
 *
 * @module
 */
import { type Cell, type CellBackward, FB, GSFB, lambdaOf, THRESHOLD, X } from "../autodiff/cell/cell.ts";
import { symbolsOf } from "../autodiff/cell/expr.ts";
import {
  backwardLoads,
  backwardRoots,
  backwardSymbol,
  type Binding,
  cacheId,
  CELL_HELPERS_WGSL,
  type CellShader,
  declareBuffers,
  emitWgsl,
  paramLoads,
  reads,
  wgslLocal,
} from "./cell_wgsl.ts";

/** The largest weight block that stays resident (see the module doc); larger ones go step by step. */
export const RESIDENT_MAX_BLOCK = 1024;

/** Uniforms of the resident shaders: the cell uniforms' layout, with the block size and the grid's row length. */
const UNIFORMS_WGSL = `struct U { T: u32, B: u32, N: u32, rev: u32, Ng: u32, rows: u32, pad: u32, thr: f32 }`;

/**
 * The uniform words of a resident dispatch and its grid (one workgroup
 * per sample and block, two dimensions past 65535).
 *
 * @example
 * ```ts
 * residentLaunch({ T: 5, B: 2, N: 8, G: 2, reverse: false, threshold: 1 }).workgroups; // [4, 1, 1]
 * ```
 */
export function residentLaunch(c: {
  T: number;
  B: number;
  N: number;
  G: number;
  reverse: boolean;
  threshold: number;
}): { uniforms: Uint32Array; workgroups: [number, number, number] } {
  const count = Math.max(1, c.B * c.G);
  const x = Math.min(count, 65535);
  const words = new Uint32Array(8);
  words.set([c.T, c.B, c.N, c.reverse ? 1 : 0, c.N / c.G, x, 0]);
  new Float32Array(words.buffer)[7] = c.threshold;
  return { uniforms: words, workgroups: [x, Math.ceil(count / x), 1] };
}

/**
 * The workgroup array's length for blocks of `Ng` neurons: a power of two
 * from 256 up, so that small blocks keep little workgroup memory (more
 * workgroups fit a multiprocessor; the software adapter also takes minutes
 * over shaders with large workgroup arrays).
 *
 * @example
 * ```ts
 * residentCapacity(300); // 512
 * ```
 */
export function residentCapacity(Ng: number): number {
  let cap = 256;
  while (cap < Ng) cap *= 2;
  return cap;
}

/**
 * Invocations per workgroup for blocks of `Ng` neurons: one per neuron up
 * to the device's limit, a power of two from 256 (the workgroup array's
 * length, {@link residentCapacity}, is never smaller).
 *
 * @example
 * ```ts
 * residentThreads(300, 1024); // 512
 * ```
 */
export function residentThreads(Ng: number, limit: number): number {
  let w = 256;
  while (w < Ng && w * 2 <= Math.min(limit, 1024)) w *= 2;
  return w;
}

function residentShader(buffers: readonly Binding[], capacity: number, threads: number, body: string): string {
  return `${UNIFORMS_WGSL}
${declareBuffers(buffers)}
${CELL_HELPERS_WGSL}
var<workgroup> sh: array<f32, ${capacity}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let block = wg.x + wg.y * u.rows;
  let G = u.N / u.Ng;
  let b = block / G;
  let g = block % G;
  // Every invocation reaches every barrier; only a workgroup past the last (sample, block) does no work.
  let live = b < u.B;
  let M = u.B * u.N;
  let wBase = g * u.Ng * u.Ng;
  ${body}
}`;
}

/** A loop over this invocation's neurons of the block, with `j` (neuron) and `i` (sample, neuron). */
function eachNeuron(threads: number, body: string): string {
  return `if (live) {
    for (var k = lid.x; k < u.Ng; k += ${threads}u) {
      let j = g * u.Ng + k;
      let i = b * u.N + j;
      ${body}
    }
  }`;
}

/**
 * The forward pass: `xs`, `st_in<k>`, params, `w` in; `ys`, `st<k>` and
 * the residuals `r<k>` out.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * residentForwardWgsl(RLIF_CELL, ["state:v"], 256, 256).bindings; // ["xs", "st_in0", "p0", "w", "ys", "st0", "r0"]
 * ```
 */
export function residentForwardWgsl(
  cell: Cell,
  residuals: readonly string[],
  capacity: number,
  threads: number,
): CellShader {
  const { spec } = cell;
  const spikeExpr = cell.spike!;
  const roots = [cell.output, ...cell.next];
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : wgslLocal(n));
  const spikeBody = emitWgsl([spikeExpr], { symbol });
  const body = emitWgsl(roots, { symbol, spike: () => "spk" });
  const params = paramLoads(cell, [spikeExpr, ...roots]);
  const stateNames = spec.state.map((n) => cell.stateSymbol(n));
  const spikeReads = reads([spikeExpr], stateNames);
  const buffers: Binding[] = [
    ["xs", "read"],
    ...spec.state.map((_, k): Binding => [`st_in${k}`, "read"]),
    ...params.buffers,
    ["w", "read"],
    ["ys", "read_write"],
    ...spec.state.map((_, k): Binding => [`st${k}`, "read_write"]),
    ...residuals.map((_, k): Binding => [`r${k}`, "read_write"]),
  ];
  const wgsl = residentShader(
    buffers,
    capacity,
    threads,
    `${eachNeuron(threads, spec.state.map((_, k) => `st${k}[i] = st_in${k}[i];`).join(" "))}
  for (var s = 0u; s < u.T; s++) {
    let t = select(s, u.T - 1u - s, u.rev == 1u);
    let off = t * M;
    ${
      eachNeuron(
        threads,
        `${stateNames.map((n, k) => (spikeReads[k] ? `let ${wgslLocal(n)} = st${k}[i];` : "")).join(" ")}
      ${params.code}
      ${spikeBody.code}
      sh[k] = ${spikeBody.ref(spikeExpr)};`,
      )
    }
    workgroupBarrier();
    ${
      eachNeuron(
        threads,
        `var fb = 0.0;
      for (var l = 0u; l < u.Ng; l++) { let sv = sh[l]; if (sv != 0.0) { fb += sv * w[wBase + l * u.Ng + k]; } }
      let spk = sh[k];
      let ${wgslLocal(X)} = xs[off + i];
      let ${wgslLocal(FB)} = fb;
      ${stateNames.map((n, k) => `let ${wgslLocal(n)} = st${k}[i];`).join(" ")}
      ${params.code}
      ${residuals.map((r, k) => `r${k}[off + i] = ${wgslLocal(r)};`).join(" ")}
      ${body.code}
      ys[off + i] = ${body.ref(cell.output)};
      ${cell.next.map((e, k) => `st${k}[i] = ${body.ref(e)};`).join(" ")}`,
      )
    }
    workgroupBarrier();
  }`,
  );
  const key = `cell_resident_fwd:${cacheId(cell)}:${residuals.join(",")}:${capacity}:${threads}`;
  return { key, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * The backward pass: `gys`, the residuals `r<k>`, params, the transposed
 * weights `wT` and the final state's cotangents `lam_in<k>` in; `gx`, the
 * initial state's cotangents `lam<k>`, the parameters' partials `gp`, and
 * per step the feedback's cotangent `gfb` and the recomputed spikes
 * `spall` (for the weights' cotangent) out.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * residentBackwardWgsl(RLIF_CELL, RLIF_CELL.backward(superspike().surrogate!.expr), 256, 256).key;
 * ```
 */
export function residentBackwardWgsl(cell: Cell, b: CellBackward, capacity: number, threads: number): CellShader {
  const { spec } = cell;
  const spikeExpr = cell.spike!;
  const fbRoots = b.fb ? [b.fb, spikeExpr] : [spikeExpr];
  const roots = backwardRoots(b);
  const fbBody = emitWgsl(fbRoots, { symbol: backwardSymbol });
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const fbLoads = backwardLoads(cell, b, fbRoots), loads = backwardLoads(cell, b, roots);
  const all = backwardLoads(cell, b, [...fbRoots, ...roots]);
  const lamNames = spec.state.map((n) => lambdaOf(n));
  const fbLams = reads(fbRoots, lamNames);
  const readsGsfb = symbolsOf(roots).has(GSFB);
  const buffers: Binding[] = [
    ...all.buffers,
    ["wT", "read"],
    ...spec.state.map((_, k): Binding => [`lam_in${k}`, "read"]),
    ["gx", "read_write"],
    ...spec.state.map((_, k): Binding => [`lam${k}`, "read_write"]),
    ...(spec.params.length > 0 ? [["gp", "read_write"] as const] : []),
    ["gfb", "read_write"],
    ["spall", "read_write"],
  ];
  const gradients = b.params.map((e, k) => {
    // The partials start at the pass's first step (the buffer is uninitialised before it).
    const at = `gp[${k}u * M + i]`;
    return `${at} = select(${at}, 0.0, s == u.T) + ${e ? body.ref(e) : "0.0"};`;
  });
  const wgsl = residentShader(
    buffers,
    capacity,
    threads,
    `${eachNeuron(threads, spec.state.map((_, k) => `lam${k}[i] = lam_in${k}[i];`).join(" "))}
  for (var s = u.T; s > 0u; s--) {
    let s1 = s - 1u;
    let t = select(s1, u.T - 1u - s1, u.rev == 1u);
    let off = t * M;
    ${
      eachNeuron(
        threads,
        `${fbLoads.code}
      ${lamNames.map((n, k) => (fbLams[k] ? `let ${wgslLocal(n)} = lam${k}[i];` : "")).join(" ")}
      ${fbBody.code}
      let gfbv = ${b.fb ? fbBody.ref(b.fb) : "0.0"};
      gfb[off + i] = gfbv;
      spall[off + i] = ${fbBody.ref(spikeExpr)};
      sh[k] = gfbv;`,
      )
    }
    workgroupBarrier();
    ${
      eachNeuron(
        threads,
        `var gs = 0.0;
      for (var q = 0u; q < u.Ng; q++) { let gv = sh[q]; if (gv != 0.0) { gs += gv * wT[wBase + q * u.Ng + k]; } }
      ${readsGsfb ? "let gsfb_ = gs;" : ""}
      ${loads.code}
      ${lamNames.map((n, k) => `let ${wgslLocal(n)} = lam${k}[i];`).join(" ")}
      ${body.code}
      gx[off + i] = ${b.x ? body.ref(b.x) : "0.0"};
      ${b.state.map((e, k) => `lam${k}[i] = ${e ? body.ref(e) : "0.0"};`).join(" ")}
      ${gradients.join(" ")}`,
      )
    }
    workgroupBarrier();
  }`,
  );
  return {
    key: `cell_resident_bwd:${cacheId(cell)}:${cacheId(b)}:${capacity}:${threads}`,
    wgsl,
    bindings: buffers.map(([n]) => n),
  };
}
