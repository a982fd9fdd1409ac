/**
 * The optax contract: a gradient transformation is a pair of pure
 * functions `init(params) -> state` and `update(grads, state, params?) ->
 * [updates, newState]`; `chain` composes them and `applyUpdates` adds the
 * result to the parameters.
 *
 * @module
 */
import { add, astype } from "../autodiff/ops/elementwise.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import type { PyTree } from "../autodiff/tree.ts";
import { mapLeaves } from "./checks.ts";

/** Parameters, gradients and updates: pytrees whose leaves are tensors. */
export type Updates = PyTree<Tensor>;

/**
 * What `init`, `update` and `applyUpdates` accept: any pytree of tensors
 * (`null` leaves allowed). Typed as `unknown` so that interfaces and
 * `nn.Params` fit; the structure is checked when the tree is used.
 */
export type ParamTree = unknown;

/**
 * Optimizer state: a pytree of tensors plus plain-number step counts, so it
 * can be stored with `tree.leaves` and rebuilt with `tree.unflatten`.
 */
// deno-lint-ignore no-explicit-any
export type OptState = any;

/**
 * A schedule maps the step count (0 at the first update) to a value, as an
 * optax schedule does.
 */
export type Schedule = (step: number) => number;

/** A fixed learning rate or a {@link Schedule}. */
export type LearningRate = number | Schedule;

/**
 * A pure optimizer building block: `init` makes the state for some
 * parameters, `update` turns gradients into updates and the next state.
 * `params` is needed only by transformations that read the parameters
 * (weight decay).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt: optim.GradientTransformation = optim.sgd(0.1);
 * const params = { w: np.array([1, 2]) };
 * const state = opt.init(params);
 * const [updates] = opt.update({ w: np.array([1, 1]) }, state, params);
 * optim.applyUpdates(params, updates); // { w: [0.9, 1.9] }
 * ```
 */
export interface GradientTransformation<S = OptState> {
  /** The initial state for `params`. */
  init(params: ParamTree): S;
  /**
   * Transforms `updates` (initially the gradients, same structure as the
   * params); returns `[updates, newState]`.
   */
  update<U extends ParamTree>(updates: U, state: S, params?: ParamTree): [U, S];
}

/**
 * The transformation that passes updates through unchanged (`optax.identity`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const id = optim.identity();
 * id.update({ w: np.ones([2]) }, id.init({ w: np.ones([2]) })); // [{ w: [1, 1] }, {}]
 * ```
 */
export function identity(): GradientTransformation<Record<string, never>> {
  return {
    init: () => ({}),
    update: (updates, state) => [updates, state],
  };
}

/**
 * Applies transformations one after another (`optax.chain`); the state is
 * the array of their states, in order.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(1e-3));
 * const params = { w: np.zeros([3]) };
 * const [updates, state] = opt.update({ w: np.ones([3]) }, opt.init(params), params);
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation<OptState[]> {
  transforms.forEach((t, i) => {
    if (!t || typeof t.init !== "function" || typeof t.update !== "function") {
      throw new TypeError(`chain: argument ${i} is not a gradient transformation (an object with init and update)`);
    }
  });
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (updates, state, params) => {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw new TypeError(
          `chain: expected a state array of ${transforms.length} entries (one per transformation), got ${
            Array.isArray(state) ? `${state.length} entries` : String(state)
          }`,
        );
      }
      const next: OptState[] = [];
      for (let i = 0; i < transforms.length; i++) {
        const [u, s] = transforms[i].update(updates, state[i], params);
        updates = u;
        next.push(s);
      }
      return [updates, next];
    },
  };
}

/**
 * `params + updates` leaf by leaf, each result cast back to its parameter's
 * dtype (`optax.apply_updates`).
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * optim.applyUpdates({ w: np.array([1, 2]) }, { w: np.array([0.5, -1]) }); // { w: [1.5, 1] }
 * ```
 */
export function applyUpdates<P extends ParamTree>(params: P, updates: ParamTree): P {
  const [out] = mapLeaves("applyUpdates", [["params", params], ["updates", updates]], 1, (p, u) => [
    astype(add(p, u), p.dtype),
  ]);
  return out as P;
}
