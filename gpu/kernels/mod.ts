/**
 * The WebGPU backend's kernels, one module per primitive family; importing
 * this registers them all.
 *
 * @module
 */
import "./adam.ts";
import "./cells.ts";
import "./elementwise.ts";
import "./reduce.ts";
import "./layout.ts";
import "./gather.ts";
import "./window.ts";
import "./conv.ts";
import "./matmul.ts";
import "./random.ts";
import "./random_shuffle.ts";
import "../value_checks.ts";
