/**
 * `nn`: Haiku-style modules, layers, recurrent cores and spiking neurons.
 *
 * @example
 * ```ts
 * import { nn, np, random } from "../mod.ts";
 * const net = nn.transform((x) => new nn.Linear(3).call(x));
 * const params = net.init(random.key(0), np.ones([2, 4]));
 * ```
 *
 * @module
 */
export {
  getParameter,
  getState,
  type Initializer,
  isInitializing,
  Module,
  type ModuleOptions,
  nextRngKey,
  type ParameterOptions,
  type Params,
  type PRNGKey,
  setState,
  transform,
  type Transformed,
  type TransformedWithState,
  transformWithState,
  withoutApplyRng,
} from "./module.ts";
export * as initializers from "./initializers.ts";
export {
  DeepRNN,
  type DeepRNNLayer,
  dynamicUnroll,
  isRNNCore,
  RNNCore,
  type RNNState,
  staticUnroll,
  type UnrollOptions,
} from "./rnn.ts";
export * from "./layers/mod.ts";
export * from "./neurons/mod.ts";
