/**
 * AdaGrad: `scaleByRss` (root of the summed squared gradients) and
 * `adagrad`.
 *
 * @module
 */
import { add, astype, div, greater, sqrt, square, where } from "../autodiff/ops/elementwise.ts";
import { full } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { chain, type GradientTransformation, type LearningRate, type Updates } from "./transform.ts";

/** Options of {@link scaleByRss} and {@link adagrad}. */
export interface ScaleByRssOptions {
  /** Starting value of the sum of squares. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added to the sum of squares inside the root. Default 1e-7. */
  eps?: number;
}

/** State of {@link scaleByRss}. */
export interface ScaleByRssState {
  /** Sum of squared gradients so far, shaped like the params. */
  sumOfSquares: Updates;
}

function rssOptions(fn: string, options: ScaleByRssOptions): Required<ScaleByRssOptions> {
  const { initialAccumulatorValue = 0.1, eps = 1e-7 } = options;
  checkOption(fn, "initialAccumulatorValue", initialAccumulatorValue, { min: 0 });
  checkOption(fn, "eps", eps, { min: 0 });
  return { initialAccumulatorValue, eps };
}

/**
 * Divides updates by the root of the summed squared gradients
 * (`optax.scale_by_rss`): `s = s + g^2`, update `g / sqrt(s + eps)`, and 0
 * where `s` is 0.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByRss({ initialAccumulatorValue: 0, eps: 0 });
 * t.update({ w: np.array([3, -4]) }, t.init({ w: np.zeros([2]) })); // [{ w: [1, -1] }, ...]
 * ```
 */
export function scaleByRss(options: ScaleByRssOptions = {}): GradientTransformation<ScaleByRssState> {
  checkOptionNames("scaleByRss", options, ["initialAccumulatorValue", "eps"]);
  const { initialAccumulatorValue, eps } = rssOptions("scaleByRss", options);
  return {
    init: (params) => ({
      sumOfSquares: map((p: Tensor) => full(p.shape, initialAccumulatorValue, { dtype: p.dtype }), params) as Updates,
    }),
    update: (updates, state) => {
      const [out, sumOfSquares] = mapLeaves(
        "scaleByRss",
        [["updates", updates], ["sumOfSquares", state.sumOfSquares]],
        2,
        (g, s) => {
          const s1 = astype(add(s, square(g)), s.dtype);
          // Where nothing has accumulated the gradient is 0 too; 0/sqrt(0) must not become NaN.
          return [where(greater(s1, 0), div(g, sqrt(add(s1, eps))), 0), s1];
        },
      );
      return [out as typeof updates, { sumOfSquares }];
    },
  };
}

/**
 * AdaGrad (`optax.adagrad`): `chain(scaleByRss, scaleByLearningRate(lr))`,
 * i.e. `-lr * g / sqrt(sum of g^2 + eps)`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.adagrad(0.1);
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params));
 * ```
 */
export function adagrad(learningRate: LearningRate, options: ScaleByRssOptions = {}): GradientTransformation {
  checkOptionNames("adagrad", options, ["initialAccumulatorValue", "eps"]);
  checkLearningRate("adagrad", learningRate);
  rssOptions("adagrad", options);
  return chain(scaleByRss(options), scaleByLearningRate(learningRate));
}
