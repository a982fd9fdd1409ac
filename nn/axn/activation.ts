/**
 * Spike activations: a step function forward, a surrogate derivative
 * backward (`axn` in spyx). A surrogate is written once, as an expression
 * of `u` ({@link SurrogateSpec}); its tensor backward, its value on one
 * number and every fused kernel's code come from that expression.
 *
 * @module
 */
import { formatValue } from "../../autodiff/checks.ts";
import { isFloat } from "../../autodiff/dtype.ts";
import { customVjp, isTensor, np, type Tensor } from "../../autodiff/mod.ts";
import { evaluate, type Expr, symbol } from "../../autodiff/cell/expr.ts";
import { evaluateOnTensors } from "../../autodiff/cell/step_ops.ts";

/** What a surrogate is written as: its name and parameters (as in spyx / snnTorch) and `s(u)` as an expression. */
export interface SurrogateSpec {
  /** Name of the surrogate, e.g. `"superspike"`. */
  readonly name: string;
  /** Its parameters, e.g. `{ k: 25 }`. */
  readonly params: Readonly<Record<string, number>>;
  /** `s(u)`, the surrogate derivative, as an expression of `u` (see `cell.Expr`). */
  readonly expr: (u: Expr) => Expr;
}

/** A surrogate derivative: its description, and `grad(u)`, `s(u)` of one value (computed from `expr`). */
export interface Surrogate extends SurrogateSpec {
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
 * An activation from a surrogate written as an expression: heaviside
 * forward, `g * s(u)` backward. Neuron layers with such an activation run
 * fused whole-sequence kernels generated from `expr` (where `axn.custom`'s
 * tensor functions cannot be compiled, and run step by step).
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * // s(u) = 1 / (1 + 3|u|)^2 (SuperSpike with k = 3)
 * const spike = surrogateActivation({
 *   name: "mySuperspike",
 *   params: { k: 3 },
 *   expr: (u) => u.abs().mul(3).add(1).square().reciprocal(),
 * });
 * spike.surrogate?.grad(0); // 1
 * ```
 */
export function surrogateActivation(spec: SurrogateSpec): SpikeActivation {
  if (typeof spec?.expr !== "function") {
    throw new TypeError(
      `axn.surrogateActivation: expr must be a function of an expression u, got ${typeof spec?.expr}`,
    );
  }
  const u = symbol("u");
  const root = spec.expr(u);
  const spike = customVjp(
    (x: Tensor): [Tensor, Tensor] => [np.astype(np.greater(x, 0), x.dtype), x],
    (x: Tensor, g: Tensor) => [np.mul(g, evaluateOnTensors([root], () => x, x.dtype, null)[0])],
  );
  const activation = (x: Tensor) => spike(checkInput(spec.name, x));
  const surrogate: Surrogate = Object.freeze({
    name: spec.name,
    params: Object.freeze({ ...spec.params }),
    expr: spec.expr,
    grad: (x: number) => evaluate([root], { u: x })[0],
  });
  return Object.defineProperty(activation, "surrogate", { value: surrogate, enumerable: true }) as SpikeActivation;
}
