/**
 * Runs one implementation on one benchmark case and prints one line
 * `BENCH_RESULT {json}`; `bench/main.ts` starts it in a fresh process per
 * (implementation, case) so that neither memory nor JIT state nor worker
 * threads carry over between measurements.
 *
 *   deno run -A bench/run_case.ts --impl ours|tfjs-cpu|tfjs-wasm|jax-js --case W3-2048 [--quick]
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { measure } from "mitata";
import { benchCases, WARMUP } from "./workloads/spec.ts";
import { buildOurs } from "./workloads/ours.ts";
import { matmulStatus } from "../autodiff/cpu/matmul.ts";

/** The JavaScript implementations this runner knows. */
export const JS_IMPLS = ["ours", "tfjs-cpu", "tfjs-wasm", "jax-js"] as const;

/** One measurement, as printed after `BENCH_RESULT `. */
export interface CaseResult {
  impl: string;
  case: string;
  runtime: string;
  /** Median of the timed calls, milliseconds. */
  medianMs: number;
  minMs: number;
  samplesMs: number[];
  /** What exactly ran (backend, threads, kernels). */
  details: string;
  /** The loss returned by the first (warm-up) call, where the workload returns one. */
  firstValue?: number;
}

/** `deno 2.x` or `bun 1.x`. */
export function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `bun ${versions.bun}`;
  if (versions.deno) return `deno ${versions.deno}`;
  return `node ${process.version}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { impl: { type: "string" }, case: { type: "string" }, quick: { type: "boolean", default: false } },
  });
  const c = benchCases(values.quick!).find((x) => x.id === values.case);
  if (!c) throw new Error(`run_case: unknown case ${values.case}`);
  let step: (() => unknown) | null;
  let details: string;
  switch (values.impl) {
    case "ours": {
      const built = await buildOurs(c);
      step = built.step;
      const s = matmulStatus();
      details = `wasm matmul ${s.wasm ? s.tile : "off"}, ${s.threads} threads` + (built.note ? `; ${built.note}` : "");
      break;
    }
    case "tfjs-cpu":
    case "tfjs-wasm": {
      const { buildTfjs, tfjsDetails } = await import("./peers/tfjs.ts");
      step = await buildTfjs(c, values.impl === "tfjs-cpu" ? "cpu" : "wasm");
      details = tfjsDetails();
      break;
    }
    case "jax-js": {
      const { buildJaxjs } = await import("./peers/jaxjs.ts");
      step = await buildJaxjs(c);
      details = "@jax-js/jax wasm device, jit";
      break;
    }
    default:
      throw new Error(`run_case: unknown implementation ${values.impl}; expected one of ${JS_IMPLS.join(", ")}`);
  }
  if (!step) {
    console.log(
      `BENCH_RESULT ${JSON.stringify({ impl: values.impl, case: c.id, skipped: "not implemented for this peer" })}`,
    );
    return;
  }
  // The first call's loss, to check that every implementation computes the same thing.
  let firstValue: number | undefined;
  const inner = step;
  const keepFirst = (v: unknown) => {
    if (firstValue === undefined && typeof v === "number") firstValue = v;
    return v;
  };
  step = () => {
    const v = inner();
    return v instanceof Promise ? v.then(keepFirst) : keepFirst(v);
  };
  // Untimed warm-up calls (WARMUP: JIT, jit tracing, worker start-up), then exactly `samples` timed calls.
  const warmStart = performance.now();
  for (let calls = 0; calls < WARMUP.maxCalls; calls++) {
    if (calls >= WARMUP.minCalls && performance.now() - warmStart >= WARMUP.ms) break;
    await step();
  }
  const stats = await measure(step, { min_samples: c.samples, max_samples: c.samples, min_cpu_time: 0 });
  const samplesMs = stats.samples.map((ns: number) => ns / 1e6);
  if (values.impl === "ours") details += `, ${matmulStatus().readyWorkers} workers ready at the end`;
  const result: CaseResult = {
    impl: values.impl!,
    case: c.id,
    runtime: runtimeName(),
    medianMs: stats.p50 / 1e6,
    minMs: stats.min / 1e6,
    samplesMs,
    details,
    firstValue,
  };
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

if (import.meta.main) {
  await main();
  // Peers may leave worker threads or timers behind; the measurement is done.
  process.exit(0);
}
