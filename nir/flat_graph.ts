/**
 * A NIR graph prepared for simulation: nested subgraphs inlined, each
 * neuron whose spikes feed back to it through a dense node folded into a
 * recurrent neuron, and the evaluation order fixed.
 *
 * - Inlining: the nodes of subgraph `s` become `s/name`; edges into `s`
 *   lead to the successors of its `Input` node, edges out of `s` leave
 *   from the predecessors of its `Output` node.
 * - Recurrence: an IF, LIF or CubaLIF node `n` and an Affine or Linear node
 *   `d` with edges `n -> d` and `d -> n`, where `d` has no other edge, are
 *   one recurrent neuron (spyx's RIF, RLIF, RCuBaLIF); `d` is removed. This
 *   is NIR's recurrent subgraph (`input -> lif`, `lif -> w_rec -> lif`,
 *   `lif -> output`), wherever it appears.
 * - Order: nodes are visited depth first from the `Input` node, following
 *   edges in their order in the file. An edge that closes a cycle is a
 *   back edge: its target reads the source's output of the previous time
 *   step (zeros at the first), the one-step delay NIR prescribes on cycles.
 *   Every other edge is evaluated in the same step, in topological order.
 *
 * @module
 */
import type { NIRAffine, NIRGraph, NIRLinear, NIRNode } from "./graph.ts";

/** A node of the prepared graph. */
export interface FlatNode {
  /** Its name: the NIR name, with `subgraph/` prefixes for inlined nodes. */
  name: string;
  node: NIRNode;
  /** Sources of same-step edges into it (their outputs are summed). */
  inputs: string[];
  /** Sources of back edges into it (their previous-step outputs are summed in). */
  delayedInputs: string[];
  /** Dense nodes feeding its own spikes back (recurrent neurons only), with their names. */
  recurrent: { name: string; node: NIRAffine | NIRLinear }[];
}

/** The prepared graph: nodes in evaluation order, with the names of its input and output. */
export interface FlatGraph {
  order: FlatNode[];
  input: string;
  output: string;
  /** True when the nodes form one chain `Input -> ... -> Output` without back edges or branches. */
  isChain: boolean;
}

const SPIKING = new Set(["IF", "LIF", "CubaLIF"]);
const DENSE = new Set(["Affine", "Linear"]);

function inline(fn: string, graph: NIRGraph, prefix: string, nodes: Map<string, NIRNode>, edges: [string, string][]) {
  const local = (name: string) => `${prefix}${name}`;
  // For each subgraph: where edges into it go, and where edges out of it come from.
  const entry = new Map<string, string[]>(), exit = new Map<string, string[]>();
  for (const [name, node] of Object.entries(graph.nodes)) {
    if (node.type !== "NIRGraph") {
      if (nodes.has(local(name))) throw new Error(`${fn}: two nodes are both named "${local(name)}" once inlined`);
      nodes.set(local(name), node);
      continue;
    }
    const sub = `${local(name)}/`;
    const inner: [string, string][] = [];
    inline(fn, node, sub, nodes, inner);
    const ins = Object.keys(node.nodes).filter((k) => node.nodes[k].type === "Input");
    const outs = Object.keys(node.nodes).filter((k) => node.nodes[k].type === "Output");
    if (ins.length !== 1 || outs.length !== 1) {
      throw new Error(
        `${fn}: subgraph "${
          local(name)
        }" must have one Input and one Output node to be inlined, it has ${ins.length} and ${outs.length}`,
      );
    }
    const [inName, outName] = [sub + ins[0], sub + outs[0]];
    entry.set(local(name), inner.filter(([a]) => a === inName).map(([, b]) => b));
    exit.set(local(name), inner.filter(([, b]) => b === outName).map(([a]) => a));
    for (const e of inner) if (e[0] !== inName && e[1] !== outName) edges.push(e);
    nodes.delete(inName);
    nodes.delete(outName);
  }
  for (const [a, b] of graph.edges) {
    const froms = exit.get(local(a)) ?? [local(a)];
    const tos = entry.get(local(b)) ?? [local(b)];
    for (const x of froms) for (const y of tos) edges.push([x, y]);
  }
}

/**
 * Inlines, folds recurrence and orders a (checked) graph. Throws naming
 * `fn` when the graph has not exactly one Input and one Output, or a node
 * cannot be reached from the Input.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const flat = flattenGraph("nir.fromNir", {
 *   type: "NIRGraph",
 *   nodes: { input: { type: "Input", shape: [2] }, s: { type: "Scale", scale: np.ones([2]) }, output: { type: "Output", shape: [2] } },
 *   edges: [["input", "s"], ["s", "output"]],
 * });
 * flat.order.map((n) => n.name); // ["input", "s", "output"]
 * ```
 */
export function flattenGraph(fn: string, graph: NIRGraph): FlatGraph {
  const nodes = new Map<string, NIRNode>();
  const rawEdges: [string, string][] = [];
  inline(fn, graph, "", nodes, rawEdges);
  // Duplicate edges add nothing in NIR (spyx drops them too).
  const seen = new Set<string>();
  let edges = rawEdges.filter(([a, b]) => {
    const key = JSON.stringify([a, b]);
    return seen.has(key) ? false : (seen.add(key), true);
  });

  const recurrent = new Map<string, { name: string; node: NIRAffine | NIRLinear }[]>();
  for (const [n, d] of edges.slice()) {
    const neuron = nodes.get(n), dense = nodes.get(d);
    if (!neuron || !dense || !SPIKING.has(neuron.type) || !DENSE.has(dense.type)) continue;
    const intoD = edges.filter(([, b]) => b === d), outOfD = edges.filter(([a]) => a === d);
    if (intoD.length !== 1 || outOfD.length !== 1 || outOfD[0][1] !== n) continue;
    recurrent.set(n, [...(recurrent.get(n) ?? []), { name: d, node: dense as NIRAffine | NIRLinear }]);
    nodes.delete(d);
    edges = edges.filter(([a, b]) => a !== d && b !== d);
  }

  const inputs = [...nodes].filter(([, v]) => v.type === "Input").map(([k]) => k);
  const outputs = [...nodes].filter(([, v]) => v.type === "Output").map(([k]) => k);
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new Error(
      `${fn}: the graph must have exactly one Input and one Output node; it has ${inputs.length} (${
        inputs.join(", ")
      }) and ${outputs.length} (${outputs.join(", ")})`,
    );
  }
  const [input, output] = [inputs[0], outputs[0]];
  for (const [a, b] of edges) {
    for (const end of [a, b]) {
      // Only an inlined subgraph that wires its Input straight to its Output leaves such an edge.
      if (!nodes.has(end)) throw new Error(`${fn}: a subgraph connects its Input directly to its Output ("${end}")`);
    }
    if (b === input) throw new Error(`${fn}: edge ["${a}", "${b}"] leads into the Input node`);
    if (a === output) throw new Error(`${fn}: edge ["${a}", "${b}"] leaves the Output node`);
  }

  // Depth-first search from the input: back edges close cycles; the reversed post-order is topological.
  const state = new Map<string, "open" | "done">();
  const back = new Set<number>();
  const post: string[] = [];
  const visit = (start: string) => {
    const stack: [string, number][] = [[start, 0]];
    state.set(start, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [name] = top;
      let next = -1;
      for (let i = top[1]; i < edges.length; i++) {
        if (edges[i][0] === name) {
          next = i;
          break;
        }
      }
      if (next < 0) {
        state.set(name, "done");
        post.push(name);
        stack.pop();
        continue;
      }
      top[1] = next + 1;
      const target = edges[next][1];
      const s = state.get(target);
      if (s === "open") back.add(next);
      else if (s === undefined) {
        state.set(target, "open");
        stack.push([target, 0]);
      }
    }
  };
  visit(input);
  const unreachable = [...nodes.keys()].filter((k) => !state.has(k));
  if (unreachable.length > 0) {
    throw new Error(`${fn}: node(s) ${unreachable.map((k) => `"${k}"`).join(", ")} cannot be reached from the Input`);
  }
  if (!state.has(output)) throw new Error(`${fn}: the Output node "${output}" cannot be reached from the Input`);

  const order: FlatNode[] = post.reverse().map((name) => ({
    name,
    node: nodes.get(name)!,
    inputs: edges.filter(([, b], i) => b === name && !back.has(i)).map(([a]) => a),
    delayedInputs: edges.filter(([, b], i) => b === name && back.has(i)).map(([a]) => a),
    recurrent: recurrent.get(name) ?? [],
  }));
  const isChain = back.size === 0 && edges.length === order.length - 1 &&
    order.every((n, i) => i === 0 ? n.inputs.length === 0 : n.inputs.length === 1 && n.inputs[0] === order[i - 1].name);
  return { order, input, output, isChain };
}
