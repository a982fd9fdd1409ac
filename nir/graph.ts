/**
 * NIR graphs in memory: one interface per node type, with the field names of
 * NIR's Python package (`nir.ir`), which are also the dataset names of the
 * HDF5 layout. Parameter arrays are tensors (float32 or float64, NIR's own
 * layout: weights `[out, in]`, convolutions OIHW, neuron parameters
 * channels-first); integer settings (shapes, strides, padding) are plain
 * numbers.
 *
 * @module
 */
import type { Tensor } from "../autodiff/mod.ts";

/** Free-form node or graph metadata: NIR writes it as a nested HDF5 group. */
export interface NIRMetadata {
  [key: string]: string | number | string[] | Tensor | NIRMetadata;
}

interface NodeBase {
  /** Optional metadata (written only when non-empty, as NIR does). */
  metadata?: NIRMetadata;
}

/** Graph input: `shape` of one sample (no batch or time axis, channels first). */
export interface NIRInput extends NodeBase {
  type: "Input";
  shape: number[];
}

/** Graph output: `shape` of one sample. */
export interface NIROutput extends NodeBase {
  type: "Output";
  shape: number[];
}

/** `y = W x + b`, `weight: [out, in]`, `bias: [out]`. */
export interface NIRAffine extends NodeBase {
  type: "Affine";
  weight: Tensor;
  bias: Tensor;
}

/** `y = W x`, `weight: [out, in]`. */
export interface NIRLinear extends NodeBase {
  type: "Linear";
  weight: Tensor;
}

/** `y = x * scale` element-wise. */
export interface NIRScale extends NodeBase {
  type: "Scale";
  scale: Tensor;
}

/** `tau dv/dt = (v_leak - v) + r I`; spike and reset when `v > v_threshold`. */
export interface NIRLIF extends NodeBase {
  type: "LIF";
  tau: Tensor;
  r: Tensor;
  v_leak: Tensor;
  v_threshold: Tensor;
  /** Reset potential (NIR's default: zeros). */
  v_reset?: Tensor;
}

/** `tau_syn dI/dt = -I + w_in S`, `tau_mem dv/dt = (v_leak - v) + r I`; spike and reset. */
export interface NIRCubaLIF extends NodeBase {
  type: "CubaLIF";
  tau_syn: Tensor;
  tau_mem: Tensor;
  r: Tensor;
  v_leak: Tensor;
  v_threshold: Tensor;
  /** Reset potential (NIR's default: zeros). */
  v_reset?: Tensor;
  /** Input current weight (NIR's default: ones). */
  w_in?: Tensor;
}

/** CubaLIF without the spike: a current-based leaky integrator. */
export interface NIRCubaLI extends NodeBase {
  type: "CubaLI";
  tau_syn: Tensor;
  tau_mem: Tensor;
  r: Tensor;
  v_leak: Tensor;
  /** Input current weight (NIR's default: ones). */
  w_in?: Tensor;
}

/** `tau dv/dt = (v_leak - v) + r I`, output `v` (no spike). */
export interface NIRLI extends NodeBase {
  type: "LI";
  tau: Tensor;
  r: Tensor;
  v_leak: Tensor;
}

/** `dv/dt = r I`; spike and reset when `v > v_threshold`. */
export interface NIRIF extends NodeBase {
  type: "IF";
  r: Tensor;
  v_threshold: Tensor;
  /** Reset potential (NIR's default: zeros). */
  v_reset?: Tensor;
}

/** NIR's integrator `I`: `dv/dt = r I`, output `v`. */
export interface NIRIntegrator extends NodeBase {
  type: "I";
  r: Tensor;
}

/** `z = x > threshold ? 1 : 0` element-wise. */
export interface NIRThreshold extends NodeBase {
  type: "Threshold";
  threshold: Tensor;
}

/** A 1-d convolution, `weight: [C_out, C_in / groups, K]`, input `[C_in, N]`. */
export interface NIRConv1d extends NodeBase {
  type: "Conv1d";
  /** Spatial input length `N` (optional in NIR). */
  input_shape?: number | null;
  weight: Tensor;
  stride: number;
  /** Zeros added on both sides, or `"same"` / `"valid"`. */
  padding: number | "same" | "valid";
  dilation: number;
  groups: number;
  bias: Tensor;
}

/** A 2-d convolution, `weight: [C_out, C_in / groups, K_x, K_y]` (OIHW), input `[C_in, N_x, N_y]`. */
export interface NIRConv2d extends NodeBase {
  type: "Conv2d";
  /** Spatial input shape `[N_x, N_y]` (optional in NIR). */
  input_shape?: [number, number] | null;
  weight: Tensor;
  stride: [number, number];
  /** Zeros added on both sides of each axis, or `"same"` / `"valid"`. */
  padding: [number, number] | "same" | "valid";
  dilation: [number, number];
  groups: number;
  bias: Tensor;
}

/** Sum over `kernel_size` windows of a `[C, H, W]` input (padding zeros on both sides). */
export interface NIRSumPool2d extends NodeBase {
  type: "SumPool2d";
  kernel_size: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** Mean over `kernel_size` windows (padding zeros counted, as PyTorch's default). */
export interface NIRAvgPool2d extends NodeBase {
  type: "AvgPool2d";
  kernel_size: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** Flattens axes `start_dim..end_dim` of one sample (no batch axis; `end_dim` may be negative). */
export interface NIRFlatten extends NodeBase {
  type: "Flatten";
  start_dim: number;
  end_dim: number;
  /** The input shape (optional in NIR). */
  input_type?: number[] | null;
}

/** `y(t) = x(t - delay)`, delays in seconds, one per element. */
export interface NIRDelay extends NodeBase {
  type: "Delay";
  delay: Tensor;
}

/**
 * A graph of nodes connected by identity edges `[from, to]`; a node with
 * several incoming edges sums them. Nested graphs are nodes of type
 * `"NIRGraph"`; `version` is set on the graph that {@link read} returns.
 */
export interface NIRGraph extends NodeBase {
  type: "NIRGraph";
  nodes: Record<string, NIRNode>;
  edges: [string, string][];
  /** The file's NIR version string (top-level graphs only). */
  version?: string;
}

/** Any NIR node. */
export type NIRNode =
  | NIRInput
  | NIROutput
  | NIRAffine
  | NIRLinear
  | NIRScale
  | NIRLIF
  | NIRCubaLIF
  | NIRCubaLI
  | NIRLI
  | NIRIF
  | NIRIntegrator
  | NIRThreshold
  | NIRConv1d
  | NIRConv2d
  | NIRSumPool2d
  | NIRAvgPool2d
  | NIRFlatten
  | NIRDelay
  | NIRGraph;

/** The `type` strings of {@link NIRNode}. */
export type NIRNodeType = NIRNode["type"];

/**
 * How a field is stored: `array` a float dataset of any shape (a tensor);
 * `shape` a 1-D integer dataset; `int` an integer scalar; `int2` an integer
 * or two (stored as two); `pad1` / `pad2` like `int` / `int2` or the strings
 * `"same"` / `"valid"`.
 */
export type FieldKind = "array" | "shape" | "int" | "int2" | "pad1" | "pad2";

/** One field of a node type: its kind and whether NIR requires it. */
export interface FieldSpec {
  name: string;
  kind: FieldKind;
  optional?: boolean;
}

const f = (name: string, kind: FieldKind, optional = false): FieldSpec => ({ name, kind, optional });

/**
 * The fields of every node type except `NIRGraph`, in NIR's order (its
 * dataclasses in `nir/ir/*.py`). Optional fields are the ones NIR's reader
 * fills in when a file lacks them (`v_reset`, `w_in`) or accepts as absent
 * (`input_shape`, `input_type`).
 *
 * @example
 * ```ts
 * NODE_FIELDS.LIF.map((s) => s.name); // ["tau", "r", "v_leak", "v_threshold", "v_reset"]
 * ```
 */
export const NODE_FIELDS: Readonly<Record<Exclude<NIRNodeType, "NIRGraph">, readonly FieldSpec[]>> = {
  Input: [f("shape", "shape")],
  Output: [f("shape", "shape")],
  Affine: [f("weight", "array"), f("bias", "array")],
  Linear: [f("weight", "array")],
  Scale: [f("scale", "array")],
  LIF: [
    f("tau", "array"),
    f("r", "array"),
    f("v_leak", "array"),
    f("v_threshold", "array"),
    f("v_reset", "array", true),
  ],
  CubaLIF: [
    f("tau_syn", "array"),
    f("tau_mem", "array"),
    f("r", "array"),
    f("v_leak", "array"),
    f("v_threshold", "array"),
    f("v_reset", "array", true),
    f("w_in", "array", true),
  ],
  CubaLI: [
    f("tau_syn", "array"),
    f("tau_mem", "array"),
    f("r", "array"),
    f("v_leak", "array"),
    f("w_in", "array", true),
  ],
  LI: [f("tau", "array"), f("r", "array"), f("v_leak", "array")],
  IF: [f("r", "array"), f("v_threshold", "array"), f("v_reset", "array", true)],
  I: [f("r", "array")],
  Threshold: [f("threshold", "array")],
  Conv1d: [
    f("input_shape", "int", true),
    f("weight", "array"),
    f("stride", "int"),
    f("padding", "pad1"),
    f("dilation", "int"),
    f("groups", "int"),
    f("bias", "array"),
  ],
  Conv2d: [
    f("input_shape", "int2", true),
    f("weight", "array"),
    f("stride", "int2"),
    f("padding", "pad2"),
    f("dilation", "int2"),
    f("groups", "int"),
    f("bias", "array"),
  ],
  SumPool2d: [f("kernel_size", "int2"), f("stride", "int2"), f("padding", "int2")],
  AvgPool2d: [f("kernel_size", "int2"), f("stride", "int2"), f("padding", "int2")],
  Flatten: [f("start_dim", "int"), f("end_dim", "int"), f("input_type", "shape", true)],
  Delay: [f("delay", "array")],
};

/**
 * True when `type` is a node type of NIR that this module knows.
 *
 * @example
 * ```ts
 * isNodeType("LIF"); // true
 * isNodeType("Sigmoid"); // false
 * ```
 */
export function isNodeType(type: unknown): type is NIRNodeType {
  return type === "NIRGraph" || (typeof type === "string" && Object.hasOwn(NODE_FIELDS, type));
}

/** The node types, for error messages. */
export const NODE_TYPES: readonly NIRNodeType[] = [...Object.keys(NODE_FIELDS) as NIRNodeType[], "NIRGraph"];
