/**
 * Pytrees: nested plain objects and arrays whose leaves are tensors (or
 * other non-container values). Object keys are visited in sorted order, as
 * JAX does for dicts, so flattening is deterministic.
 *
 * @module
 */

/** A nested structure of plain objects and arrays over leaves of type `L`. */
export type PyTree<L = unknown> = L | PyTree<L>[] | { [key: string]: PyTree<L> };

/** The shape of a pytree without its leaves. */
export type TreeDef =
  | { kind: "leaf" }
  | { kind: "none"; value: null | undefined }
  | { kind: "array"; children: TreeDef[] }
  | { kind: "object"; keys: string[]; children: TreeDef[] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Splits a pytree into its leaves (depth first, sorted keys) and its
 * structure.
 *
 * @example
 * ```ts
 * const [leaves, def] = flatten({ b: 2, a: [1, 3] }); // leaves [1, 3, 2]
 * ```
 */
export function flatten<L = unknown>(tree: PyTree<L>): [L[], TreeDef] {
  const leaves: L[] = [];
  const walk = (t: unknown): TreeDef => {
    if (t === null || t === undefined) return { kind: "none", value: t };
    if (Array.isArray(t)) return { kind: "array", children: t.map(walk) };
    if (isPlainObject(t)) {
      const keys = Object.keys(t).sort();
      return { kind: "object", keys, children: keys.map((k) => walk(t[k])) };
    }
    leaves.push(t as L);
    return { kind: "leaf" };
  };
  const def = walk(tree);
  return [leaves, def];
}

/**
 * Rebuilds a pytree from a structure and leaves.
 *
 * @example
 * ```ts
 * const [leaves, def] = flatten({ a: 1, b: [2] });
 * unflatten(def, leaves.map((x) => x * 10)); // { a: 10, b: [20] }
 * ```
 */
export function unflatten<L = unknown>(def: TreeDef, leaves: readonly L[]): PyTree<L> {
  let i = 0;
  const build = (d: TreeDef): PyTree<L> => {
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length) throw new RangeError(`tree.unflatten: too few leaves (${leaves.length})`);
        return leaves[i++];
      case "none":
        return d.value as PyTree<L>;
      case "array":
        return d.children.map(build);
      case "object": {
        const o: { [key: string]: PyTree<L> } = {};
        // defineProperty, so that a key named "__proto__" stays a key.
        d.keys.forEach((k, j) =>
          Object.defineProperty(o, k, {
            value: build(d.children[j]),
            enumerable: true,
            writable: true,
            configurable: true,
          })
        );
        return o;
      }
    }
  };
  const out = build(def);
  if (i !== leaves.length) throw new RangeError(`tree.unflatten: ${leaves.length} leaves for a structure of ${i}`);
  return out;
}

/**
 * The leaves of a pytree.
 *
 * @example
 * ```ts
 * leaves({ w: 1, b: [2, 3] }); // [2, 3, 1]
 * ```
 */
export function leaves<L = unknown>(tree: PyTree<L>): L[] {
  return flatten(tree)[0];
}

/**
 * The structure of a pytree.
 *
 * @example
 * ```ts
 * structure({ a: 1 });
 * ```
 */
export function structure(tree: PyTree): TreeDef {
  return flatten(tree)[1];
}

/**
 * Number of leaves of a structure.
 *
 * @example
 * ```ts
 * numLeaves(structure({ a: [1, 2], b: null })); // 2
 * ```
 */
export function numLeaves(def: TreeDef): number {
  switch (def.kind) {
    case "leaf":
      return 1;
    case "none":
      return 0;
    default:
      return def.children.reduce((n, c) => n + numLeaves(c), 0);
  }
}

function sameStructure(a: TreeDef, b: TreeDef): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies `fn` leaf-wise over one or more pytrees of the same structure.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const params = { w: np.ones([2]) }, grads = { w: np.ones([2]) };
 * map((p, g) => np.sub(p, np.mul(0.1, g)), params, grads); // { w: [0.9, 0.9] }
 * ```
 */
// deno-lint-ignore no-explicit-any
export function map<R>(fn: (...xs: any[]) => R, tree: PyTree, ...rest: PyTree[]): PyTree<R> {
  const [ls, def] = flatten(tree);
  const others = rest.map((r, k) => {
    const [l, d] = flatten(r);
    if (!sameStructure(def, d)) {
      throw new TypeError(`tree.map: tree ${k + 1} has a different structure from the first tree`);
    }
    return l;
  });
  return unflatten(def, ls.map((x, i) => fn(x, ...others.map((o) => o[i]))));
}
