/**
 * Adam's update of one leaf as a fused primitive: `(g, m, v)` to
 * `(update, m', v')` in one pass instead of twelve ops. Its composition is
 * those ops, in the same order, so a backend without the kernel computes
 * the same numbers, and a tape that records the update (a meta-gradient)
 * differentiates the ops; the CPU kernel rounds every operation as the ops
 * do, so that both paths agree bit for bit.
 *
 * @module
 */
import { bind } from "../autodiff/core/bind.ts";
import { definePrimitive, type Primitive } from "../autodiff/core/primitive.ts";
import { add, astype, div, mul, sqrt, square } from "../autodiff/ops/elementwise.ts";
import type { Tensor } from "../autodiff/tensor.ts";

/** Parameters of {@link ADAM_UPDATE}: the decays, the epsilons and this step's bias corrections. */
export interface AdamUpdateParams {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly epsRoot: number;
  /** `1 / (1 - b1^t)`. */
  readonly c1: number;
  /** `1 / (1 - b2^t)`. */
  readonly c2: number;
}

/** The update in ops: `[m1 * c1 / (sqrt(v1 * c2 + epsRoot) + eps), m1, v1]`. */
function adamOps([g, m, v]: readonly Tensor[], { b1, b2, eps, epsRoot, c1, c2 }: AdamUpdateParams): Tensor[] {
  const m1 = astype(add(mul(m, b1), mul(g, 1 - b1)), m.dtype);
  const v1 = astype(add(mul(v, b2), mul(square(g), 1 - b2)), v.dtype);
  let vHat = mul(v1, c2);
  if (epsRoot !== 0) vHat = add(vHat, epsRoot);
  return [div(mul(m1, c1), add(sqrt(vHat), eps)), m1, v1];
}

/** `(g, m, v)` of one float dtype and shape to `(update, m', v')`. */
export const ADAM_UPDATE: Primitive<AdamUpdateParams> = definePrimitive<AdamUpdateParams>({
  name: "adam_update",
  abstractEval: ([g]) => [g, g, g],
  composition: adamOps,
});

/**
 * Adam's update of one leaf: the fused primitive where the three leaves
 * share a float dtype and shape, the ops otherwise.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const [u, m, v] = adamLeafUpdate(np.array([0.5]), np.zeros([1]), np.zeros([1]), {
 *   b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, c1: 10, c2: 1000,
 * }); // u ≈ [1]
 * ```
 */
export function adamLeafUpdate(g: Tensor, m: Tensor, v: Tensor, params: AdamUpdateParams): Tensor[] {
  const same = m.dtype === g.dtype && v.dtype === g.dtype && (g.dtype === "float32" || g.dtype === "float64") &&
    g.size === m.size && g.size === v.size;
  return same ? bind(ADAM_UPDATE, [g, m, v], params) : adamOps([g, m, v], params);
}
