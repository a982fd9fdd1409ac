/**
 * The benchmark: our library against TensorFlow.js (cpu and wasm), jax-js
 * and, when importable, PyTorch, on the workloads of `workloads/spec.ts`,
 * all measured in the same run. Every (implementation, case) pair runs in
 * a fresh process (`run_case.ts`, or `peers/torch_bench.py`) with one
 * untimed warm-up call and a fixed number of timed calls; the table shows
 * medians and the ratios ours / peer.
 *
 *   deno task bench [--only W1,W3-2048] [--peers tfjs-cpu,tfjs-wasm,jax-js,torch] [--quick] [--json]
 *                   [--save report.json] [--timeout 900] [--wait-idle]
 *   bun bench/main.ts ...          (our side then runs under Bun too)
 *
 * jax-js runs under Bun: under Deno its wasm worker pool hangs now and then
 * (see NOTES.md). A peer whose predicted time (this case's FLOPs over the
 * GFLOP/s it reached on W3, times the calls) exceeds the timeout is
 * skipped and says so.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BenchCase, benchCases } from "./workloads/spec.ts";
import { findTorch, torchCommand } from "./peers/torch.ts";
import { measured, type Outcome, renderFirstValues, renderScaling, renderSkips, renderTable } from "./table.ts";

const ALL_PEERS = ["tfjs-cpu", "tfjs-wasm", "jax-js", "torch"];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    peers: { type: "string", default: ALL_PEERS.join(",") },
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    save: { type: "string" },
    "wait-idle": { type: "boolean", default: false },
    timeout: { type: "string" },
    threads: { type: "string" },
    backend: { type: "string", default: "cpu" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: bench/main.ts [--backend cpu|webgpu] [--only W1,W3-2048] [--peers tfjs-cpu,tfjs-wasm,jax-js,torch] [--threads 1,2,...] [--quick] [--json] [--save file.json] [--timeout seconds] [--wait-idle]\n" +
      "  --threads: CPU threads for ours (SPYX_THREADS) and PyTorch; several counts add a scaling table\n" +
      "  --backend webgpu: our WebGPU backend on W1, W2 and float32 products instead (bench/gpu.ts; --quick and --save pass on)",
  );
  process.exit(0);
}

if (values.backend === "webgpu") {
  // The GPU workloads run in one process (pipelines compile once); the JavaScript peers have no comparable GPU path here.
  const gpuArgs = [...(values.quick ? ["--quick"] : []), ...(values.save ? ["--json", values.save] : [])];
  const gpuBench = fileURLToPath(new URL("./gpu.ts", import.meta.url));
  const runArgs = "bun" in process.versions ? [gpuBench] : ["run", "-A", gpuBench];
  const r = spawnSync(process.execPath, [...runArgs, ...gpuArgs], { stdio: "inherit" });
  process.exit(r.status ?? 1);
} else if (values.backend !== "cpu") {
  throw new RangeError(`bench: --backend must be cpu or webgpu, got ${values.backend}`);
}

const quick = values.quick!;
const timeoutS = Number(values.timeout ?? (quick ? 60 : 900));
if (!(timeoutS > 0)) {
  throw new RangeError(`bench: --timeout must be a positive number of seconds, got ${values.timeout}`);
}
const peers = values.peers!.split(",").filter(Boolean);
for (const p of peers) {
  if (!ALL_PEERS.includes(p)) {
    throw new RangeError(`bench: unknown peer ${p}; expected some of ${ALL_PEERS.join(", ")}`);
  }
}
const impls = ["ours", ...peers];
const threadCounts = values.threads === undefined ? [null] : values.threads.split(",").map((t) => {
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`bench: --threads takes positive integers, got ${values.threads}`);
  }
  return n;
});
const only = values.only?.split(",").filter(Boolean);
// W3 first: its GFLOP/s predict which peers would time out on the big cases.
const cases = benchCases(quick)
  .filter((c) => !only || only.some((o) => c.id === o || c.id.split("-")[0] === o))
  .sort((a, b) => Number(b.params.kind === "W3") - Number(a.params.kind === "W3"));
if (cases.length === 0) throw new RangeError(`bench: --only ${values.only} selects no case`);

const versions = process.versions as Record<string, string | undefined>;
const here = fileURLToPath(new URL("./run_case.ts", import.meta.url));

/**
 * `[command, args]` that runs a TypeScript file under the current runtime
 * (Deno's `child_process` turns `execPath file` into `deno run -A file`).
 */
function currentRuntime(file: string): [string, string[]] {
  return [process.execPath, [file]];
}

function findBun(): string | null {
  if (versions.bun) return process.execPath;
  const local = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));
  if (existsSync(local)) return local;
  return spawnSync("bun", ["--version"]).status === 0 ? "bun" : null;
}

function runChild(command: string, args: string[], env: Record<string, string>, impl: string, c: BenchCase): Outcome {
  waitIdle();
  const started = performance.now();
  const child = spawnSync(command, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: timeoutS * 1000,
    killSignal: "SIGKILL",
    maxBuffer: 64 << 20,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if ((child.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT" || child.signal) {
    return { impl, case: c.id, skipped: `timed out after ${seconds} s (limit ${timeoutS} s)` };
  }
  const line = (child.stdout ?? "").split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (child.status !== 0 || !line) {
    const tail = `${child.stderr ?? ""}${child.error ?? ""}`.trim().split("\n").slice(-3).join(" / ");
    return { impl, case: c.id, skipped: `failed (exit ${child.status}): ${tail.slice(0, 300)}` };
  }
  return JSON.parse(line.slice("BENCH_RESULT ".length)) as Outcome;
}

/** Fraction of CPU time idle over `ms` milliseconds (Linux `/proc/stat`), or 1 where unknown. */
function idleFraction(ms: number): number {
  const read = () => {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: cpu[3] + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    const b = read();
    return (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return 1;
  }
}

/**
 * With `--wait-idle`, waits (up to ten minutes) until the machine has been
 * at least 90 % idle for two seconds, so that other work on a shared
 * machine does not end up in the measurement.
 */
function waitIdle(): void {
  if (!values["wait-idle"]) return;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline && idleFraction(2000) < 0.9) {
    // Polling again; each probe itself takes two seconds.
  }
}

function machine(): string {
  let model = cpus()[0]?.model ?? "unknown CPU";
  try {
    const lscpu = execFileSync("lscpu", { encoding: "utf8" });
    model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? model;
  } catch {
    // lscpu is optional.
  }
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
}

/**
 * glibc malloc settings for every JavaScript run (ours and the JS peers
 * alike): keep freed large blocks in the heap instead of unmapping them
 * (thresholds), and back the heap with transparent huge pages (`hugetlb=1`,
 * used where the kernel's THP mode is `madvise`), so that a fresh
 * multi-MiB typed array neither faults in new 4 KiB pages (on this VM about
 * 13 us each) nor unmaps. A fresh 16 MiB array then costs 1.9 ms instead of
 * 4.4 (NOTES.md). PyTorch gets its equivalent from tcmalloc
 * (`peers/torch.ts`).
 */
const JS_ENV = {
  GLIBC_TUNABLES:
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296",
};

const torch = peers.includes("torch") ? findTorch() : null;
const bun = peers.includes("jax-js") ? findBun() : null;
const outcomes: Outcome[] = [];
/** Best W3 throughput of each implementation (GFLOP per ms), for the predictions. */
const rate = new Map<string, number>();

/** Outcomes per thread count (`null`: every core, the default). */
const byThreads = new Map<number | null, Outcome[]>();

for (const threads of threadCounts) {
  const outcomesHere: Outcome[] = [];
  byThreads.set(threads, outcomesHere);
  rate.clear();
  const threadEnv: Record<string, string> = threads === null ? {} : { SPYX_THREADS: String(threads) };
  const torchHere = torch && !("skipped" in torch) && threads !== null
    ? { ...torch, threads, env: { ...torch.env, OMP_NUM_THREADS: String(threads) } }
    : torch;
  for (const c of cases) {
    for (const impl of impls) {
      const predictedS = rate.has(impl) ? c.flops / rate.get(impl)! / 1000 * (c.samples + 1) : 0;
      let outcome: Outcome;
      if (predictedS > timeoutS) {
        outcome = {
          impl,
          case: c.id,
          skipped: `predicted ${predictedS.toFixed(0)} s (${
            (c.flops / 1e9).toFixed(0)
          } GFLOP per call at its W3 rate) > limit ${timeoutS} s`,
        };
      } else if (impl !== "ours" && c.params.kind === "W4") {
        outcome = { impl, case: c.id, skipped: "W4 (the MNIST example) is ours only" };
      } else if (impl === "torch") {
        if (!torchHere || "skipped" in torchHere) {
          outcome = { impl, case: c.id, skipped: torchHere?.skipped ?? "not requested" };
        } else {
          const { command, args, env } = torchCommand(torchHere, c);
          outcome = runChild(command, args, env, impl, c);
        }
      } else {
        const flags = ["--impl", impl, "--case", c.id, ...(quick ? ["--quick"] : [])];
        let [command, args] = currentRuntime(here);
        if (impl === "jax-js" && bun) [command, args] = [bun, [here]];
        outcome = runChild(command, [...args, ...flags], { ...JS_ENV, ...threadEnv }, impl, c);
      }
      outcomesHere.push(outcome);
      outcomes.push(outcome);
      if (measured(outcome) && c.params.kind === "W3") {
        rate.set(impl, Math.max(rate.get(impl) ?? 0, c.flops / outcome.medianMs));
      }
      const shown = measured(outcome)
        ? `${outcome.medianMs.toFixed(1)} ms median (${outcome.runtime})`
        : outcome.skipped;
      const at = threads === null ? "" : ` ${threads} threads`;
      console.error(`${c.id.padEnd(12)} ${impl.padEnd(10)}${at} ${shown}`);
    }
  }
}

const order = benchCases(quick).map((c) => c.id);
cases.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
const report = {
  date: new Date().toISOString(),
  machine: machine(),
  runtime: versions.deno ? `deno ${versions.deno}` : `bun ${versions.bun}`,
  jaxRuntime: !peers.includes("jax-js") ? "not requested" : bun ? "bun" : "the same runtime (bun not found)",
  torch: torch ? ("skipped" in torch ? torch.skipped : torch.describe) : "not requested",
  jsEnv: Object.entries(JS_ENV).map(([k, v]) => `${k}=${v}`).join(" "),
  quick,
  threads: threadCounts,
  outcomesByThreads: Object.fromEntries([...byThreads].map(([t, o]) => [t ?? "all", o])),
  cases: cases.map(({ id, title, params, flops, bytes, samples }) => ({ id, title, params, flops, bytes, samples })),
  outcomes,
};
if (values.save) writeFileSync(values.save, JSON.stringify(report, null, 2) + "\n");
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(
    `Benchmark ${
      report.date.slice(0, 10)
    } on ${report.machine}; ours on ${report.runtime}, jax-js on ${report.jaxRuntime}`,
  );
  console.log(`PyTorch: ${report.torch}`);
  console.log(`JavaScript runs (ours and peers): ${report.jsEnv}`);
  console.log(
    `Medians of ${
      quick ? "a quick run (small sizes)" : "each case's timed calls"
    }; ratios ours / peer (below 1: ours faster).\n`,
  );
  for (const [threads, here] of byThreads) {
    if (threads !== null) console.log(`\n${threads} thread${threads === 1 ? "" : "s"}:`);
    console.log(renderTable(cases, impls, here));
  }
  if (threadCounts.length > 1) {
    console.log(`\nScaling (median ms; speed-up and parallel efficiency against ${threadCounts[0]} thread(s)):`);
    console.log(renderScaling(cases, ["ours", "torch"].filter((i) => impls.includes(i)), byThreads));
  }
  const skips = renderSkips(outcomes);
  if (skips) console.log(`\n${skips}`);
  const firsts = renderFirstValues(outcomes);
  if (firsts) {
    console.log(`\nLoss after the first call (the same inputs for every JavaScript implementation):\n${firsts}`);
  }
  // One line per implementation and set-up, with the cases it applies to.
  const setups = new Map<string, string[]>();
  for (const o of outcomes.filter(measured)) {
    const key = `${o.impl}: ${o.details.replace(/, \d+ workers ready at the end/, "")}`;
    setups.set(key, [...(setups.get(key) ?? []), o.case]);
  }
  console.log(`\n${[...setups].map(([k, ids]) => `- ${k} (${ids.join(", ")})`).join("\n")}`);
}
