/**
 * Training on the WebGPU backend against the CPU, in float32: a few Adam
 * steps of spyx's SHD network (Linear, LIF, Linear, LI, smoothed integral
 * cross-entropy) give the CPU's loss curve within float32 tolerance; and a
 * training step reads back from the device at most once (W1's step: the
 * gradient of a Linear + LIF layer and its Adam update, the loss read
 * once, value checks included), since every readback costs ~11 ms on any
 * GPU under Deno. Skipped, with the reason, where no WebGPU device opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, fn, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";
import { webgpuBackend } from "../gpu/backend.ts";
import { GPU_UNAVAILABLE, on, uniformValues } from "./support/gpu.ts";

const skip = GPU_UNAVAILABLE ?? false;
const B = 4, T = 16, IN = 12, H = 10, C = 3;

/** The loss after each of `steps` Adam steps, computed on `backend` from the same host data. */
function lossCurve(backend: string, steps: number): number[] {
  return on(backend, () => {
    const u = uniformValues(7);
    const x = np.astype(np.less(np.array(u(B * T * IN, 0, 1), { shape: [B, T, IN] }), 0.3), "float32");
    const y = np.array([0, 2, 1, 2], { dtype: "int32" });
    const net = nn.transform((x: Tensor) => {
      const core = new nn.DeepRNN([
        new nn.Linear(H, { withBias: false }),
        new nn.LIF([H], { activation: axn.superspike(25) }),
        new nn.Linear(C, { withBias: false }),
        new nn.LI([C]),
      ]);
      return nn.dynamicUnroll(core, x, core.initialState(B), { timeMajor: false })[0];
    });
    // Initial weights from the host, the same on both backends.
    let params = net.init(random.key(0), x);
    const w = uniformValues(11);
    params = Object.fromEntries(
      Object.entries(params).map(([m, leaves]) => [
        m,
        Object.fromEntries(
          Object.entries(leaves).map(([k, leaf]) => [
            k,
            k === "w" ? np.array(w(leaf.size, -0.6, 0.6), { shape: leaf.shape }) : leaf,
          ]),
        ),
      ]),
    );
    const loss = fn.integralCrossentropy({ smoothing: 0.3 });
    const opt = optim.adam(0.02);
    let state = opt.init(params);
    const step = valueAndGrad((p: nn.Params) => loss(net.apply(p, null, x), y));
    const curve: number[] = [];
    for (let s = 0; s < steps; s++) {
      const [value, grads] = step(params);
      const [updates, next] = opt.update(grads, state, params);
      params = optim.applyUpdates(params, updates);
      state = next;
      curve.push(value.item());
    }
    return curve;
  });
}

/** Counts the backend's reads (synchronous and not) while `fn` runs. */
function countReads(fn: () => void): number {
  const { readSync, read } = webgpuBackend;
  let reads = 0;
  webgpuBackend.readSync = (x) => (reads++, readSync(x));
  webgpuBackend.read = (x) => (reads++, read(x));
  try {
    fn();
  } finally {
    webgpuBackend.readSync = readSync;
    webgpuBackend.read = read;
  }
  return reads;
}

describe("training on webgpu", { skip }, () => {
  test("five Adam steps of the SHD network give the CPU's loss curve (float32)", () => {
    const cpu = lossCurve("cpu", 5), gpu = lossCurve("webgpu", 5);
    assert.ok(cpu[4] < cpu[0], `the loss falls on the CPU: ${cpu}`);
    for (let s = 0; s < 5; s++) {
      assert.ok(Math.abs(cpu[s] - gpu[s]) <= 1e-4 * Math.max(1, Math.abs(cpu[s])), `step ${s}: cpu ${cpu} gpu ${gpu}`);
    }
  });

  test("one W1 training step (Linear + LIF, gradient, Adam, loss read) reads back once", () => {
    on("webgpu", () => {
      const n = 8, steps = 6;
      const x = random.uniform(random.key(1), [steps, 2, n]);
      const net = nn.transform((x: Tensor) => {
        const current = new nn.BatchApply(new nn.Linear(n)).call(x);
        const lif = new nn.LIF([n], { beta: 0.9 });
        return np.sum(nn.dynamicUnroll(lif, current, lif.initialState(2), { timeMajor: true })[0]);
      });
      let params = net.init(random.key(0), x);
      const opt = optim.adam(1e-3);
      let state = opt.init(params);
      const lossAndGrad = valueAndGrad((p: nn.Params) => net.apply(p, null, x) as Tensor);
      const trainStep = () => {
        const [loss, grads] = lossAndGrad(params);
        const [updates, next] = opt.update(grads, state, params);
        params = optim.applyUpdates(params, updates);
        state = next;
        return loss.item();
      };
      trainStep(); // compiles the pipelines
      const reads = countReads(() => assert.ok(Number.isFinite(trainStep())));
      assert.equal(reads, 1, "device reads in one training step");
    });
  });
});
