/**
 * nir.fromNir against independent float64 simulations: NIR's single-neuron
 * test on Norse's file, the NIR paper's convolutional network, graphs that
 * are not chains (branches, skips, cycles, delays), recurrent subgraphs,
 * NIR settings spyx ignores; errors for graphs spyx-ts cannot run; and
 * nn.dynamicUnroll's returnAllStates, which fromNir's traces use.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { nir, nn, np, random, type Tensor } from "../mod.ts";
import { simulate } from "./support/nir_reference.ts";
import {
  chain,
  convGraph,
  fromOurs,
  lifNode,
  lineGraph,
  maxDiff,
  recurrentGraph,
  rng,
  spikes,
  toOurs,
  uniform,
} from "./support/nir_graphs.ts";

const sharedFile = (name: string) => fileURLToPath(new URL(`../../shared/nir/${name}`, import.meta.url));

/** The input of NIR's single-neuron test (shared/nir/README.md): 1,000 steps, 34 spikes. */
function singleNeuronInput(): number[] {
  const intervals = [
    6,
    15,
    4,
    3,
    0,
    2,
    1,
    2,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    13,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    5,
    0,
    14,
  ];
  const train = intervals.flatMap((i) => [...new Array(i).fill(0), 1]).slice(0, 100);
  return train.flatMap((s) => [s, ...new Array(9).fill(0)]);
}

/** Runs `graph` through fromNir in float64 and through the reference; returns both in NIR's layout. */
function compare(
  graph: nir.NIRGraph,
  nirSample: number[],
  outSample: number[],
  B: number,
  T: number,
  dt: number,
  p = 0.4,
) {
  const rand = rng(7);
  const n = nirSample.reduce((a, b) => a * b, 1);
  const x = spikes(rand, B * T * n, p);
  const xs = toOurs(x, B, T, nirSample, "float64");
  const [net, params] = nir.fromNir(graph, xs, { dt, returnAllStates: true });
  const [out, states] = net.apply(params, xs);
  const ref = simulate(graph, x, B, T, dt);
  return { ours: fromOurs(out, outSample), ref, states, params, net, xs };
}

function activity(v: Float64Array[][]): number {
  return v.flat().reduce((a, x) => a + x.reduce((s, y) => s + Math.abs(y), 0), 0);
}

describe("nir.fromNir: NIR's single-neuron test on lif_norse.nir (Norse)", () => {
  test("spikes and membrane trace match a float64 simulation of spyx's discretisation at dt = 1e-4", async () => {
    const graph = await nir.read(sharedFile("lif_norse.nir"));
    const input = singleNeuronInput();
    assert.equal(input.length, 1000);
    assert.equal(input.reduce((a, b) => a + b), 34);
    const dt = 1e-4;
    const x = np.array(input, { shape: [1, 1000, 1], dtype: "float32" });
    const [net, params] = nir.fromNir(graph, x, { dt, returnAllStates: true });
    const [spk, states] = net.apply(params, x);
    assert.deepEqual(spk.shape, [1, 1000, 1]);
    const trace = (states["1"] as Tensor).dataSync();
    // The file's values (shared/nir/README.md), as the float32 they are stored in.
    const [tau, thr, w, b] = [Math.fround(0.0025), Math.fround(0.1), 1, 0];
    const beta = 1 - dt / tau, inScale = dt / tau;
    let v = 0, maxErr = 0, count = 0;
    const got = spk.dataSync();
    for (let t = 0; t < 1000; t++) {
      const s = v > thr ? 1 : 0; // spike from the membrane before the update
      v = beta * v + inScale * (w * input[t] + b) - s * thr; // subtractive reset
      assert.equal(got[t], s, `spike at step ${t}`);
      maxErr = Math.max(maxErr, Math.abs(trace[t] - v));
      count += s;
    }
    console.log(`nir_import_test: lif_norse: ${count} spikes, membrane max abs error ${maxErr.toExponential(2)}`);
    assert.ok(count > 0, "the neuron fires");
    assert.ok(maxErr <= 1e-5, `membrane max error ${maxErr}`);
    assert.ok(Math.abs((params.linear.w as Tensor).dataSync()[0] - inScale) < 1e-8, "w carries dt/tau");
  });
});

describe("nir.fromNir: scnn_mnist.nir (the NIR paper's CNN)", () => {
  test("runs N-MNIST-shaped input [B, T, 34, 34, 2] to [B, T, 10]", async () => {
    const graph = await nir.read(sharedFile("scnn_mnist.nir"));
    const x = np.astype(random.bernoulli(random.key(1), 0.3, [2, 2, 34, 34, 2]), "float32");
    const [net, params] = nir.fromNir(graph, x, { dt: 1 });
    const [out, states] = net.apply(params, x);
    assert.deepEqual(out.shape, [2, 2, 10]);
    assert.equal(out.dtype, "float32");
    assert.deepEqual(Object.keys(params), ["conv2_d", "conv2_d_1", "conv2_d_2", "linear", "linear_1"]);
    assert.deepEqual((params.conv2_d.w as Tensor).shape, [5, 5, 2, 16], "OIHW became HWIO");
    assert.deepEqual((states["1"] as Tensor).shape, [2, 16, 16, 16]);
  });

  test("every layer's membrane matches a float64 NIR-layout simulation", async () => {
    const graph = await nir.read(sharedFile("scnn_mnist.nir"));
    // Each IF layer passes spikes on a step later: six steps reach the output layer.
    const { ours, ref, states } = compare(graph, [2, 34, 34], [10], 1, 6, 1, 0.5);
    assert.ok(maxDiff(ours, ref.out) < 1e-9, "output spikes");
    for (
      const [name, shape] of [["1", [16, 16, 16]], ["3", [16, 16, 16]], ["6", [8, 8, 8]], ["10", [256]], ["12", [
        10,
      ]]] as const
    ) {
      const mine = fromOurs(states[name] as Tensor, shape.slice());
      assert.ok(activity(ref.states.get(name)!) > 0, `layer ${name} is active`);
      assert.ok(maxDiff(mine, ref.states.get(name)!) < 1e-9, `membrane of IF node ${name}`);
    }
  });
});

describe("nir.fromNir: every node type against the reference simulation", () => {
  test("a convolutional chain (Conv2d, IF, SumPool2d, AvgPool2d, Flatten, Affine, LIF, Linear, LI)", () => {
    const { ours, ref, net } = compare(convGraph(rng(1)), [2, 6, 6], [3], 2, 12, 1e-3);
    assert.ok(net.layers !== null, "a chain runs as a DeepRNN");
    assert.ok(activity(ref.states.get("lif")!) > 0);
    assert.ok(maxDiff(ours, ref.out) < 1e-9, `LI trace differs by ${maxDiff(ours, ref.out)}`);
  });

  test("a 1-d chain (Conv1d, LIF with r, v_leak and per-neuron thresholds, CubaLIF, Scale, Delay, Threshold, I)", () => {
    const { ours, ref } = compare(lineGraph(rng(2)), [2, 5], [2], 2, 16, 1e-3);
    assert.ok(activity(ref.out) > 0);
    assert.ok(maxDiff(ours, ref.out) < 1e-9, `I trace differs by ${maxDiff(ours, ref.out)}`);
  });

  test("recurrent subgraphs become RLIF, RCuBaLIF and RIF", () => {
    const { ours, ref, params, states } = compare(recurrentGraph(rng(3)), [3], [2], 2, 20, 1e-3);
    assert.deepEqual(Object.keys(params), ["linear", "RLIF", "linear_1", "RCuBaLIF", "linear_2", "RIF"]);
    assert.deepEqual((params.RLIF.w as Tensor).shape, [6, 6]);
    assert.ok(activity(ref.out) > 0, "the last layer spikes");
    assert.ok(maxDiff(ours, ref.out) < 1e-9);
    const v = fromOurs(states["rlif/neuron"] as Tensor, [6]);
    assert.ok(maxDiff(v, ref.states.get("rlif/neuron")!) < 1e-9, "RLIF membrane");
  });

  test("branches and a skip connection (a node sums its inputs)", () => {
    const rand = rng(4);
    const graph: nir.NIRGraph = {
      type: "NIRGraph",
      nodes: {
        input: { type: "Input", shape: [3] },
        a: { type: "Linear", weight: uniform(rand, [4, 3], 0, 3) },
        la: lifNode(rand, 4, 2e-3),
        b: { type: "Affine", weight: uniform(rand, [4, 3], 0, 2), bias: uniform(rand, [4], 0, 0.1) },
        lb: { type: "IF", r: np.full([4], 300, { dtype: "float32" }), v_threshold: np.ones([4]) },
        c: { type: "Linear", weight: uniform(rand, [2, 4], -1, 2) },
        skip: { type: "Linear", weight: uniform(rand, [2, 3], -1, 1) },
        out: { type: "LI", tau: np.full([2], 5e-3, { dtype: "float32" }), r: np.ones([2]), v_leak: np.zeros([2]) },
        output: { type: "Output", shape: [2] },
      },
      edges: [
        ["input", "a"],
        ["a", "la"],
        ["input", "b"],
        ["b", "lb"],
        ["la", "c"],
        ["lb", "c"],
        ["input", "skip"],
        ["c", "out"],
        ["skip", "out"],
        ["out", "output"],
      ],
    };
    const { ours, ref, net, states } = compare(graph, [3], [2], 2, 15, 1e-3);
    assert.equal(net.layers, null, "not a chain");
    assert.deepEqual(Object.keys(states).sort(), ["la", "lb", "out"]);
    assert.ok(activity(ref.states.get("la")!) > 0 && activity(ref.states.get("lb")!) > 0);
    assert.ok(maxDiff(ours, ref.out) < 1e-9);
  });

  test("a cycle that is not a recurrent neuron gets NIR's one-step delay", () => {
    const rand = rng(5);
    // lif -> f -> g -> lif: f feeds g, not lif, so this is a cycle through three nodes.
    const graph: nir.NIRGraph = {
      type: "NIRGraph",
      nodes: {
        input: { type: "Input", shape: [3] },
        a: { type: "Linear", weight: uniform(rand, [3, 3], 0, 3) },
        lif: lifNode(rand, 3, 2e-3),
        f: { type: "Linear", weight: uniform(rand, [3, 3], -1, 2) },
        g: { type: "Scale", scale: np.array([2, -1, 3], { dtype: "float32" }) },
        o: { type: "Linear", weight: uniform(rand, [2, 3], -1, 1) },
        output: { type: "Output", shape: [2] },
      },
      edges: [["input", "a"], ["a", "lif"], ["lif", "f"], ["f", "g"], ["g", "lif"], ["lif", "o"], ["o", "output"]],
    };
    const { ours, ref } = compare(graph, [3], [2], 2, 20, 1e-3);
    assert.ok(activity(ref.out) > 0);
    assert.ok(maxDiff(ours, ref.out) < 1e-9);
    // Without the delay the feedback would arrive a step earlier: the reference with it cut differs.
    const open = simulate(
      { ...graph, edges: graph.edges.filter(([a]) => a !== "g") },
      spikes(rng(7), 2 * 20 * 3, 0.4),
      2,
      20,
      1e-3,
    );
    assert.ok(maxDiff(open.out, ref.out) > 0, "the feedback matters in this test");
  });

  test("time-major input gives the same result, transposed", () => {
    const graph = recurrentGraph(rng(3));
    const xs = toOurs(spikes(rng(8), 2 * 6 * 3, 0.5), 2, 6, [3], "float32");
    const [net, params] = nir.fromNir(graph, xs, { dt: 1e-3 });
    const [a] = net.apply(params, xs);
    const xt = np.swapaxes(xs, 0, 1);
    const [netT, paramsT] = nir.fromNir(graph, xt, { dt: 1e-3, timeMajor: true });
    const [b] = netT.apply(paramsT, xt);
    assert.deepEqual(Array.from(np.swapaxes(b, 0, 1).dataSync()), Array.from(a.dataSync()));
  });
});

describe("nir.fromNir: graphs spyx-ts cannot run are clear errors", () => {
  const x3 = np.zeros([1, 2, 3]);
  const io = (inner: [string, nir.NIRNode][], n = 3, out = 3) =>
    chain([["input", { type: "Input", shape: [n] }], ...inner, ["output", { type: "Output", shape: [out] }]]);
  const lif = (extra: Partial<nir.NIRLIF>) => lifNode(rng(1), 3, 1e-3, extra);

  test("shape mismatches between connected nodes", () => {
    assert.throws(
      () => nir.fromNir(io([["fc", { type: "Linear", weight: np.ones([3, 4]) }]]), x3, { dt: 1e-3 }),
      /node "fc" \(Linear\) expects input of shape \[4\] .* but receives \[3\]/,
    );
    assert.throws(
      () => nir.fromNir(io([["lif", lifNode(rng(1), 5, 1e-3)]]), x3, { dt: 1e-3 }),
      /node "lif" \(LIF\): \w+ has shape \[5\] but the node's input has shape \[3\]/,
    );
    assert.throws(
      () => nir.fromNir(io([], 3, 4), x3, { dt: 1e-3 }),
      /node "output" \(Output\) expects input of shape \[4\]/,
    );
    assert.throws(() => nir.fromNir(io([]), np.zeros([1, 2, 5]), { dt: 1e-3 }), /Input node "input" has shape \[3\]/);
  });

  test("inputs of different shapes summed into one node", () => {
    const graph: nir.NIRGraph = {
      type: "NIRGraph",
      nodes: {
        input: { type: "Input", shape: [3] },
        a: { type: "Linear", weight: np.ones([2, 3]) },
        b: { type: "Linear", weight: np.ones([4, 3]) },
        s: { type: "Scale", scale: np.ones([2]) },
        output: { type: "Output", shape: [2] },
      },
      edges: [["input", "a"], ["input", "b"], ["a", "s"], ["b", "s"], ["s", "output"]],
    };
    assert.throws(
      () => nir.fromNir(graph, x3, { dt: 1e-3 }),
      /node "s" sums its inputs, but "a" gives shape \[2\] and "b" \[4\]/,
    );
  });

  test("node types and settings without a spyx-ts equivalent", () => {
    const cubaLI: nir.NIRCubaLI = {
      type: "CubaLI",
      tau_syn: np.ones([3]),
      tau_mem: np.ones([3]),
      r: np.ones([3]),
      v_leak: np.zeros([3]),
    };
    assert.throws(() => nir.fromNir(io([["c", cubaLI]]), x3, { dt: 1e-3 }), /fromNir does not support CubaLI nodes/);
    assert.throws(
      () => nir.fromNir(io([["lif", lif({ v_reset: np.full([3], -0.5) })]]), x3, { dt: 1e-3 }),
      /v_reset = -0\.5 is not supported/,
    );
    assert.throws(() => nir.fromNir(io([["lif", lif({})]]), x3, { dt: 0.01 }), /outside \[0, 1\]/);
    const odd = { type: "Sigmoid" } as unknown as nir.NIRNode;
    assert.throws(() => nir.fromNir(io([["odd", odd]]), x3, { dt: 1e-3 }), /node "odd" has type "Sigmoid"/);
  });

  test("graphs without one Input and one Output, unreachable nodes, bad options", () => {
    const g = io([["s", { type: "Scale", scale: np.ones([3]) }]]);
    assert.throws(
      () => nir.fromNir({ ...g, nodes: { ...g.nodes, extra: { type: "Input", shape: [3] } } }, x3, { dt: 1e-3 }),
      /exactly one Input and one Output node; it has 2/,
    );
    const lonely = { ...g, nodes: { ...g.nodes, lonely: { type: "Scale", scale: np.ones([3]) } as nir.NIRNode } };
    assert.throws(() => nir.fromNir(lonely, x3, { dt: 1e-3 }), /"lonely" cannot be reached from the Input/);
    assert.throws(() => nir.fromNir(g, x3, { dt: -1 }), /dt must be a positive number/);
    assert.throws(() => nir.fromNir(g, np.zeros([3]), { dt: 1e-3 }), /sampleBatch must be a tensor \[B, T, \.\.\.\]/);
    const [net, params] = nir.fromNir(g, x3, { dt: 1e-3 });
    assert.throws(() => net.apply(params, np.zeros([1, 2, 4])), /per-sample shape of sampleBatch, \[3\]/);
  });
});

describe("nn.dynamicUnroll: returnAllStates", () => {
  /** Every step's state by a plain loop of core.call (the oracle). */
  function loop(core: nn.RNNCore, xs: Tensor, s0: nn.RNNState): Tensor[][] {
    const steps = np.split(xs, xs.shape[0], 0).map((s) => np.squeeze(s, 0));
    let s = s0;
    return steps.map((x) => {
      s = core.call(x, s)[1];
      return (s as Tensor[]).slice();
    });
  }

  for (const timeMajor of [true, false]) {
    test(`stacks every step's state like the outputs (timeMajor ${timeMajor})`, () => {
      const net = nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN([
          new nn.Linear(4),
          new nn.LIF([4], { beta: 0.8 }),
          new nn.Linear(2),
          new nn.CuBaLIF([2]),
        ]);
        const B = x.shape[timeMajor ? 1 : 0];
        const [ys, all] = nn.dynamicUnroll(core, x, core.initialState(B), { timeMajor, returnAllStates: true });
        const [ysFinal, final] = nn.dynamicUnroll(core, x, core.initialState(B), { timeMajor });
        const tm = timeMajor ? x : np.swapaxes(x, 0, 1);
        return { ys, all, ysFinal, final, ref: loop(core, tm, core.initialState(B)) };
      });
      const x = uniform(rng(9), timeMajor ? [5, 2, 3] : [2, 5, 3], 0, 2);
      const params = net.init(random.key(0), x);
      const { ys, all, ysFinal, final, ref } = net.apply(params, null, x);
      assert.deepEqual(Array.from(ys.dataSync()), Array.from(ysFinal.dataSync()));
      (all as Tensor[]).forEach((stack, k) => {
        assert.deepEqual(stack.shape.slice(0, 2), timeMajor ? [5, 2] : [2, 5]);
        const tm = timeMajor ? stack : np.swapaxes(stack, 0, 1);
        ref.forEach((states, t) => {
          const got = np.squeeze(np.slice(tm, [t, 0, 0], [t + 1, ...tm.shape.slice(1)]), 0);
          assert.deepEqual(Array.from(got.dataSync()), Array.from(states[k].dataSync()), `state ${k} step ${t}`);
        });
        // The final state of the other call comes from the whole-sequence kernels: equal up to rounding.
        const last = np.squeeze(np.slice(tm, [4, 0, 0], [5, ...tm.shape.slice(1)]), 0).dataSync();
        (final as Tensor[])[k].dataSync().forEach((v, i) =>
          assert.ok(Math.abs(v - last[i]) <= 1e-6, `final ${k}[${i}]`)
        );
      });
    });
  }
});
