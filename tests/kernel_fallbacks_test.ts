/**
 * A backend without a primitive's kernel runs the primitive's composition,
 * and `kernelFallbacks()` counts and names it (`"<primitive>@<backend>"`).
 * A tiny host backend, "test-host" (typed arrays as storage, like the
 * CPU's), gets copies of some of the CPU's kernels:
 * - only the element-wise ones Adam needs: `optim.adam` runs its fused
 *   `adam_update` as the ops it fuses, counted once per leaf, and gives the
 *   CPU's numbers bit for bit (the CPU kernel rounds as the ops do);
 * - every kernel but `cell_sequence_backward`: the gradient of a spiking
 *   network runs that primitive's composition (the derived backward
 *   expressions in ops), counted once per neuron layer, and equals the
 *   CPU's fused backward pass.
 */
import { BACKEND, describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import {
  type Backend,
  findBackend,
  findKernel,
  getBackend,
  grad,
  isTensor,
  kernelFallbacks,
  nn,
  np,
  optim,
  primitives,
  random,
  registerBackend,
  registerKernel,
  setBackend,
  type Tensor,
  tree,
  type TypedArray,
} from "../mod.ts";

const HOST = "test-host";

if (findBackend(HOST) === undefined) {
  const host: Backend = {
    name: HOST,
    upload: (values) => values,
    readSync: (x) => x.handle as TypedArray,
    read: (x) => Promise.resolve(x.handle as TypedArray),
    dispose: () => {},
  };
  registerBackend(host);
}

/** Gives "test-host" a copy of the CPU's kernel of each named primitive. */
function copyCpuKernels(names: readonly string[]): void {
  for (const name of names) {
    const prim = primitives().get(name);
    assert.ok(prim !== undefined, `no primitive ${name}`);
    const kernel = findKernel(prim, "cpu");
    assert.ok(kernel !== undefined, `no CPU kernel of ${name}`);
    registerKernel(prim, HOST, kernel);
  }
}

/** Runs `fn` with "test-host" as the current backend (restoring the suite's afterwards). */
function onHost<R>(fn: () => R): R {
  setBackend(HOST);
  try {
    return fn();
  } finally {
    setBackend(BACKEND);
  }
}

/** The values of every leaf of a pytree (a tensor read back, a number as it is). */
function values(t: unknown): number[][] {
  return tree.leaves(t as tree.PyTree).map((l) => (isTensor(l) ? Array.from(l.dataSync()) : [l as number]));
}

describe("kernelFallbacks: compositions run where a backend lacks a kernel", () => {
  test("optim.adam on a backend with only element-wise kernels: adam_update@test-host, the CPU's numbers", () => {
    copyCpuKernels(["add", "mul", "div", "sqrt"]);
    /** Three Adam steps on the current backend, gradients sin(params) computed in JS; updates and states read back. */
    const adamSteps = () => {
      let params = {
        w: np.array([[0.5, -1.5], [2, 0.25]], { dtype: "float32" }),
        b: np.array([0.1, -0.2], { dtype: "float32" }),
      };
      const opt = optim.adam(0.01);
      let state = opt.init(params);
      const out: number[][][] = [];
      for (let step = 0; step < 3; step++) {
        const grads = tree.map((p: Tensor) => {
          assert.equal(p.backend.name, getBackend().name);
          return np.array(Float32Array.from(p.dataSync(), Math.sin), { shape: p.shape.slice(), dtype: "float32" });
        }, params as tree.PyTree) as typeof params;
        const [updates, next] = opt.update(grads, state, params);
        params = optim.applyUpdates(params, updates) as typeof params;
        state = next;
        out.push(values(updates), values(next), values(params));
      }
      return out;
    };
    const cpu = adamSteps();
    kernelFallbacks(true);
    const host = onHost(adamSteps);
    const counts = kernelFallbacks(true);
    assert.deepEqual(counts, { [`adam_update@${HOST}`]: 6 }, "one fallback per leaf and step");
    assert.deepEqual(host, cpu);
  });

  test("the gradient of a spiking network without the backward kernel: cell_sequence_backward@test-host", () => {
    // Every CPU kernel but the fused backward pass.
    const names = [...primitives().keys()].filter((n) =>
      n !== "cell_sequence_backward" && findKernel(primitives().get(n)!, "cpu") !== undefined
    );
    copyCpuKernels(names);
    for (const model of ["LIF", "RLIF", "ALIF"] as const) {
      const Model = nn.NEURON_MODELS[model];
      const net = nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN([new nn.Linear(4), new Model([4], { threshold: 0.5 }), new nn.Linear(2)]);
        return nn.dynamicUnroll(core, x, core.initialState(2))[0];
      });
      const xValues = Array.from({ length: 5 * 2 * 3 }, (_, i) => 0.8 * Math.abs(Math.sin(1.3 * i)));
      const gradients = () => {
        const x = np.array(xValues, { shape: [5, 2, 3], dtype: "float64" });
        const params = tree.map(
          (p: Tensor) => np.astype(p, "float64"),
          net.init(random.key(1), x) as tree.PyTree,
        ) as nn.Params;
        const [gp, gx] = grad((p: nn.Params, xs: Tensor) => np.sum(np.square(net.apply(p, null, xs))), {
          argnums: [0, 1],
        })(params, x);
        return [values(gp), values(gx)];
      };
      const cpu = gradients();
      kernelFallbacks(true);
      const host = onHost(gradients);
      const counts = kernelFallbacks(true);
      assert.deepEqual(counts, { [`cell_sequence_backward@${HOST}`]: 1 }, model);
      cpu.forEach((tr, k) =>
        tr.forEach((leaf, j) =>
          leaf.forEach((v, i) =>
            assert.ok(Math.abs(host[k][j][i] - v) <= 1e-12 * (1 + Math.abs(v)), `${model} ${k}/${j}[${i}]`)
          )
        )
      );
    }
  });
});
