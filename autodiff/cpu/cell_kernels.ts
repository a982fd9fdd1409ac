/**
 * The CPU kernels of the cell sequence primitives: they set up the arrays
 * (the final state and the carried cotangents start from copies, residuals
 * are new arrays or a donated input's storage), run the generated loops of
 * `cell_js.ts` (or, for float32 cells whose expressions WebAssembly SIMD
 * can compute, those of `cell_wasm.ts`), and compute a recurrent cell's
 * feedback and weight gradient with the matrix kernel `np.matmul` uses.
 *
 * @module
 */
import type { DataHandle } from "../backend.ts";
import { FB, X } from "../cell/cell.ts";
import { backwardOf, type CellBackwardParams, type CellSequenceParams, savedResiduals } from "../cell/sequence.ts";
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { cpuData, registerCpuKernel } from "./backend.ts";
import { backwardKernel, feedbackSharesInput, forwardKernel } from "./cell_js.ts";
import { wasmCellBackward, wasmCellForward } from "./cell_wasm.ts";
import { transposeKernel } from "./layout.ts";
import { matmulKernel } from "./matmul.ts";

/**
 * `S @ w` for spikes `[B, G*Ng]` and block-diagonal weights `[G, Ng, Ng]`
 * (`transpose`: `S @ w^T`), with the backend's matrix kernel.
 */
function groupedProduct(
  s: TypedArray,
  B: number,
  w: TypedArray,
  G: number,
  Ng: number,
  dtype: DType,
  transpose: boolean,
) {
  if (G === 1) return matmulKernel(s, [B, Ng], w, [Ng, Ng], [B, Ng], dtype, "auto", false, transpose);
  const grouped = transposeKernel(s, [B, G, Ng], [1, 0, 2], dtype);
  const out = matmulKernel(grouped, [G, B, Ng], w, [G, Ng, Ng], [G, B, Ng], dtype, "auto", false, transpose);
  return transposeKernel(out, [G, B, Ng], [1, 0, 2], dtype);
}

registerCpuKernel<CellSequenceParams>("cell_sequence", (inputs, p, avals): DataHandle[] => {
  const { cell } = p, parts = cell.spec.state.length, nParams = cell.spec.params.length;
  const [xs] = inputs;
  const dtype = xs.dtype, f32 = dtype === "float32";
  const [T, B, N] = xs.shape, M = B * N;
  const x = cpuData(xs);
  const state = inputs.slice(1, 1 + parts).map((s) => cpuData(s).slice());
  const params = inputs.slice(1 + parts, 1 + parts + nParams).map(cpuData);
  const w = cell.spec.recurrent ? inputs[inputs.length - 1] : null;
  const names = savedResiduals(p);
  // A donated input holds the first saved state residual: each step reads its input before writing there.
  const donated = p.donate && names.length > 0 && names[0] !== FB;
  const residuals = names.map((_, k) => (k === 0 && donated ? x : allocate(dtype, T * M)));
  const ys = allocate(dtype, T * M);
  const arrays = { T, B, N, reverse: p.reverse, x, state, params, threshold: p.threshold, ys, residuals };
  if (w === null && f32 && wasmCellForward(cell, names, arrays)) return [ys, ...state, ...residuals];
  const [G, Ng] = w ? w.shape : [1, N];
  const wData = w ? cpuData(w) : null;
  forwardKernel(cell, names, f32)({
    ...arrays,
    feedback: wData ? (s) => groupedProduct(s, B, wData, G, Ng, dtype, false) : null,
    spikes: wData ? allocate(dtype, M) : null,
  });
  void avals;
  return [ys, ...state, ...residuals];
});

registerCpuKernel<CellBackwardParams>("cell_sequence_backward", (inputs, p): DataHandle[] => {
  const { cell } = p, parts = cell.spec.state.length, nParams = cell.spec.params.length;
  const b = backwardOf(p);
  const [gysT] = inputs;
  const dtype = gysT.dtype, f32 = dtype === "float32";
  const [T, B, N] = gysT.shape, M = B * N;
  const lam = inputs.slice(1, 1 + parts).map((g) => cpuData(g).slice());
  const residualInputs = inputs.slice(1 + parts, 1 + parts + b.residuals.length);
  const residuals = residualInputs.map(cpuData);
  const params = inputs.slice(1 + parts + b.residuals.length, 1 + parts + b.residuals.length + nParams).map(cpuData);
  const w = cell.spec.recurrent ? inputs[inputs.length - 1] : null;
  // The backward pass runs once: the first saved residual (not the caller's xs) may take the input's cotangent.
  const overwrite = w === null && b.residuals.length > 0 && b.residuals[0] !== X;
  const gx = overwrite ? residuals[0] : allocate(dtype, T * M);
  const gParams = cell.spec.params.map(() => new Float64Array(N));
  const gys = cpuData(gysT);
  const arrays = { T, B, N, reverse: p.reverse, gys, lam, residuals, params, threshold: p.threshold, gx, gParams };
  let gw: TypedArray[] = [];
  if (w !== null || !f32 || !wasmCellBackward(cell, b, arrays)) {
    const [G, Ng] = w ? w.shape : [1, N];
    const wData = w ? cpuData(w) : null;
    const gFeedback = w === null ? null : feedbackSharesInput(b) ? gx : allocate(dtype, T * M);
    const spikes = w === null ? null : allocate(dtype, T * M);
    backwardKernel(cell, b, f32)({
      ...arrays,
      gFeedback,
      spikes,
      feedbackT: wData ? (g) => groupedProduct(g, B, wData, G, Ng, dtype, true) : null,
    });
    if (w !== null) {
      gw = [p.needW ? weightGradient(spikes!, gFeedback!, T * B, G, Ng, dtype) : allocate(dtype, G * Ng * Ng)];
    }
  }
  const gp = gParams.map((acc) => {
    const out = allocate(dtype, N);
    out.set(acc);
    return out;
  });
  void nParams;
  return [gx, ...lam, ...gp, ...gw];
});

/** `S^T @ g` summed over all `rows = T*B` steps and samples, per block: `[G, Ng, Ng]`. */
function weightGradient(s: TypedArray, g: TypedArray, rows: number, G: number, Ng: number, dtype: DType): TypedArray {
  if (G === 1) return matmulKernel(s, [rows, Ng], g, [rows, Ng], [Ng, Ng], dtype, "auto", true, false);
  const sg = transposeKernel(s, [rows, G, Ng], [1, 0, 2], dtype);
  const gg = transposeKernel(g, [rows, G, Ng], [1, 0, 2], dtype);
  return matmulKernel(sg, [G, rows, Ng], gg, [G, rows, Ng], [G, Ng, Ng], dtype, "auto", true, false);
}
