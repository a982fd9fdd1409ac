/**
 * nir.toNir and round trips: a spyx-ts network exported, written, read and
 * imported again computes exactly what it computed (every neuron model,
 * convolutions, pooling, flattening); a NIR graph imported, exported and
 * imported again likewise (every node type); the exported graph follows
 * NIR's conventions in closed form; export errors.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { nir, nn, np, optim, random, type Tensor, tree } from "../mod.ts";
import { convGraph, lineGraph, recurrentGraph, rng, spikes, toOurs, uniform } from "./support/nir_graphs.ts";

const sharedFile = (name: string) => fileURLToPath(new URL(`../../shared/nir/${name}`, import.meta.url));
type Layer = nn.DeepRNNLayer;

/** A network over `makeLayers()` unrolled batch-major; returns the transformed function. */
function network(makeLayers: () => Layer[]) {
  return nn.withoutApplyRng(nn.transform((x: Tensor) => {
    const core = new nn.DeepRNN(makeLayers());
    return nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false })[0];
  }));
}

/** Random parameters: the initializers', with decays moved off their defaults. */
function initParams(net: ReturnType<typeof network>, x: Tensor): nn.Params {
  const params = net.init(random.key(3), x);
  const rand = rng(11);
  for (const [m, inner] of Object.entries(params)) {
    for (const k of ["beta", "alpha"]) {
      const t = inner[k];
      if (t && !(m.startsWith("LI") && t.size === 1 && t.dataSync()[0] === 1)) {
        inner[k] = uniform(rand, t.shape.slice(), 0.3, 0.95);
      }
    }
    if (inner.w && inner.w.ndim === 2 && m.startsWith("linear")) inner.w = np.mul(inner.w, 3);
  }
  return params;
}

/** Exports, writes, reads and imports; returns the imported network's output on `x`. */
async function roundTrip(
  params: nn.Params,
  x: Tensor,
  inShape: number[],
  outShape: number[],
  dt: number,
  options: nir.ToNirOptions,
) {
  const graph = nir.toNir(params, inShape, outShape, dt, options);
  const back = await nir.read(await nir.write(graph));
  const [net, imported] = nir.fromNir(back, x, { dt });
  return { out: net.apply(imported, x)[0], imported, graph, net };
}

function assertSame(a: Tensor, b: Tensor, what: string) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), what);
}

const dt = 1e-3;

describe("nir round trips: spyx-ts -> NIR file -> spyx-ts computes the same (float64 arrays)", () => {
  // The layer description toNir needs where parameter keys do not say it all (null: the keys suffice).
  const models: [string, () => Layer, nir.NIRLayer | null][] = [
    ["IF", () => new nn.IF([6], { threshold: 0.7 }), { type: "IF", threshold: 0.7 }],
    ["LIF", () => new nn.LIF([6], { threshold: 1.3 }), { type: "LIF", params: "LIF", threshold: 1.3 }],
    ["LIF, scalar beta", () => new nn.LIF([6], { beta: 0.8 }), "LIF"],
    ["LI", () => new nn.LI([6]), null],
    ["LI with beta 1 (NIR's integrator)", () => new nn.LI([6], { beta: 1 }), null],
    ["CuBaLIF", () => new nn.CuBaLIF([6]), "CuBaLIF"],
    ["RIF", () => new nn.RIF([6], { threshold: 0.5 }), { type: "RIF", params: "RIF", threshold: 0.5 }],
    ["RLIF", () => new nn.RLIF([6]), "RLIF"],
    ["RCuBaLIF", () => new nn.RCuBaLIF([6]), "RCuBaLIF"],
  ];
  for (const [name, make, spec] of models) {
    test(`Linear -> ${name} -> Linear -> LI`, async () => {
      const net = network(() => [new nn.Linear(6), make(), new nn.Linear(3), new nn.LI([3])]);
      const x = toOurs(spikes(rng(5), 2 * 15 * 4, 0.5), 2, 15, [4], "float32");
      const params = initParams(net, x);
      const layers: nir.NIRLayer[] = spec === null ? Object.keys(params) : ["linear", spec, "linear_1", "LI"];
      const { out, imported, graph } = await roundTrip(params, x, [4], [3], dt, { layers, dtype: "float64" });
      assertSame(out, net.apply(params, x), "output");
      for (const [m, inner] of Object.entries(params)) {
        for (const [k, v] of Object.entries(inner)) {
          const got = imported[m]?.[k];
          assert.ok(got, `params ${m}.${k} imported`);
          // Scalar decays come back per neuron.
          assertSame(got, v.size === 1 && got.size > 1 ? np.broadcastTo(v, got.shape) : v, `params ${m}.${k}`);
        }
      }
      if (name.includes("integrator")) assert.equal(graph.nodes.LI.type, "I");
      if (name.startsWith("R")) assert.equal(graph.nodes[name].type, "NIRGraph");
    });
  }

  test("Conv2D -> LIF -> SumPool -> Conv2D -> CuBaLIF (per-neuron decays) -> nn.Flatten -> Linear -> LI", async () => {
    const net = network(() => [
      new nn.Conv2D(4, { kernelShape: 3 }),
      new nn.LIF([6, 6, 4], { beta: 0.85, threshold: 0.8 }),
      new nn.SumPool(2, 2),
      new nn.Conv2D(3, { kernelShape: 2, padding: "VALID" }),
      new nn.CuBaLIF([2, 2, 3]),
      new nn.Flatten(),
      new nn.Linear(3),
      new nn.LI([3]),
    ]);
    const x = toOurs(spikes(rng(6), 2 * 8 * 2 * 6 * 6, 0.5), 2, 8, [2, 6, 6], "float32");
    const params = initParams(net, x);
    const layers: nir.NIRLayer[] = [
      { type: "Conv2D", params: "conv2_d" },
      { type: "LIF", params: "LIF", threshold: 0.8 },
      { type: "SumPool", window: 2, strides: 2 },
      { type: "Conv2D", params: "conv2_d_1", padding: "VALID" },
      "CuBaLIF",
      { type: "Flatten" },
      "linear",
      "LI",
    ];
    const { out, graph } = await roundTrip(params, x, [2, 6, 6], [3], dt, { layers, dtype: "float64" });
    assertSame(out, net.apply(params, x), "output");
    assert.deepEqual((graph.nodes.conv2_d as nir.NIRConv2d).weight.shape, [4, 2, 3, 3], "HWIO became OIHW");
    assert.deepEqual((graph.nodes.LIF as nir.NIRLIF).tau.shape, [4, 6, 6], "neuron parameters channels-first");
  });

  test("Conv1D (stride 2, explicit padding) -> IF -> nn.Flatten -> Linear -> LI", async () => {
    const net = network(() => [
      new nn.Conv1D(3, { kernelShape: 3, stride: 2, padding: [[1, 1]] }),
      new nn.IF([4, 3]),
      new nn.Flatten(),
      new nn.Linear(2),
      new nn.LI([2]),
    ]);
    const x = toOurs(spikes(rng(7), 2 * 10 * 2 * 8, 0.6), 2, 10, [2, 8], "float32");
    const params = initParams(net, x);
    const layers: nir.NIRLayer[] = [
      { type: "Conv1D", params: "conv1_d", stride: 2, padding: [[1, 1]] },
      { type: "IF" },
      { type: "Flatten" },
      "linear",
      "LI",
    ];
    const { out } = await roundTrip(params, x, [2, 8], [2], dt, { layers, dtype: "float64" });
    assertSame(out, net.apply(params, x), "output");
  });

  test("float32 files (the default) round-trip to within float32 rounding", async () => {
    const net = network(() => [new nn.Linear(6), new nn.LIF([6]), new nn.Linear(3), new nn.LI([3])]);
    const x = toOurs(spikes(rng(8), 2 * 15 * 4, 0.5), 2, 15, [4], "float32");
    const params = initParams(net, x);
    const { out, graph } = await roundTrip(params, x, [4], [3], dt, {});
    assert.equal((graph.nodes.linear as nir.NIRAffine).weight.dtype, "float32");
    const want = net.apply(params, x).dataSync(), got = out.dataSync();
    want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `output[${i}]`));
  });
});

describe("nir round trips: NIR graph -> spyx-ts -> NIR file -> spyx-ts computes the same", () => {
  const cases: [string, () => Promise<nir.NIRGraph> | nir.NIRGraph, number[], number][] = [
    ["every 2-d node type", () => convGraph(rng(1)), [2, 6, 6], 12],
    [
      "Conv1d, Scale, Delay, Threshold, I and NIR's r / v_leak / per-neuron thresholds",
      () => lineGraph(rng(2)),
      [2, 5],
      16,
    ],
    ["recurrent subgraphs (RLIF, RCuBaLIF, RIF)", () => recurrentGraph(rng(3)), [3], 20],
    ["lif_norse.nir", () => nir.read(sharedFile("lif_norse.nir")), [1], 40],
    ["scnn_mnist.nir", () => nir.read(sharedFile("scnn_mnist.nir")), [2, 34, 34], 2],
  ];
  for (const [name, load, sample, T] of cases) {
    test(name, async () => {
      const graph = await load();
      const n = sample.reduce((a, b) => a * b, 1);
      const x = toOurs(spikes(rng(9), 2 * T * n, 0.5), 2, T, sample, "float32");
      const d = name === "scnn_mnist.nir" ? 1 : name === "lif_norse.nir" ? 1e-4 : dt;
      const [net, params] = nir.fromNir(graph, x, { dt: d });
      assert.ok(net.layers, "a chain");
      const outShape = (Object.values(graph.nodes).find((v) => v.type === "Output") as nir.NIROutput).shape;
      const exported = nir.toNir(params, sample, outShape, d, { layers: net.layers, dtype: "float64" });
      const [net2, params2] = nir.fromNir(await nir.read(await nir.write(exported)), x, { dt: d });
      assertSame(net2.apply(params2, x)[0], net.apply(params, x)[0], "output");
      assert.deepEqual(Object.keys(params2), Object.keys(params));
    });
  }
});

describe("nir.toNir: NIR's conventions in closed form", () => {
  test("spyx's to_nir naming and time constants: tau = dt/(1-beta), r = 1, weights divided by 1 - beta", () => {
    const net = network(() => [new nn.Linear(3), new nn.LIF([3]), new nn.Linear(2), new nn.CuBaLIF([2])]);
    const x = np.zeros([1, 2, 4]);
    const params = initParams(net, x);
    const graph = nir.toNir(params, [4], [2], dt);
    assert.deepEqual(graph.edges, [
      ["input", "linear"],
      ["linear", "LIF"],
      ["LIF", "linear_1"],
      ["linear_1", "CuBaLIF"],
      ["CuBaLIF", "output"],
    ]);
    const beta = Array.from(params.LIF.beta.dataSync());
    const w = params.linear.w.dataSync(), b = params.linear.b.dataSync();
    const lif = graph.nodes.LIF as nir.NIRLIF, aff = graph.nodes.linear as nir.NIRAffine;
    const close = (got: ArrayLike<number>, want: number[], what: string) =>
      want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${what}[${i}]`));
    close(lif.tau.dataSync(), beta.map((bb) => dt / (1 - bb)), "tau");
    close(lif.r.dataSync(), [1, 1, 1], "r");
    close(lif.v_leak.dataSync(), [0, 0, 0], "v_leak");
    close(lif.v_threshold.dataSync(), [1, 1, 1], "v_threshold");
    // NIR weight [out, in] = w^T / (1 - beta_out).
    const want = [0, 1, 2].flatMap((o) => [0, 1, 2, 3].map((i) => w[i * 3 + o] / (1 - beta[o])));
    close(aff.weight.dataSync(), want, "weight");
    close(aff.bias.dataSync(), [0, 1, 2].map((o) => b[o] / (1 - beta[o])), "bias");
    const alpha = Array.from(params.CuBaLIF.alpha.dataSync()), betaC = Array.from(params.CuBaLIF.beta.dataSync());
    const cuba = graph.nodes.CuBaLIF as nir.NIRCubaLIF;
    close(cuba.tau_syn.dataSync(), alpha.map((a) => dt / (1 - a)), "tau_syn");
    close(cuba.tau_mem.dataSync(), betaC.map((bb) => dt / (1 - bb)), "tau_mem");
    // r = tau_mem / dt makes NIR's input multiplier dt/tau_syn (w_in = 1), spyx's.
    close(cuba.r.dataSync(), betaC.map((bb) => 1 / (1 - bb)), "r");
    close(cuba.w_in!.dataSync(), [1, 1], "w_in");
  });

  test("params keys sorted by a pytree map: a hint, and reorderLayers", () => {
    const net = network(() => [new nn.Linear(3), new nn.LIF([3]), new nn.Linear(2), new nn.LI([2])]);
    const params = initParams(net, np.zeros([1, 2, 4]));
    const sorted = optim.applyUpdates(params, tree.map((p: Tensor) => np.zerosLike(p), params) as nn.Params);
    assert.deepEqual(Object.keys(sorted), ["LI", "LIF", "linear", "linear_1"]);
    assert.throws(() => nir.toNir(sorted, [4], [2], dt), /pass options\.layers, or params in network order/);
    const graph = nir.toNir(nir.reorderLayers(params, sorted), [4], [2], dt);
    assert.deepEqual(graph.edges.map(([a]) => a), ["input", "linear", "LIF", "linear_1", "LI"]);
    assert.throws(() => nir.reorderLayers(params, { linear: params.linear }), /trainedParams lacks "LIF"/);
  });

  test("errors name the layer and the problem", () => {
    const x = np.zeros([1, 2, 4]);
    const net = network(() => [new nn.Linear(3), new nn.LIF([3], { beta: 1 })]);
    const params = net.init(random.key(0), x);
    assert.throws(
      () => nir.toNir(params, [4], [3], dt),
      /layer 1 \(LIF\): beta = 1 means an infinite NIR time constant/,
    );
    const ok = network(() => [new nn.Linear(3), new nn.LIF([3])]);
    assert.throws(() => nir.toNir(ok.init(random.key(0), x), [4], [5], dt), /outputShape is \[5\]/);
    assert.throws(() => nir.toNir({ ALIF: {} }, [4], [3], dt), /ALIF has no NIR node/);
    assert.throws(() => nir.toNir({ mystery: {} }, [4], [3], dt), /cannot tell the layer type of params "mystery"/);
    assert.throws(() => nir.toNir(params, [4], [3], 0), /dt must be a positive number/);
    const conv = network(() => [new nn.Conv2D(2, { kernelShape: 1 }), new nn.Flatten(), new nn.IF([8])]);
    const cx = np.zeros([1, 2, 2, 2, 1]);
    assert.throws(
      () =>
        nir.toNir(conv.init(random.key(0), cx), [1, 2, 2], [8], dt, {
          layers: ["conv2_d", { type: "Flatten" }, { type: "IF" }],
        }),
      /a Linear layer must follow it directly/,
    );
  });
});
