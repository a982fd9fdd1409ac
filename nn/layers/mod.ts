/**
 * Layers with Haiku's semantics (`Linear`, convolutions, `Flatten`,
 * `Sequential`, `BatchApply`, `dropout`) and spyx's non-neuron modules
 * (`ActivityRegularization`, `PopulationCode`, `sumPool` / `SumPool`).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Sequential([new nn.Flatten(), new nn.Linear(10)]).call(x));
 * const params = net.init(random.key(0), np.ones([2, 28, 28]));
 * ```
 *
 * @module
 */
export { Linear, type LinearOptions } from "./linear.ts";
export { Conv1D, Conv2D, Conv3D, ConvND, type ConvOptions, type ConvPadding } from "./conv.ts";
export { Flatten, type FlattenOptions } from "./flatten.ts";
export { Sequential, type SequentialLayer } from "./sequential.ts";
export { BatchApply, type BatchApplyOptions } from "./batch_apply.ts";
export { dropout, type DropoutOptions } from "./dropout.ts";
export { ActivityRegularization } from "./activity_regularization.ts";
export { PopulationCode } from "./population_code.ts";
export { type PoolPadding, SumPool, sumPool } from "./sum_pool.ts";
