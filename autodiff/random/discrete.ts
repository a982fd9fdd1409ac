/**
 * Integer samplers: `randint`, `permutation` and `choice`, with JAX's
 * methods (two-word modular reduction, repeated stable sorts by random
 * words, inverse-CDF search and Gumbel top-k for weights).
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { checkDType, type DType } from "../dtype.ts";
import { array, fromTypedArray } from "../ops/creation.ts";
import { take } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { normalizeAxis, sizeOf } from "../shape.ts";
import { isTensor, type Tensor } from "../tensor.ts";
import { checkKey, type PRNGKey, shapeArg, type ShapeLike } from "./keys.ts";
import { RANDOM_CHOICE_WEIGHTED, RANDOM_PERMUTATION, RANDOM_RANDINT } from "./primitives.ts";

/** Options of {@link randint}. */
export interface RandintOptions {
  /** `int32` (default) or `uint32`. */
  dtype?: DType;
}

/**
 * Uniform integers on `[minval, maxval)` (JAX's method: two words per
 * number, combined modulo the range in uint32 arithmetic, so that the
 * result matches JAX's, including its small bias for ranges that are not
 * powers of two). `maxval` may be one past the dtype's largest value.
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.randint(random.key(0), [5], 0, 10);
 * ```
 */
export function randint(
  k: PRNGKey,
  shape: ShapeLike,
  minval: number,
  maxval: number,
  options: RandintOptions = {},
): Tensor {
  checkKey("randint", k);
  const s = shapeArg("randint", shape);
  const dtype = checkDType("random.randint", options.dtype ?? "int32");
  if (dtype !== "int32" && dtype !== "uint32") {
    throw new TypeError(`random.randint: dtype must be int32 or uint32, got ${dtype}`);
  }
  const [dmin, dmax] = dtype === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  if (
    !Number.isInteger(minval) || !Number.isInteger(maxval) || !(minval < maxval) || minval < dmin ||
    maxval > dmax + 1
  ) {
    throw new RangeError(
      `random.randint: need integers minval < maxval within ${dtype} (maxval up to ${
        dmax + 1
      }), got minval ${minval}, maxval ${maxval}`,
    );
  }
  return bind1(RANDOM_RANDINT, [k], { shape: s, dtype, minval, maxval });
}

/** The population size of `permutation`/`choice`: an integer, or the length of `x` along `axis`. */
function populationOf(
  op: string,
  x: number | Tensor,
  axis: number,
): { n: number; tensor: Tensor | null; axis: number } {
  if (isTensor(x) && x.ndim > 0) {
    const ax = normalizeAxis(`random.${op}`, axis, x.ndim);
    return { n: x.shape[ax], tensor: x, axis: ax };
  }
  const n = isTensor(x) ? (x.dtype === "int32" || x.dtype === "uint32" ? x.item() : NaN) : x;
  if (!Number.isInteger(n) || n < 0) {
    const got = isTensor(x) ? `a ${x.dtype} scalar tensor` : String(x);
    throw new RangeError(
      `random.${op}: expected a non-negative integer or a tensor with at least one axis, got ${got}`,
    );
  }
  return { n, tensor: null, axis: 0 };
}

/**
 * A random permutation of `0..n-1` (int32), or of the tensor `x` along
 * `axis` (JAX's `permutation`, bit-for-bit).
 *
 * @example
 * ```ts
 * import { np, random } from "../../mod.ts";
 * random.permutation(random.key(0), 10);
 * random.permutation(random.key(0), np.reshape(np.arange(6), [3, 2])); // rows shuffled
 * ```
 */
export function permutation(k: PRNGKey, x: number | Tensor, axis = 0): Tensor {
  checkKey("permutation", k);
  const pop = populationOf("permutation", x, axis);
  const idx = bind1(RANDOM_PERMUTATION, [k], { n: pop.n });
  return pop.tensor ? take(pop.tensor, idx, pop.axis) : idx;
}

/** Options of {@link choice}. */
export interface ChoiceOptions {
  /** Draw with replacement (default true). */
  replace?: boolean;
  /** Weights of the `n` candidates, non-negative with a positive sum (normalised here). float64 tensors draw float64 uniforms. */
  p?: Tensor | readonly number[];
  /** Axis of a tensor `a` to choose along (default 0). */
  axis?: number;
}

/**
 * Random elements of `a` along `axis`, or random integers in `[0, a)` when
 * `a` is a number, in an array of `shape` (JAX's `choice`: `randint`,
 * a permutation's prefix without replacement; with weights, inverse-CDF
 * search or the Gumbel top-k trick without replacement).
 *
 * @example
 * ```ts
 * import { random } from "../../mod.ts";
 * random.choice(random.key(0), 5, [3], { replace: false });
 * random.choice(random.key(1), 3, [10], { p: [0.1, 0.2, 0.7] });
 * ```
 */
export function choice(k: PRNGKey, a: number | Tensor, shape: ShapeLike = [], options: ChoiceOptions = {}): Tensor {
  checkKey("choice", k);
  const s = shapeArg("choice", shape);
  const { replace = true, axis = 0 } = options;
  const pop = populationOf("choice", a, axis);
  const n = pop.n, m = sizeOf(s);
  if (n === 0 && m > 0) throw new RangeError(`random.choice: cannot draw ${m} samples from an empty population`);
  if (!replace && m > n) {
    throw new RangeError(`random.choice: cannot take ${m} samples from a population of ${n} without replacement`);
  }
  let indices: Tensor;
  if (options.p === undefined) {
    if (m === 0) indices = fromTypedArray(new Int32Array(0), [0], "int32");
    else if (replace) indices = randint(k, [m], 0, n);
    else indices = reshape(take(bind1(RANDOM_PERMUTATION, [k], { n }), Array.from({ length: m }, (_, i) => i)), [m]);
  } else {
    indices = bind1(RANDOM_CHOICE_WEIGHTED, [k, checkWeights(options.p, n)], { count: m, replace });
  }
  if (!pop.tensor) return reshape(indices, s);
  const x = pop.tensor, ax = pop.axis;
  return reshape(take(x, indices, ax), [...x.shape.slice(0, ax), ...s, ...x.shape.slice(ax + 1)]);
}

/** The weights as a float tensor of one weight per candidate (their values are checked by the kernel). */
function checkWeights(p: Tensor | readonly number[], n: number): Tensor {
  const shapeOk = isTensor(p) ? p.ndim === 1 && p.shape[0] === n : Array.isArray(p) && p.length === n;
  if (!shapeOk) {
    const got = isTensor(p) ? `shape [${p.shape}]` : `length ${(p as readonly number[]).length}`;
    throw new RangeError(`random.choice: p must have one weight per candidate (${n}), got ${got}`);
  }
  if (isTensor(p)) {
    if (p.dtype !== "float32" && p.dtype !== "float64") {
      throw new TypeError(`random.choice: p must have a float dtype, got ${p.dtype}`);
    }
    return p;
  }
  for (const w of p) {
    if (!(w >= 0 && w < Infinity)) throw new RangeError(`random.choice: weights p must be finite and >= 0, got ${w}`);
  }
  if (!(p.reduce((t, w) => t + w, 0) > 0)) throw new RangeError("random.choice: weights p sum to 0");
  return array(p as number[], { dtype: "float32" });
}
