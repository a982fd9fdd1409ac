/**
 * Learning-rate schedules with optax's semantics: each is a function of
 * the step count (0 at the first update) and may be passed wherever a
 * learning rate is.
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import { checkOption, checkOptionNames } from "./checks.ts";
import type { Schedule } from "./transform.ts";

function checkSchedules(fn: string, schedules: readonly Schedule[]): void {
  schedules.forEach((s, i) => {
    if (typeof s !== "function") throw new TypeError(`${fn}: schedule ${i} is not a function, got ${formatValue(s)}`);
  });
}

/**
 * The same value at every step (`optax.constant_schedule`).
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * optim.constant(0.1)(1000); // 0.1
 * ```
 */
export function constant(value: number): Schedule {
  checkOption("constant", "value", value);
  return () => value;
}

/** Options of {@link polynomialSchedule}. */
export interface PolynomialScheduleOptions {
  /** Value before and at `transitionBegin`. */
  initValue: number;
  /** Value from `transitionBegin + transitionSteps` on. */
  endValue: number;
  /** Exponent of the interpolation (1 is linear). */
  power: number;
  /** Length of the transition; 0 gives the constant `initValue`. */
  transitionSteps: number;
  /** Steps to hold `initValue` first. Default 0. */
  transitionBegin?: number;
}

/**
 * Polynomial interpolation from `initValue` to `endValue`
 * (`optax.polynomial_schedule`): with `c = clip(step - transitionBegin, 0,
 * transitionSteps)`, `(init - end) * (1 - c/transitionSteps)^power + end`.
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * const s = optim.polynomialSchedule({ initValue: 1, endValue: 0, power: 2, transitionSteps: 10 });
 * s(5); // 0.25
 * ```
 */
export function polynomialSchedule(options: PolynomialScheduleOptions): Schedule {
  const fn = "polynomialSchedule";
  checkOptionNames(fn, options, ["initValue", "endValue", "power", "transitionSteps", "transitionBegin"]);
  const { initValue, endValue, power, transitionSteps, transitionBegin = 0 } = options;
  checkOption(fn, "initValue", initValue);
  checkOption(fn, "endValue", endValue);
  checkOption(fn, "power", power);
  checkOption(fn, "transitionSteps", transitionSteps, { min: 0 });
  checkOption(fn, "transitionBegin", transitionBegin, { min: 0 });
  if (transitionSteps === 0) return () => initValue;
  return (step) => {
    const c = Math.min(Math.max(step - transitionBegin, 0), transitionSteps);
    return (initValue - endValue) * (1 - c / transitionSteps) ** power + endValue;
  };
}

/** Options of {@link linearSchedule}. */
export type LinearScheduleOptions = Omit<PolynomialScheduleOptions, "power">;

/**
 * Linear interpolation from `initValue` to `endValue` over
 * `transitionSteps` (`optax.linear_schedule`).
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * optim.linearSchedule({ initValue: 0, endValue: 1, transitionSteps: 4 })(1); // 0.25
 * ```
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  checkOptionNames("linearSchedule", options, ["initValue", "endValue", "transitionSteps", "transitionBegin"]);
  return polynomialSchedule({ ...options, power: 1 });
}

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** Value up to `transitionBegin`. */
  initValue: number;
  /** Steps over which the value is multiplied by `decayRate` once (> 0). */
  transitionSteps: number;
  /** Factor per `transitionSteps` (> 0; below 1 decays, above 1 grows). */
  decayRate: number;
  /** Steps to hold `initValue` first. Default 0. */
  transitionBegin?: number;
  /** Decay in whole periods (`floor` of the exponent). Default false. */
  staircase?: boolean;
  /** A floor (when decaying) or ceiling (when growing) for the value. */
  endValue?: number;
}

/**
 * `initValue * decayRate^((step - transitionBegin) / transitionSteps)` after
 * `transitionBegin`, `initValue` before (`optax.exponential_decay`);
 * `staircase` floors the exponent and `endValue` bounds the result.
 * Unlike optax, which falls back to a constant schedule, non-positive
 * `transitionSteps` or `decayRate` are errors.
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * const s = optim.exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.5 });
 * s(20); // 0.25
 * ```
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const fn = "exponentialDecay";
  checkOptionNames(fn, options, [
    "initValue",
    "transitionSteps",
    "decayRate",
    "transitionBegin",
    "staircase",
    "endValue",
  ]);
  const { initValue, transitionSteps, decayRate, transitionBegin = 0, staircase = false, endValue } = options;
  checkOption(fn, "initValue", initValue);
  checkOption(fn, "transitionSteps", transitionSteps, { min: 0, minOpen: true });
  checkOption(fn, "decayRate", decayRate, { min: 0, minOpen: true });
  checkOption(fn, "transitionBegin", transitionBegin, { min: 0 });
  if (endValue !== undefined) checkOption(fn, "endValue", endValue);
  const bound = endValue === undefined ? null : decayRate < 1 ? Math.max : Math.min;
  return (step) => {
    const elapsed = step - transitionBegin;
    const p = staircase ? Math.floor(elapsed / transitionSteps) : elapsed / transitionSteps;
    const value = elapsed <= 0 ? initValue : initValue * decayRate ** p;
    return bound ? bound(value, endValue!) : value;
  };
}

/** Options of {@link cosineDecay}. */
export interface CosineDecayOptions {
  /** Value at step 0. */
  initValue: number;
  /** Steps of the decay (> 0); the value stays at `alpha * initValue` after. */
  decaySteps: number;
  /** Final value as a fraction of `initValue`. Default 0. */
  alpha?: number;
  /** Exponent applied to the cosine factor. Default 1. */
  exponent?: number;
}

/**
 * Cosine decay (`optax.cosine_decay_schedule`): with `c = min(step,
 * decaySteps)`, `initValue * ((1 - alpha) * (0.5 * (1 + cos(pi * c /
 * decaySteps)))^exponent + alpha)`.
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * optim.cosineDecay({ initValue: 1, decaySteps: 100 })(50); // 0.5
 * ```
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const fn = "cosineDecay";
  checkOptionNames(fn, options, ["initValue", "decaySteps", "alpha", "exponent"]);
  const { initValue, decaySteps, alpha = 0, exponent = 1 } = options;
  checkOption(fn, "initValue", initValue);
  checkOption(fn, "decaySteps", decaySteps, { min: 0, minOpen: true });
  checkOption(fn, "alpha", alpha);
  checkOption(fn, "exponent", exponent);
  return (step) => {
    const c = Math.min(step, decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * c) / decaySteps));
    return initValue * ((1 - alpha) * cosine ** exponent + alpha);
  };
}

/**
 * Runs `schedules[0]` until `boundaries[0]`, then `schedules[1]` with the
 * step counted from that boundary, and so on (`optax.join_schedules`).
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * const s = optim.joinSchedules([optim.constant(1), (step) => 1 / (step + 1)], [10]);
 * s(11); // 0.5
 * ```
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const fn = "joinSchedules";
  checkSchedules(fn, schedules);
  if (schedules.length !== boundaries.length + 1) {
    throw new RangeError(
      `${fn}: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${boundaries.length}`,
    );
  }
  boundaries.forEach((b, i) => checkOption(fn, `boundaries[${i}]`, b, { min: i === 0 ? 0 : boundaries[i - 1] }));
  return (step) => {
    let i = 0;
    while (i < boundaries.length && step >= boundaries[i]) i++;
    return schedules[i](i === 0 ? step : step - boundaries[i - 1]);
  };
}

/** Options of {@link warmupCosineDecay}. */
export interface WarmupCosineDecayOptions {
  /** Value at step 0. */
  initValue: number;
  /** Value reached at the end of the warmup. */
  peakValue: number;
  /** Steps of the linear warmup. */
  warmupSteps: number;
  /** Total steps, warmup included (> warmupSteps). */
  decaySteps: number;
  /** Value at `decaySteps` and after. Default 0. */
  endValue?: number;
  /** Exponent of the cosine factor. Default 1. */
  exponent?: number;
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps`, then
 * cosine decay to `endValue` at `decaySteps` (which counts the warmup), as
 * `optax.warmup_cosine_decay_schedule`.
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * const s = optim.warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 110 });
 * [s(5), s(10), s(60), s(110)]; // [0.5, 1, 0.5, 0]
 * ```
 */
export function warmupCosineDecay(options: WarmupCosineDecayOptions): Schedule {
  const fn = "warmupCosineDecay";
  checkOptionNames(fn, options, ["initValue", "peakValue", "warmupSteps", "decaySteps", "endValue", "exponent"]);
  const { initValue, peakValue, warmupSteps, decaySteps, endValue = 0, exponent = 1 } = options;
  checkOption(fn, "initValue", initValue);
  checkOption(fn, "peakValue", peakValue);
  checkOption(fn, "endValue", endValue);
  checkOption(fn, "warmupSteps", warmupSteps, { min: 0 });
  checkOption(fn, "decaySteps", decaySteps, { min: warmupSteps, minOpen: true });
  const alpha = peakValue === 0 ? 0 : endValue / peakValue;
  return joinSchedules([
    linearSchedule({ initValue, endValue: peakValue, transitionSteps: warmupSteps }),
    cosineDecay({ initValue: peakValue, decaySteps: decaySteps - warmupSteps, alpha, exponent }),
  ], [warmupSteps]);
}

/** Options of {@link piecewiseConstant}. */
export interface PiecewiseConstantOptions {
  /** Value before the first boundary. */
  initValue: number;
  /**
   * At each boundary step the value is multiplied by its scale (>= 0):
   * `{1000: 0.1, 2000: 0.5}` or `[[1000, 0.1], [2000, 0.5]]`.
   */
  boundariesAndScales?: Record<number, number> | readonly (readonly [number, number])[];
}

/**
 * A value that is multiplied by `scale` from each `boundary` step on
 * (`optax.piecewise_constant_schedule`).
 *
 * @example
 * ```ts
 * import { optim } from "../mod.ts";
 * const s = optim.piecewiseConstant({ initValue: 1, boundariesAndScales: { 10: 0.5, 20: 0.1 } });
 * [s(9), s(10), s(20)]; // [1, 0.5, 0.05]
 * ```
 */
export function piecewiseConstant(options: PiecewiseConstantOptions): Schedule {
  const fn = "piecewiseConstant";
  checkOptionNames(fn, options, ["initValue", "boundariesAndScales"]);
  const { initValue, boundariesAndScales = [] } = options;
  checkOption(fn, "initValue", initValue);
  const pairs: [number, number][] = Array.isArray(boundariesAndScales)
    ? boundariesAndScales.map(([b, s]) => [b, s])
    : Object.entries(boundariesAndScales).map(([b, s]) => [Number(b), s as number]);
  for (const [b, s] of pairs) {
    checkOption(fn, "boundary", b);
    checkOption(fn, `scale at boundary ${b}`, s, { min: 0 });
  }
  pairs.sort((x, y) => x[0] - y[0]);
  return (step) => {
    let value = initValue;
    for (const [b, s] of pairs) if (step >= b) value *= s;
    return value;
  };
}
