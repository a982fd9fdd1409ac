/**
 * Where W1's time goes, by phase, and how each phase scales: runs one
 * W1 training step (Linear(n) + LIF, T = 500, B = 16, forward and backward)
 * with kernel profiling on at each thread count, and prints each phase's
 * time and its serial fraction by Amdahl's law from the first two counts
 * (`T_p = T_1 (s + (1 - s) / p)`), with the speed-up that fraction allows
 * at 8 and 16 threads. Phases: each primitive's kernels (by name), a
 * matrix product's operand copies, packing and units, and "outside
 * kernels" (the op layer, the tape and the JavaScript around the kernels).
 *
 *   deno run -A bench/phases.ts --n 2048 --threads 1,2 [--reps 3] [--json out.json]
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { phaseTimes, profileKernels } from "../autodiff/core/profile.ts";
import { setNumThreads } from "../mod.ts";
import { buildOurs } from "./workloads/ours.ts";
import { type BenchCase, w1Cost } from "./workloads/spec.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2048" },
    T: { type: "string", default: "500" },
    B: { type: "string", default: "16" },
    threads: { type: "string", default: "1,2" },
    reps: { type: "string", default: "3" },
    json: { type: "string" },
  },
});
const n = Number(values.n), T = Number(values.T), B = Number(values.B), reps = Number(values.reps);
const counts = values.threads!.split(",").map(Number);
const params = { kind: "W1" as const, T, B, n };
const c: BenchCase = { id: `W1-${n}`, title: `W1 ${n}`, params, samples: reps, ...w1Cost(params) };

/** Median per-phase milliseconds of `reps` steps at `threads` threads, after a warm-up step. */
async function profile(threads: number): Promise<{ wall: number; phases: Record<string, number> }> {
  setNumThreads(threads);
  const { step } = await buildOurs(c);
  step();
  const walls: number[] = [];
  const runs: Record<string, number>[] = [];
  for (let r = 0; r < reps; r++) {
    profileKernels(true);
    const t0 = performance.now();
    step();
    walls.push(performance.now() - t0);
    const phases = Object.fromEntries(Object.entries(phaseTimes()).map(([k, v]) => [k, v.ms]));
    const kernels = Object.entries(phases).filter(([k]) => !k.includes(":")).reduce((a, [, v]) => a + v, 0);
    phases["outside kernels"] = walls[r] - kernels;
    runs.push(phases);
  }
  profileKernels(false);
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  return {
    wall: median(walls),
    phases: Object.fromEntries([...names].map((k) => [k, median(runs.map((r) => r[k] ?? 0))])),
  };
}

const results: Record<number, { wall: number; phases: Record<string, number> }> = {};
for (const t of counts) results[t] = await profile(t);

const [p1, p2] = counts;
const base = results[p1], other = results[p2];
const rows = Object.keys(base.phases).sort((a, b) => base.phases[b] - base.phases[a]).map((phase) => {
  const t1 = base.phases[phase], tp = other?.phases[phase] ?? NaN;
  // Amdahl from p1 to p2 threads: tp / t1 = s + (1 - s) * p1 / p2.
  const ratio = tp / t1, f = p1 / p2;
  const s = Math.min(1, Math.max(0, (ratio - f) / (1 - f)));
  const limit = (p: number) => 1 / (s + (1 - s) / p);
  return {
    phase,
    [`ms@${p1}`]: +t1.toFixed(1),
    [`ms@${p2}`]: +tp.toFixed(1),
    serial: +s.toFixed(2),
    "x@8": +limit(8).toFixed(1),
    "x@16": +limit(16).toFixed(1),
  };
});
console.log(
  `W1-${n} (T ${T}, B ${B}): wall ${counts.map((t) => `${results[t].wall.toFixed(0)} ms at ${t}`).join(", ")}`,
);
console.table(rows);
if (values.json) writeFileSync(values.json, JSON.stringify({ n, T, B, counts, results, rows }, null, 2));
