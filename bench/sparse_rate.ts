/**
 * Event-driven products against the firing rate: the W2 input layer's
 * forward product `x @ w` (`[6400, 700] @ [700, 128]`, B = 64 times T = 100
 * steps of 700 inputs) and its weight gradient `x^T @ g`, with 0/1 spike
 * inputs at each rate, through the sparse kernels (cost proportional to the
 * spikes) and the dense packed kernel (cost independent of them), on the
 * same data, in one process. Minimum of the mitata samples (the arrays of
 * each rate leave garbage whose collection lands in some samples); the
 * speed-up is dense / sparse, and "auto" is what `np.matmul` picks (sparse
 * at 20 % and below).
 *
 *   deno run -A bench/sparse_rate.ts [--rates 0.01,0.02,0.05,0.1,0.2,0.3,0.5] [--samples 15]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { measure } from "mitata";
import { matmulKernel, type MatmulPath, matmulStatus } from "../autodiff/cpu/matmul.ts";

const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "0.01,0.02,0.05,0.1,0.2,0.3,0.5" },
    samples: { type: "string", default: "15" },
  },
});
const rates = values.rates!.split(",").map(Number);
const samples = Number(values.samples);
if (rates.some((r) => !(r >= 0 && r <= 1)) || !(samples >= 1)) {
  throw new RangeError(
    `sparse_rate: rates must lie in [0, 1] and samples be positive, got ${values.rates}, ${samples}`,
  );
}
const [m, k, n] = [6400, 700, 128];

/** Seeded uniforms in [0, 1). */
function uniforms(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  });
}

async function minMs(f: () => unknown): Promise<number> {
  const stats = await measure(f, { min_samples: samples, max_samples: samples, min_cpu_time: 0 });
  return stats.min / 1e6;
}

const w = uniforms(k * n, 2).map((u) => u - 0.5), g = uniforms(m * n, 3).map((u) => u - 0.5);
const rows: string[] = [];
// Untimed: compile the kernels, start the workers and fault in the kernels' memory before the first rate.
for (const path of ["sparse", "dense"] as const) {
  const x = uniforms(m * k, 9).map((u) => (u < 0.1 ? 1 : 0));
  for (let i = 0; i < 5; i++) {
    matmulKernel(x, [m, k], w, [k, n], [m, n], "float32", path);
    matmulKernel(x, [m, k], g, [m, n], [k, n], "float32", path, true, false);
  }
}
for (const rate of rates) {
  const x = uniforms(m * k, 1).map((u) => (u < rate ? 1 : 0));
  const forward = (path: MatmulPath) => () => matmulKernel(x, [m, k], w, [k, n], [m, n], "float32", path);
  const gradient = (path: MatmulPath) => () => matmulKernel(x, [m, k], g, [m, n], [k, n], "float32", path, true, false);
  const [fs, fd, gs, gd] = [
    await minMs(forward("sparse")),
    await minMs(forward("dense")),
    await minMs(gradient("sparse")),
    await minMs(gradient("dense")),
  ];
  const auto = rate <= 0.2 ? "sparse" : "dense";
  rows.push(
    `| ${(rate * 100).toFixed(0)} % | ${fs.toFixed(1)} | ${fd.toFixed(1)} | ${(fd / fs).toFixed(1)}x | ${
      gs.toFixed(1)
    } | ${gd.toFixed(1)} | ${(gd / gs).toFixed(1)}x | ${auto} |`,
  );
}
const s = matmulStatus();
console.log(
  `wasm ${s.tile}, ${s.threads} threads; [${m},${k}] @ [${k},${n}] and its weight gradient; ms, minimum of ${samples} samples\n`,
);
console.log("| rate | x@w sparse | x@w dense | speed-up | x^T@g sparse | x^T@g dense | speed-up | auto picks |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(rows.join("\n"));
