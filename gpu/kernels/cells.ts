/**
 * The WebGPU kernels of `cell_sequence` and `cell_sequence_backward`
 * (float32), running the shaders `gpu/cell_wgsl.ts` generates from a
 * cell's expressions. A non-recurrent cell is one dispatch forward and
 * one backward (plus one per parameter summing its partials over the
 * batch). A recurrent cell whose weight blocks fit a workgroup
 * (`cell_resident_shaders.ts`) is one dispatch per direction too; larger
 * blocks take three dispatches per step, all queued in the same batch:
 * spikes, block product `S @ w`, update (backward: the feedback's
 * cotangent, `g @ w^T`, update). Backward, the weights' cotangent
 * `S^T @ gfb` over every step comes at the end. Donation is ignored:
 * outputs are always new buffers.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../../autodiff/backend.ts";
import {
  backwardOf,
  type CellBackwardParams,
  type CellSequenceParams,
  savedResiduals,
} from "../../autodiff/cell/sequence.ts";
import type { GpuHandle } from "../backend.ts";
import {
  backwardFeedbackWgsl,
  backwardUpdateWgsl,
  backwardWholeWgsl,
  forwardSpikesWgsl,
  forwardUpdateWgsl,
  forwardWholeWgsl,
} from "../cell_shaders.ts";
import { type CellShader, cellUniforms } from "../cell_wgsl.ts";
import { dispatch, grid, handleOf, outputFor, registerGpuKernel } from "../dispatch.ts";
import {
  RESIDENT_MAX_BLOCK,
  residentBackwardWgsl,
  residentCapacity,
  residentForwardWgsl,
  residentLaunch,
  residentThreads,
} from "../cell_resident_shaders.ts";
import { deviceClient } from "../backend.ts";
import { blockProduct, copyWords, fillWords, sumOverBatch, transposeBlocks, weightGradient } from "./cell_products.ts";

/**
 * Which path a recurrent cell takes: blocks of at most `residentMaxBlock`
 * neurons run resident in a workgroup (one dispatch per direction), larger
 * ones step by step (three dispatches a step). Tests lower it to 0 to run
 * the per-step path on small cells.
 */
export const recurrentPath: { residentMaxBlock: number } = { residentMaxBlock: RESIDENT_MAX_BLOCK };

/** Invocations per resident workgroup for blocks of `Ng` neurons, within the device's limit. */
function threadsFor(Ng: number): number {
  return residentThreads(Ng, deviceClient().info.limits.maxComputeInvocationsPerWorkgroup ?? 256);
}

/** Dispatches a resident shader: one workgroup per (sample, block). */
function runResident(shader: CellShader, buffers: Record<string, GpuHandle>, c: Call, G: number): void {
  const launch = residentLaunch({ ...c, G });
  dispatch(shader.key, () => shader.wgsl, bound(shader, buffers), launch.uniforms, launch.workgroups);
}

/** Sizes and constants of one call. */
interface Call {
  readonly T: number;
  readonly B: number;
  readonly N: number;
  readonly reverse: boolean;
  readonly threshold: number;
}

/** The handles of a shader's named buffers, in binding order. */
function bound(shader: CellShader, buffers: Record<string, GpuHandle>): GpuHandle[] {
  return shader.bindings.map((name) => {
    const h = buffers[name];
    if (h === undefined) throw new Error(`webgpu: internal: cell shader ${shader.key} needs a buffer "${name}"`);
    return h;
  });
}

/** Dispatches `shader` over the `B * N` (sample, neuron) pairs with its named buffers. */
function run(shader: CellShader, buffers: Record<string, GpuHandle>, c: Call, t = 0, first = false): void {
  const g = grid(c.B * c.N);
  dispatch(
    shader.key,
    () => shader.wgsl,
    bound(shader, buffers),
    cellUniforms({ ...c, t, first, stride: g.stride }),
    g.workgroups,
  );
}

/** Named handles `${prefix}0..` of `tensors`. */
function named(prefix: string, tensors: readonly (KernelTensor | GpuHandle)[]): Record<string, GpuHandle> {
  return Object.fromEntries(
    tensors.map((x, k) => [`${prefix}${k}`, "handle" in x ? handleOf(x) : x]),
  );
}

/** The float32 checks of a call (the device refuses float64 before this). */
function checkFloat32(op: string, x: KernelTensor): void {
  if (x.dtype !== "float32") throw new TypeError(`${op}: the webgpu kernel takes float32, got ${x.dtype}`);
}

registerGpuKernel<CellSequenceParams>("cell_sequence", (inputs, p, avals): DataHandle[] => {
  const { cell } = p, parts = cell.spec.state.length, nParams = cell.spec.params.length;
  const [xs] = inputs;
  checkFloat32("cell_sequence", xs);
  const [T, B, N] = xs.shape, M = B * N;
  const c: Call = { T, B, N, reverse: p.reverse, threshold: p.threshold };
  const stateIn = inputs.slice(1, 1 + parts);
  const params = inputs.slice(1 + parts, 1 + parts + nParams);
  const names = savedResiduals(p);
  const ys = outputFor(avals[0]);
  const state = stateIn.map((s) => outputFor(s));
  const residuals = names.map((_, k) => outputFor(avals[1 + parts + k]));
  const buffers = {
    xs: handleOf(xs),
    ys,
    ...named("st_in", stateIn),
    ...named("st", state),
    ...named("p", params),
    ...named("r", residuals),
  };
  if (!cell.spec.recurrent) {
    if (T > 0) run(forwardWholeWgsl(cell, names), buffers, c);
    else stateIn.forEach((s, k) => copyWords(handleOf(s), state[k], M));
    return [ys, ...state, ...residuals];
  }
  const w = inputs[inputs.length - 1];
  const [G, Ng] = w.shape;
  if (Ng <= recurrentPath.residentMaxBlock) {
    const shader = residentForwardWgsl(cell, names, residentCapacity(Ng), threadsFor(Ng));
    runResident(shader, { ...buffers, w: handleOf(w) }, c, G);
    return [ys, ...state, ...residuals];
  }
  const sp = outputFor({ shape: [M], dtype: "float32" });
  const fb = outputFor({ shape: [M], dtype: "float32" });
  stateIn.forEach((s, k) => copyWords(handleOf(s), state[k], M));
  const spikes = forwardSpikesWgsl(cell), update = forwardUpdateWgsl(cell, names);
  const all = { ...buffers, sp, fb };
  for (let s = 0; s < T; s++) {
    const t = p.reverse ? T - 1 - s : s;
    run(spikes, all, c, t);
    blockProduct(sp, 0, handleOf(w), fb, { B, G, Ng, transpose: false });
    run(update, all, c, t);
  }
  return [ys, ...state, ...residuals];
});

registerGpuKernel<CellBackwardParams>("cell_sequence_backward", (inputs, p, avals): DataHandle[] => {
  const { cell } = p, parts = cell.spec.state.length, nParams = cell.spec.params.length;
  const b = backwardOf(p);
  const [gys] = inputs;
  checkFloat32("cell_sequence_backward", gys);
  const [T, B, N] = gys.shape, M = B * N;
  const c: Call = { T, B, N, reverse: p.reverse, threshold: p.threshold };
  const lamIn = inputs.slice(1, 1 + parts);
  const residuals = inputs.slice(1 + parts, 1 + parts + b.residuals.length);
  const params = inputs.slice(1 + parts + b.residuals.length, 1 + parts + b.residuals.length + nParams);
  const gx = outputFor(avals[0]);
  const lam = lamIn.map((l) => outputFor(l));
  const gParams = params.map((_, k) => outputFor(avals[1 + parts + k]));
  const partials = nParams > 0 ? outputFor({ shape: [nParams * M], dtype: "float32" }) : null;
  const buffers: Record<string, GpuHandle> = {
    gys: handleOf(gys),
    gx,
    ...named("lam_in", lamIn),
    ...named("lam", lam),
    ...named("r", residuals),
    ...named("p", params),
    ...(partials ? { gp: partials } : {}),
  };
  const gw: GpuHandle[] = [];
  if (!cell.spec.recurrent) {
    if (T > 0) run(backwardWholeWgsl(cell, b), buffers, c);
    else lamIn.forEach((l, k) => copyWords(handleOf(l), lam[k], M));
  } else {
    const w = inputs[inputs.length - 1];
    const [G, Ng] = w.shape;
    const gfb = outputFor({ shape: [T * M], dtype: "float32" });
    const spall = outputFor({ shape: [T * M], dtype: "float32" });
    if (Ng <= recurrentPath.residentMaxBlock) {
      const wT = outputFor(w);
      transposeBlocks(handleOf(w), wT, { G, Ng });
      const shader = residentBackwardWgsl(cell, b, residentCapacity(Ng), threadsFor(Ng));
      runResident(shader, { ...buffers, gfb, spall, wT }, c, G);
    } else {
      const gsfb = outputFor({ shape: [M], dtype: "float32" });
      lamIn.forEach((l, k) => copyWords(handleOf(l), lam[k], M));
      const feedback = backwardFeedbackWgsl(cell, b), update = backwardUpdateWgsl(cell, b);
      const all = { ...buffers, gfb, spall, gsfb };
      for (let s = T - 1; s >= 0; s--) {
        const t = p.reverse ? T - 1 - s : s;
        run(feedback, all, c, t);
        blockProduct(gfb, t * M, handleOf(w), gsfb, { B, G, Ng, transpose: true });
        run(update, all, c, t, s === T - 1);
      }
    }
    const out = outputFor(avals[avals.length - 1]);
    if (p.needW && T > 0) weightGradient(spall, gfb, out, { rows: T * B, G, Ng });
    else fillWords(out, G * Ng * Ng, 0);
    gw.push(out);
  }
  gParams.forEach((g, k) => {
    if (T > 0) sumOverBatch(partials!, k, g, { B, N });
    else fillWords(g, N, 0);
  });
  return [gx, ...lam, ...gParams, ...gw];
});
