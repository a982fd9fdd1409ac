/**
 * Neuron models: recurrent cores whose state is a membrane potential (and
 * an adaptation or a synaptic current), stepping with the update rules of
 * spyx. Each model's math is its cell, written once in its own file
 * (`LIF_CELL`, ...): the per-step path evaluates it in ops, and every
 * backend's whole-sequence kernels (one forward and one backward pass per
 * layer, run by `callSequence` and `dynamicUnroll`) are generated from it,
 * the backward pass derived symbolically. A new model is one such file and
 * one entry in {@link NEURON_MODELS} below.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.DeepRNN([new nn.Linear(16), new nn.LIF([16]), new nn.Linear(4), new nn.LI([4])]);
 *   return nn.dynamicUnroll(core, x, core.initialState(2));
 * });
 * const x = np.ones([10, 2, 8]); // [T, B, inputs]
 * Object.keys(net.init(random.key(0), x)); // ["linear", "LIF", "linear_1", "LI"]
 * ```
 *
 * @module
 */
import { ALIF } from "./alif.ts";
import { CuBaLIF } from "./cubalif.ts";
import { IF } from "./if.ts";
import { LI } from "./li.ts";
import { LIF } from "./lif.ts";
import { RCuBaLIF } from "./rcubalif.ts";
import { RIF } from "./rif.ts";
import { RLIF } from "./rlif.ts";

export { Neuron, runStep, SpikingNeuron, type SpikingOptions } from "./neuron.ts";
export { IF, IF_CELL, type IFOptions, ifStep } from "./if.ts";
export { LIF, LIF_CELL, type LIFOptions, type LIFParams, lifStep } from "./lif.ts";
export { LI, LI_CELL, type LIOptions, type LIParams, liStep } from "./li.ts";
export { ALIF, ALIF_CELL, type ALIFOptions, type ALIFParams, alifStep } from "./alif.ts";
export { CuBaLIF, CUBALIF_CELL, type CuBaLIFOptions, type CuBaLIFParams, cubaLifStep } from "./cubalif.ts";
export { RIF, RIF_CELL, type RIFOptions, type RIFParams, rifStep } from "./rif.ts";
export { RLIF, RLIF_CELL, type RLIFOptions, type RLIFParams, rlifStep } from "./rlif.ts";
export { RCuBaLIF, RCUBALIF_CELL, type RCuBaLIFOptions, type RCuBaLIFParams, rcubaLifStep } from "./rcubalif.ts";

/**
 * Every neuron model, by class name; each class carries its cell
 * (`Model.cell`: state parts, parameters, whether it is recurrent and
 * spiking). Tests and tools read the list of models from here.
 *
 * @example
 * ```ts
 * import { nn } from "../../mod.ts";
 * Object.keys(nn.NEURON_MODELS); // ["IF", "LIF", "LI", "ALIF", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF"]
 * nn.NEURON_MODELS.ALIF.cell.spec.state; // ["v", "a"]
 * ```
 */
export const NEURON_MODELS = { IF, LIF, LI, ALIF, CuBaLIF, RIF, RLIF, RCuBaLIF } as const;
