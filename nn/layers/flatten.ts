/**
 * `nn.Flatten`, Haiku's `hk.Flatten`.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { Module, type ModuleOptions } from "../module.ts";

/** Options of {@link Flatten}. */
export interface FlattenOptions extends ModuleOptions {
  /** Number of leading axes kept as they are (default 1, the batch axis). */
  preserveDims?: number;
}

/**
 * Merges every axis after the first `preserveDims` into one:
 * `[B, H, W, C] -> [B, H*W*C]`. An input with at most `preserveDims` axes is
 * returned unchanged (as in Haiku). Default name `flatten`.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../../mod.ts";
 * const net = nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.Flatten().call(x)));
 * net.apply({}, np.zeros([2, 3, 4])).shape; // [2, 12]
 * ```
 */
export class Flatten extends Module {
  /** Number of leading axes kept. */
  readonly preserveDims: number;

  constructor(options: FlattenOptions = {}) {
    super(options, "flatten");
    checkOptions("Flatten", options, ["name", "preserveDims"]);
    const p = options.preserveDims ?? 1;
    if (!Number.isInteger(p) || p < 1) {
      throw new RangeError(`Flatten: preserveDims must be a positive integer, got ${formatValue(p)}`);
    }
    this.preserveDims = p;
  }

  /** Flattens the trailing axes of `x`. */
  call(x: Tensor): Tensor {
    const input = np.asTensor(x);
    if (input.ndim <= this.preserveDims) return input;
    const kept = input.shape.slice(0, this.preserveDims);
    const rest = input.shape.slice(this.preserveDims).reduce((a, b) => a * b, 1);
    return np.reshape(input, [...kept, rest]);
  }
}
