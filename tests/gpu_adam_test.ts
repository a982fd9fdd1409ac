/**
 * The WebGPU kernel of `adam_update` against the CPU's (float32): the new
 * moments `m'` and `v'` equal bit for bit (products and sums, each rounded
 * once, kept out of fused multiply-adds); the update equals bit for bit
 * where the device's square root and division are correctly rounded (the
 * software adapter), and within 1 ulp elsewhere (WGSL allows `sqrt` and
 * `/` an error of a few ulp). Skipped, with the reason, where no WebGPU
 * device opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { np } from "../mod.ts";
import { bind } from "../autodiff/core/bind.ts";
import { ADAM_UPDATE, type AdamUpdateParams } from "../optim/adam_update.ts";
import { GPU_UNAVAILABLE, on, ulpDistance, uniformValues } from "./support/gpu.ts";

const skip = GPU_UNAVAILABLE ?? false;

/** Gradients over six decades, signed moments, non-negative second moments. */
function leaves(n: number, seed: number) {
  const u = uniformValues(seed);
  const scale = u(n, -3, 3);
  return {
    g: u(n, -0.5, 0.5).map((x, i) => x * 10 ** scale[i]),
    m: u(n, -0.05, 0.05),
    v: u(n, 0, 0.01),
  };
}

function run(backend: string, d: ReturnType<typeof leaves>, p: AdamUpdateParams): Float32Array[] {
  return on(backend, () => {
    const t = (a: Float32Array) => np.array(a, { shape: [a.length], dtype: "float32" });
    return bind(ADAM_UPDATE, [t(d.g), t(d.m), t(d.v)], p).map((x) => Float32Array.from(x.dataSync() as Float32Array));
  });
}

describe("webgpu adam_update equals the CPU's", () => {
  const step = (t: number, epsRoot: number): AdamUpdateParams => ({
    b1: 0.9,
    b2: 0.999,
    eps: 1e-8,
    epsRoot,
    c1: 1 / (1 - 0.9 ** t),
    c2: 1 / (1 - 0.999 ** t),
  });
  for (const [label, p] of [["step 1", step(1, 0)], ["step 7, epsRoot 1e-8", step(7, 1e-8)]] as const) {
    test(`${label}: moments bit for bit, the update within 1 ulp`, { skip }, () => {
      const d = leaves(3000, 5);
      const cpu = run("cpu", d, p), gpu = run("webgpu", d, p);
      assert.deepEqual(gpu[1], cpu[1], "m'");
      assert.deepEqual(gpu[2], cpu[2], "v'");
      let worst = 0, differ = 0;
      for (let i = 0; i < cpu[0].length; i++) {
        const ulps = ulpDistance(gpu[0][i], cpu[0][i]);
        worst = Math.max(worst, ulps);
        if (ulps > 0) differ++;
      }
      assert.ok(worst <= 1, `update: ${worst} ulp apart`);
      if (differ > 0) console.log(`gpu_adam_test: ${label}: ${differ} of ${cpu[0].length} updates differ by 1 ulp`);
    });
  }
});
