/**
 * Adam and AdamW: `scaleByAdam` (bias-corrected first and second moments)
 * and the optimizers built on it.
 *
 * @module
 */
import { add, astype, div, mul, sqrt, square } from "../autodiff/ops/elementwise.ts";
import { zerosLike } from "../autodiff/ops/creation.ts";
import { allocate, type TypedArray } from "../autodiff/dtype.ts";
import { compileLoop } from "../autodiff/cpu/specialize.ts";
import { activeTapes } from "../autodiff/tape.ts";
import { Tensor } from "../autodiff/tensor.ts";
import { map } from "../autodiff/tree.ts";
import { checkOption, checkOptionNames, mapLeaves } from "./checks.ts";
import { checkLearningRate, scaleByLearningRate } from "./scale.ts";
import { chain, type GradientTransformation, type LearningRate, type Updates } from "./transform.ts";
import { addDecayedWeights, type DecayMask } from "./weight_decay.ts";

/** State of {@link scaleByAdam}. */
export interface ScaleByAdamState {
  /** Updates so far (0 before the first). */
  count: number;
  /** First moment (EMA of the gradients), shaped like the params. */
  mu: Updates;
  /** Second moment (EMA of the squared gradients), shaped like the params. */
  nu: Updates;
}

/** Options of {@link scaleByAdam}. */
export interface ScaleByAdamOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  b2?: number;
  /** Added to the root of the second moment. Default 1e-8. */
  eps?: number;
  /** Added to the second moment inside the root. Default 0. */
  epsRoot?: number;
}

const ADAM_OPTIONS = ["b1", "b2", "eps", "epsRoot"] as const;

function adamOptions(fn: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = options;
  checkOption(fn, "b1", b1, { min: 0, max: 1, maxOpen: true });
  checkOption(fn, "b2", b2, { min: 0, max: 1, maxOpen: true });
  checkOption(fn, "eps", eps, { min: 0 });
  checkOption(fn, "epsRoot", epsRoot, { min: 0 });
  return { b1, b2, eps, epsRoot };
}

/**
 * Rescales updates by Adam's rule (`optax.scale_by_adam`): with `t` the
 * update number from 1, `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g^2`,
 * update `= (m/(1-b1^t)) / (sqrt(v/(1-b2^t) + epsRoot) + eps)`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const t = optim.scaleByAdam();
 * const p = { w: np.zeros([2]) };
 * t.update({ w: np.array([3, -2]) }, t.init(p)); // first step: [~1, ~-1]
 * ```
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  checkOptionNames("scaleByAdam", options, ADAM_OPTIONS);
  const { b1, b2, eps, epsRoot } = adamOptions("scaleByAdam", options);
  return {
    init: (params) => ({
      count: 0,
      mu: map((p: Tensor) => zerosLike(p), params) as Updates,
      nu: map((p: Tensor) => zerosLike(p), params) as Updates,
    }),
    update: (updates, state) => {
      const count = state.count + 1;
      const c1 = 1 / (1 - b1 ** count), c2 = 1 / (1 - b2 ** count);
      const [out, mu, nu] = mapLeaves(
        "scaleByAdam",
        [["updates", updates], ["mu (first moment)", state.mu], ["nu (second moment)", state.nu]],
        3,
        (g, m, v) => {
          const fused = fusedAdamLeaf(g, m, v, { b1, b2, eps, epsRoot, c1, c2 });
          if (fused) return fused;
          const m1 = astype(add(mul(m, b1), mul(g, 1 - b1)), m.dtype);
          const v1 = astype(add(mul(v, b2), mul(square(g), 1 - b2)), v.dtype);
          let vHat = mul(v1, c2);
          if (epsRoot !== 0) vHat = add(vHat, epsRoot);
          return [div(mul(m1, c1), add(sqrt(vHat), eps)), m1, v1];
        },
      );
      return [out as typeof updates, { count, mu, nu }];
    },
  };
}

/** One pass of Adam's leaf update over arrays: `(g, m, v, out, m1, v1, b1, nb1, b2, nb2, c1, c2, eps, epsRoot)`. */
type AdamLoop = (g: TypedArray, m: TypedArray, v: TypedArray, ...rest: (TypedArray | number)[]) => void;

function adamLoop(dtype: "float32" | "float64"): AdamLoop {
  // Each operation rounded to the dtype, in the ops' order.
  const r = (x: string) => (dtype === "float32" ? `Math.fround(${x})` : `(${x})`);
  return compileLoop<AdamLoop>(
    `adam ${dtype}`,
    ["g", "m", "v", "out", "m1", "v1", "b1", "nb1", "b2", "nb2", "c1", "c2", "eps", "epsRoot"],
    () =>
      `for (let i = 0; i < g.length; i++) {
  const gi = g[i];
  const mi = ${r(`${r("m[i] * b1")} + ${r("gi * nb1")}`)};
  const vi = ${r(`${r("v[i] * b2")} + ${r(`${r("gi * gi")} * nb2`)}`)};
  const vHat = epsRoot === 0 ? ${r("vi * c2")} : ${r(`${r("vi * c2")} + epsRoot`)};
  out[i] = ${r("mi * c1")} / ${r(`${r("Math.sqrt(vHat)")} + eps`)};
  m1[i] = mi;
  v1[i] = vi;
}`,
  );
}

/**
 * `scaleByAdam`'s leaf update in one pass over CPU arrays, where nothing
 * records it (no gradient of the optimizer is being taken) and the three
 * leaves share a float dtype: three new arrays instead of twelve ops'
 * worth. Each operation is rounded to the dtype in the ops' order, so the
 * results equal the ops' bit for bit. Null where it does not apply.
 */
function fusedAdamLeaf(
  g: Tensor,
  m: Tensor,
  v: Tensor,
  k: Required<ScaleByAdamOptions> & { c1: number; c2: number },
): [Tensor, Tensor, Tensor] | null {
  const backend = g.backend, dtype = g.dtype;
  if (
    backend.name !== "cpu" || m.backend !== backend || v.backend !== backend || (dtype !== "float32" &&
      dtype !== "float64") ||
    m.dtype !== dtype || v.dtype !== dtype || g.size !== m.size || g.size !== v.size ||
    activeTapes().some((tape) => !tape.closed)
  ) return null;
  const fr = dtype === "float32" ? Math.fround : (x: number) => x;
  const out = allocate(dtype, g.size), m1 = allocate(dtype, g.size), v1 = allocate(dtype, g.size);
  // The scalars as the ops see them: weakly typed, so converted to the leaves' dtype first.
  adamLoop(dtype)(
    backend.readSync(g),
    backend.readSync(m),
    backend.readSync(v),
    out,
    m1,
    v1,
    fr(k.b1),
    fr(1 - k.b1),
    fr(k.b2),
    fr(1 - k.b2),
    fr(k.c1),
    fr(k.c2),
    fr(k.eps),
    fr(k.epsRoot),
  );
  const wrap = (data: TypedArray) => new Tensor(backend.upload(data, dtype), g.shape, dtype, backend);
  return [wrap(out), wrap(m1), wrap(v1)];
}

/**
 * Adam (`optax.adam`): `chain(scaleByAdam, scaleByLearningRate(lr))`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.adam(1e-3);
 * const params = { w: np.array([1, 2]) };
 * const [updates, state] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params));
 * optim.applyUpdates(params, updates); // { w: [0.999, 2.001] }
 * ```
 */
export function adam(learningRate: LearningRate, options: ScaleByAdamOptions = {}): GradientTransformation {
  checkOptionNames("adam", options, ADAM_OPTIONS);
  checkLearningRate("adam", learningRate);
  adamOptions("adam", options);
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

/** Options of {@link adamw}. */
export interface AdamWOptions extends ScaleByAdamOptions {
  /** Decoupled weight decay factor. Default 1e-4. */
  weightDecay?: number;
  /** Which parameters are decayed (see {@link addDecayedWeights}). Default all. */
  mask?: DecayMask;
}

/**
 * AdamW (`optax.adamw`): Adam with decoupled weight decay,
 * `-lr * (adamUpdate + weightDecay * p)`; needs `params` in `update`.
 *
 * @example
 * ```ts
 * import { np, optim } from "../mod.ts";
 * const opt = optim.adamw(1e-3, { weightDecay: 1e-2 });
 * const params = { w: np.array([1, 2]) };
 * const [updates] = opt.update({ w: np.array([0.5, -0.5]) }, opt.init(params), params);
 * ```
 */
export function adamw(learningRate: LearningRate, options: AdamWOptions = {}): GradientTransformation {
  checkOptionNames("adamw", options, [...ADAM_OPTIONS, "weightDecay", "mask"]);
  checkLearningRate("adamw", learningRate);
  const { weightDecay = 1e-4, mask, ...adamOpts } = options;
  adamOptions("adamw", adamOpts);
  checkOption("adamw", "weightDecay", weightDecay, { min: 0 });
  return chain(scaleByAdam(adamOpts), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate));
}
