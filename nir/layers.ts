/**
 * The layers an imported NIR graph runs with: spyx-ts modules for weights
 * and neurons, small pure functions for the rest (scaling, flattening in
 * NIR's axis order, pooling with explicit padding, thresholds), a
 * {@link DelayCore} for `Delay` nodes and a {@link GraphCore} that steps a
 * graph that is not a chain. All of them run on spyx-ts's layout: batch
 * first, channels last.
 *
 * @module
 */
import { np, type Tensor } from "../autodiff/mod.ts";
import { type SpikeActivation, superspike } from "../nn/axn/mod.ts";
import {
  Conv1D,
  Conv2D,
  CuBaLIF,
  type DeepRNNLayer,
  IF,
  isRNNCore,
  LI,
  LIF,
  Linear,
  type Module,
  RCuBaLIF,
  RIF,
  RLIF,
  RNNCore,
  type RNNState,
} from "../nn/mod.ts";
import type { ImportOp } from "./import_nodes.ts";
import { batchedLayout, ourShape } from "./layout.ts";

/** A built operation: the layer, and the module whose parameters the op's values fill (if any). */
export interface BuiltLayer {
  layer: DeepRNNLayer;
  module: Module | null;
}

/** Options of {@link buildLayer}. */
export interface BuildOptions {
  /** dtype of the constants (scales, thresholds, delay masks). */
  dtype: "float32" | "float64";
  /** Spike function of spiking neurons and thresholds (default `axn.superspike()`). */
  activation?: SpikeActivation;
}

function constant(values: Float64Array, shape: readonly number[], dtype: "float32" | "float64"): Tensor {
  return np.astype(np.fromTypedArray(values, shape.slice(), "float64"), dtype);
}

/**
 * Builds the layer of one operation; call it inside a transformed function
 * (modules take their names there). Parameters are created by the modules'
 * initializers; `fromNir` overwrites them with the op's values.
 *
 * @example
 * ```ts ignore
 * const { layer, module } = buildLayer(op, { dtype: "float32" });
 * ```
 */
export function buildLayer(op: ImportOp, options: BuildOptions): BuiltLayer {
  const { dtype } = options;
  const activation = options.activation ?? superspike();
  switch (op.kind) {
    case "linear": {
      const module = new Linear(op.outSize, { withBias: op.b !== null });
      return { layer: module, module };
    }
    case "conv": {
      const Conv = op.dims === 1 ? Conv1D : Conv2D;
      const module = new Conv(op.wShape[op.wShape.length - 1], {
        kernelShape: op.wShape.slice(0, op.dims),
        stride: op.stride,
        rate: op.dilation,
        padding: op.padding,
        withBias: op.b !== null,
        featureGroupCount: op.groups,
      });
      return { layer: module, module };
    }
    case "scale": {
      const scale = constant(op.scale, op.shape, dtype);
      const bias = op.bias ? constant(op.bias, op.shape, dtype) : null;
      return { layer: (x: Tensor) => (bias ? np.add(np.mul(x, scale), bias) : np.mul(x, scale)), module: null };
    }
    case "neuron": {
      const { model, threshold } = op.neuron;
      const spiking = { threshold, activation };
      const module: RNNCore = model === "LIF"
        ? new LIF(op.shape, spiking)
        : model === "IF"
        ? new IF(op.shape, spiking)
        : model === "CuBaLIF"
        ? new CuBaLIF(op.shape, spiking)
        : model === "RIF"
        ? new RIF(op.shape, spiking)
        : model === "RLIF"
        ? new RLIF(op.shape, spiking)
        : model === "RCuBaLIF"
        ? new RCuBaLIF(op.shape, spiking)
        // NIR's integrator I is an LI whose decay is 1: a scalar parameter says so.
        : new LI(op.shape, op.neuron.beta!.every((b) => b === 1) ? { beta: 1 } : {});
      return { layer: module, module };
    }
    case "flatten": {
      const { nirOut } = op;
      const out = ourShape(nirOut);
      return {
        layer: (x: Tensor) => {
          const flat = np.reshape(batchedLayout(x, true), [x.shape[0], ...nirOut]);
          return np.reshape(batchedLayout(flat, false), [x.shape[0], ...out]);
        },
        module: null,
      };
    }
    case "pool": {
      const { mode, window, strides, padding } = op;
      const area = window[0] * window[1];
      return {
        layer: (x: Tensor) => {
          const sum = np.reduceWindow(x, {
            op: "sum",
            window: [1, window[0], window[1], 1],
            strides: [1, strides[0], strides[1], 1],
            padding: [[0, 0], [padding[0], padding[0]], [padding[1], padding[1]], [0, 0]],
          });
          return mode === "sum" ? sum : np.div(sum, area);
        },
        module: null,
      };
    }
    case "threshold": {
      const threshold = constant(op.threshold, op.shape, dtype);
      return { layer: (x: Tensor) => activation(np.sub(x, threshold)), module: null };
    }
    case "delay": {
      const core = new DelayCore(op.steps, op.shape, dtype);
      return { layer: core, module: null };
    }
  }
}

/**
 * NIR's `Delay`: `y(t) = x(t - k)` with a whole number of steps `k >= 0`
 * per element. The state holds the last `max(k)` inputs, newest first,
 * `[B, max(k), ...shape]`.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new DelayCore(new Int32Array([2]), [1], "float32");
 *   return nn.dynamicUnroll(core, x, core.initialState(1))[0];
 * });
 * net.apply({}, null, np.reshape(np.arange(4, { dtype: "float32" }), [4, 1, 1])); // [0, 0, 0, 1]
 * ```
 */
export class DelayCore extends RNNCore {
  readonly #masks: Tensor[];
  readonly #now: Tensor | null;
  readonly #depth: number;
  readonly #shape: readonly number[];
  readonly #dtype: "float32" | "float64";

  constructor(steps: Int32Array, shape: readonly number[], dtype: "float32" | "float64") {
    super({}, "delay");
    this.#shape = shape.slice();
    this.#dtype = dtype;
    this.#depth = steps.reduce((a, b) => Math.max(a, b), 0);
    const mask = (k: number) => constant(Float64Array.from(steps, (s) => (s === k ? 1 : 0)), shape, dtype);
    this.#now = steps.some((s) => s === 0) ? mask(0) : null;
    this.#masks = Array.from({ length: this.#depth }, (_, k) => mask(k + 1));
  }

  initialState(batchSize: number): Tensor {
    return np.zeros([batchSize, this.#depth, ...this.#shape], { dtype: this.#dtype });
  }

  call(x: Tensor, state: RNNState): [Tensor, Tensor] {
    const buffer = state as Tensor;
    let y = this.#now ? np.mul(x, this.#now) : np.zerosLike(x);
    if (this.#depth === 0) return [y, buffer];
    const past = np.split(buffer, this.#depth, 1).map((p) => np.squeeze(p, 1));
    past.forEach((p, k) => (y = np.add(y, np.mul(p, this.#masks[k]))));
    const shifted = np.concatenate([np.expandDims(x, 1), ...past.slice(0, -1).map((p) => np.expandDims(p, 1))], 1);
    return [y, shifted];
  }
}

/** One node of a {@link GraphCore}: its layers in order and the nodes it reads. */
export interface GraphCoreNode {
  name: string;
  layers: DeepRNNLayer[];
  /** Same-step inputs (summed); an empty list means the core's input. */
  inputs: string[];
  /** Inputs read from the previous step (back edges). */
  delayedInputs: string[];
}

function applyLayer(layer: DeepRNNLayer, x: Tensor): Tensor {
  return typeof layer === "function" ? layer(x) : (layer as Module).call(x);
}

/**
 * Steps a NIR graph that is not a chain: nodes in topological order, a node
 * with several inputs summing them, back edges reading their source's
 * output of the previous step (zeros at the first). The state is
 * `[coreStates, delayedOutputs]`: the state of every core (neurons,
 * delays) in node order, and the last output of every back edge's source.
 *
 * @example
 * ```ts ignore
 * const core = new GraphCore(nodes, "output", [{ name: "lif", shape: [8] }], "float32");
 * nn.dynamicUnroll(core, x, core.initialState(2));
 * ```
 */
export class GraphCore extends RNNCore {
  readonly nodes: readonly GraphCoreNode[];
  readonly output: string;
  readonly #delayed: readonly { name: string; shape: readonly number[] }[];
  readonly #dtype: "float32" | "float64";

  constructor(
    nodes: readonly GraphCoreNode[],
    output: string,
    delayed: readonly { name: string; shape: readonly number[] }[],
    dtype: "float32" | "float64",
  ) {
    super({}, "nir_graph");
    this.nodes = nodes;
    this.output = output;
    this.#delayed = delayed;
    this.#dtype = dtype;
  }

  initialState(batchSize: number): [RNNState[], Tensor[]] {
    const cores = this.nodes.flatMap((n) => n.layers.filter(isRNNCore).map((c) => c.initialState(batchSize)));
    const delayed = this.#delayed.map((d) => np.zeros([batchSize, ...d.shape], { dtype: this.#dtype }));
    return [cores, delayed];
  }

  call(x: Tensor, state: RNNState): [Tensor, [RNNState[], Tensor[]]] {
    const [cores, delayed] = state as unknown as [RNNState[], Tensor[]];
    const previous = new Map(this.#delayed.map((d, i) => [d.name, delayed[i]]));
    const values = new Map<string, Tensor>();
    const next: RNNState[] = [];
    for (const node of this.nodes) {
      const parts = [
        ...node.inputs.map((p) => values.get(p)!),
        ...node.delayedInputs.map((p) => previous.get(p)!),
      ];
      let h = parts.length === 0 ? x : parts.reduce((a, b) => np.add(a, b));
      for (const layer of node.layers) {
        if (isRNNCore(layer)) {
          const [out, s] = layer.call(h, cores[next.length]);
          next.push(s);
          h = out;
        } else h = applyLayer(layer, h);
      }
      values.set(node.name, h);
    }
    return [values.get(this.output)!, [next, this.#delayed.map((d) => values.get(d.name)!)]];
  }
}
