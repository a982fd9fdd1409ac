import type { WindowParams } from "../backend.ts";
import type { DType, TypedArray } from "../dtype.ts";
import type { Shape } from "../shape.ts";

/** Placeholder until the window kernels land. */
export function reduceWindowKernel(
  _op: "sum" | "max",
  _x: TypedArray,
  _shape: Shape,
  _params: WindowParams,
  _outShape: Shape,
  _dtype: DType,
): TypedArray {
  throw new Error("reduceWindow: CPU kernel not written yet");
}

/** Placeholder until the window kernels land. */
export function selectAndScatterMaxKernel(
  _x: TypedArray,
  _shape: Shape,
  _cot: TypedArray,
  _cotShape: Shape,
  _params: WindowParams,
  _dtype: DType,
): TypedArray {
  throw new Error("reduceWindow: CPU kernel not written yet");
}
