/**
 * `nn.Sequential`, Haiku's `hk.Sequential`.
 *
 * @module
 */
import type { Tensor } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { Module, type ModuleOptions } from "../module.ts";

/** A layer of a {@link Sequential}: a module or a plain function. */
// deno-lint-ignore no-explicit-any
export type SequentialLayer = Module | ((x: any, ...args: any[]) => any);

/**
 * Applies layers in order; extra arguments of `call` go to the first layer
 * only (as in Haiku). Layers built before the `Sequential` keep their own
 * names (`linear`, `linear_1`, ...). Default name `sequential`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) =>
 *   new nn.Sequential([new nn.Linear(8), np.tanh, new nn.Linear(2)]).call(x)
 * );
 * const params = net.init(random.key(0), np.ones([1, 4])); // keys linear, linear_1
 * ```
 */
export class Sequential extends Module {
  /** The layers, in order. */
  readonly layers: readonly SequentialLayer[];

  constructor(layers: readonly SequentialLayer[], options: ModuleOptions = {}) {
    super(options, "sequential");
    checkOptions("Sequential", options, ["name"]);
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array, got ${formatValue(layers)}`);
    layers.forEach((l, i) => {
      if (!(l instanceof Module) && typeof l !== "function") {
        throw new TypeError(`Sequential: layer ${i} is ${formatValue(l)}, neither a module nor a function`);
      }
    });
    this.layers = layers.slice();
  }

  /** Runs `x` through the layers. */
  // deno-lint-ignore no-explicit-any
  call(x: Tensor, ...args: any[]): any {
    // deno-lint-ignore no-explicit-any
    let out: any = x;
    this.layers.forEach((layer, i) => {
      const rest = i === 0 ? args : [];
      out = layer instanceof Module ? layer.call(out, ...rest) : layer(out, ...rest);
    });
    return out;
  }
}
