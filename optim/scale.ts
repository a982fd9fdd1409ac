/**
 * Multiplying updates by a step size: fixed (`scale`), per step
 * (`scaleBySchedule`) and the sign-flipped learning rate every optimizer
 * ends with (`scaleByLearningRate`).
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import { mul } from "../autodiff/ops/elementwise.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import type { GradientTransformation, LearningRate, Schedule } from "./transform.ts";

/** State of the transformations that count their updates. */
export interface CountState {
  /** Number of updates so far (0 before the first). */
  count: number;
}

/**
 * Multiplies every update by `stepSize` (`optax.scale`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const half = optim.scale(0.5);
 * half.update({ w: np.array([2, 4]) }, half.init({})); // [{ w: [1, 2] }, {}]
 * ```
 */
export function scale(stepSize: number): GradientTransformation<Record<string, never>> {
  checkOption("scale", "stepSize", stepSize);
  return {
    init: () => ({}),
    update: (updates, state) => {
      const [out] = mapLeaves("scale", [["updates", updates]], 1, (u) => [mul(u, stepSize)]);
      return [out as typeof updates, state];
    },
  };
}

/**
 * Evaluates a schedule and rejects a non-finite result, which would
 * otherwise turn every parameter into NaN.
 *
 * @example
 * ```ts
 * evaluateSchedule("adam", (step) => 0.1 / (step + 1), 3); // 0.025
 * ```
 */
export function evaluateSchedule(fn: string, schedule: Schedule, step: number): number {
  const value = schedule(step);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      `${fn}: the schedule returned ${formatValue(value)} at step ${step}; expected a finite number`,
    );
  }
  return value;
}

/**
 * Multiplies the updates of step `count` by `schedule(count)`, counting from
 * 0 (`optax.scale_by_schedule`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleBySchedule((step) => 1 / (step + 1));
 * const [, s1] = t.update({ w: np.ones([1]) }, t.init({}));
 * t.update({ w: np.ones([1]) }, s1); // [{ w: [0.5] }, { count: 2 }]
 * ```
 */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<CountState> {
  if (typeof schedule !== "function") {
    throw new TypeError(`scaleBySchedule: schedule must be a function of the step, got ${formatValue(schedule)}`);
  }
  return {
    init: () => ({ count: 0 }),
    update: (updates, state) => {
      const stepSize = evaluateSchedule("scaleBySchedule", schedule, state.count);
      const [out] = mapLeaves("scaleBySchedule", [["updates", updates]], 1, (u) => [mul(u, stepSize)]);
      return [out as typeof updates, { count: state.count + 1 }];
    },
  };
}

/** Options of {@link scaleByLearningRate}. */
export interface ScaleByLearningRateOptions {
  /** Multiply by `-lr` (descent) rather than `lr`. Default true. */
  flipSign?: boolean;
}

/**
 * Throws unless `lr` is a schedule or a finite number >= 0.
 *
 * @example
 * ```ts
 * checkLearningRate("adam", 1e-3); // ok
 * ```
 */
export function checkLearningRate(fn: string, lr: LearningRate): void {
  if (typeof lr === "function") return;
  checkOption(fn, "learning rate", lr, { min: 0 });
}

/**
 * Multiplies updates by `-lr` (or `lr` with `flipSign: false`); a schedule
 * is evaluated at the update count (`optax.scale_by_learning_rate`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByLearningRate(0.1);
 * t.update({ w: np.array([1, 2]) }, t.init({})); // [{ w: [-0.1, -0.2] }, {}]
 * ```
 */
export function scaleByLearningRate(
  lr: LearningRate,
  options: ScaleByLearningRateOptions = {},
): GradientTransformation {
  checkOptionNames("scaleByLearningRate", options, ["flipSign"]);
  checkLearningRate("scaleByLearningRate", lr);
  const sign = options.flipSign === false ? 1 : -1;
  if (typeof lr === "function") return scaleBySchedule((step) => sign * evaluateSchedule("learning rate", lr, step));
  return scale(sign * lr);
}
