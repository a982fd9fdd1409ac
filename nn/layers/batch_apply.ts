/**
 * `nn.BatchApply`, Haiku's `hk.BatchApply`.
 *
 * @module
 */
import { np, type PyTree, type Tensor, tree } from "../../autodiff/mod.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { isTensor } from "../../autodiff/tensor.ts";
import { Module, type ModuleOptions } from "../module.ts";

/** Options of {@link BatchApply}. */
export interface BatchApplyOptions extends ModuleOptions {
  /** Number of leading axes merged (default 2, e.g. time and batch). */
  numDims?: number;
}

/**
 * Applies a module (or function) written for one batch axis to inputs with
 * `numDims` leading axes: merges them (`[T, B, ...] -> [T*B, ...]`), applies,
 * and splits them back in every tensor of the result. All tensor arguments
 * must share the leading axes. Default name `batch_apply`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.BatchApply(new nn.Linear(3)).call(x));
 * const x = np.ones([5, 2, 4]); // [T, B, features]
 * net.apply(net.init(random.key(0), x), null, x).shape; // [5, 2, 3]
 * ```
 */
export class BatchApply extends Module {
  /** The wrapped module or function. */
  // deno-lint-ignore no-explicit-any
  readonly inner: Module | ((...args: any[]) => any);
  /** Number of leading axes merged. */
  readonly numDims: number;

  // deno-lint-ignore no-explicit-any
  constructor(inner: Module | ((...args: any[]) => any), options: BatchApplyOptions = {}) {
    super(options, "batch_apply");
    checkOptions("BatchApply", options, ["name", "numDims"]);
    if (!(inner instanceof Module) && typeof inner !== "function") {
      throw new TypeError(`BatchApply: expected a module or a function, got ${formatValue(inner)}`);
    }
    const n = options.numDims ?? 2;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`BatchApply: numDims must be a positive integer, got ${formatValue(n)}`);
    }
    this.inner = inner;
    this.numDims = n;
  }

  /** Applies the wrapped module to the merged inputs. */
  // deno-lint-ignore no-explicit-any
  call(...args: any[]): any {
    const n = this.numDims;
    const tensors = tree.leaves(args).filter(isTensor) as Tensor[];
    if (tensors.length === 0) throw new TypeError(`BatchApply (${this.name}): no tensor arguments`);
    const lead = tensors[0].shape.slice(0, n);
    for (const t of tensors) {
      if (t.ndim < n || t.shape.slice(0, n).join() !== lead.join()) {
        throw new RangeError(
          `BatchApply (${this.name}): every tensor argument needs the leading axes [${lead}] ` +
            `(numDims ${n}), got shape [${t.shape}]`,
        );
      }
    }
    const merged = lead.reduce((a, b) => a * b, 1);
    const flatArgs = tree.map((l: unknown) => isTensor(l) ? np.reshape(l, [merged, ...l.shape.slice(n)]) : l, args);
    const inner = this.inner;
    const out = inner instanceof Module ? inner.call(...(flatArgs as unknown[])) : inner(...(flatArgs as unknown[]));
    return tree.map(
      (l: unknown) => isTensor(l) ? np.reshape(l, [...lead, ...l.shape.slice(1)]) : l,
      out as PyTree,
    );
  }
}
