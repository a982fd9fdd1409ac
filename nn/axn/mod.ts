/**
 * `axn`: spike activations with surrogate gradients, as spyx's `axn`.
 * An activation maps a pre-activation `u` to spikes `u > 0 ? 1 : 0` and
 * backpropagates `g * s(u)` for a smooth surrogate `s`.
 *
 * @example
 * ```ts
 * import { axn, grad, np, type Tensor } from "../../mod.ts";
 * const spike = axn.arctan(2);
 * grad((u: Tensor) => np.sum(spike(u)))(np.array([0])); // [1 / pi]
 * ```
 *
 * @module
 */
export {
  custom,
  heaviside,
  type SpikeActivation,
  type Surrogate,
  surrogateActivation,
  type SurrogateSpec,
} from "./activation.ts";
export { arctan, boxcar, fastSigmoid, sigmoid, straightThrough, superspike, tanh, triangular } from "./surrogates.ts";
