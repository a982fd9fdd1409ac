/**
 * Placeholder for `convGeneralDilated` (being written).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { TensorLike } from "./creation.ts";

/** General dilated convolution (not written yet). */
export function convGeneralDilated(_lhs: TensorLike, _rhs: TensorLike, _options: unknown = {}): Tensor {
  throw new Error("convGeneralDilated: not written yet");
}
