/**
 * Decoupled weight decay (`optax.add_decayed_weights`).
 *
 * @module
 */
import { add, mul } from "../autodiff/ops/elementwise.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { flatten, type PyTree, unflatten } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, describePaths, requireParams, sameDef, zipLeaves } from "./checks.ts";
import type { GradientTransformation, ParamTree } from "./transform.ts";

/**
 * Which parameters a decay applies to: a pytree of booleans shaped like the
 * params, or a function of the params that returns one.
 */
export type DecayMask = PyTree<boolean> | ((params: ParamTree) => PyTree<boolean>);

/** Options of {@link addDecayedWeights}. */
export interface AddDecayedWeightsOptions {
  /** Decay only where the mask is true (e.g. weights but not biases). Default: every parameter. */
  mask?: DecayMask;
}

/**
 * Adds `weightDecay * p` to each update (`optax.add_decayed_weights`);
 * `update` must receive the params.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.addDecayedWeights(0.1);
 * const params = { w: np.array([1, 2]) };
 * t.update({ w: np.array([0, 0]) }, t.init(params), params); // [{ w: [0.1, 0.2] }, {}]
 * ```
 */
export function addDecayedWeights(
  weightDecay: number,
  options: AddDecayedWeightsOptions = {},
): GradientTransformation<Record<string, never>> {
  const fn = "addDecayedWeights";
  checkOptionNames(fn, options, ["mask"]);
  checkOption(fn, "weightDecay", weightDecay, { min: 0 });
  const { mask } = options;
  return {
    init: () => ({}),
    update: (updates, state, params) => {
      // A zero decay is the identity; it should not demand the params.
      if (weightDecay === 0) return [updates, state];
      const p = requireParams(fn, params);
      const { def, leaves: [us, ps] } = zipLeaves(fn, [["updates", updates], ["params", p]]);
      let keep: boolean[] | null = null;
      if (mask !== undefined) {
        const m = typeof mask === "function" ? mask(p) : mask;
        const [flags, mdef] = flatten(m);
        if (!sameDef(def, mdef) || flags.some((f) => typeof f !== "boolean")) {
          throw new TypeError(
            `${fn}: mask must be a tree of booleans shaped like the params (leaves ${describePaths(def)}), ` +
              `got leaves ${describePaths(mdef)}`,
          );
        }
        keep = flags as boolean[];
      }
      const out = us.map((u: Tensor, i) => (keep && !keep[i] ? u : add(u, mul(ps[i], weightDecay))));
      return [unflatten(def, out) as typeof updates, state];
    },
  };
}
