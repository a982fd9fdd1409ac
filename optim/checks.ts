/**
 * Argument checks shared by the optimizers: option values and the
 * leaf-by-leaf pairing of gradients with optimizer state and parameters.
 *
 * @module
 */
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { flatten, type PyTree, type TreeDef, unflatten } from "../autodiff/tree.ts";

/** Bounds for {@link checkOption}; each side is inclusive unless marked open. */
export interface OptionBounds {
  /** Smallest allowed value. */
  min?: number;
  /** Largest allowed value. */
  max?: number;
  /** Excludes `min` itself. */
  minOpen?: boolean;
  /** Excludes `max` itself. */
  maxOpen?: boolean;
}

/**
 * Throws unless `value` is a finite number within `bounds`; the message
 * names the function, the option and the value.
 *
 * @example
 * ```ts
 * checkOption("adam", "b1", 0.9, { min: 0, max: 1, maxOpen: true }); // ok
 * ```
 */
export function checkOption(fn: string, name: string, value: unknown, bounds: OptionBounds = {}): number {
  const { min = -Infinity, max = Infinity, minOpen = false, maxOpen = false } = bounds;
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (minOpen ? value > min : value >= min) && (maxOpen ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? "" : `${minOpen ? ">" : ">="} ${min}`;
    const hi = max === Infinity ? "" : `${maxOpen ? "<" : "<="} ${max}`;
    const range = [lo, hi].filter((s) => s).join(" and ");
    throw new RangeError(
      `${fn}: ${name} must be a finite number${range ? ` ${range}` : ""}, got ${formatValue(value)}`,
    );
  }
  return value as number;
}

/**
 * Throws unless `options` is undefined or a plain object whose keys are all
 * in `known`, so that a misspelt option (`weight_decay` for `weightDecay`)
 * is not silently ignored (the library-wide check, `autodiff/checks.ts`).
 *
 * @example
 * ```ts
 * checkOptionNames("sgd", { momentum: 0.9 }, ["momentum", "nesterov"]); // ok
 * ```
 */
export function checkOptionNames(fn: string, options: unknown, known: readonly string[]): void {
  checkOptions(fn, options, known);
}

/** Leaf paths of a structure (`a`, `b.0`), for error messages. */
function leafPaths(def: TreeDef, prefix = ""): string[] {
  switch (def.kind) {
    case "leaf":
      return [prefix || "<root>"];
    case "none":
      return [];
    case "array":
      return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${i}` : `${i}`));
    case "object":
      return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${def.keys[i]}` : def.keys[i]));
  }
}

/**
 * True when two tree structures are equal (same containers, keys and
 * leaf positions).
 *
 * @example
 * ```ts
 * import { tree } from "../mod.ts";
 * sameDef(tree.structure({ a: 1 }), tree.structure({ a: 2 })); // true
 * ```
 */
export function sameDef(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "leaf":
      return true;
    case "none":
      return true;
    case "array": {
      const bc = (b as typeof a).children;
      return a.children.length === bc.length && a.children.every((c, i) => sameDef(c, bc[i]));
    }
    case "object": {
      const bo = b as typeof a;
      return a.keys.length === bo.keys.length && a.keys.every((k, i) => k === bo.keys[i]) &&
        a.children.every((c, i) => sameDef(c, bo.children[i]));
    }
  }
}

/**
 * The first leaf paths of a structure, for error messages.
 *
 * @example
 * ```ts
 * import { tree } from "../mod.ts";
 * describePaths(tree.structure({ a: 1, b: [2] })); // "[a, b.0]"
 * ```
 */
export function describePaths(def: TreeDef): string {
  const paths = leafPaths(def);
  const shown = paths.slice(0, 8).join(", ");
  return `[${shown}${paths.length > 8 ? `, ... (${paths.length} leaves)` : ""}]`;
}

/** The leaves of several pytrees of one structure, paired up. */
export interface ZippedLeaves {
  /** The common structure (that of the first tree). */
  def: TreeDef;
  /** `leaves[k][i]`: leaf `i` of tree `k`. */
  leaves: Tensor[][];
}

/**
 * Flattens `trees` (labelled for messages, the first being the reference)
 * and checks that they share one structure and that paired leaves are
 * tensors of one shape.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const { leaves } = zipLeaves("sgd", [["grads", { w: np.ones([2]) }], ["trace", { w: np.zeros([2]) }]]);
 * ```
 */
export function zipLeaves(fn: string, trees: readonly [string, PyTree][]): ZippedLeaves {
  const flat = trees.map(([label, tree]) => {
    const [leaves, def] = flatten(tree);
    leaves.forEach((leaf, i) => {
      if (!isTensor(leaf)) {
        throw new TypeError(
          `${fn}: ${label} leaf ${leafPaths(def)[i]} must be a Tensor, got ${
            typeof leaf === "object" ? leaf : typeof leaf
          }`,
        );
      }
    });
    return { label, leaves: leaves as Tensor[], def };
  });
  const [first, ...rest] = flat;
  for (const other of rest) {
    if (!sameDef(first.def, other.def)) {
      throw new TypeError(
        `${fn}: ${first.label} and ${other.label} have different tree structures: ` +
          `${first.label} has leaves ${describePaths(first.def)}, ${other.label} has ${describePaths(other.def)}`,
      );
    }
    other.leaves.forEach((leaf, i) => {
      const want = first.leaves[i];
      if (leaf.shape.length !== want.shape.length || leaf.shape.some((d, j) => d !== want.shape[j])) {
        throw new RangeError(
          `${fn}: ${first.label} leaf ${leafPaths(first.def)[i]} has shape [${want.shape}] ` +
            `but ${other.label} has shape [${leaf.shape}]`,
        );
      }
    });
  }
  return { def: first.def, leaves: flat.map((f) => f.leaves) };
}

/**
 * `zipLeaves`, then `body` leaf by leaf; `body` returns `outputs` tensors
 * per leaf, and the result is one rebuilt pytree per output.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const [sum] = mapLeaves("add", [["a", [np.ones([2])]], ["b", [np.ones([2])]]], 1, (a, b) => [np.add(a, b)]);
 * ```
 */
export function mapLeaves(
  fn: string,
  trees: readonly [string, PyTree][],
  outputs: number,
  body: (...leaves: Tensor[]) => Tensor[],
): PyTree<Tensor>[] {
  const { def, leaves } = zipLeaves(fn, trees);
  const outs: Tensor[][] = Array.from({ length: outputs }, () => []);
  for (let i = 0; i < leaves[0].length; i++) {
    const results = body(...leaves.map((l) => l[i]));
    for (let k = 0; k < outputs; k++) outs[k].push(results[k]);
  }
  return outs.map((o) => unflatten(def, o) as PyTree<Tensor>);
}

/**
 * Throws when an update that needs the parameters was called without them.
 *
 * @example
 * ```ts
 * requireParams("addDecayedWeights", { w: 1 }); // ok
 * ```
 */
export function requireParams<P>(fn: string, params: P | undefined): P {
  if (params === undefined || params === null) {
    throw new TypeError(`${fn}: this transformation needs the parameters; call update(grads, state, params)`);
  }
  return params;
}
