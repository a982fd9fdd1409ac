/**
 * `nir`: interchange with the Neuromorphic Intermediate Representation
 * (NIR), the HDF5 graph format that spyx, snnTorch, Norse, Lava, Rockpool,
 * Sinabs and neuromorphic chips exchange trained networks in. The API
 * follows `spyx.nir`:
 *
 * - {@link read} / {@link write}: NIR files (bytes or a path) to and from
 *   an in-memory {@link NIRGraph} whose nodes carry NIR's field names
 *   (`{ type: "LIF", tau, r, v_leak, v_threshold }`).
 * - {@link fromNir}: a graph to `[net, params]`, a spyx-ts network run as
 *   `net.apply(params, x)`; {@link toNir}: parameters (and a description of
 *   the layers) to a graph.
 *
 * Conventions, in full in `neuron_conventions.ts` and the README:
 *
 * - Time: NIR's neurons are continuous; at step `dt` spyx's discretisation
 *   gives `beta = 1 - dt/tau` (`tau_mem` for CubaLIF) and
 *   `alpha = 1 - dt/tau_syn`, and multiplies the neuron's input by
 *   `dt/tau * r` (LIF, LI), `dt * r` (IF, I) or
 *   `dt/tau_syn * w_in * dt/tau_mem * r` (CubaLIF). Like spyx, the import
 *   folds that multiplier into the weights before the neuron; unlike spyx
 *   (which ignores `r` and `v_leak`, and exported `r = beta`), `r` and
 *   `v_leak` count as NIR defines them, and export writes `r = 1`
 *   (CubaLIF `r = tau_mem/dt`), `v_leak = 0` with the weights divided.
 * - Spikes: as in spyx, a neuron's spike at a step comes from the membrane
 *   before that step's update, and the reset subtracts the threshold
 *   (NIR's `v_reset` must be 0). Recurrent neurons (an IF, LIF or CubaLIF
 *   node and an Affine/Linear node feeding its spikes back) become RIF,
 *   RLIF, RCuBaLIF; other cycles get NIR's one-step delay.
 * - Layout: NIR weights are `[out, in]` (Haiku's `[in, out]`),
 *   convolutions OIHW (Haiku's HWIO), and a sample is channels-first
 *   (`[C, H, W]`); spyx-ts runs channels-last (`[B, T, H, W, C]` inputs),
 *   and converts every per-sample array and every `Flatten`.
 *
 * @example
 * ```ts ignore
 * import { nir, np } from "../mod.ts";
 * const graph = await nir.read("../shared/nir/lif_norse.nir");
 * const x = np.zeros([1, 1000, 1]); // [batch, time, inputs]
 * const [net, params] = nir.fromNir(graph, x, { dt: 1e-4, returnAllStates: true });
 * const [spikes, states] = net.apply(params, x); // states["1"]: the LIF membrane, [1, 1000, 1]
 * const bytes = await nir.write(nir.toNir(params, [1], [1], 1e-4, { layers: net.layers! }));
 * ```
 *
 * @module
 */
export type {
  FieldKind,
  FieldSpec,
  NIRAffine,
  NIRAvgPool2d,
  NIRConv1d,
  NIRConv2d,
  NIRCubaLI,
  NIRCubaLIF,
  NIRDelay,
  NIRFlatten,
  NIRGraph,
  NIRIF,
  NIRInput,
  NIRIntegrator,
  NIRLI,
  NIRLIF,
  NIRLinear,
  NIRMetadata,
  NIRNode,
  NIRNodeType,
  NIROutput,
  NIRScale,
  NIRSumPool2d,
  NIRThreshold,
} from "./graph.ts";
export { isNodeType, NODE_FIELDS, NODE_TYPES } from "./graph.ts";
export { read } from "./read.ts";
export { NIR_VERSION, write } from "./write.ts";
export { fromNir, type FromNirOptions, type NIRNetwork } from "./from_nir.ts";
export { reorderLayers, toNir, type ToNirOptions } from "./to_nir.ts";
export type {
  NIRConvLayer,
  NIRDelayLayer,
  NIRFlattenLayer,
  NIRLayer,
  NIRLinearLayer,
  NIRNeuronLayer,
  NIRPoolLayer,
  NIRScaleLayer,
  NIRThresholdLayer,
} from "./layer_spec.ts";
export type { NeuronModel } from "./neuron_conventions.ts";
