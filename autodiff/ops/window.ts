/**
 * Placeholder for `reduceWindow` (being written).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { TensorLike } from "./creation.ts";

/** Windowed reduction (not written yet). */
export function reduceWindow(_x: TensorLike, _options: unknown = {}): Tensor {
  throw new Error("reduceWindow: not written yet");
}
