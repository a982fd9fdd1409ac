/**
 * The WebGPU kernel of `adam_update` against the CPU's (float32): the new
 * moments `m'` and `v'` and the update equal bit for bit (products and
 * sums each rounded once, kept out of fused multiply-adds; the square root
 * and the division correctly rounded in integer arithmetic, which the
 * first test checks on its own over random floats, subnormals included).
 * Skipped, with the reason, where no WebGPU device opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { np } from "../mod.ts";
import { bind } from "../autodiff/core/bind.ts";
import { ADAM_UPDATE, type AdamUpdateParams } from "../optim/adam_update.ts";
import { newBuffer, webgpuBackend } from "../gpu/backend.ts";
import { dispatch, grid } from "../gpu/dispatch.ts";
import { ROUNDED_WGSL } from "../gpu/kernels/rounded_wgsl.ts";
import type { KernelTensor } from "../autodiff/backend.ts";
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

/** `div_rn(a, b)` and `sqrt_rn(|a|)` on the device, as bit patterns. */
function roundedOnDevice(a: Uint32Array, b: Uint32Array): { q: Uint32Array; r: Uint32Array } {
  const n = a.length, g = grid(n);
  const [A, B, Q, R] = [newBuffer(n, a.slice().buffer), newBuffer(n, b.slice().buffer), newBuffer(n), newBuffer(n)];
  dispatch(
    "test_rounded",
    () =>
      `struct U { n: u32, stride: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> r: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${ROUNDED_WGSL}
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.stride;
  if (i >= u.n) { return; }
  q[i] = div_rn(a[i], b[i]);
  r[i] = sqrt_rn(bitcast<f32>(bitcast<u32>(a[i]) & 0x7fffffffu));
}`,
    [A, B, Q, R],
    new Uint32Array([n, g.stride]),
    g.workgroups,
  );
  const read = (handle: unknown) =>
    new Uint32Array((webgpuBackend.readSync({ handle, shape: [n], dtype: "uint32" } as KernelTensor)).slice().buffer);
  return { q: read(Q), r: read(R) };
}

describe("webgpu correctly rounded sqrt and division", () => {
  test("div_rn and sqrt_rn equal the host's float32 results on random floats, subnormals included", { skip }, () => {
    const n = 20000;
    let s = 12345;
    const word = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    const a = new Uint32Array(n), b = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // Any bits; subnormal and tiny numerators; quotients near 1; subnormal denominators.
      const kind = i % 4;
      a[i] = kind === 0 ? word() : kind === 1 ? word() & 0x807fffff : (word() & 0x80ffffff) | 0x3f000000;
      b[i] = kind === 3 ? word() & 0x807fffff : kind === 2 ? (word() & 0x80ffffff) | 0x3f000000 : word();
    }
    const got = on("webgpu", () => roundedOnDevice(a, b));
    const fa = new Float32Array(a.buffer), fb = new Float32Array(b.buffer);
    const box = new Float32Array(2), bits = new Uint32Array(box.buffer);
    for (let i = 0; i < n; i++) {
      box[0] = fa[i] / fb[i];
      box[1] = Math.sqrt(Math.abs(fa[i]));
      const nan = Number.isNaN(box[0]) && (got.q[i] & 0x7fffffff) > 0x7f800000;
      assert.ok(nan || got.q[i] === bits[0], `${fa[i]} / ${fb[i]}: device bits ${got.q[i]}, host ${bits[0]}`);
      // NaNs may come back with another payload.
      const nanRoot = Number.isNaN(box[1]) && (got.r[i] & 0x7fffffff) > 0x7f800000;
      assert.ok(nanRoot || got.r[i] === bits[1], `sqrt(${Math.abs(fa[i])}): device bits ${got.r[i]}, host ${bits[1]}`);
    }
  });
});

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
    test(`${label}: update and moments bit for bit`, { skip }, () => {
      const d = leaves(3000, 5);
      const cpu = run("cpu", d, p), gpu = run("webgpu", d, p);
      assert.deepEqual(gpu[1], cpu[1], "m'");
      assert.deepEqual(gpu[2], cpu[2], "v'");
      let worst = 0;
      for (let i = 0; i < cpu[0].length; i++) worst = Math.max(worst, ulpDistance(gpu[0][i], cpu[0][i]));
      assert.equal(worst, 0, `update: up to ${worst} ulp apart`);
    });
  }
});
