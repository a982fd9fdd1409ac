/**
 * `nir.fromNir`: a NIR graph as a spyx-ts network and its parameters, as
 * spyx's `from_nir`. A graph that is one chain `Input -> ... -> Output`
 * becomes an `nn.DeepRNN` (whole-sequence kernels apply); any other graph
 * (branches, skip connections, cycles, delays between them) runs as a
 * `GraphCore` that evaluates the nodes in topological order at every step.
 *
 * @module
 */
import { isTensor, np, random, type Tensor } from "../autodiff/mod.ts";
import type { SpikeActivation } from "../nn/axn/mod.ts";
import {
  DeepRNN,
  type DeepRNNLayer,
  dynamicUnroll,
  type Params,
  type RNNState,
  transform,
  withoutApplyRng,
} from "../nn/mod.ts";
import type { NIRGraph } from "./graph.ts";
import { flattenGraph } from "./flat_graph.ts";
import { foldNeuronInputs, type ImportedNode, importNode, type ImportOp } from "./import_nodes.ts";
import { buildLayer, type BuiltLayer, GraphCore } from "./layers.ts";
import type { NIRLayer } from "./layer_spec.ts";
import { nirShape, ourShape, sameShape } from "./layout.ts";
import { checkGraph, describeValue } from "./validate.ts";

const FN = "nir.fromNir";

/** Options of {@link fromNir}. */
export interface FromNirOptions {
  /** The simulation step in seconds: decays are `1 - dt/tau` (required). */
  dt: number;
  /** Inputs are `[T, B, ...]` rather than `[B, T, ...]` (default false, as spyx). */
  timeMajor?: boolean;
  /** Return every step's state instead of the final one (Haiku's `return_all_states`; default false). */
  returnAllStates?: boolean;
  /** Spike function of the spiking neurons and Threshold nodes (default `axn.superspike()`). */
  activation?: SpikeActivation;
}

/** What {@link fromNir} returns first: the network, without apply key. */
export interface NIRNetwork {
  /** Haiku's `init` (fromNir already returns the file's parameters). */
  init(key: Tensor, x: Tensor): Params;
  /**
   * Runs the network on `x` (`[B, T, ...]`, or `[T, B, ...]` with
   * `timeMajor`; channels last). Returns `[outputs, states]`: outputs in
   * the layout of `x`, states keyed by NIR node name (subgraph nodes as
   * `subgraph/node`) for every node that has one (neurons, delays): the
   * final state, or with `returnAllStates` every step's, stacked in the
   * layout of the outputs.
   */
  apply(params: Params, x: Tensor): [Tensor, Record<string, RNNState>];
  /** The network's layers for `toNir` (null when the graph is not a chain). */
  readonly layers: NIRLayer[] | null;
}

function floatDType(x: Tensor): "float32" | "float64" {
  return x.dtype === "float64" ? "float64" : "float32";
}

/** The parameters of one op for its module: name -> [float64 values, shape] (none for parameterless ops). */
function paramValues(op: ImportOp): Record<string, [Float64Array, number[]]> {
  if (op.kind === "linear") {
    const out: Record<string, [Float64Array, number[]]> = { w: [op.w, [op.inSize, op.outSize]] };
    if (op.b) out.b = [op.b, [op.outSize]];
    return out;
  }
  if (op.kind === "conv") {
    const out: Record<string, [Float64Array, number[]]> = { w: [op.w, op.wShape] };
    if (op.b) out.b = [op.b, [op.wShape[op.wShape.length - 1]]];
    return out;
  }
  if (op.kind !== "neuron") return {};
  const { beta, alpha, w, model } = op.neuron;
  const n = op.shape.reduce((a, b) => a * b, 1);
  const out: Record<string, [Float64Array, number[]]> = {};
  const integrator = model === "LI" && beta!.every((b) => b === 1);
  if (beta && model !== "IF" && model !== "RIF" && !integrator) out.beta = [beta, op.shape];
  if (alpha) out.alpha = [alpha, op.shape];
  if (w) out.w = [w, [n, n]];
  return out;
}

function layerSpec(op: ImportOp, moduleName: string | null, dtype: "float32" | "float64"): NIRLayer {
  const constant = (v: Float64Array, shape: number[]) => np.astype(np.fromTypedArray(v, shape, "float64"), dtype);
  switch (op.kind) {
    case "linear":
      return { type: "Linear", params: moduleName! };
    case "conv":
      return {
        type: op.dims === 1 ? "Conv1D" : "Conv2D",
        params: moduleName!,
        stride: op.stride,
        padding: op.padding,
        rate: op.dilation,
        featureGroupCount: op.groups,
      };
    case "neuron":
      return {
        type: op.neuron.model,
        ...(moduleName === null ? {} : { params: moduleName }),
        ...(op.neuron.spiking ? { threshold: op.neuron.threshold } : {}),
      };
    case "scale":
      return { type: "Scale", scale: constant(op.scale, op.shape), bias: op.bias ? constant(op.bias, op.shape) : null };
    case "flatten":
      return { type: "Flatten", channelsFirst: true, startDim: op.startDim, endDim: op.endDim };
    case "pool":
      return {
        type: op.mode === "sum" ? "SumPool" : "AvgPool",
        window: op.window.slice(),
        strides: op.strides.slice(),
        padding: op.padding.slice(),
      };
    case "delay":
      return { type: "Delay", steps: np.astype(np.fromTypedArray(op.steps, op.shape, "int32"), "float32") };
    case "threshold":
      return { type: "Threshold", threshold: constant(op.threshold, op.shape) };
  }
}

/** Imports the nodes in evaluation order, checking shapes along every edge. */
function importAll(graph: NIRGraph, sample: Tensor, timeMajor: boolean, dt: number) {
  const flat = flattenGraph(FN, graph);
  const perSample = sample.shape.slice(2);
  const shapes = new Map<string, number[]>();
  const nodes: ImportedNode[] = [];
  for (const node of flat.order) {
    let inShape: number[];
    if (node.name === flat.input) {
      inShape = nirShape(perSample);
      if (node.node.type === "Input" && !sameShape(node.node.shape, inShape)) {
        throw new RangeError(
          `${FN}: the Input node "${node.name}" has shape [${node.node.shape}] (NIR, channels first: [${
            ourShape(node.node.shape)
          }] channels last) but sampleBatch ${
            timeMajor ? "[T, B, ...]" : "[B, T, ...]"
          } has per-sample shape [${perSample}]`,
        );
      }
    } else {
      const [first, ...rest] = node.inputs;
      inShape = shapes.get(first)!;
      for (const other of rest) {
        if (!sameShape(shapes.get(other)!, inShape)) {
          throw new RangeError(
            `${FN}: node "${node.name}" sums its inputs, but "${first}" gives shape [${inShape}] and "${other}" [${
              shapes.get(other)
            }]`,
          );
        }
      }
    }
    const imported = importNode(FN, node, inShape, dt);
    shapes.set(node.name, imported.outShape);
    nodes.push(imported);
  }
  for (const node of nodes) {
    for (const src of node.delayedInputs) {
      const inShape = node.inputs.length > 0 ? shapes.get(node.inputs[0])! : shapes.get(src)!;
      if (!sameShape(shapes.get(src)!, inShape)) {
        throw new RangeError(
          `${FN}: the back edge "${src}" -> "${node.name}" carries shape [${
            shapes.get(src)
          }], but "${node.name}" receives [${inShape}]`,
        );
      }
    }
  }
  return { flat, nodes, shapes };
}

/**
 * Builds a spyx-ts network from a NIR graph, as spyx's `from_nir`: returns
 * `[net, params]`, `net.apply(params, x)` giving `[outputs, states]` (see
 * {@link NIRNetwork}). `sampleBatch` (`[B, T, ...]`, channels last, or
 * `[T, B, ...]` with `timeMajor`) fixes the input's shape and the
 * parameters' dtype (float64 for a float64 sample, else float32).
 *
 * Conventions (see the `nir` module docs): NIR's `[out, in]` weights become
 * Haiku's `[in, out]`, OIHW kernels HWIO, channels-first parameters
 * channels-last; `beta = 1 - dt/tau`, `alpha = 1 - dt/tau_syn`; the
 * weights feeding a neuron carry its input multiplier (`dt/tau * r`,
 * `dt * r` for IF, `dt/tau_syn * w_in * dt/tau_mem * r` for CubaLIF) when
 * nothing else reads them, else a constant scaling layer does. A spiking
 * neuron with an Affine or Linear node feeding its spikes back becomes
 * RIF, RLIF or RCuBaLIF. Errors name the node and the offending shapes or
 * values.
 *
 * @example
 * ```ts ignore
 * import { nir, np } from "../mod.ts";
 * const graph = await nir.read("../shared/nir/lif_norse.nir");
 * const x = np.zeros([1, 1000, 1]);
 * const [net, params] = nir.fromNir(graph, x, { dt: 1e-4, returnAllStates: true });
 * const [spikes, states] = net.apply(params, x);
 * states["1"].shape; // [1, 1000, 1]: the LIF membrane after every step
 * ```
 */
export function fromNir(graph: NIRGraph, sampleBatch: Tensor, options: FromNirOptions): [NIRNetwork, Params] {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${FN}: options must be an object with dt, got ${describeValue(options)}`);
  }
  const { dt, timeMajor = false, returnAllStates = false, activation } = options;
  if (typeof dt !== "number" || !(dt > 0) || !Number.isFinite(dt)) {
    throw new RangeError(`${FN}: dt must be a positive number of seconds, got ${describeValue(dt)}`);
  }
  if (!isTensor(sampleBatch) || sampleBatch.ndim < 2) {
    throw new TypeError(
      `${FN}: sampleBatch must be a tensor [B, T, ...] (or [T, B, ...]), got ${describeValue(sampleBatch)}`,
    );
  }
  checkGraph(FN, graph);
  const sample = timeMajor ? np.swapaxes(sampleBatch, 0, 1) : sampleBatch;
  const dtype = floatDType(sampleBatch);
  const { flat, nodes, shapes } = importAll(graph, sample, timeMajor, dt);
  foldNeuronInputs(nodes, dtype);

  const moduleNames: (string | null)[][] = nodes.map((n) => n.ops.map(() => null));
  const coreOwners: string[] = [];
  nodes.forEach((n) => n.ops.forEach((op) => (op.kind === "neuron" || op.kind === "delay") && coreOwners.push(n.name)));

  const run = (x: Tensor): [Tensor, Record<string, RNNState>] => {
    const built: BuiltLayer[][] = nodes.map((n, i) =>
      n.ops.map((op, j) => {
        const b = buildLayer(op, { dtype, activation });
        moduleNames[i][j] = b.module?.name ?? null;
        return b;
      })
    );
    const batch = x.shape[timeMajor ? 1 : 0];
    let core: DeepRNN | GraphCore;
    let coreStates: (s: RNNState) => RNNState[];
    if (flat.isChain) {
      const layers: DeepRNNLayer[] = built.flat().map((b) => b.layer);
      core = new DeepRNN(layers.length > 0 ? layers : [(h: Tensor) => h]);
      coreStates = (s) => s as RNNState[];
    } else {
      const delayed = [...new Set(nodes.flatMap((n) => n.delayedInputs))].map((name) => ({
        name,
        shape: ourShape(shapes.get(name)!),
      }));
      core = new GraphCore(
        nodes.map((n, i) => ({
          name: n.name,
          layers: built[i].map((b) => b.layer),
          inputs: n.name === flat.input ? [] : n.inputs,
          delayedInputs: n.delayedInputs,
        })),
        flat.output,
        delayed,
        dtype,
      );
      coreStates = (s) => (s as unknown as [RNNState[], Tensor[]])[0];
    }
    const [out, state] = dynamicUnroll(core, x, core.initialState(batch), { timeMajor, returnAllStates });
    const perCore = coreStates(state);
    return [out, Object.fromEntries(coreOwners.map((name, i) => [name, perCore[i]]))];
  };
  const transformed = withoutApplyRng(transform(run));

  // Haiku's init creates every parameter (one step suffices); the file's values then replace them.
  const firstStep = np.slice(
    sampleBatch,
    sampleBatch.shape.map(() => 0),
    sampleBatch.shape.map((n, d) => (d === (timeMajor ? 0 : 1) ? 1 : n)),
  );
  const params = transformed.init(random.key(0), firstStep);
  nodes.forEach((n, i) =>
    n.ops.forEach((op, j) => {
      const name = moduleNames[i][j];
      if (name === null) return;
      for (const [key, [values, shape]] of Object.entries(paramValues(op))) {
        params[name][key] = np.astype(np.fromTypedArray(values, shape, "float64"), dtype);
      }
    })
  );
  // A module without parameters (IF) is named in no params entry.
  const withParams = (name: string | null) => (name !== null && Object.hasOwn(params, name) ? name : null);
  const layers = flat.isChain
    ? nodes.flatMap((n, i) => n.ops.map((op, j) => layerSpec(op, withParams(moduleNames[i][j]), dtype)))
    : null;
  const net: NIRNetwork = {
    init: transformed.init,
    apply: (p, x) => {
      if (!isTensor(x) || x.ndim < 2 || !sameShape(x.shape.slice(2), sampleBatch.shape.slice(2))) {
        throw new RangeError(
          `${FN}: net.apply: x must have the per-sample shape of sampleBatch, [${sampleBatch.shape.slice(2)}], got ${
            describeValue(x)
          }`,
        );
      }
      return transformed.apply(p, x);
    },
    layers,
  };
  return [net, params];
}
