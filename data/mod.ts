/**
 * Data (`spyx.data`): spike encoders, augmentation, batching, dataset
 * loaders (MNIST, SHD, Randman) and safetensors checkpoints.
 *
 * @example
 * ```ts
 * import { data, np, random } from "../mod.ts";
 * const encode = data.rateCode(10);
 * encode(np.array([[0.2, 0.9]]), random.key(0)).shape; // [1, 10, 2]
 * ```
 *
 * @module
 */
export { rateCode, type RateEncoder } from "./rate_code.ts";
export { angleCode, type AngleEncoder } from "./angle_code.ts";
export { latencyCode, type LatencyEncoder, type LatencyOptions } from "./latency_code.ts";
export { deltaCode, type DeltaEncoder, type DeltaOptions } from "./delta_code.ts";
export { shiftAugment, type ShiftAugmentation } from "./augment.ts";
export { type Shuffle, shuffler } from "./shuffler.ts";
export { loadMnist, type MnistData, type MnistOptions } from "./mnist.ts";
export { loadShd, type ShdData, type ShdOptions } from "./shd.ts";
export { randman, type RandmanData, type RandmanOptions } from "./randman.ts";
export { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, type SafetensorsContent } from "./safetensors.ts";
export {
  type CheckpointOptions,
  fromSafetensors,
  loadCheckpoint,
  saveCheckpoint,
  toSafetensors,
  TREE_METADATA_KEY,
} from "./checkpoint.ts";
