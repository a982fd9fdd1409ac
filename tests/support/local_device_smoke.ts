/**
 * Child process of `tests/gpu_local_device_test.ts`: opens the WebGPU
 * backend on a `GPU` object passed to `initWebGPU({ gpu })` (the in-thread
 * device, asynchronous reads only), runs one fused LIF layer forward and
 * backward there and on the CPU, and prints one JSON line: the largest
 * differences, whether the spikes are equal, and the message of a
 * synchronous read; or `{ "skipped": why }` where no adapter is found.
 *
 *   deno run -A tests/support/local_device_smoke.ts navigator
 *   bun tests/support/local_device_smoke.ts npm      # the npm webgpu package
 */
import process from "node:process";
import { grad, initWebGPU, nn, np, random, setBackend, type Tensor } from "../../mod.ts";

function done(result: Record<string, unknown>): never {
  console.log(JSON.stringify(result));
  // The npm package's device can keep the event loop alive.
  process.exit(0);
}

async function gpuObject(source: string): Promise<GPU> {
  if (source === "navigator") {
    if (typeof navigator === "undefined" || !navigator.gpu) done({ skipped: "navigator.gpu is absent" });
    return navigator.gpu;
  }
  const name = "webgpu";
  let pkg: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    pkg = await import(name);
  } catch (e) {
    done({ skipped: `the npm webgpu package is not importable (${e instanceof Error ? e.message : e})` });
  }
  Object.assign(globalThis, pkg.globals);
  return pkg.create([]);
}

const gpu = await gpuObject(process.argv[2] ?? "navigator");
try {
  await initWebGPU({ gpu });
} catch (e) {
  done({ skipped: `no adapter: ${e instanceof Error ? e.message : e}` });
}

const T = 12, B = 3, N = 5;
const xs = Float32Array.from({ length: T * B * N }, (_, i) => 0.6 * Math.sin(0.37 * i) + 0.4);
const net = nn.transform((x: Tensor) => {
  const core = new nn.DeepRNN([new nn.LIF([N], { beta: 0.8 })]);
  return nn.dynamicUnroll(core, x, core.initialState(B))[0];
});

/** Spikes, and the gradient of the summed spikes times a ramp with respect to the input, on `backend`. */
async function run(backend: string): Promise<{ spikes: number[]; dx: number[] }> {
  setBackend(backend);
  const x = np.array(xs, { shape: [T, B, N] });
  const params = net.init(random.key(0), x);
  const weights = np.reshape(np.arange(T * B * N), [T, B, N]);
  const loss = (x: Tensor) => np.sum(np.mul(net.apply(params, null, x), weights));
  const spikes = net.apply(params, null, x);
  const dx = grad(loss)(x);
  return { spikes: Array.from(await spikes.data()), dx: Array.from(await dx.data()) };
}

const cpu = await run("cpu");
const device = await run("webgpu");
let syncRead = "no error";
try {
  np.ones([2]).dataSync();
} catch (e) {
  syncRead = e instanceof Error ? e.message : String(e);
}
const maxDiff = Math.max(...cpu.dx.map((v, i) => Math.abs(v - device.dx[i]) / Math.max(1, Math.abs(v))));
done({
  spikesEqual: cpu.spikes.every((v, i) => v === device.spikes[i]),
  spikeCount: cpu.spikes.reduce((a, b) => a + b, 0),
  dxMaxRelDiff: maxDiff,
  syncRead,
});
