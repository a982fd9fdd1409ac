/**
 * Each node of a prepared NIR graph as spyx-ts operations with their
 * values (float64, spyx-ts layout), its output shape checked against what
 * follows: NIR `[out, in]` weights become Haiku's `[in, out]`, OIHW kernels
 * HWIO, channels-first parameters channels-last, and a neuron becomes the
 * multiplication of its input by `m` (see `neuron_conventions.ts`)
 * followed by the spyx-ts neuron. {@link foldNeuronInputs} then moves each
 * `m` into the weights before it, as spyx does.
 *
 * @module
 */
import type { ConvPadding } from "../nn/mod.ts";
import type { NIRNode } from "./graph.ts";
import type { FlatNode } from "./flat_graph.ts";
import { ourShape, sameShape, sizeOf, toOurLayout, valuesOf } from "./layout.ts";
import { type ImportedNeuron, importNeuron } from "./neuron_conventions.ts";

/** One spyx-ts operation of an imported node (values float64, spyx-ts layout). */
export type ImportOp =
  | { kind: "linear"; w: Float64Array; b: Float64Array | null; inSize: number; outSize: number }
  | {
    kind: "conv";
    dims: 1 | 2;
    /** Kernel in Haiku's layout `[...kernel, in / groups, out]`. */
    w: Float64Array;
    wShape: number[];
    b: Float64Array | null;
    stride: number[];
    padding: ConvPadding;
    dilation: number[];
    groups: number;
  }
  | { kind: "scale"; scale: Float64Array; bias: Float64Array | null; shape: number[]; neuronInput: boolean }
  | { kind: "neuron"; neuron: ImportedNeuron; shape: number[] }
  | { kind: "flatten"; nirIn: number[]; nirOut: number[]; startDim: number; endDim: number }
  | {
    kind: "pool";
    mode: "sum" | "avg";
    window: [number, number];
    strides: [number, number];
    padding: [number, number];
  }
  | { kind: "delay"; steps: Int32Array; shape: number[] }
  | { kind: "threshold"; threshold: Float64Array; shape: number[] };

/** An imported node: its operations in order, its edges and its output shape (NIR layout). */
export interface ImportedNode {
  name: string;
  type: NIRNode["type"];
  ops: ImportOp[];
  inputs: string[];
  delayedInputs: string[];
  outShape: number[];
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** PyTorch's output length of a convolution or pooling window. */
function windowOut(n: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((n + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Converts one node, whose input has NIR shape `inShape`, at step `dt`.
 * Throws naming the node when its parameters do not fit the input.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const node = { name: "s", node: { type: "Scale" as const, scale: np.ones([3]) }, inputs: ["input"], delayedInputs: [], recurrent: [] };
 * importNode("nir.fromNir", node, [3], 1e-3).outShape; // [3]
 * ```
 */
export function importNode(fn: string, flat: FlatNode, inShape: readonly number[], dt: number): ImportedNode {
  const { name, node } = flat;
  const where = `node "${name}" (${node.type})`;
  const done = (ops: ImportOp[], outShape: readonly number[]): ImportedNode => ({
    name,
    type: node.type,
    ops,
    inputs: flat.inputs,
    delayedInputs: flat.delayedInputs,
    outShape: outShape.slice(),
  });
  const expect = (want: readonly number[], what: string) => {
    if (!sameShape(want, inShape)) {
      throw new RangeError(
        `${fn}: ${where} expects input of shape ${fmt(want)} (${what}) but receives ${fmt(inShape)}`,
      );
    }
  };
  const perSample = (t: { shape: readonly number[] }, field: string) => {
    if (t.shape.length !== 0 && !sameShape(t.shape, inShape)) {
      throw new RangeError(
        `${fn}: ${where}: ${field} has shape ${fmt(t.shape)} but the input has shape ${fmt(inShape)}`,
      );
    }
  };
  const broadcast = (v: Float64Array) => (v.length === 1 ? new Float64Array(sizeOf(inShape)).fill(v[0]) : v);
  switch (node.type) {
    case "Input":
    case "Output":
      expect(node.shape, `the ${node.type} node's shape`);
      return done([], inShape);
    case "Affine":
    case "Linear": {
      if (node.weight.ndim !== 2) {
        throw new RangeError(`${fn}: ${where}: weight must be [out, in], got shape ${fmt(node.weight.shape)}`);
      }
      const [out, inSize] = node.weight.shape;
      expect([inSize], `weight ${fmt(node.weight.shape)} is [out, in]`);
      const W = valuesOf(node.weight);
      const w = new Float64Array(inSize * out);
      for (let o = 0; o < out; o++) for (let i = 0; i < inSize; i++) w[i * out + o] = W[o * inSize + i];
      let b: Float64Array | null = null;
      if (node.type === "Affine") {
        if (!sameShape(node.bias.shape, [out])) {
          throw new RangeError(`${fn}: ${where}: bias has shape ${fmt(node.bias.shape)}, expected [${out}]`);
        }
        b = valuesOf(node.bias);
      }
      return done([{ kind: "linear", w, b, inSize, outSize: out }], [out]);
    }
    case "Scale":
      perSample(node.scale, "scale");
      return done([{
        kind: "scale",
        scale: broadcast(toOurLayout(node.scale)),
        bias: null,
        shape: ourShape(inShape),
        neuronInput: false,
      }], inShape);
    case "LIF":
    case "LI":
    case "IF":
    case "I":
    case "CubaLIF": {
      const neuron = importNeuron(fn, name, node, flat.recurrent, inShape, dt);
      const shape = ourShape(inShape);
      return done([
        { kind: "scale", scale: neuron.scale, bias: neuron.bias, shape, neuronInput: true },
        { kind: "neuron", neuron, shape },
      ], inShape);
    }
    case "Threshold":
      perSample(node.threshold, "threshold");
      return done(
        [{ kind: "threshold", threshold: broadcast(toOurLayout(node.threshold)), shape: ourShape(inShape) }],
        inShape,
      );
    case "Delay": {
      perSample(node.delay, "delay");
      const seconds = broadcast(toOurLayout(node.delay));
      const steps = new Int32Array(seconds.length);
      seconds.forEach((d, i) => {
        const k = Math.round(d / dt);
        if (!(k >= 0) || Math.abs(d / dt - k) > 1e-6 * Math.max(1, k)) {
          throw new RangeError(`${fn}: ${where}: delay ${d} s is not a whole number of steps of dt = ${dt}`);
        }
        steps[i] = k;
      });
      return done([{ kind: "delay", steps, shape: ourShape(inShape) }], inShape);
    }
    case "Flatten": {
      if (node.input_type && !sameShape(node.input_type, inShape)) {
        throw new RangeError(
          `${fn}: ${where}: input_type is ${fmt(node.input_type)} but the input has shape ${fmt(inShape)}`,
        );
      }
      const r = inShape.length;
      const start = node.start_dim < 0 ? node.start_dim + r : node.start_dim;
      const end = node.end_dim < 0 ? node.end_dim + r : node.end_dim;
      if (!(start >= 0 && start <= end && end < r)) {
        throw new RangeError(
          `${fn}: ${where}: start_dim ${node.start_dim} and end_dim ${node.end_dim} do not fit an input of shape ${
            fmt(inShape)
          } (NIR counts axes of one sample, without batch)`,
        );
      }
      const out = [...inShape.slice(0, start), sizeOf(inShape.slice(start, end + 1)), ...inShape.slice(end + 1)];
      return done([{ kind: "flatten", nirIn: inShape.slice(), nirOut: out, startDim: start, endDim: end }], out);
    }
    case "SumPool2d":
    case "AvgPool2d": {
      if (inShape.length !== 3) {
        throw new RangeError(`${fn}: ${where} pools a [C, H, W] input, got shape ${fmt(inShape)}`);
      }
      const [k, s, p] = [node.kernel_size, node.stride, node.padding];
      if (![...k, ...s].every((v) => v >= 1) || !p.every((v) => v >= 0)) {
        throw new RangeError(`${fn}: ${where}: kernel_size ${fmt(k)}, stride ${fmt(s)}, padding ${fmt(p)} are invalid`);
      }
      const out = [inShape[0], windowOut(inShape[1], k[0], s[0], p[0]), windowOut(inShape[2], k[1], s[1], p[1])];
      if (out[1] < 1 || out[2] < 1) {
        throw new RangeError(`${fn}: ${where}: kernel ${fmt(k)} does not fit the input ${fmt(inShape)}`);
      }
      const mode = node.type === "SumPool2d" ? "sum" : "avg";
      return done([{ kind: "pool", mode, window: [k[0], k[1]], strides: [s[0], s[1]], padding: [p[0], p[1]] }], out);
    }
    case "Conv1d":
    case "Conv2d":
      return done(...importConv(fn, where, node, inShape));
    default:
      throw new TypeError(
        `${fn}: ${where}: fromNir does not support ${node.type} nodes (supported: Input, Output, Affine, Linear, Scale, LIF, CubaLIF, LI, IF, I, Threshold, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, Delay, NIRGraph)`,
      );
  }
}

function importConv(
  fn: string,
  where: string,
  node: NIRNode & { type: "Conv1d" | "Conv2d" },
  inShape: readonly number[],
): [ImportOp[], number[]] {
  const dims = node.type === "Conv1d" ? 1 : 2;
  const wShape = node.weight.shape;
  if (wShape.length !== dims + 2) {
    throw new RangeError(
      `${fn}: ${where}: weight must have ${dims + 2} axes (OI${dims === 2 ? "HW" : "W"}), got ${fmt(wShape)}`,
    );
  }
  const [cOut, cInPerGroup, ...kernel] = wShape;
  const groups = node.groups;
  const cIn = cInPerGroup * groups;
  if (!(groups >= 1) || cOut % groups !== 0) {
    throw new RangeError(`${fn}: ${where}: groups ${groups} must divide the ${cOut} output channels`);
  }
  if (inShape.length !== dims + 1 || inShape[0] !== cIn) {
    throw new RangeError(
      `${fn}: ${where}: weight ${fmt(wShape)} (groups ${groups}) expects input [${cIn}, ${
        dims === 2 ? "H, W" : "L"
      }] but receives ${fmt(inShape)}`,
    );
  }
  const spatial = inShape.slice(1);
  const declared = node.input_shape;
  if (declared !== undefined && declared !== null) {
    const want = typeof declared === "number" ? [declared] : declared;
    if (!sameShape(want, spatial)) {
      throw new RangeError(
        `${fn}: ${where}: input_shape is ${fmt(want)} but the input's spatial shape is ${fmt(spatial)}`,
      );
    }
  }
  const perAxis = (v: number | number[]) => (typeof v === "number" ? new Array<number>(dims).fill(v) : v.slice());
  const stride = perAxis(node.stride), dilation = perAxis(node.dilation);
  let padding: ConvPadding, out: number[];
  if (node.padding === "same") {
    padding = "SAME";
    out = spatial.map((n, d) => Math.ceil(n / stride[d]));
  } else if (node.padding === "valid") {
    padding = "VALID";
    out = spatial.map((n, d) => windowOut(n, kernel[d], stride[d], 0, dilation[d]));
  } else {
    const pads = perAxis(node.padding as number | number[]);
    padding = pads.map((p) => [p, p] as [number, number]);
    out = spatial.map((n, d) => windowOut(n, kernel[d], stride[d], pads[d], dilation[d]));
  }
  if (out.some((n) => n < 1)) {
    throw new RangeError(`${fn}: ${where}: kernel ${fmt(kernel)} does not fit the input ${fmt(inShape)}`);
  }
  // OIHW -> HWIO (OIW -> WIO).
  const W = valuesOf(node.weight);
  const kSize = sizeOf(kernel);
  const w = new Float64Array(W.length);
  for (let o = 0; o < cOut; o++) {
    for (let i = 0; i < cInPerGroup; i++) {
      for (let k = 0; k < kSize; k++) w[(k * cInPerGroup + i) * cOut + o] = W[(o * cInPerGroup + i) * kSize + k];
    }
  }
  if (!sameShape(node.bias.shape, [cOut])) {
    throw new RangeError(`${fn}: ${where}: bias has shape ${fmt(node.bias.shape)}, expected [${cOut}]`);
  }
  const op: ImportOp = {
    kind: "conv",
    dims,
    w,
    wShape: [...kernel, cInPerGroup, cOut],
    b: valuesOf(node.bias),
    stride,
    padding,
    dilation,
    groups,
  };
  return [[op], [cOut, ...out]];
}

/**
 * Folds each neuron's input multiplication into the Affine, Linear or
 * convolution before it when that layer feeds nothing else (spyx's
 * convention: the weights before a neuron carry `dt/tau`), and drops
 * multiplications by exactly 1 in `dtype`. A convolution takes the fold only
 * when the multiplier is the same across each channel's positions.
 *
 * @example
 * ```ts ignore
 * foldNeuronInputs(nodes, "float32");
 * ```
 */
export function foldNeuronInputs(nodes: ImportedNode[], dtype: "float32" | "float64"): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, number>();
  for (const n of nodes) {
    for (const p of [...n.inputs, ...n.delayedInputs]) consumers.set(p, (consumers.get(p) ?? 0) + 1);
  }
  const round = dtype === "float32" ? Math.fround : (x: number) => x;
  for (const node of nodes) {
    const first = node.ops[0];
    if (first?.kind !== "scale" || !first.neuronInput) continue;
    const prev = node.inputs.length === 1 && node.delayedInputs.length === 0 ? byName.get(node.inputs[0]) : undefined;
    const last = prev?.ops[prev.ops.length - 1];
    if (prev && consumers.get(prev.name) === 1 && last && foldInto(last, first.scale, first.bias)) {
      node.ops.shift();
    } else if (first.scale.every((s) => round(s) === 1) && (first.bias === null || first.bias.every((b) => b === 0))) {
      node.ops.shift();
    }
  }
}

/** Multiplies a linear or conv op's outputs by `scale` and adds `bias`, if the op allows (else false). */
function foldInto(op: ImportOp, scale: Float64Array, bias: Float64Array | null): boolean {
  if (op.kind === "linear") {
    const out = op.outSize;
    for (let k = 0; k < op.w.length; k++) op.w[k] *= scale[k % out];
    if (op.b || bias) {
      op.b = Float64Array.from({ length: out }, (_, j) => (op.b ? op.b[j] : 0) * scale[j] + (bias ? bias[j] : 0));
    }
    return true;
  }
  if (op.kind !== "conv") return false;
  const cOut = op.wShape[op.wShape.length - 1];
  // Channels last: element k of the output belongs to channel k % cOut; the fold needs one value per channel.
  const uniform = (v: Float64Array | null) => v === null || v.every((x, k) => x === v[k % cOut]);
  if (!uniform(scale) || !uniform(bias)) return false;
  for (let k = 0; k < op.w.length; k++) op.w[k] *= scale[k % cOut];
  op.b = Float64Array.from({ length: cOut }, (_, c) => (op.b ? op.b[c] : 0) * scale[c] + (bias ? bias[c] : 0));
  return true;
}
