/**
 * `nn.Linear`, Haiku's `hk.Linear`: an affine map of the last axis.
 *
 * @module
 */
import { isFloat } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import { constant, truncatedNormal } from "../initializers.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { checkInitializer, getParameter, type Initializer, Module, type ModuleOptions } from "../module.ts";

/** Options of {@link Linear}. */
export interface LinearOptions extends ModuleOptions {
  /** Add the bias `b` (default true). */
  withBias?: boolean;
  /** Initializer of `w` (default truncated normal, stddev `1/sqrt(inputSize)`). */
  wInit?: Initializer;
  /** Initializer of `b` (default zeros). */
  bInit?: Initializer;
}

/**
 * `y = x @ w + b` over the last axis of `x` (any leading axes), with
 * `w: [inputSize, outputSize]` and `b: [outputSize]`. Parameters take the
 * input's float dtype (float32 for integer or bool inputs, which are cast).
 * Default name `linear` (then `linear_1`, ...).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Linear(3).call(x));
 * const params = net.init(random.key(0), np.ones([2, 4]));
 * params.linear.w.shape; // [4, 3]
 * net.apply(params, null, np.ones([2, 4])).shape; // [2, 3]
 * ```
 */
export class Linear extends Module {
  /** Size of the last output axis. */
  readonly outputSize: number;
  /** Whether a bias is added. */
  readonly withBias: boolean;
  readonly #wInit?: Initializer;
  readonly #bInit: Initializer;

  constructor(outputSize: number, options: LinearOptions = {}) {
    super(options, "linear");
    checkOptions("Linear", options, ["name", "withBias", "wInit", "bInit"]);
    if (!Number.isInteger(outputSize) || outputSize < 1) {
      throw new RangeError(`Linear: outputSize must be a positive integer, got ${formatValue(outputSize)}`);
    }
    const { withBias = true, wInit, bInit = constant(0) } = options;
    if (typeof withBias !== "boolean") {
      throw new TypeError(`Linear: withBias must be a boolean, got ${formatValue(withBias)}`);
    }
    checkInitializer("Linear", "wInit", wInit);
    checkInitializer("Linear", "bInit", bInit);
    this.outputSize = outputSize;
    this.withBias = withBias;
    this.#wInit = wInit;
    this.#bInit = bInit;
  }

  /** Applies the layer to `x: [..., inputSize]`. */
  call(x: Tensor): Tensor {
    let input = np.asTensor(x);
    if (input.ndim < 1) throw new RangeError(`Linear (${this.name}): input must not be a scalar`);
    if (!isFloat(input.dtype)) input = np.astype(input, "float32");
    const dtype = input.dtype;
    const inputSize = input.shape[input.ndim - 1];
    if (inputSize === 0) {
      // w would be [0, outputSize]: its init divides by sqrt(0), and the output would be b alone.
      throw new RangeError(
        `Linear (${this.name}): the input has shape [${input.shape}]; its last axis must not be empty`,
      );
    }
    const w = getParameter("w", [inputSize, this.outputSize], {
      dtype,
      init: this.#wInit ?? truncatedNormal(1 / Math.sqrt(inputSize)),
    });
    const out = np.matmul(input, w);
    if (!this.withBias) return out;
    const b = getParameter("b", [this.outputSize], { dtype, init: this.#bInit });
    return np.add(out, b);
  }
}
