/**
 * Checkpoints: pytrees of tensors (parameters, optimizer state) in the
 * safetensors format.
 *
 * @module
 */
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import type { PyTree } from "../autodiff/tree.ts";
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import { describe } from "./checks.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";

/** `__metadata__` key of the tree structure that we write. */
export const TREE_METADATA_KEY = "spyx_ts.tree";
const RESERVED_PREFIX = "spyx_ts.";

/** Options of {@link toSafetensors} and {@link saveCheckpoint}. */
export interface CheckpointOptions {
  /** Extra string → string entries for `__metadata__` (keys may not start with "spyx_ts."). */
  metadata?: Record<string, string>;
}

/** The structure of a tree with tensors replaced by their names (JSON-safe). */
type Skeleton =
  | null
  | boolean
  | Skeleton[]
  | { t: string }
  | { n: number | string }
  | { s: string }
  | { u: 1 }
  | { o: [string, Skeleton][] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function encodeNumber(v: number): { n: number | string } {
  if (Number.isNaN(v)) return { n: "NaN" };
  if (v === Infinity) return { n: "Infinity" };
  if (v === -Infinity) return { n: "-Infinity" };
  if (Object.is(v, -0)) return { n: "-0" };
  return { n: v };
}

function decodeNumber(fn: string, v: unknown): number {
  if (typeof v === "number") return v;
  const special: Record<string, number> = { "NaN": NaN, "Infinity": Infinity, "-Infinity": -Infinity, "-0": -0 };
  if (typeof v === "string" && Object.hasOwn(special, v)) return special[v];
  throw new Error(`${fn}: the tree structure holds an invalid number ${JSON.stringify(v)}`);
}

/**
 * Flattens a pytree for safetensors: tensor names are the key paths joined
 * by "/" (array indices as numbers), so Haiku-style parameters
 * `{linear: {w, b}}` become `linear/w` and `linear/b`.
 */
function flattenTree(fn: string, tree: PyTree): { tensors: Map<string, Tensor>; skeleton: Skeleton } {
  const named = new Map<string, { tensor: Tensor; path: string[] }>();
  const walk = (node: unknown, path: string[]): Skeleton => {
    if (isTensor(node)) {
      const name = path.join("/");
      const clash = named.get(name);
      if (clash) {
        throw new RangeError(
          `${fn}: the leaves at ${JSON.stringify(clash.path)} and ${JSON.stringify(path)} both get the name "${name}"`,
        );
      }
      if (name === "__metadata__") throw new RangeError(`${fn}: a leaf cannot be named "__metadata__"`);
      named.set(name, { tensor: node, path });
      return { t: name };
    }
    if (typeof node === "number") return encodeNumber(node);
    if (node === null || typeof node === "boolean") return node;
    if (node === undefined) return { u: 1 };
    if (typeof node === "string") return { s: node };
    if (Array.isArray(node)) return node.map((child, i) => walk(child, [...path, String(i)]));
    if (isPlainObject(node)) return { o: Object.keys(node).map((k) => [k, walk(node[k], [...path, k])]) };
    throw new TypeError(`${fn}: cannot store ${describe(node)} at ${JSON.stringify(path)}`);
  };
  const skeleton = walk(tree, []);
  const tensors = new Map([...named.keys()].sort().map((name) => [name, named.get(name)!.tensor]));
  return { tensors, skeleton };
}

function rebuildTree(fn: string, skeleton: unknown, tensors: Map<string, Tensor>): PyTree {
  const used = new Set<string>();
  const build = (node: unknown): unknown => {
    if (node === null || typeof node === "boolean") return node;
    if (Array.isArray(node)) return node.map(build);
    if (isPlainObject(node)) {
      const keys = Object.keys(node);
      if (keys.length === 1) {
        const [tag] = keys;
        const v = node[tag];
        if (tag === "t" && typeof v === "string") {
          const t = tensors.get(v);
          if (!t) throw new Error(`${fn}: the tree structure refers to a tensor "${v}" that the file lacks`);
          if (used.has(v)) throw new Error(`${fn}: the tree structure uses the tensor "${v}" twice`);
          used.add(v);
          return t;
        }
        if (tag === "n") return decodeNumber(fn, v);
        if (tag === "s" && typeof v === "string") return v;
        if (tag === "u" && v === 1) return undefined;
        if (tag === "o" && Array.isArray(v)) {
          const out: Record<string, unknown> = {};
          for (const pair of v) {
            if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
              throw new Error(`${fn}: the tree structure holds a malformed object entry`);
            }
            // defineProperty, so that a key named "__proto__" stays a key.
            Object.defineProperty(out, pair[0], {
              value: build(pair[1]),
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          return out;
        }
      }
    }
    throw new Error(`${fn}: the tree structure holds an unknown node ${JSON.stringify(node)?.slice(0, 80)}`);
  };
  const tree = build(skeleton) as PyTree;
  for (const name of tensors.keys()) {
    if (!used.has(name)) throw new Error(`${fn}: the file holds a tensor "${name}" that the tree structure lacks`);
  }
  return tree;
}

/** Haiku's two-level layout from flat names: module = text before the last "/". */
function haikuTree(fn: string, tensors: Map<string, Tensor>): PyTree {
  const out: Record<string, unknown> = {};
  const set = (o: Record<string, unknown>, k: string, v: unknown) =>
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const [name, t] of tensors) {
    const cut = name.lastIndexOf("/");
    if (cut < 0) {
      if (Object.hasOwn(out, name)) throw new Error(`${fn}: "${name}" is both a tensor and a module`);
      set(out, name, t);
      continue;
    }
    const module = name.slice(0, cut), param = name.slice(cut + 1);
    if (Object.hasOwn(out, module) && isTensor(out[module])) {
      throw new Error(`${fn}: "${module}" is both a tensor and a module`);
    }
    if (!Object.hasOwn(out, module)) set(out, module, {});
    set(out[module] as Record<string, unknown>, param, t);
  }
  return out as PyTree;
}

/**
 * Serializes a pytree to safetensors bytes. Leaves may be tensors
 * (float32 F32, float64 F64, int32 I32, uint32 U32, bool BOOL) or plain
 * values — numbers (NaN, ±Infinity and -0 included), booleans, strings,
 * null/undefined — inside nested plain objects and arrays (so optimizer
 * states like `{count, mu, nu}` fit). Tensors are stored under their key
 * paths joined by "/" (`linear/w`, `LIF/beta`, `mu/0/linear/w`), sorted by
 * name; the exact tree structure and the plain values go into
 * `__metadata__["spyx_ts.tree"]` as JSON, so that {@link fromSafetensors}
 * rebuilds the tree exactly (key order, arrays, keys containing "/"). Two
 * leaves whose paths join to the same name throw. Round trips are bit-exact.
 *
 * @example
 * ```ts
 * import { data, np } from "../mod.ts";
 * const params = { linear: { w: np.ones([2, 3]), b: np.zeros([3]) } };
 * const bytes = data.toSafetensors(params, { metadata: { epoch: "3" } });
 * data.fromSafetensors(bytes); // { linear: { w, b } }
 * ```
 */
export function toSafetensors(tree: PyTree, options: CheckpointOptions = {}): Uint8Array {
  const fn = "data.toSafetensors";
  checkOptions(fn, options, ["metadata"]);
  const extra = options.metadata ?? {};
  if (extra === null || typeof extra !== "object" || Array.isArray(extra)) {
    throw new TypeError(`${fn}: metadata must be an object of strings, got ${formatValue(extra)}`);
  }
  for (const k of Object.keys(extra)) {
    if (k.startsWith(RESERVED_PREFIX)) throw new RangeError(`${fn}: metadata key "${k}" uses the reserved prefix`);
  }
  const { tensors, skeleton } = flattenTree(fn, tree);
  return encodeSafetensors(tensors, { ...extra, [TREE_METADATA_KEY]: JSON.stringify(skeleton) });
}

/**
 * Rebuilds a pytree from safetensors bytes (see {@link toSafetensors}),
 * after {@link decodeSafetensors}'s validation and a check that the stored
 * structure and the tensors match one to one. Files written elsewhere
 * (without our structure entry) load in Haiku's layout: a name
 * `module/param` becomes `tree[module][param]`, splitting at the last "/"
 * (Haiku module names such as `snn/~/linear` contain "/" themselves), and
 * a name without "/" becomes a top-level leaf. Use `decodeSafetensors` for
 * the flat tensors and the string metadata.
 *
 * @example
 * ```ts
 * import { data, np } from "../mod.ts";
 * const state = { count: 7, mu: [np.zeros([2])] };
 * data.fromSafetensors(data.toSafetensors(state)); // { count: 7, mu: [Tensor] }
 * ```
 */
export function fromSafetensors(bytes: Uint8Array): PyTree {
  const fn = "data.fromSafetensors";
  let content;
  try {
    content = decodeSafetensors(bytes);
  } catch (e) {
    throw new Error(`${fn}: ${(e as Error).message.replace(/^decodeSafetensors: /, "")}`);
  }
  const { tensors, metadata } = content;
  const structure = metadata[TREE_METADATA_KEY];
  if (structure === undefined) return haikuTree(fn, tensors);
  let skeleton: unknown;
  try {
    skeleton = JSON.parse(structure);
  } catch (e) {
    throw new Error(`${fn}: the tree structure in __metadata__ is not valid JSON: ${(e as Error).message}`);
  }
  return rebuildTree(fn, skeleton, tensors);
}

/**
 * Writes a pytree to `path` as safetensors ({@link toSafetensors}). The
 * file is written next to its destination and renamed into place, so an
 * interrupted save never leaves a half-written checkpoint under `path`.
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { data, np } from "../mod.ts";
 * const path = join(tmpdir(), "spyx-ts-example.safetensors");
 * await data.saveCheckpoint(path, { params: { linear: { w: np.ones([2, 2]) } }, step: 100 });
 * ```
 */
export async function saveCheckpoint(path: string, tree: PyTree, options: CheckpointOptions = {}): Promise<void> {
  const bytes = toSafetensors(tree, options);
  const temporary = `${path}.${Date.now()}-${Math.floor(Math.random() * 1e9)}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => {});
    throw new Error(`data.saveCheckpoint: cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * Reads a pytree saved by {@link saveCheckpoint} (or any safetensors file,
 * see {@link fromSafetensors}); errors name the file.
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { data, np } from "../mod.ts";
 * const path = join(tmpdir(), "spyx-ts-example-load.safetensors");
 * await data.saveCheckpoint(path, { w: np.ones([3]), step: 100 });
 * const restored = await data.loadCheckpoint(path); // { w: Tensor [3], step: 100 }
 * ```
 */
export async function loadCheckpoint(path: string): Promise<PyTree> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`data.loadCheckpoint: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return fromSafetensors(bytes);
  } catch (e) {
    throw new Error(`data.loadCheckpoint: ${path}: ${(e as Error).message.replace(/^data\.fromSafetensors: /, "")}`);
  }
}
