/**
 * Our WebGPU backend on the benchmark workloads: W1 (Linear(n) + LIF,
 * T = 500, B = 16, forward and backward) at several `n`, W2 (spyx's SHD
 * step with Adam) and float32 products (plain, transposed left, transposed
 * right). Each timed W1/W2 call is one training step that reads its loss
 * back once, as a training loop that logs every step would; products are
 * timed over many dispatches with one readback. Prints a table and writes
 * one JSON of medians (`--json`), which the device run merges with the
 * peers' numbers.
 *
 *   deno run -A bench/gpu.ts [--w1 512,4096,16384] [--matmul 4096] [--samples 5] [--json out.json] [--quick]
 *
 * `--quick` defaults to W1 at n = 256 with T = 20 and products at 512, sizes a software adapter runs in seconds.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { bind1, initWebGPU, np, random, setBackend, type Tensor } from "../mod.ts";
import { MATMUL } from "../autodiff/ops/linalg.ts";
import { buildOurs } from "./workloads/ours.ts";
import { type BenchCase, benchCases, w1Cost } from "./workloads/spec.ts";

const { values } = parseArgs({
  options: {
    w1: { type: "string" },
    matmul: { type: "string" },
    samples: { type: "string", default: "5" },
    "max-seconds": { type: "string", default: "60" },
    json: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const quick = values.quick!;
// --quick: small sizes that a software adapter runs in seconds.
const w1Sizes = values.w1 ?? (quick ? "256" : "512,4096,16384");
const matmulSizes = values.matmul ?? (quick ? "512" : "4096");
const samples = Number(values.samples);
const maxMs = Number(values["max-seconds"]) * 1000;

const info = await initWebGPU();
setBackend("webgpu");
console.log(`WebGPU adapter: ${info.description}`);

interface Result {
  id: string;
  medianMs: number;
  minMs: number;
  samplesMs: number[];
  gflops?: number;
  firstValue?: unknown;
  error?: string;
}
const results: Result[] = [];

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Writes the results so far (after every case, so that a run cut short keeps what it measured). */
function save(): void {
  if (!values.json) return;
  writeFileSync(
    values.json,
    JSON.stringify({ date: new Date().toISOString(), adapter: info.description, results }, null, 2),
  );
}

/** A warm-up call, then up to `samples` timed calls (fewer past `maxMs`). */
function time(id: string, call: () => unknown, flops?: number): void {
  try {
    const first = call();
    call();
    const ms: number[] = [];
    const start = performance.now();
    for (let i = 0; i < samples && performance.now() - start < maxMs; i++) {
      const t0 = performance.now();
      call();
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    results.push({
      id,
      medianMs: m,
      minMs: Math.min(...ms),
      samplesMs: ms,
      gflops: flops ? flops / m / 1e6 : undefined,
      firstValue: first,
    });
  } catch (e) {
    results.push({ id, medianMs: NaN, minMs: NaN, samplesMs: [], error: String(e).slice(0, 300) });
  }
  save();
  const r = results[results.length - 1];
  console.log(
    r.error
      ? `${id}: failed: ${r.error}`
      : `${id}: ${r.medianMs.toFixed(1)} ms${r.gflops ? ` (${r.gflops.toFixed(0)} GFLOP/s)` : ""}`,
  );
}

const T = quick ? 20 : 500, B = 16;
for (const n of w1Sizes.split(",").filter(Boolean).map(Number)) {
  const params = { kind: "W1" as const, T, B, n };
  const c: BenchCase = { id: `W1-${n}`, title: `W1 ${n}`, params, samples, ...w1Cost(params) };
  const { step } = await buildOurs(c);
  time(c.id, step, c.flops);
}
const w2 = benchCases(quick).find((c) => c.id === "W2")!;
time("W2", (await buildOurs(w2)).step, w2.flops);

for (const n of matmulSizes.split(",").filter(Boolean).map(Number)) {
  const a = random.normal(random.key(1), [n, n]), b = random.normal(random.key(2), [n, n]);
  const reps = quick ? 2 : 20;
  // The three products of a Linear layer's forward and backward passes, with the transposes as the VJP binds them.
  const products: [string, () => Tensor][] = [
    ["a @ b", () => bind1(MATMUL, [a, b], { transA: false, transB: false })],
    ["a^T @ b", () => bind1(MATMUL, [a, b], { transA: true, transB: false })],
    ["a @ b^T", () => bind1(MATMUL, [a, b], { transA: false, transB: true })],
  ];
  for (const [name, product] of products) {
    // Many products, one readback: the time per product is the device's, not the readback's.
    time(`matmul ${n} ${name}`, () => {
      let last: Tensor | null = null;
      for (let r = 0; r < reps; r++) last = product();
      return np.sum(np.slice(last!, [0, 0], [1, 1])).item();
    }, 2 * n ** 3 * reps);
  }
}
