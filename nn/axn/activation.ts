/**
 * Spike activations: a step function forward, a surrogate derivative
 * backward (`axn` in spyx). The built-ins also describe their surrogate as
 * data ({@link Surrogate}), so that a fused whole-sequence kernel can
 * evaluate it without the tape.
 *
 * @module
 */
import { formatValue } from "../../autodiff/checks.ts";
import { isFloat } from "../../autodiff/dtype.ts";
import { customVjp, isTensor, np, type Tensor } from "../../autodiff/mod.ts";

/**
 * A surrogate derivative described as data: its name and parameters as in
 * spyx / snnTorch, and `grad(u)`, the surrogate `s(u)` of one value (the
 * same formula as the tensor backward).
 */
export interface Surrogate {
  /** Name of the surrogate, e.g. `"superspike"`. */
  readonly name: string;
  /** Its parameters, e.g. `{ k: 25 }`. */
  readonly params: Readonly<Record<string, number>>;
  /** `s(u)` for one value. */
  readonly grad: (u: number) => number;
}

/**
 * A spike activation: `(u) => spike(u)` with a surrogate gradient. Built-in
 * activations carry `surrogate` (forward heaviside, backward
 * `g * surrogate.grad(u)`); {@link custom} ones do not, and fused kernels
 * fall back to the generic path for them.
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * const act: axn.SpikeActivation = axn.superspike(25);
 * act.surrogate?.grad(0); // 1
 * ```
 */
export type SpikeActivation = ((u: Tensor) => Tensor) & { readonly surrogate?: Surrogate };

function checkInput(op: string, u: unknown): Tensor {
  if (!isTensor(u)) {
    throw new TypeError(`axn.${op}: expected a Tensor, got ${formatValue(u)}`);
  }
  return u;
}

/**
 * The step function `x > 0 ? 1 : 0` (strict: `heaviside(0) = 0`), in the
 * dtype of `x`, with zero gradient.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * axn.heaviside(np.array([-1, 0, 2])); // [0, 0, 1]
 * ```
 */
export function heaviside(x: Tensor): Tensor {
  const u = checkInput("heaviside", x);
  return np.astype(np.greater(u, 0), u.dtype);
}

/**
 * An activation whose forward is `fwd(u)` and whose backward multiplies
 * the output cotangent by `bwd(u)`.
 *
 * @example
 * ```ts
 * import { axn, grad, np, type Tensor } from "../../mod.ts";
 * // A surrogate shaped like a Gaussian bump.
 * const act = axn.custom((u: Tensor) => np.exp(np.neg(np.square(u))));
 * grad((u: Tensor) => np.sum(act(u)))(np.array([0, 1])); // [1, e^-1]
 * ```
 */
export function custom(bwd: (u: Tensor) => Tensor, fwd: (u: Tensor) => Tensor = heaviside): SpikeActivation {
  if (typeof bwd !== "function") throw new TypeError(`axn.custom: bwd must be a function, got ${formatValue(bwd)}`);
  if (typeof fwd !== "function") throw new TypeError(`axn.custom: fwd must be a function, got ${formatValue(fwd)}`);
  const spike = customVjp(
    (u: Tensor): [Tensor, Tensor] => {
      const s = fwd(u);
      // A wrong shape would broadcast silently downstream; a bool or int output would carry no gradient.
      if (!isTensor(s) || s.shape.join() !== u.shape.join() || !isFloat(s.dtype)) {
        throw new TypeError(
          `axn.custom: fwd must return a float Tensor of the input's shape [${u.shape}], got ${formatValue(s)}`,
        );
      }
      return [s, u];
    },
    (u: Tensor, g: Tensor) => {
      const s = bwd(u);
      if (!isTensor(s) || s.shape.join() !== u.shape.join()) {
        throw new TypeError(
          `axn.custom: bwd must return a Tensor of the input's shape [${u.shape}], got ${formatValue(s)}`,
        );
      }
      return [np.mul(g, s)];
    },
  );
  return (u: Tensor) => spike(checkInput("custom activation", u));
}

/**
 * A built-in activation: heaviside forward, `g * tensorGrad(u)` backward,
 * described by `surrogate`.
 *
 * @example
 * ```ts
 * import { np, type Tensor } from "../../mod.ts";
 * const half = surrogateActivation(
 *   { name: "half", params: {}, grad: () => 0.5 },
 *   (u: Tensor) => np.full(u.shape, 0.5, { dtype: u.dtype }),
 * );
 * ```
 */
export function surrogateActivation(surrogate: Surrogate, tensorGrad: (u: Tensor) => Tensor): SpikeActivation {
  const spike = customVjp(
    (u: Tensor): [Tensor, Tensor] => [np.astype(np.greater(u, 0), u.dtype), u],
    (u: Tensor, g: Tensor) => [np.mul(g, tensorGrad(u))],
  );
  const activation = (u: Tensor) => spike(checkInput(surrogate.name, u));
  const info: Surrogate = Object.freeze({ ...surrogate, params: Object.freeze({ ...surrogate.params }) });
  return Object.defineProperty(activation, "surrogate", { value: info, enumerable: true }) as SpikeActivation;
}
