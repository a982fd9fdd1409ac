/**
 * The built-in surrogate activations: spyx's five (`superspike`, `arctan`,
 * `tanh`, `boxcar`, `triangular`) and the snnTorch ones its users expect
 * (`straightThrough`, `sigmoid`, `fastSigmoid`). Each forward is
 * `heaviside(u)` (`u > 0`, strict); each backward is `g * s(u)` with the
 * `s` given in its docs, written twice: in tensor ops for the tape and as
 * a scalar function in `activation.surrogate.grad` for fused kernels.
 *
 * @module
 */
import { formatValue } from "../../autodiff/checks.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import { type SpikeActivation, type Surrogate, surrogateActivation } from "./activation.ts";

/** The descriptions of the activations made here, whose formulas kernels may hard-code. */
const BUILTINS = new WeakSet<Surrogate>();

function builtin(surrogate: Surrogate, tensorGrad: (u: Tensor) => Tensor): SpikeActivation {
  const activation = surrogateActivation(surrogate, tensorGrad);
  BUILTINS.add(activation.surrogate!);
  return activation;
}

/**
 * Whether `s` describes one of the built-in activations of this file (not
 * a user's `surrogateActivation` that reuses a built-in's name), so that a
 * kernel may compute its formula from `name` and `params`.
 *
 * @example
 * ```ts
 * isBuiltinSurrogate(superspike().surrogate!); // true
 * ```
 */
export function isBuiltinSurrogate(s: Surrogate): boolean {
  return BUILTINS.has(s);
}

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
  return builtin(
    { name: "superspike", params: { k }, grad: (u) => 1 / (1 + k * Math.abs(u)) ** 2 },
    (u: Tensor) => np.reciprocal(np.square(np.add(1, np.mul(k, np.abs(u))))),
  );
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
  return builtin(
    { name: "arctan", params: { k }, grad: (u) => 1 / ((1 + (kPi * u) ** 2) * Math.PI) },
    (u: Tensor) => np.reciprocal(np.mul(np.add(1, np.square(np.mul(kPi, u))), Math.PI)),
  );
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
  return builtin(
    { name: "tanh", params: { k }, grad: (u) => 4 / (Math.exp(-k * u) + Math.exp(k * u)) ** 2 },
    (u: Tensor) => {
      const ku = np.mul(k, u);
      return np.div(4, np.square(np.add(np.exp(np.neg(ku)), np.exp(ku))));
    },
  );
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
  return builtin(
    { name: "boxcar", params: { width, height }, grad: (u) => (Math.abs(u) < half ? height : 0) },
    (u: Tensor) => np.mul(np.astype(np.less(np.abs(u), half), u.dtype), height),
  );
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
  return builtin(
    { name: "triangular", params: { k }, grad: (u) => Math.max(0, 1 - Math.abs(k * u)) },
    (u: Tensor) => np.maximum(np.sub(1, np.abs(np.mul(k, u))), 0),
  );
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
  return builtin(
    { name: "straightThrough", params: {}, grad: () => 1 },
    (u: Tensor) => np.onesLike(u),
  );
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
  return builtin(
    {
      name: "sigmoid",
      params: { k },
      grad: (u) => {
        const e = Math.exp(-k * Math.abs(u));
        return (k * e) / (1 + e) ** 2;
      },
    },
    (u: Tensor) => {
      const e = np.exp(np.mul(-k, np.abs(u)));
      return np.div(np.mul(k, e), np.square(np.add(1, e)));
    },
  );
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
  return builtin(
    { name: "fastSigmoid", params: { k }, grad: (u) => 1 / (k * Math.abs(u) + 1) ** 2 },
    (u: Tensor) => np.reciprocal(np.square(np.add(np.mul(k, np.abs(u)), 1))),
  );
}
