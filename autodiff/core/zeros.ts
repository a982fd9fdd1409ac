/**
 * Small helpers the interpreters share: materialising symbolic zeros and
 * bringing a rule's tangent or cotangent to its primal's dtype.
 *
 * @module
 */
import { zeros } from "../ops/creation.ts";
import { astype } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Zeros with `x`'s shape and dtype, on its backend's current default.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * zerosLikeTensor(np.ones([2])); // [0, 0]
 * ```
 */
export function zerosLikeTensor(x: { readonly shape: readonly number[]; readonly dtype: Tensor["dtype"] }): Tensor {
  return zeros(x.shape, { dtype: x.dtype });
}

/**
 * `t` in `primal`'s dtype; a shape that differs is a rule's bug, reported
 * with the primitive's name.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * castTangent("exp", np.ones([2], { dtype: "float64" }), np.ones([2])).dtype; // "float32"
 * ```
 */
export function castTangent(op: string, t: Tensor, primal: Tensor): Tensor {
  if (t.shape.length !== primal.shape.length || t.shape.some((d, i) => d !== primal.shape[i])) {
    throw new Error(`${op}: internal: tangent of shape [${t.shape}] for a primal of shape [${primal.shape}]`);
  }
  return t.dtype === primal.dtype ? t : astype(t, primal.dtype);
}
