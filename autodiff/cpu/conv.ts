import type { ConvParams } from "../backend.ts";
import type { DType, TypedArray } from "../dtype.ts";
import type { Shape } from "../shape.ts";

/** Placeholder until the convolution kernel lands. */
export function convKernel(
  _lhs: TypedArray,
  _lhsShape: Shape,
  _rhs: TypedArray,
  _rhsShape: Shape,
  _params: ConvParams,
  _outShape: Shape,
  _dtype: DType,
): TypedArray {
  throw new Error("conv: CPU kernel not written yet");
}
