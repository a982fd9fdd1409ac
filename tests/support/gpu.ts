/**
 * Helpers of the tests that compare the WebGPU backend's kernels with the
 * CPU's in one process, whichever backend `SPYX_BACKEND` selects: whether
 * a WebGPU device is available (else why not, for the skip message), and
 * running a computation on a named backend.
 */
import { after } from "node:test";
import { getBackend, setBackend } from "../../mod.ts";

/** Null where a WebGPU device is open, else why the GPU tests are skipped. */
export const GPU_UNAVAILABLE: string | null = await (async () => {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) {
    return "skipped: navigator.gpu is absent here (no WebGPU); the webgpu kernels are not tested";
  }
  try {
    const gpu = "../../gpu/mod.ts";
    const { closeWebGPU, initWebGPU } = await import(gpu);
    await initWebGPU();
    // The device worker must be gone before `deno test` ends this file's runtime (see closeWebGPU).
    after(closeWebGPU);
    return null;
  } catch (e) {
    return `skipped: initWebGPU rejected (${e instanceof Error ? e.message : String(e)})`;
  }
})();

if (GPU_UNAVAILABLE !== null) console.log(`gpu tests: ${GPU_UNAVAILABLE}`);

/** Runs `fn` with `backend` selected (tensors made inside live there), then restores the previous backend. */
export function on<T>(backend: string, fn: () => T): T {
  const previous = getBackend().name;
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

/** Deterministic float32 values in [lo, hi) (mulberry32), independent of the library's random module. */
export function uniformValues(seed: number): (n: number, lo: number, hi: number) => Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** The distance in float32 ulps between `a` and `b` (0 for equal bits; NaNs equal each other). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  const box = new Float32Array([a, b]);
  const bits = new Int32Array(box.buffer);
  // Map the sign-magnitude bit patterns onto a line that counts representable floats.
  const line = (i: number) => (i < 0 ? -0x80000000 - i : i);
  return Math.abs(line(bits[0]) - line(bits[1]));
}
