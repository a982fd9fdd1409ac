/**
 * RMSProp: `scaleByRms`, its centered variant `scaleByStddev`, and
 * `rmsprop`, in optax's form (eps inside the root) or PyTorch's (eps added
 * to the root).
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import { add, astype, div, mul, sqrt, square, sub } from "../autodiff/ops/elementwise.ts";
import { full } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { trace } from "./sgd.ts";
import { chain, type GradientTransformation, identity, type LearningRate, type Updates } from "./transform.ts";

/** Where `eps` enters the denominator: optax's `sqrt(nu + eps)` or PyTorch's `sqrt(nu) + eps`. */
export type RmsForm = "optax" | "torch";

/** Options of {@link scaleByRms} and {@link scaleByStddev}. */
export interface ScaleByRmsOptions {
  /** Decay of the running mean of squared gradients, in [0, 1]. Default 0.9. */
  decay?: number;
  /** Keeps the denominator away from zero. Default 1e-8. */
  eps?: number;
  /** Initial value of the running mean of squares. Default 0. */
  initialScale?: number;
  /** `"optax"` (default): `g / sqrt(nu + eps)`; `"torch"`: `g / (sqrt(nu) + eps)`. */
  form?: RmsForm;
}

/** State of {@link scaleByRms}. */
export interface ScaleByRmsState {
  /** Running mean of squared gradients, shaped like the params. */
  nu: Updates;
}

/** State of {@link scaleByStddev}. */
export interface ScaleByStddevState {
  /** Running mean of gradients. */
  mu: Updates;
  /** Running mean of squared gradients. */
  nu: Updates;
}

const RMS_OPTIONS = ["decay", "eps", "initialScale", "form"] as const;

function rmsOptions(fn: string, options: ScaleByRmsOptions): Required<ScaleByRmsOptions> {
  const { decay = 0.9, eps = 1e-8, initialScale = 0, form = "optax" } = options;
  checkOption(fn, "decay", decay, { min: 0, max: 1 });
  checkOption(fn, "eps", eps, { min: 0 });
  checkOption(fn, "initialScale", initialScale, { min: 0 });
  if (form !== "optax" && form !== "torch") {
    throw new TypeError(`${fn}: form must be "optax" or "torch", got ${formatValue(form)}`);
  }
  return { decay, eps, initialScale, form };
}

function denominator(meanSquare: Tensor, eps: number, form: RmsForm): Tensor {
  return form === "optax" ? sqrt(add(meanSquare, eps)) : add(sqrt(meanSquare), eps);
}

const ema = (avg: Tensor, x: Tensor, decay: number): Tensor =>
  astype(add(mul(avg, decay), mul(x, 1 - decay)), avg.dtype);

/**
 * Divides updates by the root of a running mean of squared gradients
 * (`optax.scale_by_rms`): `nu = decay*nu + (1-decay)*g^2`, update
 * `g / sqrt(nu + eps)` (or `g / (sqrt(nu) + eps)` with `form: "torch"`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByRms({ decay: 0.75 });
 * t.update({ w: np.array([2]) }, t.init({ w: np.zeros([1]) })); // [{ w: [2 / sqrt(1 + 1e-8)] }, ...]
 * ```
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  checkOptionNames("scaleByRms", options, RMS_OPTIONS);
  const { decay, eps, initialScale, form } = rmsOptions("scaleByRms", options);
  return {
    init: (params) => ({ nu: map((p: Tensor) => full(p.shape, initialScale, { dtype: p.dtype }), params) as Updates }),
    update: (updates, state) => {
      const [out, nu] = mapLeaves("scaleByRms", [["updates", updates], ["nu (mean square)", state.nu]], 2, (g, v) => {
        const v1 = ema(v, square(g), decay);
        return [div(g, denominator(v1, eps, form)), v1];
      });
      return [out as typeof updates, { nu }];
    },
  };
}

/**
 * Centered RMSProp scaling (`optax.scale_by_stddev`): also tracks the mean
 * gradient `mu`, and divides by `sqrt(nu - mu^2 + eps)` (or
 * `sqrt(nu - mu^2) + eps` with `form: "torch"`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByStddev({ decay: 0.5 });
 * t.update({ w: np.array([2]) }, t.init({ w: np.zeros([1]) })); // nu - mu^2 = 2 - 1
 * ```
 */
export function scaleByStddev(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByStddevState> {
  checkOptionNames("scaleByStddev", options, RMS_OPTIONS);
  const { decay, eps, initialScale, form } = rmsOptions("scaleByStddev", options);
  return {
    init: (params) => ({
      mu: map((p: Tensor) => full(p.shape, 0, { dtype: p.dtype }), params) as Updates,
      nu: map((p: Tensor) => full(p.shape, initialScale, { dtype: p.dtype }), params) as Updates,
    }),
    update: (updates, state) => {
      const [out, mu, nu] = mapLeaves(
        "scaleByStddev",
        [["updates", updates], ["mu (mean)", state.mu], ["nu (mean square)", state.nu]],
        3,
        (g, m, v) => {
          const m1 = ema(m, g, decay), v1 = ema(v, square(g), decay);
          return [div(g, denominator(sub(v1, square(m1)), eps, form)), m1, v1];
        },
      );
      return [out as typeof updates, { mu, nu }];
    },
  };
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends ScaleByRmsOptions {
  /** Centered RMSProp (divide by the running variance). Default false. */
  centered?: boolean;
  /** Momentum applied after the scaling; omitted means none. */
  momentum?: number;
  /** Nesterov momentum (needs `momentum`). Default false. */
  nesterov?: boolean;
}

/**
 * RMSProp (`optax.rmsprop`): `chain(scaleByRms (or scaleByStddev when
 * centered), scaleByLearningRate(lr), trace(momentum))`. With the defaults
 * the update is `-lr * g / sqrt(nu + eps)`; `form: "torch"` gives
 * PyTorch's `-lr * g / (sqrt(nu) + eps)` (PyTorch calls `decay` alpha).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.rmsprop(1e-2, { decay: 0.9 });
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params));
 * ```
 */
export function rmsprop(learningRate: LearningRate, options: RmspropOptions = {}): GradientTransformation {
  checkOptionNames("rmsprop", options, [...RMS_OPTIONS, "centered", "momentum", "nesterov"]);
  checkLearningRate("rmsprop", learningRate);
  const { centered = false, momentum, nesterov = false, ...rms } = options;
  rmsOptions("rmsprop", rms);
  if (nesterov && momentum === undefined) throw new TypeError("rmsprop: nesterov: true needs a momentum value");
  if (momentum !== undefined) checkOption("rmsprop", "momentum", momentum, { min: 0, max: 1, maxOpen: true });
  return chain(
    centered ? scaleByStddev(rms) : scaleByRms(rms),
    scaleByLearningRate(learningRate),
    momentum === undefined ? identity() : trace({ decay: momentum, nesterov }),
  );
}
