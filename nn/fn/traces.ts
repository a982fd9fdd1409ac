/**
 * Argument checks shared by the trace-based losses: the time axis, the
 * class axis and integer targets.
 *
 * @module
 */
import { isFloat } from "../../autodiff/dtype.ts";
import { array, asTensor, type TensorLike } from "../../autodiff/ops/creation.ts";
import { astype } from "../../autodiff/ops/elementwise.ts";
import { isTensor, type Tensor } from "../../autodiff/tensor.ts";
import { checkClassIndices } from "../../optim/losses.ts";

/** Traces and targets after checking, for a loss over classes. */
export interface CheckedTraces {
  /** The traces as a float tensor (integer or bool traces become float32). */
  traces: Tensor;
  /** Integer targets, shaped like the traces without the time and class axes. */
  targets: Tensor;
  /** The time axis, made non-negative. */
  timeAxis: number;
  /** Length of the time axis. */
  steps: number;
  /** Length of the last (class) axis. */
  numClasses: number;
}

/**
 * Checks that `traces` has a time axis `timeAxis` besides its last (class)
 * axis and that `targets` are integers with one entry per trace sequence.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * const c = checkTraces("integralAccuracy", np.zeros([2, 5, 3]), np.array([0, 2], { dtype: "int32" }), 1);
 * c.steps; // 5
 * ```
 */
export function checkTraces(fn: string, traces: TensorLike, targets: TensorLike, timeAxis: number): CheckedTraces {
  let x = asTensor(traces);
  if (!isFloat(x.dtype)) x = astype(x, "float32");
  if (x.ndim < 2) {
    throw new RangeError(`${fn}: traces must have a time axis and a class axis, got shape [${x.shape}]`);
  }
  if (!Number.isInteger(timeAxis) || timeAxis < -x.ndim || timeAxis >= x.ndim) {
    throw new RangeError(`${fn}: timeAxis ${timeAxis} is out of range for traces of shape [${x.shape}]`);
  }
  const axis = timeAxis < 0 ? timeAxis + x.ndim : timeAxis;
  if (axis === x.ndim - 1) {
    throw new RangeError(
      `${fn}: timeAxis ${timeAxis} is the class axis (the last) of traces of shape [${x.shape}]; ` +
        `traces are [..., time, ..., classes]`,
    );
  }
  const t = isTensor(targets) ? targets : integerTargets(fn, targets);
  if (t.dtype !== "int32" && t.dtype !== "uint32") {
    throw new TypeError(`${fn}: targets must be an int32 tensor of class indices, got ${t.dtype}`);
  }
  const want = x.shape.filter((_, i) => i !== axis && i !== x.ndim - 1);
  if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new RangeError(
      `${fn}: targets have shape [${t.shape}] but traces of shape [${x.shape}] with timeAxis ${timeAxis} ` +
        `need targets of shape [${want}]`,
    );
  }
  const numClasses = x.shape[x.ndim - 1];
  return { traces: x, targets: checkClassIndices(fn, t, numClasses), timeAxis: axis, steps: x.shape[axis], numClasses };
}

/** JS targets as int32, refusing non-integers (a cast would truncate 1.7 to class 1). */
function integerTargets(fn: string, targets: TensorLike): Tensor {
  const values = array(targets, { dtype: "float64" });
  const data = values.dataSync();
  const bad = data.findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) {
    throw new TypeError(`${fn}: targets must be integer class indices, got ${data[bad]} at flat index ${bad}`);
  }
  return astype(values, "int32");
}
