/**
 * Sum pooling, spyx's `sum_pool` / `SumPool` (Haiku's pooling conventions).
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { Module, type ModuleOptions } from "../module.ts";

/** Padding of {@link sumPool}. */
export type PoolPadding = "SAME" | "VALID";

/**
 * Haiku's window/stride resolution for an input of rank `ndim`: an integer
 * applies to every axis but the batch axis 0 and `channelAxis` (null: no
 * channel axis), a shorter list gets leading 1s, a full list is used as is.
 */
function resolveWindow(
  what: string,
  size: number | readonly number[],
  ndim: number,
  channelAxis: number | null,
): number[] {
  const op = "sumPool";
  let full: number[];
  if (typeof size === "number") {
    let channel = -1;
    if (channelAxis !== null) {
      if (!Number.isInteger(channelAxis) || channelAxis < -ndim || channelAxis >= ndim) {
        throw new RangeError(
          `${op}: channelAxis ${formatValue(channelAxis)} is out of range for an input of rank ${ndim}`,
        );
      }
      channel = channelAxis < 0 ? channelAxis + ndim : channelAxis;
    }
    full = Array.from({ length: ndim }, (_, d) => (d === 0 || d === channel ? 1 : size));
  } else if (Array.isArray(size) && size.length <= ndim) {
    full = [...new Array<number>(ndim - size.length).fill(1), ...size];
  } else {
    throw new RangeError(
      `${op}: ${what} must be an integer or a list of at most ${ndim} integers (the input rank), got ${
        formatValue(size)
      }`,
    );
  }
  if (!full.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new RangeError(`${op}: ${what} must hold positive integers, got ${formatValue(size)}`);
  }
  return full;
}

/**
 * Sum over windows (`jax.lax.reduce_window` with `add`), as spyx's
 * `sum_pool`. `windowShape` and `strides` resolve per axis: an integer
 * means that size on every axis except the leading batch axis and
 * `channelAxis` (which get 1), a list shorter than the input rank is padded
 * with leading 1s. `padding` is `"VALID"` (no padding) or `"SAME"` (XLA:
 * output `ceil(in / stride)`, zero padding, the smaller half before).
 *
 * @example
 * ```ts
 * import { nn, np } from "../../mod.ts";
 * const x = np.ones([1, 4, 4, 2]); // NHWC
 * nn.sumPool(x, 2, 2).shape; // [1, 2, 2, 2], every entry 4
 * ```
 */
export function sumPool(
  value: Tensor,
  windowShape: number | readonly number[],
  strides: number | readonly number[],
  padding: PoolPadding = "VALID",
  channelAxis: number | null = -1,
): Tensor {
  const x = np.asTensor(value);
  if (padding !== "VALID" && padding !== "SAME") {
    throw new RangeError(`sumPool: padding must be "VALID" or "SAME", got ${formatValue(padding)}`);
  }
  if (x.ndim < 1) throw new RangeError(`sumPool: the input must have at least one axis, got a scalar`);
  const window = resolveWindow("windowShape", windowShape, x.ndim, channelAxis);
  const stride = resolveWindow("strides", strides, x.ndim, channelAxis);
  return np.reduceWindow(x, { op: "sum", window, strides: stride, padding });
}

/** What SumPool can check before it sees an input: positive integers (their count needs the input's rank). */
function checkWindowArgument(what: string, size: unknown): void {
  const ok = (k: unknown) => Number.isInteger(k) && (k as number) >= 1;
  if (!(ok(size) || (Array.isArray(size) && size.length > 0 && size.every(ok)))) {
    throw new RangeError(`SumPool: ${what} must be a positive integer or a list of them, got ${formatValue(size)}`);
  }
}

/**
 * Module form of {@link sumPool}, usable as a `Sequential` or `DeepRNN`
 * layer. Default name `sum_pool`.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../../mod.ts";
 * const net = nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.SumPool(2, 2, "SAME").call(x)));
 * net.apply({}, np.ones([1, 5, 5, 3])).shape; // [1, 3, 3, 3]
 * ```
 */
export class SumPool extends Module {
  /** Window extent, as given. */
  readonly windowShape: number | readonly number[];
  /** Strides, as given. */
  readonly strides: number | readonly number[];
  /** `"VALID"` or `"SAME"`. */
  readonly padding: PoolPadding;
  /** The channel axis (or null). */
  readonly channelAxis: number | null;

  constructor(
    windowShape: number | readonly number[],
    strides: number | readonly number[],
    padding: PoolPadding = "VALID",
    channelAxis: number | null = -1,
    options: ModuleOptions = {},
  ) {
    super(options, "sum_pool");
    checkOptions("SumPool", options, ["name"]);
    if (padding !== "VALID" && padding !== "SAME") {
      throw new RangeError(`SumPool: padding must be "VALID" or "SAME", got ${formatValue(padding)}`);
    }
    checkWindowArgument("windowShape", windowShape);
    checkWindowArgument("strides", strides);
    if (channelAxis !== null && !Number.isInteger(channelAxis)) {
      throw new RangeError(`SumPool: channelAxis must be an integer axis or null, got ${formatValue(channelAxis)}`);
    }
    this.windowShape = windowShape;
    this.strides = strides;
    this.padding = padding;
    this.channelAxis = channelAxis;
  }

  /** Pools `x`. */
  call(x: Tensor): Tensor {
    return sumPool(x, this.windowShape, this.strides, this.padding, this.channelAxis);
  }
}
