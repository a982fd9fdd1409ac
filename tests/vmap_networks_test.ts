/**
 * `vmap` over spiking networks, as the fused kernels run them:
 * - per-example gradients `vmap(grad(loss), { inAxes: [null, 0, 0] })` of a
 *   `[Linear, LIF, Linear, LI]` network equal a loop of `grad` over the
 *   examples;
 * - a population of networks (parameters of 4 members initialised with
 *   different keys and stacked leaf by leaf) under
 *   `vmap(net.apply, { inAxes: [0, null, null] })` equals a loop over the
 *   members, for every neuron model (recurrent ones through block-diagonal
 *   weight groups), and so does the gradient of the population's summed
 *   loss;
 * - and all of it ran the fused sequence kernels: no primitive fell back to
 *   its composition (`kernelFallbacks`), and a counter around the backend's
 *   `cell_sequence` / `cell_sequence_backward` kernels sees one call per
 *   neuron layer, not one per time step or per member.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import {
  cell,
  findKernel,
  fn,
  getBackend,
  grad,
  kernelFallbacks,
  nn,
  np,
  random,
  registerKernel,
  type Tensor,
  tree,
  vmap,
} from "../mod.ts";
import { assertAllClose } from "./support/numeric.ts";
import { randomValues } from "./support/arbitraries.ts";
import { sliceAlong } from "./support/transforms.ts";

type ModelName = keyof typeof nn.NEURON_MODELS;
const MODELS = Object.keys(nn.NEURON_MODELS) as ModelName[];
const T = 6, IN = 4, H = 5, C = 3, MEMBERS = 4;

/** `[Linear(H), model([H]), Linear(C), LI([C])]` unrolled over time-major inputs `[T, B, IN]`: traces `[T, B, C]`. */
function network(model: ModelName) {
  const Model = nn.NEURON_MODELS[model];
  return nn.transform((x: Tensor) => {
    const core = new nn.DeepRNN([
      new nn.Linear(H),
      new Model([H], Model.cell.spiking ? { threshold: 0.5 } : {}),
      new nn.Linear(C),
      new nn.LI([C]),
    ]);
    const [traces] = nn.dynamicUnroll(core, x, core.initialState(x.shape[1]));
    return traces as Tensor;
  });
}

/** Inputs `[...lead, T, IN]`-free: `shape` of deterministic values in [0, 1.5). */
function inputs(shape: number[], seed: number, dtype: "float32" | "float64"): Tensor {
  return np.array(randomValues(shape.reduce((a, b) => a * b, 1), seed, 0, 1.5), { shape, dtype });
}

/** Parameters of `net` as `dtype`, with decays moved into (0.2, 0.9) so that no clip sits at a kink. */
function initParams(net: ReturnType<typeof network>, key: Tensor, x: Tensor, dtype: "float32" | "float64") {
  const params = net.init(key, x);
  return tree.map((p: Tensor) => np.astype(p, dtype), params as tree.PyTree) as typeof params;
}

/** Counts the backend's kernel calls of `prim` while `fn` runs (the kernel is restored afterwards). */
function countKernelCalls<R>(
  prim: typeof cell.CELL_SEQUENCE | typeof cell.CELL_SEQUENCE_BACKWARD,
  fn: () => R,
): [R, number] {
  const backend = getBackend().name;
  const original = findKernel(prim as never, backend);
  assert.ok(original !== undefined, `no ${prim.name} kernel on backend ${backend}`);
  let calls = 0;
  registerKernel(prim.name, backend, (inputs, params, avals) => {
    calls++;
    return original(inputs, params, avals);
  });
  try {
    return [fn(), calls];
  } finally {
    registerKernel(prim.name, backend, original);
  }
}

/** Runs `fn`, asserting that no primitive ran as its composition for lack of a kernel. */
function withoutFallbacks<R>(fn: () => R): R {
  kernelFallbacks(true);
  const out = fn();
  assert.deepEqual(kernelFallbacks(true), {}, "primitives that ran as their composition");
  return out;
}

/** Stacks `members` pytrees of one structure leaf by leaf along a new leading axis. */
function stackMembers<P>(members: readonly P[]): P {
  return tree.map(
    (...ls: Tensor[]) => np.stack(ls, 0),
    members[0] as tree.PyTree,
    ...(members.slice(1) as tree.PyTree[]),
  ) as P;
}

/** Member `m` of stacked parameters. */
function member<P>(stacked: P, m: number): P {
  return tree.map((l: Tensor) => sliceAlong(l, 0, m), stacked as tree.PyTree) as P;
}

function assertTreesClose(got: unknown, want: unknown, tol: { rtol: number; atol: number }, what: string): void {
  const g = tree.leaves(got as tree.PyTree) as Tensor[], w = tree.leaves(want as tree.PyTree) as Tensor[];
  assert.equal(g.length, w.length, `${what}: leaves`);
  g.forEach((l, k) => {
    assert.deepEqual(l.shape, w[k].shape, `${what}: leaf ${k} shape`);
    assertAllClose(l.dataSync(), w[k].dataSync(), tol, `${what}: leaf ${k}`);
  });
}

describe("per-example gradients of a spiking network", () => {
  for (const dtype of ["float64", "float32"] as const) {
    test(`vmap(grad(loss), { inAxes: [null, 0, 0] }) equals a loop of grad (${dtype}, fused kernels)`, () => {
      const net = network("LIF");
      const xs = inputs([3, T, IN], 1, dtype); // three examples [T, IN]
      const ys = np.array([0, 2, 1], { dtype: "int32" });
      const params = initParams(net, random.key(0), np.zeros([T, 1, IN], { dtype }), dtype);
      // One example: [T, IN] -> [T, 1, IN]; traces [T, 1, C] -> batch-major [1, T, C].
      const loss = (p: typeof params, x: Tensor, y: Tensor) =>
        fn.integralCrossentropy()(np.moveaxis(net.apply(p, null, np.expandDims(x, 1)), 1, 0), np.reshape(y, [1]));
      const [[perExample, forward], backward] = countKernelCalls(
        cell.CELL_SEQUENCE_BACKWARD,
        () =>
          countKernelCalls(
            cell.CELL_SEQUENCE,
            () => withoutFallbacks(() => vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys)),
          ),
      );
      assert.equal(forward, 2, "cell_sequence kernel calls (one per neuron layer)");
      assert.equal(backward, 2, "cell_sequence_backward kernel calls (one per neuron layer)");
      const tol = dtype === "float64" ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 2e-4, atol: 1e-5 };
      for (let b = 0; b < 3; b++) {
        const want = grad(loss)(params, sliceAlong(xs, 0, b), sliceAlong(ys, 0, b));
        assertTreesClose(member(perExample, b), want, tol, `example ${b}`);
      }
    });
  }
});

describe("loss targets under vmap", () => {
  test("a target out of range is still an error naming the loss (checked where the values are)", () => {
    const traces = np.ones([2, 1, T, C]);
    const loss = (t: Tensor, y: Tensor) => fn.integralCrossentropy()(t, y);
    assert.throws(
      // On a device the check's verdict comes with the next read.
      () => vmap(loss)(traces, np.array([[1], [C]], { dtype: "int32" })).dataSync(),
      new RegExp(`integralCrossentropy: targets must be integers in \\[0, ${C - 1}\\], got ${C}`),
    );
    assert.ok(vmap(loss)(traces, np.array([[1], [C - 1]], { dtype: "int32" })).shape.length === 1);
  });
});

describe("a population of spiking networks under vmap", () => {
  for (const model of MODELS) {
    test(`${model}: ${MEMBERS} members with stacked parameters equal a loop over the members (one kernel call per layer)`, () => {
      const net = network(model);
      const x = inputs([T, 2, IN], 3, "float64");
      const keys = random.split(random.key(7), MEMBERS);
      const members = keys.map((k) => initParams(net, k, x, "float64"));
      const stacked = stackMembers(members);
      const [traces, calls] = countKernelCalls(
        cell.CELL_SEQUENCE,
        () => withoutFallbacks(() => vmap(net.apply, { inAxes: [0, null, null] })(stacked, null, x)),
      );
      assert.equal(calls, 2, "cell_sequence kernel calls (one per neuron layer, all members at once)");
      assert.deepEqual(traces.shape, [MEMBERS, T, 2, C]);
      members.forEach((p, m) => {
        assertAllClose(sliceAlong(traces, 0, m).dataSync(), net.apply(p, null, x).dataSync(), {
          rtol: 1e-10,
          atol: 1e-12,
        }, `member ${m}`);
      });
    });
  }

  for (const model of ["LIF", "RLIF", "RCuBaLIF"] as const) {
    test(`${model}: the gradient of the population's summed loss equals the members' gradients (fused backward)`, () => {
      const net = network(model);
      const x = inputs([T, 2, IN], 5, "float64");
      const y = np.array([1, 2], { dtype: "int32" });
      const members = random.split(random.key(11), MEMBERS).map((k) => initParams(net, k, x, "float64"));
      const stacked = stackMembers(members);
      const loss = (p: typeof stacked) => fn.integralCrossentropy({ timeAxis: 0 })(net.apply(p, null, x), y);
      const population = (p: typeof stacked) => np.sum(vmap(loss)(p));
      const [[g, forward], backward] = countKernelCalls(
        cell.CELL_SEQUENCE_BACKWARD,
        () => countKernelCalls(cell.CELL_SEQUENCE, () => withoutFallbacks(() => grad(population)(stacked))),
      );
      assert.equal(forward, 2, "cell_sequence kernel calls");
      assert.equal(backward, 2, "cell_sequence_backward kernel calls");
      members.forEach((p, m) => {
        assertTreesClose(member(g, m), grad(loss)(p), { rtol: 1e-10, atol: 1e-12 }, `member ${m}`);
      });
    });
  }

  test("float32 population of LIF networks (WebAssembly kernels where available): as a loop, one call per layer", () => {
    const net = network("LIF");
    const x = inputs([T, 3, IN], 9, "float32");
    const members = random.split(random.key(13), MEMBERS).map((k) => initParams(net, k, x, "float32"));
    const [traces, calls] = countKernelCalls(
      cell.CELL_SEQUENCE,
      () => withoutFallbacks(() => vmap(net.apply, { inAxes: [0, null, null] })(stackMembers(members), null, x)),
    );
    assert.equal(calls, 2);
    members.forEach((p, m) => {
      assertAllClose(sliceAlong(traces, 0, m).dataSync(), net.apply(p, null, x).dataSync(), {
        rtol: 1e-5,
        atol: 1e-6,
      }, `member ${m}`);
    });
  });
});
