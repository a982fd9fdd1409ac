/**
 * Peak memory of one value-and-gradient of W1 (bench/workloads/spec.ts):
 * `BatchApply(Linear(n -> n))` then `LIF([n])` (beta 0.9, threshold 1,
 * superspike(25)), loss = sum of the spikes, T = 500, B = 16, n = 4096,
 * inputs uniform in [0, 1), float32 (or float64, whose products skip the
 * WebAssembly kernels). Prints the peak resident memory above the state
 * before the inputs existed (from /proc/self/status VmHWM, reset through
 * /proc/self/clear_refs), and its ratio to the bytes that backpropagation
 * through time must keep: the inputs of every step (for `dL/dw`) and the
 * membrane of every step (for the surrogate), `2 * T * B * n * 4` bytes
 * (float32). Linux only; one measurement per process:
 *
 *   deno run -A --v8-flags=--expose-gc bench/memory_w1.ts [--n 4096] [--path fused|scan] [--dtype float32|float64]
 *     [--variant spec|rnn|deep] [--live]
 *
 * `--live` forces a full garbage collection before every typed array of
 * 1 MiB or more is allocated, so that the peak counts reachable bytes, not
 * garbage the collector has not reached yet (slower; the WebAssembly
 * memory, which only grows, counts either way).
 *
 * `--variant rnn` is W1 with both layers in one `DeepRNN([Linear, LIF])`:
 * the same math, but the linear layer's output is the DeepRNN's own, so it
 * is donated to the LIF kernel, which keeps its membranes there.
 * `--variant deep` puts both layers in one `DeepRNN` (so the per-step path
 * steps the linear layer too), without bias, on 5% spike inputs, with a
 * firing-rate loss.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { axn, nn, np, type Tensor, valueAndGrad } from "../mod.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "4096" },
    time: { type: "string", default: "500" },
    batch: { type: "string", default: "16" },
    path: { type: "string", default: "fused" },
    dtype: { type: "string", default: "float32" },
    variant: { type: "string", default: "spec" },
    live: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    "deno run -A --v8-flags=--expose-gc bench/memory_w1.ts [--n 4096] [--time 500] [--batch 16]\n" +
      "  [--path fused|scan] [--dtype float32|float64] [--variant spec|rnn|deep] [--live]",
  );
  Deno.exit(0);
}
// "deep": the same layers inside one DeepRNN (so the per-step path also steps the linear layer),
// without bias, on 5 % spike inputs, with a firing-rate loss.
const deep = values.variant === "deep";
// "rnn": W1's math with the linear layer inside the DeepRNN.
const rnn = values.variant === "rnn";
if (!["spec", "rnn", "deep"].includes(values.variant!)) {
  throw new RangeError(`memory_w1: --variant must be spec, rnn or deep, got ${values.variant}`);
}
const dtype = values.dtype === "float64" ? "float64" : "float32";
const bytes = dtype === "float64" ? 8 : 4;
const [n, T, B] = [values.n, values.time, values.batch].map(Number);
const fused = values.path === "fused";

function status(field: string): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith(field));
  if (!line) throw new Error(`memory_w1: no ${field} in /proc/self/status`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
if (values.live) {
  if (!("gc" in globalThis)) throw new Error("memory_w1: --live needs --v8-flags=--expose-gc");
  // Array buffers swept on a background thread come back to the OS at some later point; sweep them within the GC.
  setFlagsFromString("--no-concurrent-array-buffer-sweeping");
  collectBeforeLargeArrays();
}

/**
 * Wraps the typed-array constructors so that every allocation of 1 MiB or
 * more (kernel outputs, `slice()` copies via the species constructor) runs a
 * full GC first. `prototype.constructor` is pointed at the wrapper so that
 * `a.constructor === Float64Array` checks still hold.
 */
function collectBeforeLargeArrays(): void {
  const names = ["Float32Array", "Float64Array", "Int32Array", "Uint32Array", "Uint8Array"] as const;
  for (const name of names) {
    const original = globalThis[name] as unknown as { new (...a: unknown[]): unknown; BYTES_PER_ELEMENT: number };
    const wrapped = new Proxy(original, {
      construct(target, args, newTarget) {
        if (typeof args[0] === "number" && args[0] * target.BYTES_PER_ELEMENT >= 2 ** 20) gc();
        return Reflect.construct(target, args, newTarget);
      },
    });
    Object.defineProperty(original.prototype, "constructor", { value: wrapped, writable: true, configurable: true });
    Object.defineProperty(globalThis, name, { value: wrapped, writable: true, configurable: true });
  }
}
let seed = 12345;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

// PyTorch-like init, as bench/workloads/data.ts draws it (other seeds).
const bound = 1 / Math.sqrt(n);
const uniform = (size: number, lo: number, hi: number) => {
  const out = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * next();
  return out;
};
const params: nn.Params = {
  linear: { w: np.fromTypedArray(uniform(n * n, -bound, bound), [n, n]) },
  LIF: { beta: np.array(0.9, { dtype }) },
};
if (!deep) params.linear.b = np.fromTypedArray(uniform(n, -bound, bound), [n]);
const lif = () => new nn.LIF([n], { beta: 0.9, threshold: 1, activation: axn.superspike(25) });
const net = nn.transform((x: Tensor) => {
  if (deep || rnn) {
    const core = new nn.DeepRNN([new nn.Linear(n, { withBias: rnn }), lif()]);
    return nn.dynamicUnroll(core, x, core.initialState(B), { fused })[0];
  }
  const current = new nn.BatchApply(new nn.Linear(n)).call(x);
  const neurons = lif();
  return nn.dynamicUnroll(neurons, current, neurons.initialState(B), { fused })[0];
});
const loss = (p: nn.Params, x: Tensor) =>
  deep ? np.mean(np.square(np.sub(np.mean(net.apply(p, null, x), 0), 0.05))) : np.sum(net.apply(p, null, x));

// Warm the code paths on a short sequence, so that compilation is not measured.
const tiny = np.zeros([2, B, n], { dtype });
valueAndGrad(loss)(params, tiny);
gc();

const before = status("VmRSS:");
try {
  writeFileSync("/proc/self/clear_refs", "5");
} catch {
  // Without the reset the peak may include what happened before.
}
const inputs = uniform(T * B * n, 0, 1);
if (deep) { for (let i = 0; i < inputs.length; i++) inputs[i] = inputs[i] < 0.05 ? 1 : 0; }
const x = np.fromTypedArray(inputs, [T, B, n]);
const t0 = performance.now();
const [value, grads] = valueAndGrad(loss)(params, x);
const seconds = (performance.now() - t0) / 1000;
let checksum = 0;
for (const g of (grads.linear.w as Tensor).dataSync()) checksum += Math.abs(g);
const peak = status("VmHWM:") - before;
const unit = T * B * n * bytes;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const label = `W1${deep ? " (DeepRNN variant)" : rnn ? " in one DeepRNN([Linear, LIF])" : ""} (${
  fused ? "fused" : "per-step scan"
}${values.live ? ", live" : ""})`;
console.log(
  `${label}: T=${T} B=${B} n=${n} ${dtype}, loss ${(value as Tensor).item().toExponential(4)}, |dL/dw|_1 ${
    checksum.toExponential(4)
  }, ${seconds.toFixed(1)} s`,
);
console.log(`  one [T, B, n] ${dtype} array: ${mb(unit)}; weights [n, n]: ${mb(n * n * bytes)}`);
console.log(`  BPTT must keep (inputs + membrane per step): ${mb(2 * unit)}`);
console.log(`  peak above the state before the inputs existed: ${mb(peak)} = ${(peak / (2 * unit)).toFixed(2)}x`);
