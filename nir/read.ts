/**
 * `nir.read`: an HDF5 file in NIR's layout to an in-memory {@link NIRGraph}.
 *
 * The layout (NIR's `nir/serialization.py`): the root holds the string
 * dataset `version` and the group `node`, the top-level graph. A graph group
 * holds the string `type` (`"NIRGraph"`), the group `nodes` with one group
 * per node, and `edges`, an `[N, 2]` dataset of node names. A node group
 * holds `type` and one dataset per field (`weight`, `tau`, ...), and, when
 * non-empty, a `metadata` group; a node of type `NIRGraph` is a nested
 * graph.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { np, type Tensor } from "../autodiff/mod.ts";
import { openHdf5 } from "../data/hdf5.ts";
import {
  type FieldSpec,
  isNodeType,
  type NIRGraph,
  type NIRMetadata,
  type NIRNode,
  type NIRNodeType,
  NODE_FIELDS,
  NODE_TYPES,
} from "./graph.ts";
import { type DatasetValue, groupKeys, objectKind, type ReadContext, readDataset } from "./h5_values.ts";
import { checkGraph, describeValue, MAX_GRAPH_DEPTH } from "./validate.ts";

const FN = "nir.read";

function fieldError(ctx: ReadContext, path: string, what: string, got: DatasetValue): Error {
  const shown = got.kind === "string" ? describeValue(got.values) : `${got.kind} values of shape [${got.shape}]`;
  return new TypeError(`${ctx.fn}: ${ctx.name}: "${path}" must hold ${what}, got ${shown}`);
}

function asTensor(ctx: ReadContext, path: string, v: DatasetValue): Tensor {
  if (v.kind === "string") throw fieldError(ctx, path, "numbers", v);
  if (v.values instanceof Float64Array && v.kind === "float") return np.fromTypedArray(v.values, v.shape, "float64");
  // float32 (and float16) files give float32; integer arrays (NIR allows any numeric dtype) become float32.
  return np.fromTypedArray(v.values instanceof Float32Array ? v.values : Float32Array.from(v.values), v.shape);
}

function integers(ctx: ReadContext, path: string, v: DatasetValue, what: string): number[] {
  if (v.kind === "string" || !Array.from(v.values).every((x) => Number.isSafeInteger(x))) {
    throw fieldError(ctx, path, what, v);
  }
  return Array.from(v.values);
}

function readField(ctx: ReadContext, path: string, spec: FieldSpec): unknown {
  const v = readDataset(ctx, path);
  switch (spec.kind) {
    case "array":
      return asTensor(ctx, path, v);
    case "shape": {
      if (v.shape.length > 1) throw fieldError(ctx, path, "a 1-D list of integers", v);
      return integers(ctx, path, v, "a 1-D list of integers");
    }
    case "int": {
      const xs = integers(ctx, path, v, "one integer");
      if (xs.length !== 1) throw fieldError(ctx, path, "one integer", v);
      return xs[0];
    }
    case "int2":
    case "pad2": {
      if (spec.kind === "pad2" && v.kind === "string") return paddingString(ctx, path, v);
      const xs = integers(ctx, path, v, "one or two integers");
      if (xs.length !== 1 && xs.length !== 2) throw fieldError(ctx, path, "one or two integers", v);
      return xs.length === 1 ? [xs[0], xs[0]] : xs;
    }
    case "pad1": {
      if (v.kind === "string") return paddingString(ctx, path, v);
      const xs = integers(ctx, path, v, "one integer");
      if (xs.length !== 1) throw fieldError(ctx, path, "one integer", v);
      return xs[0];
    }
  }
}

function paddingString(ctx: ReadContext, path: string, v: DatasetValue & { kind: "string" }): "same" | "valid" {
  const s = v.values.length === 1 ? v.values[0].toLowerCase() : "";
  if (s !== "same" && s !== "valid") throw fieldError(ctx, path, `"same", "valid" or integers`, v);
  return s;
}

function readString(ctx: ReadContext, path: string): string {
  const v = readDataset(ctx, path);
  if (v.kind !== "string" || v.values.length !== 1) throw fieldError(ctx, path, "one string", v);
  return v.values[0];
}

function readMetadata(ctx: ReadContext, path: string, depth: number): NIRMetadata {
  if (depth > MAX_GRAPH_DEPTH) throw new RangeError(`${ctx.fn}: ${ctx.name}: "${path}" is nested too deeply`);
  const out: NIRMetadata = {};
  for (const key of groupKeys(ctx, path)) {
    const at = `${path}/${key}`;
    const kind = objectKind(ctx, at);
    if (kind === "group") out[key] = readMetadata(ctx, at, depth + 1);
    else if (kind === "dataset") {
      const v = readDataset(ctx, at);
      if (v.kind === "string") out[key] = v.shape.length === 0 ? v.values[0] : v.values;
      else out[key] = v.shape.length === 0 ? v.values[0] : asTensor(ctx, at, v);
    }
  }
  return out;
}

function readEdges(ctx: ReadContext, path: string): [string, string][] {
  const v = readDataset(ctx, path);
  if (v.values.length === 0) return [];
  if (v.kind !== "string" || v.shape.length !== 2 || v.shape[1] !== 2) {
    throw fieldError(ctx, path, "pairs of node names (an [N, 2] string dataset)", v);
  }
  const edges: [string, string][] = [];
  for (let i = 0; i < v.shape[0]; i++) edges.push([v.values[2 * i], v.values[2 * i + 1]]);
  return edges;
}

function requireKey(ctx: ReadContext, group: string, keys: string[], key: string, what: string): void {
  if (!keys.includes(key)) {
    throw new TypeError(
      `${ctx.fn}: ${ctx.name}: "${group}" lacks ${what} "${key}" (NIR layout; found ${
        keys.length ? keys.map((k) => `"${k}"`).join(", ") : "nothing"
      })`,
    );
  }
}

function readNode(ctx: ReadContext, path: string, depth: number): NIRNode {
  if (depth > MAX_GRAPH_DEPTH) {
    throw new RangeError(`${ctx.fn}: ${ctx.name}: "${path}": subgraphs nested more than ${MAX_GRAPH_DEPTH} deep`);
  }
  if (objectKind(ctx, path) !== "group") {
    throw new TypeError(`${ctx.fn}: ${ctx.name}: "${path}" must be an HDF5 group (a NIR node)`);
  }
  const keys = groupKeys(ctx, path);
  requireKey(ctx, path, keys, "type", "the dataset");
  const type = readString(ctx, `${path}/type`);
  const node: Record<string, unknown> = { type };
  if (type === "NIRGraph") {
    requireKey(ctx, path, keys, "nodes", "the group");
    requireKey(ctx, path, keys, "edges", "the dataset");
    const nodes: Record<string, NIRNode> = {};
    for (const name of groupKeys(ctx, `${path}/nodes`)) nodes[name] = readNode(ctx, `${path}/nodes/${name}`, depth + 1);
    node.nodes = nodes;
    node.edges = readEdges(ctx, `${path}/edges`);
  } else if (isNodeType(type)) {
    for (const spec of NODE_FIELDS[type as Exclude<NIRNodeType, "NIRGraph">]) {
      if (keys.includes(spec.name)) node[spec.name] = readField(ctx, `${path}/${spec.name}`, spec);
      else if (!spec.optional) {
        throw new TypeError(
          `${ctx.fn}: ${ctx.name}: node "${path}" (${type}) lacks the field "${spec.name}" that NIR requires (found ${
            keys.map((k) => `"${k}"`).join(", ")
          })`,
        );
      }
    }
  } else {
    throw new TypeError(
      `${ctx.fn}: ${ctx.name}: node "${path}" has type "${type}", which NIR's reader does not know either (known: ${
        NODE_TYPES.join(", ")
      })`,
    );
  }
  if (keys.includes("metadata") && objectKind(ctx, `${path}/metadata`) === "group") {
    const metadata = readMetadata(ctx, `${path}/metadata`, 0);
    if (Object.keys(metadata).length > 0) node.metadata = metadata;
  }
  return node as unknown as NIRNode;
}

/**
 * Reads a NIR file (its bytes, or a path) into a {@link NIRGraph}: node
 * fields as in NIR's Python package, arrays as float32 or float64 tensors in
 * NIR's layout, the file's version string in `version`. Extra datasets in a
 * node group are ignored; missing optional fields (`v_reset`, `w_in`,
 * `input_shape`, `input_type`) are left out, as NIR's defaults apply.
 *
 * Errors name `nir.read`, the file and what is wrong: not HDF5, truncated,
 * corrupt, not NIR's layout, an unknown node type, a missing field, an
 * edge naming a missing node. h5wasm is imported on first use.
 *
 * @example
 * ```ts ignore
 * import { nir } from "../mod.ts";
 * const graph = await nir.read("../shared/nir/lif_norse.nir");
 * graph.nodes["1"].type; // "LIF"
 * graph.edges; // [["input", "0"], ["0", "1"], ["1", "output"]]
 * ```
 */
export async function read(source: Uint8Array | string): Promise<NIRGraph> {
  let bytes: Uint8Array, name: string;
  if (typeof source === "string") {
    name = source;
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new Error(`${FN}: cannot read ${source}: ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) {
    name = `a ${source.length}-byte buffer`;
    bytes = source;
  } else {
    throw new TypeError(`${FN}: source must be a Uint8Array or a file path, got ${describeValue(source)}`);
  }
  const h5 = await openHdf5(FN, name, bytes);
  const ctx: ReadContext = { fn: FN, name, h5 };
  try {
    const rootKeys = groupKeys(ctx, "");
    requireKey(ctx, "/", rootKeys, "node", "the group");
    const graph = readNode(ctx, "node", 0);
    if (graph.type !== "NIRGraph") {
      throw new TypeError(`${FN}: ${name}: the top node "node" has type "${graph.type}"; NIR files hold a NIRGraph`);
    }
    if (rootKeys.includes("version") && objectKind(ctx, "version") === "dataset") {
      graph.version = readString(ctx, "version");
    }
    checkGraph(`${FN}: ${name}`, graph);
    return graph;
  } finally {
    h5.close();
  }
}
