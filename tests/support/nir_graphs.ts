/**
 * Test helpers for NIR: a seeded random source, hand-built NIR graphs that
 * cover every node type, and conversions between NIR's layout
 * (`[B, T, C, ...]`) and spyx-ts's (`[B, T, ..., C]`) written with plain
 * index arithmetic.
 */
import { type nir, np, type Tensor } from "../../mod.ts";

/** A seeded uniform [0, 1) source (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** float32 tensor of `shape` with values `lo + (hi - lo) * u`. */
export function uniform(rand: () => number, shape: number[], lo: number, hi: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Array.from({ length: n }, () => lo + (hi - lo) * rand()), { shape, dtype: "float32" });
}

/** Spike input `[B, T, ...sample]` (NIR layout) with firing probability `p`, as float64 values. */
export function spikes(rand: () => number, n: number, p: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rand() < p ? 1 : 0));
}

/** The permutation taking NIR's per-sample layout `[C, ...S]` to spyx-ts's `[...S, C]` (identity for 1-D). */
function layoutIndex(nirSample: number[]): number[] {
  const r = nirSample.length, n = nirSample.reduce((a, b) => a * b, 1);
  if (r < 2) return Array.from({ length: n }, (_, i) => i);
  const [C, ...S] = nirSample, sp = S.reduce((a, b) => a * b, 1);
  // ours[s * C + c] = nir[c * sp + s]
  const idx = new Array<number>(n);
  for (let c = 0; c < C; c++) for (let s = 0; s < sp; s++) idx[s * C + c] = c * sp + s;
  return idx;
}

/** `[B, T, ...nirSample]` values to a spyx-ts tensor `[B, T, ...S, C]` of `dtype`. */
export function toOurs(
  x: Float64Array,
  B: number,
  T: number,
  nirSample: number[],
  dtype: "float32" | "float64",
): Tensor {
  const idx = layoutIndex(nirSample), n = idx.length;
  const out = new Float64Array(x.length);
  for (let bt = 0; bt < B * T; bt++) for (let k = 0; k < n; k++) out[bt * n + k] = x[bt * n + idx[k]];
  const ours = nirSample.length < 2 ? nirSample : [...nirSample.slice(1), nirSample[0]];
  return np.astype(np.array(out, { shape: [B, T, ...ours], dtype: "float64" }), dtype);
}

/** A spyx-ts tensor `[B, T, ...S, C]` as NIR-layout values per `[b][t]`. */
export function fromOurs(t: Tensor, nirSample: number[]): Float64Array[][] {
  const idx = layoutIndex(nirSample), n = idx.length;
  const [B, T] = t.shape, data = t.dataSync();
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, s) => {
      const out = new Float64Array(n), at = (b * T + s) * n;
      for (let k = 0; k < n; k++) out[idx[k]] = data[at + k];
      return out;
    }));
}

/** Largest absolute difference between two `[b][t]` nests of values. */
export function maxDiff(a: Float64Array[][], b: Float64Array[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, t) => v.forEach((x, k) => (m = Math.max(m, Math.abs(x - b[i][t][k]))))));
  return m;
}

const ones = (n: number, v = 1) => np.full([n], v, { dtype: "float32" });

/** A LIF node with per-neuron random time constants around `tau`. */
export function lifNode(rand: () => number, n: number, tau: number, extra: Partial<nir.NIRLIF> = {}): nir.NIRLIF {
  return {
    type: "LIF",
    tau: uniform(rand, [n], tau, 2 * tau),
    r: ones(n),
    v_leak: ones(n, 0),
    v_threshold: ones(n),
    ...extra,
  };
}

/** A chain graph over named nodes (edges in the given order). */
export function chain(nodes: [string, nir.NIRNode][]): nir.NIRGraph {
  return {
    type: "NIRGraph",
    nodes: Object.fromEntries(nodes),
    edges: nodes.slice(1).map(([name], i): [string, string] => [nodes[i][0], name]),
  };
}

/** NIR's recurrent subgraph: `input -> neuron`, `neuron -> w_rec -> neuron`, `neuron -> output`. */
export function recurrentSubgraph(neuron: nir.NIRNode, wRec: Tensor, n: number): nir.NIRGraph {
  return {
    type: "NIRGraph",
    nodes: {
      input: { type: "Input", shape: [n] },
      neuron,
      w_rec: { type: "Linear", weight: wRec },
      output: { type: "Output", shape: [n] },
    },
    edges: [["input", "neuron"], ["neuron", "w_rec"], ["w_rec", "neuron"], ["neuron", "output"]],
  };
}

/**
 * A convolutional chain with every 2-d node type: Conv2d (padding, stride),
 * IF, SumPool2d, AvgPool2d (with padding), Flatten, Affine, LIF, Linear, LI.
 * Input `[2, 6, 6]`, output `[3]`.
 */
export function convGraph(rand: () => number): nir.NIRGraph {
  return chain([
    ["input", { type: "Input", shape: [2, 6, 6] }],
    ["conv", {
      type: "Conv2d",
      input_shape: [6, 6],
      weight: uniform(rand, [4, 2, 3, 3], -1, 2),
      stride: [1, 1],
      padding: [1, 1],
      dilation: [1, 1],
      groups: 1,
      bias: uniform(rand, [4], 0, 0.5),
    }],
    ["if", { type: "IF", r: np.full([4, 6, 6], 1.5, { dtype: "float32" }), v_threshold: np.ones([4, 6, 6]) }],
    ["pool", { type: "SumPool2d", kernel_size: [2, 2], stride: [2, 2], padding: [0, 0] }],
    ["avg", { type: "AvgPool2d", kernel_size: [3, 3], stride: [1, 1], padding: [1, 1] }],
    ["flat", { type: "Flatten", start_dim: 0, end_dim: -1, input_type: [4, 3, 3] }],
    ["fc", { type: "Affine", weight: uniform(rand, [5, 36], -1, 1.5), bias: uniform(rand, [5], 0, 0.2) }],
    ["lif", lifNode(rand, 5, 2e-3)],
    ["fc2", { type: "Linear", weight: uniform(rand, [3, 5], -1, 1) }],
    ["li", { type: "LI", tau: uniform(rand, [3], 4e-3, 8e-3), r: ones(3), v_leak: ones(3, 0) }],
    ["output", { type: "Output", shape: [3] }],
  ]);
}

/**
 * A 1-d chain with the other node types: Conv1d ("same"), LIF with NIR
 * settings spyx ignores (r != 1, v_leak != 0, per-neuron thresholds),
 * Flatten, Affine, CubaLIF (w_in, r), Scale, Delay, Threshold, Linear, I.
 * Input `[2, 5]`, output `[2]`.
 */
export function lineGraph(rand: () => number): nir.NIRGraph {
  return chain([
    ["input", { type: "Input", shape: [2, 5] }],
    ["conv", {
      type: "Conv1d",
      input_shape: 5,
      weight: uniform(rand, [3, 2, 3], -0.5, 1.5),
      stride: 1,
      padding: "same",
      dilation: 1,
      groups: 1,
      bias: uniform(rand, [3], 0, 0.3),
    }],
    ["lif", {
      ...lifNode(rand, 15, 3e-3),
      tau: np.full([3, 5], 3e-3, { dtype: "float32" }),
      r: uniform(rand, [3, 5], 1, 3),
      v_leak: uniform(rand, [3, 5], -0.2, 0.4),
      v_threshold: uniform(rand, [3, 5], 0.5, 1.5),
    }],
    ["flat", { type: "Flatten", start_dim: 0, end_dim: 1 }],
    ["fc", { type: "Affine", weight: uniform(rand, [4, 15], -1, 2), bias: uniform(rand, [4], 0, 0.1) }],
    ["cuba", {
      type: "CubaLIF",
      tau_syn: uniform(rand, [4], 2e-3, 4e-3),
      tau_mem: uniform(rand, [4], 4e-3, 8e-3),
      r: uniform(rand, [4], 1, 4),
      v_leak: ones(4, 0),
      v_threshold: ones(4, 0.8),
      w_in: uniform(rand, [4], 1, 2),
    }],
    ["scale", { type: "Scale", scale: uniform(rand, [4], 0.5, 2) }],
    ["delay", { type: "Delay", delay: np.array([0, 1e-3, 2e-3, 3e-3], { dtype: "float32" }) }],
    ["thr", { type: "Threshold", threshold: ones(4, 0.5) }],
    ["fc2", { type: "Linear", weight: uniform(rand, [2, 4], -1, 1) }],
    ["integ", { type: "I", r: uniform(rand, [2], 50, 100) }],
    ["output", { type: "Output", shape: [2] }],
  ]);
}

/** A chain of NIR's recurrent subgraphs: RLIF, RCuBaLIF and RIF. Input `[3]`, output `[2]`. */
export function recurrentGraph(rand: () => number): nir.NIRGraph {
  return chain([
    ["input", { type: "Input", shape: [3] }],
    ["fc", { type: "Affine", weight: uniform(rand, [6, 3], 0, 3), bias: uniform(rand, [6], 0, 0.5) }],
    ["rlif", recurrentSubgraph(lifNode(rand, 6, 2e-3), uniform(rand, [6, 6], -1, 1), 6)],
    ["fc2", { type: "Linear", weight: uniform(rand, [4, 6], 0, 2) }],
    [
      "rcuba",
      recurrentSubgraph(
        {
          type: "CubaLIF",
          tau_syn: uniform(rand, [4], 1.2e-3, 2e-3),
          tau_mem: uniform(rand, [4], 2e-3, 4e-3),
          r: ones(4, 3),
          v_leak: ones(4, 0),
          v_threshold: ones(4),
          w_in: ones(4, 2),
        },
        uniform(rand, [4, 4], -1, 1),
        4,
      ),
    ],
    ["fc3", { type: "Linear", weight: uniform(rand, [2, 4], 0, 1) }],
    [
      "rif",
      recurrentSubgraph({ type: "IF", r: ones(2, 400), v_threshold: ones(2) }, uniform(rand, [2, 2], -0.5, 0.5), 2),
    ],
    ["output", { type: "Output", shape: [2] }],
  ]);
}
