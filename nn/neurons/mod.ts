/**
 * Neuron models: recurrent cores whose state is a membrane potential (and
 * an adaptation or a synaptic current), stepping with the update rules of
 * spyx. Each model's math is in its own file: a pure step function
 * (`lifStep`, ...), a whole-sequence kernel (`LIF_SEQUENCE`, ...: one
 * forward loop over all steps and one backward loop in reverse, run as one
 * differentiable op by `callSequence` and `dynamicUnroll`) and the module
 * that reads its parameters. A new model is one such file and one line
 * below.
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
export { Neuron, SpikingNeuron, type SpikingOptions } from "./neuron.ts";
export { fusedKernelsApply, runSequence, type SequenceCall, type SequenceModel } from "./sequence.ts";
export { IF, type IFOptions, ifStep } from "./if.ts";
export { LIF, type LIFOptions, type LIFParams, lifStep } from "./lif.ts";
export { LI, type LIOptions, type LIParams, liStep } from "./li.ts";
export { ALIF, type ALIFOptions, type ALIFParams, alifStep } from "./alif.ts";
export { CuBaLIF, type CuBaLIFOptions, type CuBaLIFParams, cubaLifStep } from "./cubalif.ts";
export { RIF, type RIFOptions, type RIFParams, rifStep } from "./rif.ts";
export { RLIF, type RLIFOptions, type RLIFParams, rlifStep } from "./rlif.ts";
export { RCuBaLIF, type RCuBaLIFOptions, type RCuBaLIFParams, rcubaLifStep } from "./rcubalif.ts";
