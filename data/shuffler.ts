/**
 * Epoch shuffling into fixed-size batches.
 *
 * @module
 */
import { take } from "../autodiff/ops/indexing.ts";
import { reshape, slice } from "../autodiff/ops/layout.ts";
import { permutation } from "../autodiff/random/discrete.ts";
import type { PRNGKey } from "../autodiff/random/keys.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { checkInt, describe } from "./checks.ts";

/** A shuffle function made by {@link shuffler}. */
export type Shuffle = (dataset: readonly [Tensor, Tensor], key: PRNGKey) => [Tensor, Tensor];

function checkPair(fn: string, dataset: unknown): [Tensor, Tensor] {
  if (!Array.isArray(dataset) || dataset.length !== 2 || !isTensor(dataset[0]) || !isTensor(dataset[1])) {
    throw new TypeError(`${fn}: dataset must be a pair [x, y] of tensors, got ${describe(dataset)}`);
  }
  const [x, y] = dataset as [Tensor, Tensor];
  if (x.ndim < 1 || y.ndim < 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(
      `${fn}: x and y need the same leading (sample) axis, got shapes [${x.shape}] and [${y.shape}]`,
    );
  }
  return [x, y];
}

/**
 * spyx's `shuffler`: built from a dataset `[x, y]` (samples on axis 0) and a
 * batch size, returns a function that, given the dataset and a key,
 * permutes the samples with `random.permutation(key, n)`, drops the last
 * `n mod batchSize` of the permuted order, and reshapes to
 * `[numBatches, batchSize, ...]`: `x` to `[numBatches, batchSize,
 * ...x.shape.slice(1)]`, `y` likewise. Pairs stay aligned: batch `b`, row
 * `i` of both comes from the same sample. The shapes are fixed when the
 * shuffler is built; a dataset of other shapes throws.
 *
 * @example
 * ```ts
 * import { data, np, random } from "../mod.ts";
 * const x = np.zeros([10, 3]), y = np.arange(10);
 * const shuffle = data.shuffler([x, y], 4);
 * const [xb, yb] = shuffle([x, y], random.key(0));
 * xb.shape; // [2, 4, 3]
 * yb.shape; // [2, 4]
 * ```
 */
export function shuffler(dataset: readonly [Tensor, Tensor], batchSize: number): Shuffle {
  const fn = "data.shuffler";
  const [x0, y0] = checkPair(fn, dataset);
  checkInt(fn, "batchSize", batchSize);
  const n = x0.shape[0];
  const numBatches = Math.floor(n / batchSize);
  if (numBatches === 0) throw new RangeError(`${fn}: batchSize ${batchSize} is larger than the ${n} samples`);
  const cutoff = numBatches * batchSize;
  const xShape = x0.shape.slice(), yShape = y0.shape.slice();
  return (data: readonly [Tensor, Tensor], key: PRNGKey): [Tensor, Tensor] => {
    const [x, y] = checkPair(fn, data);
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    if (!same(x.shape, xShape) || !same(y.shape, yShape)) {
      throw new RangeError(
        `${fn}: built for x [${xShape}] and y [${yShape}], called with x [${x.shape}] and y [${y.shape}]`,
      );
    }
    const indices = slice(permutation(key, n), [0], [cutoff]);
    return [
      reshape(take(x, indices, 0), [numBatches, batchSize, ...xShape.slice(1)]),
      reshape(take(y, indices, 0), [numBatches, batchSize, ...yShape.slice(1)]),
    ];
  };
}
