/**
 * Structural checks of an in-memory NIR graph: known node types, every
 * field NIR requires, values of the right kind, and edges between nodes
 * that exist. `write` runs them before writing, `read` after reading and
 * `fromNir` before converting, so each reports a bad graph the same way:
 * naming the function, the node's path and the offending value.
 *
 * @module
 */
import { isTensor } from "../autodiff/mod.ts";
import { type FieldSpec, isNodeType, type NIRGraph, type NIRNode, NODE_FIELDS, NODE_TYPES } from "./graph.ts";

/** Nested graphs deeper than this are refused (a cyclic HDF5 link would otherwise recurse forever). */
export const MAX_GRAPH_DEPTH = 32;

/**
 * Describes a value briefly for an error message.
 *
 * @example
 * ```ts
 * describeValue([1, 2]); // "[1,2]"
 * ```
 */
export function describeValue(v: unknown): string {
  if (isTensor(v)) return `a ${v.dtype} tensor of shape [${v.shape}]`;
  if (v === undefined) return "undefined";
  if (typeof v === "bigint") return `${v}n`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

function checkField(fn: string, where: string, spec: FieldSpec, value: unknown): void {
  const bad = (what: string) =>
    new TypeError(`${fn}: ${where}: field "${spec.name}" must be ${what}, got ${describeValue(value)}`);
  switch (spec.kind) {
    case "array":
      if (!isTensor(value) || (value.dtype !== "float32" && value.dtype !== "float64")) {
        throw bad("a float32 or float64 tensor");
      }
      return;
    case "shape":
      if (!Array.isArray(value) || !value.every((d) => isInt(d) && d >= 0)) throw bad("an array of integers >= 0");
      return;
    case "int":
      if (!isInt(value)) throw bad("an integer");
      return;
    case "int2":
      if (!Array.isArray(value) || value.length !== 2 || !value.every(isInt)) throw bad("two integers");
      return;
    case "pad1":
      if (!isInt(value) && value !== "same" && value !== "valid") throw bad(`an integer, "same" or "valid"`);
      return;
    case "pad2":
      if (value === "same" || value === "valid") return;
      if (!Array.isArray(value) || value.length !== 2 || !value.every(isInt)) {
        throw bad(`two integers, "same" or "valid"`);
      }
      return;
  }
}

/**
 * Checks one node (recursing into subgraphs). `path` names it in errors:
 * `"lif1"`, or `"rnn/lin"` inside the subgraph `rnn`.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * checkNode("nir.write", "s", { type: "Scale", scale: np.ones([3]) });
 * ```
 */
export function checkNode(fn: string, path: string, node: NIRNode, depth = 0): void {
  const where = `node "${path}"`;
  if (node === null || typeof node !== "object") {
    throw new TypeError(`${fn}: ${where} must be a node object with a "type", got ${describeValue(node)}`);
  }
  const type = (node as { type?: unknown }).type;
  if (!isNodeType(type)) {
    throw new TypeError(
      `${fn}: ${where} has type ${describeValue(type)}, which is not a NIR node type (known: ${NODE_TYPES.join(", ")})`,
    );
  }
  if (type === "NIRGraph") {
    checkGraph(fn, node as NIRGraph, path, depth + 1);
    return;
  }
  const record = node as unknown as Record<string, unknown>;
  for (const spec of NODE_FIELDS[type]) {
    const value = record[spec.name];
    if (value === undefined || (spec.optional && value === null)) {
      if (spec.optional) continue;
      throw new TypeError(`${fn}: ${where} (${type}) lacks the field "${spec.name}" that NIR requires`);
    }
    checkField(fn, `${where} (${type})`, spec, value);
  }
}

/**
 * Checks a graph: `nodes` an object of nodes, `edges` pairs of names of
 * nodes in it, every node well formed, nesting at most
 * {@link MAX_GRAPH_DEPTH} deep. `path` names a subgraph in errors.
 *
 * @example
 * ```ts
 * try {
 *   checkGraph("nir.write", { type: "NIRGraph", nodes: {}, edges: [["a", "b"]] });
 * } catch (e) {
 *   (e as Error).message; // 'nir.write: the graph: edge ["a","b"] names node "a", which is not in the graph ...'
 * }
 * ```
 */
export function checkGraph(fn: string, graph: NIRGraph, path = "", depth = 0): void {
  const where = path === "" ? "the graph" : `subgraph "${path}"`;
  if (depth > MAX_GRAPH_DEPTH) {
    throw new RangeError(`${fn}: ${where}: subgraphs nested more than ${MAX_GRAPH_DEPTH} deep (a cyclic graph?)`);
  }
  if (graph === null || typeof graph !== "object" || graph.type !== "NIRGraph") {
    throw new TypeError(
      `${fn}: ${where} must be a graph {type: "NIRGraph", nodes, edges}, got ${describeValue(graph)}`,
    );
  }
  const { nodes, edges } = graph;
  if (nodes === null || typeof nodes !== "object" || Array.isArray(nodes)) {
    throw new TypeError(`${fn}: ${where}: nodes must be an object of named nodes, got ${describeValue(nodes)}`);
  }
  if (!Array.isArray(edges)) {
    throw new TypeError(`${fn}: ${where}: edges must be an array, got ${describeValue(edges)}`);
  }
  const names = Object.keys(nodes);
  for (const edge of edges) {
    if (!Array.isArray(edge) || edge.length !== 2 || typeof edge[0] !== "string" || typeof edge[1] !== "string") {
      throw new TypeError(`${fn}: ${where}: an edge must be a pair of node names, got ${describeValue(edge)}`);
    }
    for (const end of edge) {
      if (!Object.hasOwn(nodes, end)) {
        const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, ...` : names.join(", ");
        throw new RangeError(
          `${fn}: ${where}: edge ${
            describeValue(edge)
          } names node "${end}", which is not in the graph (nodes: ${shown})`,
        );
      }
    }
  }
  for (const name of names) checkNode(fn, path === "" ? name : `${path}/${name}`, nodes[name], depth);
}
