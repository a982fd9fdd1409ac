/**
 * Gradient clipping: by global norm (`clipByGlobalNorm`) and element-wise
 * (`clip`), and the `globalNorm` they rest on.
 *
 * @module
 */
import { add, astype, clip as clipValues, div, maximum, mul, sqrt, square } from "../autodiff/ops/elementwise.ts";
import { zeros } from "../autodiff/ops/creation.ts";
import { sum } from "../autodiff/ops/reduce.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOption, mapLeaves, zipLeaves } from "./checks.ts";
import type { GradientTransformation, ParamTree } from "./transform.ts";

/**
 * `sqrt` of the sum of squares of every element of every leaf
 * (`optax.global_norm`), as a scalar tensor of the widest leaf dtype.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.globalNorm({ a: np.array([3]), b: [np.array([4])] }); // 5
 * ```
 */
export function globalNorm(updates: ParamTree): Tensor {
  const { leaves: [ls] } = zipLeaves("globalNorm", [["updates", updates]]);
  if (ls.length === 0) return zeros([]);
  let total = sum(square(ls[0]));
  for (let i = 1; i < ls.length; i++) total = add(total, sum(square(ls[i])));
  return sqrt(total);
}

/**
 * Rescales all updates together so that their global norm is at most
 * `maxNorm` (`optax.clip_by_global_norm`): unchanged when the norm is
 * below `maxNorm`, else multiplied by `maxNorm / norm`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.clipByGlobalNorm(1);
 * t.update({ a: np.array([3]), b: np.array([4]) }, t.init({})); // [{ a: [0.6], b: [0.8] }, {}]
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  checkOption("clipByGlobalNorm", "maxNorm", maxNorm, { min: 0, minOpen: true });
  return {
    init: () => ({}),
    update: (updates, state) => {
      const norm = globalNorm(updates);
      // maxNorm / max(norm, maxNorm) is 1 below the threshold, and never divides by 0.
      const factor = div(maxNorm, maximum(norm, maxNorm));
      const [out] = mapLeaves("clipByGlobalNorm", [["updates", updates]], 1, (u) => [
        mul(u, astype(factor, u.dtype)),
      ]);
      return [out as typeof updates, state];
    },
  };
}

/**
 * Clips every update element to `[-maxDelta, maxDelta]` (`optax.clip`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.clip(1);
 * t.update({ w: np.array([-3, 0.5, 2]) }, t.init({})); // [{ w: [-1, 0.5, 1] }, {}]
 * ```
 */
export function clip(maxDelta: number): GradientTransformation<Record<string, never>> {
  checkOption("clip", "maxDelta", maxDelta, { min: 0 });
  return {
    init: () => ({}),
    update: (updates, state) => {
      const [out] = mapLeaves("clip", [["updates", updates]], 1, (u) => [clipValues(u, -maxDelta, maxDelta)]);
      return [out as typeof updates, state];
    },
  };
}
