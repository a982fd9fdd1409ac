/**
 * The built-in surrogate activations: spyx's five (`superspike`, `arctan`,
 * `tanh`, `boxcar`, `triangular`) and the snnTorch ones its users expect
 * (`straightThrough`, `sigmoid`, `fastSigmoid`). Each forward is
 * `heaviside(u)` (`u > 0`, strict); each backward is `g * s(u)` with the
 * `s` given in its docs, written once as an expression of `u`, from which
 * the tensor backward and the fused kernels' code are derived.
 *
 * @module
 */
import { constant, select } from "../../autodiff/cell/expr.ts";
import { formatValue } from "../../autodiff/checks.ts";
import { type SpikeActivation, surrogateActivation } from "./activation.ts";

function positive(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`axn.${op}: ${name} must be a positive finite number, got ${formatValue(value)}`);
  }
  return value;
}

/**
 * SuperSpike (Zenke & Ganguli 2018): `s(u) = 1 / (1 + k|u|)^2`.
 *
 * @example
 * ```ts
 * import { axn, grad, np, type Tensor } from "../../mod.ts";
 * const spike = axn.superspike(25);
 * spike(np.array([-0.5, 0, 0.5])); // [0, 0, 1]
 * grad((u: Tensor) => np.sum(spike(u)))(np.array([0, 0.04])); // [1, 0.25]
 * ```
 */
export function superspike(k = 25): SpikeActivation {
  positive("superspike", "k", k);
  return surrogateActivation({
    name: "superspike",
    params: { k },
    expr: (u) => constant(1).add(u.abs().mul(k)).square().reciprocal(),
  });
}

/**
 * Arctangent: `s(u) = 1 / ((1 + (k*pi*u)^2) * pi)`, the derivative of
 * `atan(k*pi*u) / (k*pi)`.
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.arctan(2).surrogate?.grad(0); // 1 / pi
 * ```
 */
export function arctan(k = 2): SpikeActivation {
  positive("arctan", "k", k);
  const kPi = k * Math.PI;
  return surrogateActivation({
    name: "arctan",
    params: { k },
    expr: (u) => constant(1).add(u.mul(kPi).square()).mul(Math.PI).reciprocal(),
  });
}

/**
 * Hyperbolic tangent: `s(u) = 4 / (exp(-k*u) + exp(k*u))^2`, i.e.
 * `sech(k*u)^2` (it underflows to 0, not NaN, for large `|k*u|`).
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.tanh(1).surrogate?.grad(0); // 1
 * ```
 */
export function tanh(k = 1): SpikeActivation {
  positive("tanh", "k", k);
  return surrogateActivation({
    name: "tanh",
    params: { k },
    expr: (u) => {
      const ku = u.mul(k);
      return constant(4).div(ku.neg().exp().add(ku.exp()).square());
    },
  });
}

/**
 * Boxcar: `s(u) = height` where `|u| < width/2` (strict), else 0.
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * const box = axn.boxcar(2, 0.5);
 * [box.surrogate?.grad(0.5), box.surrogate?.grad(1)]; // [0.5, 0]
 * ```
 */
export function boxcar(width = 2, height = 0.5): SpikeActivation {
  positive("boxcar", "width", width);
  if (typeof height !== "number" || !Number.isFinite(height)) {
    throw new RangeError(`axn.boxcar: height must be a finite number, got ${formatValue(height)}`);
  }
  const half = width / 2;
  return surrogateActivation({
    name: "boxcar",
    params: { width, height },
    expr: (u) => select(u.abs().lt(half), height, 0),
  });
}

/**
 * Triangular: `s(u) = max(0, 1 - |k*u|)`.
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.triangular(2).surrogate?.grad(0.25); // 0.5
 * ```
 */
export function triangular(k = 2): SpikeActivation {
  positive("triangular", "k", k);
  return surrogateActivation({
    name: "triangular",
    params: { k },
    expr: (u) => constant(1).sub(u.mul(k).abs()).max(0),
  });
}

/**
 * snnTorch's straight-through estimator: `s(u) = 1` (the gradient passes
 * unchanged).
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.straightThrough().surrogate?.grad(3); // 1
 * ```
 */
export function straightThrough(): SpikeActivation {
  return surrogateActivation({ name: "straightThrough", params: {}, expr: () => constant(1) });
}

/**
 * snnTorch's sigmoid surrogate: `s(u) = k*exp(-k*u) / (exp(-k*u) + 1)^2`,
 * the derivative of `sigmoid(k*u)`. Evaluated as
 * `k*e / (1 + e)^2` with `e = exp(-k|u|)` (the same value, as the function
 * is even), which cannot overflow.
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.sigmoid(25).surrogate?.grad(0); // 6.25
 * ```
 */
export function sigmoid(k = 25): SpikeActivation {
  positive("sigmoid", "k", k);
  return surrogateActivation({
    name: "sigmoid",
    params: { k },
    expr: (u) => {
      const e = u.abs().mul(-k).exp();
      return e.mul(k).div(constant(1).add(e).square());
    },
  });
}

/**
 * snnTorch's fast sigmoid: `s(u) = 1 / (k|u| + 1)^2`, the derivative of
 * `u / (1 + k|u|)` (the same function as {@link superspike}).
 *
 * @example
 * ```ts
 * import { axn } from "../../mod.ts";
 * axn.fastSigmoid(25).surrogate?.grad(0.04); // 0.25
 * ```
 */
export function fastSigmoid(k = 25): SpikeActivation {
  positive("fastSigmoid", "k", k);
  return surrogateActivation({
    name: "fastSigmoid",
    params: { k },
    expr: (u) => u.abs().mul(k).add(1).square().reciprocal(),
  });
}
