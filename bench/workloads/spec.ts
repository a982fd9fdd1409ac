/**
 * The benchmark workloads, shared by our implementation and every peer:
 * their sizes, seeds, and the FLOP and byte counts that the table's
 * predictions and throughputs are computed from.
 *
 * @module
 */

/** W1: `Linear(n -> n, bias)` then `LIF` (beta 0.9, threshold 1, superspike), loss = sum of spikes. */
export interface W1Params {
  kind: "W1";
  /** Time steps. */
  T: number;
  /** Batch size. */
  B: number;
  /** Neurons (input and output width of the linear layer). */
  n: number;
}

/** W2: spyx's SHD tutorial step, `Linear(700->128) -> LIF -> Linear(128->20) -> LI`, integral cross-entropy, Adam. */
export interface W2Params {
  kind: "W2";
  B: number;
  T: number;
  inputs: number;
  hidden: number;
  classes: number;
  /** Fraction of input entries that are spikes. */
  density: number;
}

/** W3: one float32 matrix product `[m, k] @ [k, n]`. */
export interface W3Params {
  kind: "W3";
  m: number;
  k: number;
  n: number;
}

/** W4: one training step of the MNIST example (rate-coded digits, `Linear -> LIF -> Linear -> LI`, Adam). */
export interface W4Params {
  kind: "W4";
  B: number;
  T: number;
  hidden: number;
}

/** Parameters of any workload. */
export type WorkloadParams = W1Params | W2Params | W3Params | W4Params;

/** One row of the benchmark table. */
export interface BenchCase {
  /** Stable identifier, e.g. `W1-512`. */
  id: string;
  /** What is measured, in words. */
  title: string;
  params: WorkloadParams;
  /** Floating-point operations of one timed call (multiply-add = 2). */
  flops: number;
  /** Bytes a perfect implementation must move to and from memory in one call. */
  bytes: number;
  /** Timed calls per implementation after the warm-up ({@link WARMUP}). */
  samples: number;
  /** Items processed per call for a throughput column (W4: samples). */
  items?: number;
}

/**
 * Untimed calls before the timed ones, the same rule for every
 * implementation: at least `minCalls`, then more until `ms` have passed or
 * `maxCalls` were made. A training loop runs thousands of steps, so the
 * table shows the steady state: JIT tiers, tracing, worker start-up and
 * heap growth are over (V8 needs about ten W1-512 steps, see NOTES.md).
 */
export const WARMUP = { minCalls: 1, maxCalls: 10, ms: 2000 } as const;

/** Seeds of every random input, so that every implementation sees the same data. */
export const SEEDS = { input: 1, weight: 2, bias: 3, labels: 4, decay: 5 } as const;

/** Superspike sharpness `k` of the surrogate `1 / (1 + k|u|)^2` (spyx's default). */
export const SUPERSPIKE_K = 25;

/** Adam's learning rate in W2 and W4. */
export const LEARNING_RATE = 1e-3;

/**
 * W1's work: the linear layer forward (`2 T B n^2` + bias) and its weight
 * gradient `x^T g` (`2 T B n^2`; the input needs no gradient), and about 20
 * element-wise operations per neuron and step for the LIF forward, the
 * surrogate and its backward. Memory: the input is read twice, the
 * currents written once and read back, the membranes kept for the
 * backward pass, and the weight read and its gradient written.
 */
export function w1Cost({ T, B, n }: W1Params): { flops: number; bytes: number } {
  const tb = T * B;
  return { flops: 4 * tb * n * n + 20 * tb * n, bytes: 4 * (6 * tb * n + 3 * n * n) };
}

/**
 * W2's dense-equivalent work: both linear layers forward and their weight
 * gradients (the input needs none; the hidden spikes do), about 20
 * element-wise operations per neuron and step, and Adam's dozen per
 * parameter. With 5 % input spikes only `density` of the first layer's
 * multiply-adds are non-trivial; the count below is the dense one.
 */
export function w2Cost({ B, T, inputs, hidden, classes }: W2Params): { flops: number; bytes: number } {
  const bt = B * T;
  const linear1 = 2 * bt * inputs * hidden, linear2 = 2 * bt * hidden * classes;
  const params = inputs * hidden + hidden * classes + hidden + classes;
  return {
    flops: 2 * linear1 + 3 * linear2 + 20 * bt * (hidden + classes) + 12 * params,
    bytes: 4 * (2 * bt * inputs + 6 * bt * (hidden + classes) + 8 * params),
  };
}

/** W3: `2 m k n` operations over `4 (m k + k n + m n)` bytes. */
export function w3Cost({ m, k, n }: W3Params): { flops: number; bytes: number } {
  return { flops: 2 * m * k * n, bytes: 4 * (m * k + k * n + m * n) };
}

/** W4: as W2 with dense rate-coded inputs of 784 pixels and 10 classes. */
export function w4Cost({ B, T, hidden }: W4Params): { flops: number; bytes: number } {
  return w2Cost({ kind: "W2", B, T, inputs: 784, hidden, classes: 10, density: 1 });
}

function withCost(
  c: Omit<BenchCase, "flops" | "bytes">,
): BenchCase {
  const p = c.params;
  const cost = p.kind === "W1" ? w1Cost(p) : p.kind === "W2" ? w2Cost(p) : p.kind === "W3" ? w3Cost(p) : w4Cost(p);
  return { ...c, ...cost };
}

/**
 * The cases of the table; `quick` shrinks every size for a smoke test that
 * finishes in well under a minute.
 *
 * @example
 * ```ts
 * benchCases(true).map((c) => c.id); // ["W1-512", "W1-2048", "W1-4096", "W2", "W3-8000x512", "W3-2048", "W4"]
 * ```
 */
export function benchCases(quick: boolean): BenchCase[] {
  const t = quick ? 20 : 500;
  return [
    withCost({
      id: "W1-512",
      title: "W1 Linear(512) + LIF, T=500 B=16, forward+backward",
      params: { kind: "W1", T: t, B: 16, n: quick ? 64 : 512 },
      samples: quick ? 2 : 7,
    }),
    withCost({
      id: "W1-2048",
      title: "W1 Linear(2048) + LIF, T=500 B=16, forward+backward",
      params: { kind: "W1", T: t, B: 16, n: quick ? 96 : 2048 },
      samples: quick ? 2 : 3,
    }),
    withCost({
      id: "W1-4096",
      title: "W1 Linear(4096) + LIF, T=500 B=16, forward+backward",
      params: { kind: "W1", T: t, B: 16, n: quick ? 128 : 4096 },
      samples: quick ? 2 : 3,
    }),
    withCost({
      id: "W2",
      title: "W2 SHD step 700-128-20, B=64 T=100, Adam",
      params: {
        kind: "W2",
        B: quick ? 8 : 64,
        T: quick ? 10 : 100,
        inputs: 700,
        hidden: 128,
        classes: 20,
        density: 0.05,
      },
      samples: quick ? 2 : 10,
    }),
    withCost({
      id: "W3-8000x512",
      title: "W3 matmul [8000x512]@[512x512]",
      params: quick ? { kind: "W3", m: 800, k: 512, n: 512 } : { kind: "W3", m: 8000, k: 512, n: 512 },
      samples: quick ? 3 : 15,
    }),
    withCost({
      id: "W3-2048",
      title: "W3 matmul [2048x2048]@[2048x2048]",
      params: quick ? { kind: "W3", m: 256, k: 256, n: 256 } : { kind: "W3", m: 2048, k: 2048, n: 2048 },
      samples: quick ? 3 : 10,
    }),
    withCost({
      id: "W4",
      title: "W4 MNIST example step 784-128-10, B=64 T=25, Adam",
      params: { kind: "W4", B: quick ? 16 : 64, T: quick ? 5 : 25, hidden: 128 },
      samples: quick ? 2 : 10,
      items: quick ? 16 : 64,
    }),
  ];
}
