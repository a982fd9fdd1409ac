/**
 * WebAssembly SIMD kernels of cells (float32), generated from the cell's
 * expressions.
 *
 * @module
 */
import type { Cell, CellBackward } from "../cell/cell.ts";

/** Runs the forward pass in WebAssembly SIMD when it can; false otherwise. */
export function wasmCellForward(_cell: Cell, _residuals: readonly string[], _a: unknown): boolean {
  return false;
}

/** Runs the backward pass in WebAssembly SIMD when it can; false otherwise. */
export function wasmCellBackward(_cell: Cell, _b: CellBackward, _a: unknown): boolean {
  return false;
}
