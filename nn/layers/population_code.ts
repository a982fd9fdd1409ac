/**
 * `nn.PopulationCode`: class scores from groups of output neurons.
 *
 * @module
 */
import { np, type Tensor } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { Module, type ModuleOptions } from "../module.ts";

/**
 * Sums groups of neurons into class scores: `[..., numClasses*k] ->
 * [..., numClasses]`, class `c` summing neurons `c*k .. c*k+k-1`. (spyx's
 * version reshapes to `(-1, numClasses)`, which mixes classes; this is the
 * documented intent.) Stateless and parameter-free, so it can be a
 * `DeepRNN` or `Sequential` layer. Default name `PopulationCode`, as in spyx.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../../mod.ts";
 * const net = nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.PopulationCode(2).call(x)));
 * net.apply({}, np.array([[1, 2, 3, 4, 5, 6]])); // [[6, 15]]
 * ```
 */
export class PopulationCode extends Module {
  /** Number of classes. */
  readonly numClasses: number;

  constructor(numClasses: number, options: ModuleOptions = {}) {
    super(options, "PopulationCode");
    checkOptions("PopulationCode", options, ["name"]);
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new RangeError(`PopulationCode: numClasses must be a positive integer, got ${formatValue(numClasses)}`);
    }
    this.numClasses = numClasses;
  }

  /** Sums each class's neurons along the last axis. */
  call(x: Tensor): Tensor {
    const input = np.asTensor(x);
    const width = input.shape[input.ndim - 1];
    if (input.ndim < 1 || width % this.numClasses !== 0 || width === 0) {
      throw new RangeError(
        `PopulationCode (${this.name}): the last axis of shape [${input.shape}] must be a positive multiple of numClasses ${this.numClasses}`,
      );
    }
    const lead = input.shape.slice(0, -1);
    return np.sum(np.reshape(input, [...lead, this.numClasses, width / this.numClasses]), -1);
  }
}
