/**
 * `fn.silenceReg`: penalizes neurons that fire too little on average.
 *
 * @module
 */
import { add, maximum, square, sub } from "../../autodiff/ops/elementwise.ts";
import { mean, sum } from "../../autodiff/ops/reduce.ts";
import type { Tensor } from "../../autodiff/tensor.ts";
import type { PyTree } from "../../autodiff/tree.ts";
import { checkOption } from "../../optim/checks.ts";
import { flatCounts } from "./counts.ts";

/**
 * Builds `(counts) => loss` (spyx `silence_reg`): every leaf of the
 * spike-count tree is flattened to `[B, N]`, and the loss is the sum over
 * leaves and neurons of `max(0, minSpikes - mean over the batch)^2`.
 *
 * @example
 * ```ts
 * import { fn, np } from "../../mod.ts";
 * const reg = fn.silenceReg(2);
 * reg({ ActReg: { spike_count: np.array([[0, 4], [2, 4]]) } }); // (2 - 1)^2 + 0 = 1
 * ```
 */
export function silenceReg(minSpikes: number): (counts: PyTree<Tensor>) => Tensor {
  checkOption("silenceReg", "minSpikes", minSpikes);
  return (counts) => {
    const terms = flatCounts("silenceReg", counts).map((x) => sum(square(maximum(0, sub(minSpikes, mean(x, 0))))));
    return terms.reduce((a, b) => add(a, b));
  };
}
