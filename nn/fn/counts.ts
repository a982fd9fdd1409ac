/**
 * Reads the spike-count pytree that the activity regularizers take: every
 * leaf a float tensor `[B, ...]`, flattened to `[B, N]`.
 *
 * @module
 */
import { isFloat } from "../../autodiff/dtype.ts";
import { astype } from "../../autodiff/ops/elementwise.ts";
import { reshape } from "../../autodiff/ops/layout.ts";
import { isTensor, type Tensor } from "../../autodiff/tensor.ts";
import { leaves, type PyTree } from "../../autodiff/tree.ts";

/**
 * The leaves of `counts`, each reshaped to `[B, N]` (integer or bool counts
 * become float32). Throws on a tree without tensors, a non-tensor leaf, a
 * scalar leaf or an empty batch.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * flatCounts("silenceReg", { a: np.ones([2, 3, 4]) })[0].shape; // [2, 12]
 * ```
 */
export function flatCounts(fn: string, counts: PyTree<Tensor>): Tensor[] {
  const ls = leaves(counts);
  if (ls.length === 0) throw new TypeError(`${fn}: the spike-count tree has no tensor leaves`);
  return ls.map((leaf, i) => {
    if (!isTensor(leaf)) {
      throw new TypeError(`${fn}: leaf ${i} of the spike-count tree is not a Tensor (got ${typeof leaf})`);
    }
    if (leaf.ndim === 0 || leaf.shape[0] === 0) {
      throw new RangeError(`${fn}: leaf ${i} must have shape [B, ...] with B > 0, got [${leaf.shape}]`);
    }
    const x = isFloat(leaf.dtype) ? leaf : astype(leaf, "float32");
    return reshape(x, [x.shape[0], x.size / x.shape[0]]);
  });
}
