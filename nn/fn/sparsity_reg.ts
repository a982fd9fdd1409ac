/**
 * `fn.sparsityReg`: penalizes samples whose layers fire too much on
 * average.
 *
 * @module
 */
import { add, maximum, sub } from "../../autodiff/ops/elementwise.ts";
import { mean, sum } from "../../autodiff/ops/reduce.ts";
import type { Tensor } from "../../autodiff/tensor.ts";
import type { PyTree } from "../../autodiff/tree.ts";
import { formatValue } from "../../autodiff/checks.ts";
import { checkOption } from "../../optim/checks.ts";
import { huberLoss } from "../../optim/losses.ts";
import { flatCounts } from "./counts.ts";

/** An element-wise penalty of the excess activity (Huber by default). */
export type Norm = (excess: Tensor) => Tensor;

/**
 * Builds `(counts) => loss` (spyx `sparsity_reg`): every leaf of the
 * spike-count tree is flattened to `[B, N]`, `m[b]` is the mean over its
 * neurons, and the loss is the sum over leaves and samples of
 * `norm(max(0, m[b] - maxSpikes))`; `norm` defaults to the Huber loss with
 * delta 1 (`0.5 z^2` up to 1, `z - 0.5` beyond).
 *
 * @example
 * ```ts
 * import { fn, np } from "../../mod.ts";
 * const reg = fn.sparsityReg(1);
 * reg([np.array([[1, 2], [4, 4]])]); // huber(0.5) + huber(3) = 0.125 + 2.5
 * ```
 */
export function sparsityReg(maxSpikes: number, norm: Norm = (z) => huberLoss(z)): (counts: PyTree<Tensor>) => Tensor {
  checkOption("sparsityReg", "maxSpikes", maxSpikes);
  if (typeof norm !== "function") {
    throw new TypeError(`sparsityReg: norm must be a function of the excess activity, got ${formatValue(norm)}`);
  }
  return (counts) => {
    const terms = flatCounts("sparsityReg", counts).map((x) => {
      const excess = maximum(0, sub(mean(x, -1), maxSpikes));
      return sum(norm(excess));
    });
    return terms.reduce((a, b) => add(a, b));
  };
}
