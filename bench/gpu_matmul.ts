/**
 * WebGPU matmul throughput: GFLOP/s of the `matmul` kernel on square
 * products (plain, `transA`, `transB`) and, with `--w1`, the three products
 * of a W1 layer's training step at T·B = 8000 rows (`x @ w`, `g @ w^T`,
 * `x^T @ g`). Each case queues many products into one output and reads back
 * once (a readback costs ~11 ms under Deno: it is measured alone and
 * subtracted), after a warm-up that compiles the shader. 32 sampled outputs
 * of each case are checked against float64 dot products.
 *
 *   deno run -A bench/gpu_matmul.ts --sizes 1024,4096,8192 --json out.json
 *   deno run -A bench/gpu_matmul.ts --sizes 4096 --w1 4096,16384 --tiles all
 *
 * `--tiles all` (or a list of indices into `TILES`) forces each tile shape in
 * turn instead of the planner's choice ("auto", the default), `--bk 8,16`
 * each of those at each contraction step depth; `--ms` is how long each
 * timed run aims to take.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { initWebGPU } from "../gpu/mod.ts";
import { deviceClient, type GpuHandle, newBuffer } from "../gpu/backend.ts";
import { encodeMatmul } from "../gpu/kernels/matmul.ts";
import {
  batchLayout,
  type MatmulPlan,
  matmulSettings,
  planMatmul,
  type Tile,
  TILES,
  tileSize,
} from "../gpu/kernels/matmul_plan.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1024,4096" },
    w1: { type: "string", default: "" },
    tiles: { type: "string", default: "auto" },
    ms: { type: "string", default: "300" },
    bk: { type: "string", default: "" },
    json: { type: "string" },
  },
});
const list = (s: string) => s.split(",").filter((x) => x !== "").map(Number);
const sizes = list(values.sizes!), w1 = list(values.w1!), targetMs = Number(values.ms);
if ([...sizes, ...w1].some((n) => !(Number.isInteger(n) && n > 0)) || !(targetMs > 0)) {
  throw new RangeError(`gpu_matmul: sizes must be positive integers, got --sizes ${values.sizes} --w1 ${values.w1}`);
}
const tileIndices: (number | "auto")[] = values.tiles === "auto"
  ? ["auto"]
  : values.tiles === "all"
  ? TILES.map((_, i) => i)
  : list(values.tiles!);
// `--bk 8,16` tries each forced tile at each contraction step depth.
const depths = list(values.bk!);
const tileChoices: (Tile | "auto")[] = tileIndices.flatMap((i): (Tile | "auto")[] =>
  i === "auto" ? ["auto" as const] : depths.length ? depths.map((bk): Tile => ({ ...TILES[i], bk })) : [TILES[i]]
);

const info = await initWebGPU();
console.log(`# ${info.description}`);

/** Seeded values in [-0.5, 0.5). */
function random(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 32 - 0.5;
  }
  return out;
}

function upload(x: Float32Array): GpuHandle {
  return newBuffer(x.length, x.slice().buffer);
}

/** Milliseconds of a readback with no work queued: subtracted from each timed run. */
function readbackMs(h: GpuHandle): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    deviceClient().readSync({ id: h.id, bytes: 4 });
    times.push(performance.now() - t);
  }
  return Math.min(...times);
}

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

const cases: Case[] = [];
for (const n of sizes) {
  cases.push({ name: `square ${n}`, m: n, n, k: n, transA: false, transB: false });
  cases.push({ name: `square ${n} transA`, m: n, n, k: n, transA: true, transB: false });
  cases.push({ name: `square ${n} transB`, m: n, n, k: n, transA: false, transB: true });
}
const ROWS = 8000;
for (const n of w1) {
  cases.push({ name: `w1 ${n} x@w`, m: ROWS, n, k: n, transA: false, transB: false });
  cases.push({ name: `w1 ${n} g@w^T`, m: ROWS, n, k: n, transA: false, transB: true });
  cases.push({ name: `w1 ${n} x^T@g`, m: n, n, k: ROWS, transA: true, transB: false });
}

function describePlan(p: MatmulPlan): string {
  if (p.kind === "simple") return "simple";
  const { bm, bn } = tileSize(p.tile);
  return `${bm}x${bn} (${p.tile.tm}x${p.tile.tn} per invocation, bk ${p.tile.bk})${
    p.splits > 1 ? ` split ${p.splits}` : ""
  }`;
}

const results: Record<string, unknown>[] = [];
for (const c of cases) {
  const aShape = c.transA ? [c.k, c.m] : [c.m, c.k], bShape = c.transB ? [c.n, c.k] : [c.k, c.n];
  const a = random(c.m * c.k, 1), b = random(c.k * c.n, 2);
  const ha = upload(a), hb = upload(b), out = newBuffer(c.m * c.n);
  const base = readbackMs(out);
  for (const choice of tileChoices) {
    matmulSettings.forceTile = choice === "auto" ? undefined : choice;
    const plan = planMatmul(batchLayout(aShape, bShape, [c.m, c.n], c.transA), "float32");
    const run = (reps: number): number => {
      const t = performance.now();
      for (let r = 0; r < reps; r++) {
        encodeMatmul(ha, aShape, hb, bShape, out, [c.m, c.n], "float32", c.transA, c.transB, plan);
      }
      deviceClient().readSync({ id: out.id, bytes: 4 });
      return Math.max(1e-3, performance.now() - t - base);
    };
    // The first run compiles the shader (reported: a cold start pays it once per shape class).
    const firstMs = run(1);
    const probe = run(3) / 3;
    const reps = Math.max(3, Math.min(2000, Math.round(targetMs / probe)));
    const ms = run(reps) / reps;
    const flops = 2 * c.m * c.n * c.k;
    // Check 32 sampled outputs against float64 dot products.
    const got = new Float32Array(deviceClient().readSync({ id: out.id, bytes: c.m * c.n * 4 }));
    let maxRel = 0;
    for (let s = 0; s < 32; s++) {
      const i = (s * 7919) % c.m, j = (s * 104729 + 5) % c.n;
      let want = 0, scale = 0;
      for (let p = 0; p < c.k; p++) {
        const x = c.transA ? a[p * c.m + i] : a[i * c.k + p], y = c.transB ? b[j * c.k + p] : b[p * c.n + j];
        want += x * y;
        scale += Math.abs(x * y);
      }
      maxRel = Math.max(maxRel, Math.abs(got[i * c.n + j] - want) / Math.max(scale, 1e-30));
    }
    const row = {
      case: c.name,
      m: c.m,
      n: c.n,
      k: c.k,
      transA: c.transA,
      transB: c.transB,
      plan: describePlan(plan),
      forced: choice !== "auto",
      reps,
      firstMs: +firstMs.toFixed(1),
      ms: +ms.toFixed(4),
      gflops: +(flops / ms / 1e6).toFixed(1),
      maxRelErr: +maxRel.toExponential(2),
    };
    results.push(row);
    console.log(
      `${c.name.padEnd(24)} ${row.plan.padEnd(40)} ${row.ms.toFixed(3).padStart(9)} ms ${
        row.gflops.toFixed(1).padStart(9)
      } GFLOP/s  err ${row.maxRelErr}  first ${row.firstMs} ms`,
    );
  }
  matmulSettings.forceTile = undefined;
  for (const h of [ha, hb, out]) deviceClient().send({ op: "free", id: h.id });
}
if (values.json) writeFileSync(values.json, JSON.stringify({ device: info.description, results }, null, 2));
