/**
 * The WebGPU kernels of the cell sequence primitives against the CPU's
 * (float32): for every model in `nn.NEURON_MODELS` and several surrogates,
 * the fused forward pass (outputs, final state, saved residuals) and the
 * backward pass (cotangents of the inputs, the initial state, every
 * parameter and the recurrent weights), forward and reverse, recurrent
 * cells with one and with several weight blocks (a population folded into
 * the neurons, as `vmap` calls it), on both recurrent paths (resident in a
 * workgroup, and step by step), and `vmap` itself.
 *
 * Spikes must be equal exactly; membranes and gradients agree within
 * 1e-4 of `max(1, |cpu|)` (the device's exp and sums differ in the last
 * places). The inputs are seeded random values, so no membrane lands
 * within rounding of a threshold, where a spike could legitimately flip.
 * Skipped, with the reason, where no WebGPU device opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, nn, np, type Tensor, vmap } from "../mod.ts";
import { bind } from "../autodiff/core/bind.ts";
import type { Cell } from "../autodiff/cell/cell.ts";
import {
  backwardOf,
  CELL_SEQUENCE,
  CELL_SEQUENCE_BACKWARD,
  type CellSequenceParams,
} from "../autodiff/cell/sequence.ts";
import { recurrentPath } from "../gpu/kernels/cells.ts";
import { GPU_UNAVAILABLE, on, uniformValues } from "./support/gpu.ts";

const skip = GPU_UNAVAILABLE ?? false;

const SURROGATES: Record<string, () => axn.SpikeActivation> = {
  superspike: () => axn.superspike(),
  sigmoid: () => axn.sigmoid(4),
  tanh: () => axn.tanh(2),
  boxcar: () => axn.boxcar(),
  arctan: () => axn.arctan(),
  triangular: () => axn.triangular(),
  fastSigmoid: () => axn.fastSigmoid(),
  straightThrough: () => axn.straightThrough(),
};

interface Case {
  cell: Cell;
  surrogate: string | null;
  T: number;
  B: number;
  N: number;
  /** Weight blocks of a recurrent cell (`N` a multiple). */
  G?: number;
  reverse?: boolean;
  seed?: number;
}

/** Inputs as host arrays: xs, state parts, params, weights; cotangents of ys and of the final state. */
function data(c: Case) {
  const u = uniformValues(c.seed ?? 1);
  const { T, B, N } = c, G = c.G ?? 1;
  return {
    xs: u(T * B * N, -0.4, 1.3),
    state: c.cell.spec.state.map(() => u(B * N, -0.5, 1.4)),
    params: c.cell.spec.params.map(() => u(N, 0.3, 0.95)),
    w: c.cell.spec.recurrent ? u(G * (N / G) ** 2, -0.6, 0.6) : null,
    gys: u(T * B * N, -1, 1),
    gFinal: c.cell.spec.state.map(() => u(B * N, -1, 1)),
  };
}

function params(c: Case): CellSequenceParams {
  const act = c.surrogate === null ? null : SURROGATES[c.surrogate]();
  return {
    cell: c.cell,
    surrogate: act?.surrogate?.expr ?? null,
    spike: act,
    threshold: c.cell.spiking ? 0.75 : 0,
    reverse: c.reverse ?? false,
    donate: false,
  };
}

/** Forward outputs (read before the backward pass, which may overwrite residuals) and the backward outputs. */
function runOn(backend: string, c: Case): { forward: Float32Array[]; backward: Float32Array[] } {
  return on(backend, () => {
    const d = data(c), p = params(c);
    const { T, B, N } = c, G = c.G ?? 1;
    const t = (a: Float32Array, shape: number[]) => np.array(a, { shape, dtype: "float32" });
    const xs = t(d.xs, [T, B, N]);
    const state = d.state.map((s) => t(s, [B, N]));
    const ps = d.params.map((s) => t(s, [N]));
    const w = d.w ? [t(d.w, [G, N / G, N / G])] : [];
    const outs = bind(CELL_SEQUENCE, [xs, ...state, ...ps, ...w], p);
    const forward = outs.map((o) => Float32Array.from(o.dataSync() as Float32Array));
    const parts = state.length;
    const saved = outs.slice(1 + parts);
    let k = 0;
    const residuals = backwardOf(p).residuals.map((r) => (r === "@x" ? xs : saved[k++]));
    const grads = bind(
      CELL_SEQUENCE_BACKWARD,
      [t(d.gys, [T, B, N]), ...d.gFinal.map((g) => t(g, [B, N])), ...residuals, ...ps, ...w],
      { ...p, needW: true },
    );
    return { forward, backward: grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
  });
}

function assertNear(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i]));
    assert.ok(ok, `${what}[${i}]: webgpu ${got[i]}, cpu ${want[i]}`);
  }
}

/** The names of a call's outputs, forward and backward. */
function labels(c: Case) {
  const { spec } = c.cell, p = params(c);
  const saved = backwardOf(p).residuals.filter((r) => r !== "@x");
  return {
    forward: ["ys", ...spec.state.map((n) => `final ${n}`), ...saved.map((r) => `residual ${r}`)],
    backward: [
      "gxs",
      ...spec.state.map((n) => `g ${n}0`),
      ...spec.params.map((n) => `g ${n}`),
      ...(spec.recurrent ? ["gw"] : []),
    ],
  };
}

function compare(c: Case): void {
  const cpu = runOn("cpu", c), gpu = runOn("webgpu", c);
  const names = labels(c);
  // Spikes exactly (a spiking cell's output), then everything within float32 tolerance.
  if (c.cell.spiking) assert.deepEqual(gpu.forward[0], cpu.forward[0], "spikes");
  const spikes = cpu.forward[0].reduce((a, b) => a + b, 0);
  if (c.cell.spiking) assert.ok(spikes > 0 && spikes < cpu.forward[0].length, `not vacuous: ${spikes} spikes`);
  cpu.forward.forEach((want, k) => assertNear(gpu.forward[k], want, names.forward[k]));
  assert.equal(gpu.backward.length, names.backward.length, "backward outputs");
  cpu.backward.forEach((want, k) => assertNear(gpu.backward[k], want, names.backward[k]));
}

const MODELS = Object.entries(nn.NEURON_MODELS).map(([name, m]) => ({ name, cell: m.cell as Cell }));
const small = { T: 5, B: 2, N: 4 };

describe("webgpu cell sequences equal the CPU's (float32)", () => {
  for (const { name, cell } of MODELS) {
    const surrogates = cell.spiking ? ["superspike", "sigmoid", "boxcar"] : [null];
    for (const surrogate of surrogates) {
      test(`${name}, ${surrogate ?? "no spikes"}`, { skip }, () => compare({ cell, surrogate, ...small }));
    }
    test(`${name}: reverse`, { skip }, () => {
      compare({ cell, surrogate: cell.spiking ? "tanh" : null, ...small, reverse: true, seed: 2 });
    });
  }

  test("LIF: every built-in surrogate", { skip }, () => {
    for (const surrogate of Object.keys(SURROGATES)) {
      compare({ cell: nn.NEURON_MODELS.LIF.cell, surrogate, ...small, seed: 3 });
    }
  });

  for (const { name, cell } of MODELS.filter((m) => m.cell.spec.recurrent)) {
    test(`${name}: a population of 3 networks as block-diagonal weights [3, 4, 4]`, { skip }, () => {
      compare({ cell, surrogate: "arctan", T: 4, B: 2, N: 12, G: 3, seed: 4 });
      compare({ cell, surrogate: "triangular", T: 4, B: 2, N: 12, G: 3, seed: 5, reverse: true });
    });
  }

  test("a batch of 300 (more than one workgroup), LIF and RLIF", { skip }, () => {
    compare({ cell: nn.NEURON_MODELS.LIF.cell, surrogate: "superspike", T: 3, B: 75, N: 4, seed: 6 });
    compare({ cell: nn.NEURON_MODELS.RLIF.cell, surrogate: "superspike", T: 3, B: 25, N: 12, seed: 7 });
  });

  test("RLIF: a block of 300 neurons (more than one per invocation of the resident workgroup)", { skip }, () => {
    compare({ cell: nn.NEURON_MODELS.RLIF.cell, surrogate: "superspike", T: 3, B: 2, N: 300, seed: 10 });
  });
});

describe("webgpu recurrent cells step by step (the path of blocks too large to stay resident)", () => {
  /** Runs `fn` with every recurrent block taking the per-step path. */
  const stepwise = (fn: () => void) => () => {
    const saved = recurrentPath.residentMaxBlock;
    recurrentPath.residentMaxBlock = 0;
    try {
      fn();
    } finally {
      recurrentPath.residentMaxBlock = saved;
    }
  };
  for (const { name, cell } of MODELS.filter((m) => m.cell.spec.recurrent)) {
    test(
      `${name}: forward, reverse, and 3 blocks`,
      { skip },
      stepwise(() => {
        compare({ cell, surrogate: "superspike", ...small, seed: 11 });
        compare({ cell, surrogate: "sigmoid", ...small, reverse: true, seed: 12 });
        compare({ cell, surrogate: "boxcar", T: 4, B: 2, N: 12, G: 3, seed: 13 });
      }),
    );
  }
});

describe("webgpu cell sequences under vmap", () => {
  // vmap folds the population into the neurons and the weights into blocks: that takes the layout family's kernels.
  for (const name of ["RLIF", "CuBaLIF"] as const) {
    test(`${name}: a vmapped population of 2 networks, forward and backward, equals the CPU's`, { skip }, (t) => {
      const cell = nn.NEURON_MODELS[name].cell as Cell;
      const p = params({ cell, surrogate: "superspike", T: 4, B: 2, N: 3 });
      const [P, T, B, N] = [2, 4, 2, 3];
      const u = uniformValues(9);
      const host = {
        xs: u(P * T * B * N, -0.4, 1.3),
        state: cell.spec.state.map(() => u(P * B * N, -0.5, 1.4)),
        params: cell.spec.params.map(() => u(P * N, 0.3, 0.95)),
        w: u(P * N * N, -0.6, 0.6),
        gys: u(P * T * B * N, -1, 1),
        gFinal: cell.spec.state.map(() => u(P * B * N, -1, 1)),
      };
      const run = (backend: string) =>
        on(backend, () => {
          const xs = np.array(host.xs, { shape: [P, T, B, N] });
          const state = host.state.map((s) => np.array(s, { shape: [P, B, N] }));
          const ps = host.params.map((s) => np.array(s, { shape: [P, N] }));
          const w = cell.spec.recurrent ? [np.array(host.w, { shape: [P, 1, N, N] })] : [];
          const outs = vmap((...a: Tensor[]) => bind(CELL_SEQUENCE, a, p))(xs, ...state, ...ps, ...w) as Tensor[];
          const forward = outs.map((o) => Float32Array.from(o.dataSync() as Float32Array));
          const saved = outs.slice(1 + state.length);
          let k = 0;
          const residuals = backwardOf(p).residuals.map((r) => (r === "@x" ? xs : saved[k++]));
          const seeds = [
            np.array(host.gys, { shape: [P, T, B, N] }),
            ...host.gFinal.map((g) => np.array(g, { shape: [P, B, N] })),
          ];
          const back = (...a: Tensor[]) => bind(CELL_SEQUENCE_BACKWARD, a, { ...p, needW: true });
          const grads = vmap(back)(...seeds, ...residuals, ...ps, ...w) as Tensor[];
          return [...forward, ...grads.map((g) => Float32Array.from(g.dataSync() as Float32Array))];
        });
      let gpu: Float32Array[];
      try {
        gpu = run("webgpu");
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (/no kernel on backend "webgpu"/.test(message)) {
          console.log(`gpu_cells_test: vmap skipped: ${message}`);
          t.skip(`needs webgpu kernels of another family: ${message}`);
          return;
        }
        throw e;
      }
      const cpu = run("cpu");
      assert.deepEqual(gpu[0], cpu[0], "spikes");
      cpu.forEach((want, k) => assertNear(gpu[k], want, `output ${k}`));
    });
  }
});
