/**
 * The WebGPU backend's kernels, one module per primitive family; importing
 * this registers them all.
 *
 * @module
 */
import "./elementwise.ts";
import "./matmul.ts";
