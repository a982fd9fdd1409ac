/**
 * `nir.toNir`: a spyx-ts network (its parameters and, where parameters
 * cannot say it, a description of its layers) as a NIR graph, as spyx's
 * `to_nir`: `Input -> layer -> ... -> Output`, one node per layer, named by
 * its parameter key.
 *
 * @module
 */
import { isTensor, np, type Tensor } from "../autodiff/mod.ts";
import type { ConvPadding, Params } from "../nn/mod.ts";
import type { NIRGraph, NIRNode } from "./graph.ts";
import type { NIRConvLayer, NIRFlattenLayer, NIRLayer, NIRNeuronLayer, NIRPoolLayer } from "./layer_spec.ts";
import { batchedLayout, nirShape, ourShape, sameShape, sizeOf, tensorOf, toNirLayout, valuesOf } from "./layout.ts";
import { baseMultiplier, exportNeuron, type NeuronModel } from "./neuron_conventions.ts";
import { describeValue } from "./validate.ts";

const FN = "nir.toNir";
type LayerObject = Exclude<NIRLayer, string>;
const NEURONS: readonly NeuronModel[] = ["IF", "LIF", "LI", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF"];

/** Options of {@link toNir}. */
export interface ToNirOptions {
  /** The network's layers in order (default: the keys of `params`, typed by their names as spyx does). */
  layers?: readonly NIRLayer[];
  /**
   * dtype of the graph's arrays (default float32, what other NIR tools
   * expect). float64 keeps the continuous-time conversion lossless, so that
   * `fromNir` gives back exactly the float32 parameters.
   */
  dtype?: "float32" | "float64";
}

/** A weight node whose values can still be divided by the neuron that follows. */
interface PendingWeights {
  name: string;
  kind: "Linear" | "Conv1D" | "Conv2D";
  /** NIR-layout weight values (`[out, in]` or OIHW) and bias (`[out]`), float64. */
  weight: Float64Array;
  weightShape: number[];
  bias: Float64Array | null;
  extra: Partial<NIRNode>;
}

function fromKey(key: string): LayerObject {
  if (/^linear(_\d+)?$/.test(key)) return { type: "Linear", params: key };
  if (/^conv1_d(_\d+)?$/.test(key)) return { type: "Conv1D", params: key };
  if (/^conv2_d(_\d+)?$/.test(key)) return { type: "Conv2D", params: key };
  const m = key.match(/^([A-Za-z]+)(_\d+)?$/);
  if (m && (NEURONS as readonly string[]).includes(m[1])) return { type: m[1] as NeuronModel, params: key };
  if (m && m[1] === "ALIF") {
    throw new TypeError(`${FN}: "${key}": ALIF has no NIR node (NIR has no adaptive threshold)`);
  }
  throw new TypeError(
    `${FN}: cannot tell the layer type of params "${key}" from its name (linear*, conv1_d*, conv2_d*, ${
      NEURONS.join("*, ")
    }*); pass options.layers`,
  );
}

function ints(what: string, v: number | readonly number[] | undefined, n: number, fallback: number): number[] {
  const list = v === undefined
    ? new Array<number>(n).fill(fallback)
    : typeof v === "number"
    ? new Array<number>(n).fill(v)
    : v;
  if (list.length === 1 && n > 1) return new Array<number>(n).fill(list[0]);
  if (list.length !== n || !list.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new RangeError(`${FN}: ${what} must be ${n} integers >= 0, got ${describeValue(v)}`);
  }
  return list.slice();
}

/** Symmetric NIR padding for XLA's SAME, or null when SAME pads one side more. */
function samePadding(spatial: number[], kernel: number[], stride: number[], dilation: number[]): number[] | null {
  const totals = spatial.map((n, d) => {
    const out = Math.ceil(n / stride[d]);
    return Math.max((out - 1) * stride[d] + (kernel[d] - 1) * dilation[d] + 1 - n, 0);
  });
  return totals.every((t) => t % 2 === 0) ? totals.map((t) => t / 2) : null;
}

function windowOut(n: number, k: number, s: number, p: number, d = 1): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * Exports a spyx-ts network as a NIR graph at step `dt`, as spyx's
 * `to_nir(params, input_shape, output_shape, dt)`. `inputShape` and
 * `outputShape` are one sample's shape in NIR's layout (no batch or time
 * axis, channels first). The layers are `options.layers` (what
 * `fromNir(...)[0].layers` returns, or a description written by hand) or,
 * by default, the keys of `params` in order, typed by name (`linear*` ->
 * Affine/Linear, `conv2_d*` -> Conv2d with Haiku's defaults, `LIF*`,
 * `LI*`, `CuBaLIF*`, `RIF*`, `RLIF*`, `RCuBaLIF*`, threshold 1).
 *
 * Conventions, the inverse of `fromNir`'s: `tau = dt / (1 - beta)`,
 * `tau_syn = dt / (1 - alpha)`; neurons get `r = 1`, `v_leak = 0`,
 * `v_reset = 0` (CubaLIF `r = tau_mem/dt`, `w_in = 1`) and the weights
 * before them are divided by their input multiplier (`1 - beta`, `dt` for
 * IF, `1 - alpha` for CuBaLIF); a `Scale` layer right before a neuron goes
 * into its `r` (and `v_leak`) instead. Weights become `[out, in]`,
 * kernels OIHW, per-neuron parameters channels-first; an `nn.Flatten` of a
 * multi-axis sample permutes the rows of the Linear after it into NIR's
 * channels-first order. Recurrent neurons become NIR's recurrent subgraph.
 *
 * @example
 * ```ts
 * import { nir, nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => {
 *   const core = new nn.DeepRNN([new nn.Linear(8), new nn.LIF([8], { beta: 0.9 }), new nn.Linear(2), new nn.LI([2])]);
 *   return nn.dynamicUnroll(core, x, core.initialState(1), { timeMajor: false })[0];
 * });
 * const params = net.init(random.key(0), np.zeros([1, 5, 4]));
 * const graph = nir.toNir(params, [4], [2], 1e-3);
 * graph.edges; // input -> linear -> LIF -> linear_1 -> LI -> output
 * ```
 */
export function toNir(
  params: Params,
  inputShape: number | readonly number[],
  outputShape: number | readonly number[],
  dt: number,
  options: ToNirOptions = {},
): NIRGraph {
  if (params === null || typeof params !== "object") throw new TypeError(`${FN}: params must be an object of modules`);
  if (typeof dt !== "number" || !(dt > 0) || !Number.isFinite(dt)) {
    throw new RangeError(`${FN}: dt must be a positive number of seconds, got ${describeValue(dt)}`);
  }
  const inNir = typeof inputShape === "number" ? [inputShape] : inputShape.slice();
  const outNir = typeof outputShape === "number" ? [outputShape] : outputShape.slice();
  for (const [what, s] of [["inputShape", inNir], ["outputShape", outNir]] as const) {
    if (!s.every((d) => Number.isInteger(d) && d > 0)) {
      throw new RangeError(`${FN}: ${what} must be positive integers, got ${describeValue(s)}`);
    }
  }
  const dtype = options.dtype ?? "float32";
  const specs: LayerObject[] = (options.layers ?? Object.keys(params)).map((
    l,
  ) => (typeof l === "string" ? fromKey(l) : l));

  const nodes: Record<string, NIRNode> = { input: { type: "Input", shape: inNir } };
  const order: string[] = ["input"];
  let shape = ourShape(inNir); // one sample, spyx-ts layout
  let pending: PendingWeights | null = null;
  let pendingScale: { name: string; scale: Float64Array; bias: Float64Array | null } | null = null;
  let flattenOrder: Int32Array | null = null; // after nn.Flatten: NIR flat index -> spyx-ts flat index

  const unique = (base: string) => {
    let name = base, k = 1;
    while (Object.hasOwn(nodes, name) || order.includes(name)) name = `${base}_${k++}`;
    return name;
  };
  const param = (key: string | undefined, name: string, what: string): Tensor => {
    const t = key === undefined ? undefined : params[key]?.[name];
    if (!isTensor(t)) throw new TypeError(`${FN}: ${what} needs params["${key}"].${name}, got ${describeValue(t)}`);
    return t;
  };
  const flushWeights = () => {
    if (!pending) return;
    const p = pending;
    nodes[p.name] = {
      ...p.extra,
      weight: tensorOf(p.weight, p.weightShape, dtype),
      ...(p.bias ? { bias: tensorOf(p.bias, [p.bias.length], dtype) } : {}),
    } as NIRNode;
    pending = null;
  };
  const flushScale = () => {
    if (!pendingScale) return;
    const s = pendingScale;
    if (s.bias && s.bias.some((b) => b !== 0)) {
      throw new RangeError(`${FN}: ${s.name}: a Scale bias has no NIR equivalent unless a neuron follows`);
    }
    nodes[s.name] = { type: "Scale", scale: toNirLayout(s.scale, shape, dtype) };
    order.push(s.name);
    pendingScale = null;
  };
  const push = (name: string, node: NIRNode | null) => {
    flushWeights();
    flushScale();
    if (node) nodes[name] = node;
    order.push(name);
  };
  const checkOrder = (i: number) => {
    if (flattenOrder) {
      throw new RangeError(
        `${FN}: layer ${
          i - 1
        } (Flatten) flattens a multi-axis sample in spyx-ts's channels-last order; NIR's Flatten is channels-first, so a Linear layer must follow it directly (its rows are permuted), not ${
          describeValue(specs[i])
        }`,
      );
    }
  };

  try {
    specs.forEach((spec, i) => exportLayer(spec, i));
  } catch (e) {
    if (options.layers !== undefined || !(e instanceof Error)) throw e;
    // Sorted keys are the usual cause: pytree maps (optim.applyUpdates) return params with sorted keys.
    e.message += `; the layers were taken from the order of the params keys (${
      Object.keys(params).join(", ")
    }): pass options.layers, or params in network order (nir.reorderLayers)`;
    throw e;
  }
  function exportLayer(spec: LayerObject, i: number): void {
    const what = `layer ${i} (${spec.type})`;
    switch (spec.type) {
      case "Linear": {
        const w = param(spec.params, "w", what);
        const b = params[spec.params]?.b;
        if (w.ndim !== 2 || shape.length !== 1 || w.shape[0] !== shape[0]) {
          throw new RangeError(
            `${FN}: ${what}: w [${w.shape}] does not fit the sample shape [${shape}] (NIR's Affine is 1-D)`,
          );
        }
        const [nIn, nOut] = w.shape;
        const W = valuesOf(w), weight = new Float64Array(nIn * nOut);
        for (let o = 0; o < nOut; o++) {
          for (let k = 0; k < nIn; k++) weight[o * nIn + k] = W[(flattenOrder ? flattenOrder[k] : k) * nOut + o];
        }
        flattenOrder = null;
        push(spec.params, null);
        pending = {
          name: spec.params,
          kind: "Linear",
          weight,
          weightShape: [nOut, nIn],
          bias: isTensor(b) ? valuesOf(b) : null,
          extra: { type: isTensor(b) ? "Affine" : "Linear" },
        };
        shape = [nOut];
        return;
      }
      case "Conv1D":
      case "Conv2D":
        checkOrder(i);
        push(spec.params, null);
        [pending, shape] = exportConv(spec, param(spec.params, "w", what), params[spec.params]?.b, shape, what);
        return;
      case "Scale": {
        checkOrder(i);
        flushWeights();
        flushScale();
        if (
          !isTensor(spec.scale) || !sameShape(spec.scale.shape, shape) ||
          (spec.bias && !sameShape(spec.bias.shape, shape))
        ) {
          throw new RangeError(
            `${FN}: ${what}: scale ${describeValue(spec.scale)} does not fit the sample shape [${shape}]`,
          );
        }
        pendingScale = {
          name: unique(`scale_${i}`),
          scale: valuesOf(spec.scale),
          bias: spec.bias ? valuesOf(spec.bias) : null,
        };
        return;
      }
      case "Flatten": {
        checkOrder(i);
        const [node, out, perm] = exportFlatten(spec, shape, what);
        push(unique(`flatten_${i}`), node);
        [shape, flattenOrder] = [out, perm];
        return;
      }
      case "SumPool":
      case "AvgPool": {
        checkOrder(i);
        const name = unique(`${spec.type === "SumPool" ? "sum" : "avg"}_pool_${i}`);
        const [node, out] = exportPool(spec, shape, what);
        push(name, node);
        shape = out;
        return;
      }
      case "Delay": {
        checkOrder(i);
        const steps = isTensor(spec.steps) ? valuesOf(spec.steps) : new Float64Array(sizeOf(shape)).fill(spec.steps);
        if (steps.length !== sizeOf(shape) || !steps.every((s) => Number.isInteger(s) && s >= 0)) {
          throw new RangeError(`${FN}: ${what}: steps must be whole numbers >= 0, one per element of [${shape}]`);
        }
        push(unique(`delay_${i}`), { type: "Delay", delay: toNirLayout(steps.map((s) => s * dt), shape, dtype) });
        return;
      }
      case "Threshold": {
        checkOrder(i);
        const thr = isTensor(spec.threshold)
          ? valuesOf(spec.threshold)
          : new Float64Array(sizeOf(shape)).fill(spec.threshold);
        if (thr.length !== sizeOf(shape)) throw new RangeError(`${FN}: ${what}: threshold does not fit [${shape}]`);
        push(unique(`threshold_${i}`), { type: "Threshold", threshold: toNirLayout(thr, shape, dtype) });
        return;
      }
      default: {
        if (!(NEURONS as readonly string[]).includes(spec.type)) {
          throw new TypeError(`${FN}: layer ${i}: unknown layer ${describeValue(spec)}`);
        }
        checkOrder(i);
        const neuron = spec as NIRNeuronLayer;
        const name = neuron.params ?? unique(`${neuron.type.toLowerCase()}_${i}`);
        const p = neuron.params === undefined ? {} : params[neuron.params];
        if (neuron.params !== undefined && (p === undefined || typeof p !== "object")) {
          throw new TypeError(`${FN}: ${what} names params "${neuron.params}", which params lacks`);
        }
        const threshold = neuron.threshold ?? 1;
        const base = baseMultiplier(`${FN}: ${what}`, neuron.type, p, shape, dt);
        let m: Float64Array = new Float64Array(base.length).fill(1), bias: Float64Array | null = null;
        if (pendingScale) {
          [m, bias] = [pendingScale.scale, pendingScale.bias];
          pendingScale = null;
        } else if (pending && divideWeights(pending, base)) {
          m = base;
        }
        push(name, exportNeuron(FN, what, neuron.type, p, threshold, shape, dt, m, bias, dtype));
      }
    }
  }
  push("output", { type: "Output", shape: outNir });
  if (!sameShape(shape, ourShape(outNir))) {
    throw new RangeError(
      `${FN}: the last layer gives samples of shape [${nirShape(shape)}] (NIR layout) but outputShape is [${outNir}]`,
    );
  }
  const edges = order.slice(1).map((name, i): [string, string] => [order[i], name]);
  return { type: "NIRGraph", nodes, edges };
}

/** Divides a pending weight node's outputs by `m` (per output unit); false when `m` varies within a conv channel. */
function divideWeights(p: PendingWeights, m: Float64Array): boolean {
  const out = p.weightShape[0];
  if (p.kind !== "Linear" && !m.every((v, k) => v === m[k % out])) return false;
  const perOut = p.weight.length / out;
  for (let k = 0; k < p.weight.length; k++) p.weight[k] /= m[Math.floor(k / perOut)];
  if (p.bias) p.bias = p.bias.map((b, o) => b / m[o]);
  return true;
}

function exportConv(
  spec: NIRConvLayer,
  w: Tensor,
  b: Tensor | undefined,
  shape: number[],
  what: string,
): [PendingWeights, number[]] {
  const dims = spec.type === "Conv1D" ? 1 : 2;
  if (w.ndim !== dims + 2 || shape.length !== dims + 1) {
    throw new RangeError(`${FN}: ${what}: w [${w.shape}] does not fit the sample shape [${shape}]`);
  }
  const kernel = w.shape.slice(0, dims), [cInG, cOut] = w.shape.slice(dims);
  const groups = spec.featureGroupCount ?? 1;
  if (cInG * groups !== shape[dims]) {
    throw new RangeError(
      `${FN}: ${what}: w [${w.shape}] with ${groups} group(s) needs ${cInG * groups} channels, got [${shape}]`,
    );
  }
  const stride = ints(`${what} stride`, spec.stride, dims, 1), rate = ints(`${what} rate`, spec.rate, dims, 1);
  const spatial = shape.slice(0, dims);
  const padding: ConvPadding = spec.padding ?? "SAME";
  let pads: number[] | "same";
  if (padding === "VALID") pads = spatial.map(() => 0);
  else if (padding === "SAME") pads = samePadding(spatial, kernel, stride, rate) ?? "same";
  else if (Array.isArray(padding) && padding.every((p) => p[0] === p[1])) pads = padding.map((p) => p[0]);
  else throw new RangeError(`${FN}: ${what}: padding ${describeValue(padding)} is not symmetric, which NIR requires`);
  if (pads === "same" && stride.some((s) => s !== 1)) {
    throw new RangeError(
      `${FN}: ${what}: "SAME" padding with stride ${stride} pads one side more, which NIR cannot hold`,
    );
  }
  const out = pads === "same"
    ? spatial.slice()
    : spatial.map((n, d) => windowOut(n, kernel[d], stride[d], (pads as number[])[d], rate[d]));
  // HWIO -> OIHW.
  const W = valuesOf(w), kSize = sizeOf(kernel), weight = new Float64Array(W.length);
  for (let k = 0; k < kSize; k++) {
    for (let i = 0; i < cInG; i++) {
      for (let o = 0; o < cOut; o++) weight[(o * cInG + i) * kSize + k] = W[(k * cInG + i) * cOut + o];
    }
  }
  const one = (v: number[]) => (dims === 1 ? v[0] : v);
  const extra = {
    type: dims === 1 ? "Conv1d" : "Conv2d",
    input_shape: one(spatial),
    stride: one(stride),
    padding: pads === "same" ? "same" : one(pads),
    dilation: one(rate),
    groups,
  } as Partial<NIRNode>;
  return [
    {
      name: spec.params,
      kind: spec.type,
      weight,
      weightShape: [cOut, cInG, ...kernel],
      bias: isTensor(b) ? valuesOf(b) : new Float64Array(cOut),
      extra,
    },
    [...out, cOut],
  ];
}

function exportFlatten(spec: NIRFlattenLayer, shape: number[], what: string): [NIRNode, number[], Int32Array | null] {
  const nir = nirShape(shape);
  if (!spec.channelsFirst) {
    if (spec.startDim !== undefined || spec.endDim !== undefined) {
      throw new RangeError(
        `${FN}: ${what}: startDim / endDim need channelsFirst: true (nn.Flatten flattens every axis)`,
      );
    }
    const n = sizeOf(shape);
    // Which spyx-ts element sits at each position of NIR's channels-first flattening.
    const index = np.reshape(np.arange(n, { dtype: "int32" }), [1, ...shape]);
    const order = Int32Array.from(np.reshape(batchedLayout(index, true), [n]).dataSync() as Int32Array);
    const trivial = order.every((v, k) => v === k);
    return [{ type: "Flatten", start_dim: 0, end_dim: -1, input_type: nir }, [n], trivial ? null : order];
  }
  const r = nir.length, start0 = spec.startDim ?? 0, end0 = spec.endDim ?? -1;
  const start = start0 < 0 ? start0 + r : start0, end = end0 < 0 ? end0 + r : end0;
  if (!(start >= 0 && start <= end && end < r)) {
    throw new RangeError(`${FN}: ${what}: startDim ${start0} / endDim ${end0} do not fit the NIR shape [${nir}]`);
  }
  const out = [...nir.slice(0, start), sizeOf(nir.slice(start, end + 1)), ...nir.slice(end + 1)];
  return [{ type: "Flatten", start_dim: start0, end_dim: end0, input_type: nir }, ourShape(out), null];
}

function exportPool(spec: NIRPoolLayer, shape: number[], what: string): [NIRNode, number[]] {
  if (shape.length !== 3) throw new RangeError(`${FN}: ${what} pools [H, W, C] samples, got [${shape}]`);
  const window = ints(`${what} window`, spec.window, 2, 1);
  const strides = spec.strides === undefined ? window.slice() : ints(`${what} strides`, spec.strides, 2, 1);
  const padSpec = spec.padding ?? "VALID";
  let pads: number[];
  if (padSpec === "VALID") pads = [0, 0];
  else if (padSpec === "SAME") {
    const same = samePadding(shape.slice(0, 2), window, strides, [1, 1]);
    if (!same) throw new RangeError(`${FN}: ${what}: "SAME" pads one side more here, which NIR cannot hold`);
    pads = same;
  } else pads = ints(`${what} padding`, padSpec, 2, 0);
  const out = [0, 1].map((d) => windowOut(shape[d], window[d], strides[d], pads[d]));
  const type = spec.type === "SumPool" ? "SumPool2d" : "AvgPool2d";
  return [
    { type, kernel_size: [window[0], window[1]], stride: [strides[0], strides[1]], padding: [pads[0], pads[1]] },
    [
      ...out,
      shape[2],
    ],
  ];
}

/**
 * `params` with its modules in the order of `initParams` (spyx's
 * `reorder_layers`): pytree maps such as `optim.applyUpdates` return
 * objects with sorted keys, while {@link toNir}'s default reads the layers
 * in key order.
 *
 * @example
 * ```ts
 * import { nir, np } from "../mod.ts";
 * const init = { linear: { w: np.ones([2, 2]) }, LIF: { beta: np.array(0.9) } };
 * const trained = { LIF: { beta: np.array(0.8) }, linear: { w: np.ones([2, 2]) } };
 * Object.keys(nir.reorderLayers(init, trained)); // ["linear", "LIF"]
 * ```
 */
export function reorderLayers(initParams: Params, trainedParams: Params): Params {
  const missing = Object.keys(initParams).filter((k) => !Object.hasOwn(trainedParams, k));
  if (missing.length > 0) {
    throw new RangeError(`nir.reorderLayers: trainedParams lacks ${missing.map((k) => `"${k}"`).join(", ")}`);
  }
  return Object.fromEntries(Object.keys(initParams).map((k) => [k, trainedParams[k]]));
}
