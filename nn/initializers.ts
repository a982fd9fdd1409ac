/**
 * Parameter initializers, as in `haiku.initializers`. Each returns an
 * {@link Initializer}: `(shape, dtype) => Tensor`, drawing its randomness
 * from `nn.nextRngKey()`.
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import type { DType } from "../autodiff/dtype.ts";
import { np, random } from "../autodiff/mod.ts";
import { type Initializer, nextRngKey } from "./module.ts";

/**
 * Every element equal to `value`.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.constant(0.5)([3], "float32");
 * ```
 */
export function constant(value: number): Initializer {
  checkFinite("constant", "value", value);
  return (shape, dtype) => np.full(shape, value, { dtype });
}

/**
 * Normal with `stddev` and `mean`, truncated at two standard deviations
 * (Haiku's `TruncatedNormal`).
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.truncatedNormal(0.1);
 * ```
 */
export function truncatedNormal(stddev = 1, mean = 0): Initializer {
  checkPositive("truncatedNormal", "stddev", stddev);
  checkFinite("truncatedNormal", "mean", mean);
  return (shape, dtype) => np.add(np.mul(random.truncatedNormal(nextRngKey(), -2, 2, shape, { dtype }), stddev), mean);
}

/**
 * Normal with `stddev` and `mean`.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.randomNormal(0.01);
 * ```
 */
export function randomNormal(stddev = 1, mean = 0): Initializer {
  checkPositive("randomNormal", "stddev", stddev);
  checkFinite("randomNormal", "mean", mean);
  return (shape, dtype) => np.add(np.mul(random.normal(nextRngKey(), shape, { dtype }), stddev), mean);
}

/**
 * Uniform on `[minval, maxval)`.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.randomUniform(-0.1, 0.1);
 * ```
 */
export function randomUniform(minval = 0, maxval = 1): Initializer {
  checkFinite("randomUniform", "minval", minval);
  checkFinite("randomUniform", "maxval", maxval);
  if (!(maxval > minval)) throw new RangeError(`randomUniform: maxval ${maxval} must exceed minval ${minval}`);
  return (shape, dtype) => random.uniform(nextRngKey(), shape, { minval, maxval, dtype });
}

/** How {@link varianceScaling} counts fans. */
export type FanMode = "fan_in" | "fan_out" | "fan_avg";
/** Which distribution {@link varianceScaling} draws from. */
export type ScalingDistribution = "truncated_normal" | "normal" | "uniform";

function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  // Haiku's layout: [...receptive field, in, out].
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/**
 * Haiku's `VarianceScaling`: variance `scale / fan`; a truncated normal is
 * corrected for truncation (stddev / 0.87962566103423978).
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.varianceScaling(2, "fan_in", "truncated_normal"); // He
 * ```
 */
export function varianceScaling(
  scale = 1,
  mode: FanMode = "fan_in",
  distribution: ScalingDistribution = "truncated_normal",
): Initializer {
  checkPositive("varianceScaling", "scale", scale);
  if (!["fan_in", "fan_out", "fan_avg"].includes(mode)) {
    throw new RangeError(
      `varianceScaling: unknown mode ${formatValue(mode)}; expected "fan_in", "fan_out" or "fan_avg"`,
    );
  }
  if (!["truncated_normal", "normal", "uniform"].includes(distribution)) {
    throw new RangeError(
      `varianceScaling: unknown distribution ${
        formatValue(distribution)
      }; expected "truncated_normal", "normal" or "uniform"`,
    );
  }
  return (shape, dtype: DType) => {
    const [fanIn, fanOut] = fans(shape);
    const fan = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
    const variance = scale / Math.max(1, fan);
    if (distribution === "truncated_normal") {
      return truncatedNormal(Math.sqrt(variance) / 0.87962566103423978)(shape, dtype);
    }
    if (distribution === "normal") return randomNormal(Math.sqrt(variance))(shape, dtype);
    const limit = Math.sqrt(3 * variance);
    return randomUniform(-limit, limit)(shape, dtype);
  };
}

/**
 * Glorot (Xavier) uniform.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.glorotUniform();
 * ```
 */
export function glorotUniform(): Initializer {
  return varianceScaling(1, "fan_avg", "uniform");
}

/**
 * Glorot (Xavier) normal (truncated).
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.glorotNormal();
 * ```
 */
export function glorotNormal(): Initializer {
  return varianceScaling(1, "fan_avg", "truncated_normal");
}

/**
 * He (Kaiming) normal (truncated).
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.heNormal();
 * ```
 */
export function heNormal(): Initializer {
  return varianceScaling(2, "fan_in", "truncated_normal");
}

/**
 * He (Kaiming) uniform.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.heUniform();
 * ```
 */
export function heUniform(): Initializer {
  return varianceScaling(2, "fan_in", "uniform");
}

/**
 * LeCun normal (truncated).
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * nn.initializers.lecunNormal();
 * ```
 */
export function lecunNormal(): Initializer {
  return varianceScaling(1, "fan_in", "truncated_normal");
}

function checkPositive(op: string, what: string, v: number): void {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${op}: ${what} must be a positive number, got ${formatValue(v)}`);
  }
}

function checkFinite(op: string, what: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`${op}: ${what} must be a finite number, got ${formatValue(v)}`);
  }
}
