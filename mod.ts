/**
 * spyx-ts: spiking neural networks with surrogate gradients, in TypeScript.
 *
 * @example
 * ```ts
 * import { grad, np } from "./mod.ts";
 * const df = grad((x) => np.sum(np.tanh(x)));
 * df(np.array([0, 1]));
 * ```
 *
 * @module
 */
export * from "./autodiff/mod.ts";
export * as nn from "./nn/mod.ts";
export * as axn from "./nn/axn/mod.ts";
export * as optim from "./optim/mod.ts";
export * as fn from "./nn/fn/mod.ts";
export * as data from "./data/mod.ts";
export * as cell from "./autodiff/cell/mod.ts";
export * as plot from "./plot/mod.ts";
export { closeWebGPU, type DeviceInfo, initWebGPU, type WebGPUOptions } from "./gpu/mod.ts";
export * as nir from "./nir/mod.ts";
