/**
 * NIR interchange, both ways:
 *
 * 1. trains a small spiking network (`Linear -> LIF -> Linear -> LI`) on a
 *    Randman task, exports it with `nir.toNir`, writes and reads the NIR
 *    file, imports it with `nir.fromNir` and shows that the imported
 *    network computes the same traces (bit for bit with float64 arrays in
 *    the file, to float32 rounding with the default float32 arrays);
 * 2. imports `../shared/nir/lif_norse.nir` (written by Norse for NIR's
 *    cross-framework single-neuron test), runs it at `dt = 1e-4` on that
 *    test's input spike train and plots the membrane trace as SVG.
 *
 * ```sh
 * deno run -A examples/nir_roundtrip.ts --out reports/nir
 * ```
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { data, fn, nir, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";
import { lineChart, spikeRaster } from "./report/svg.ts";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "15" },
    seed: { type: "string", default: "0" },
    out: { type: "string", default: "reports/nir" },
    norse: { type: "string", default: new URL("../../shared/nir/lif_norse.nir", import.meta.url).pathname },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log("usage: nir_roundtrip.ts [--epochs 15] [--seed 0] [--out reports/nir] [--norse path/to/lif_norse.nir]");
  process.exit(0);
}
const epochs = Number(args.epochs), seed = Number(args.seed);
if (!Number.isInteger(epochs) || epochs < 1) {
  throw new RangeError(`nir_roundtrip: --epochs must be >= 1, got ${args.epochs}`);
}
if (!Number.isSafeInteger(seed)) throw new RangeError(`nir_roundtrip: --seed must be an integer, got ${args.seed}`);
const outDir = args.out!;
mkdirSync(outDir, { recursive: true });

// ---- 1. Train, export, re-import --------------------------------------------------------------
const C = 4, IN = 20, H = 32, T = 50, DT = 1e-3;
const { spikes, labels } = data.randman({ nClasses: C, nUnits: IN, nSteps: T, nSamples: 200, seed });
const N = labels.shape[0], nTrain = Math.floor(0.8 * N);
const rows = (x: Tensor, a: number, b: number) =>
  np.slice(x, x.shape.map((_, d) => (d === 0 ? a : 0)), x.shape.map((n, d) => (d === 0 ? b : n)));
const [trainX, trainY, testX, testY] = [
  rows(spikes, 0, nTrain),
  rows(labels, 0, nTrain),
  rows(spikes, nTrain, N),
  rows(labels, nTrain, N),
];

const snn = nn.withoutApplyRng(nn.transform((x: Tensor) => {
  const core = new nn.DeepRNN([new nn.Linear(H), new nn.LIF([H]), new nn.Linear(C), new nn.LI([C])]);
  return nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false })[0];
}));
const initParams = snn.init(random.key(seed), trainX);
let params = initParams;
const loss = fn.integralCrossentropy({ smoothing: 0.3 }), accuracy = fn.integralAccuracy();
const opt = optim.adam(1e-2);
let state = opt.init(params);
const step = valueAndGrad((p: nn.Params, x: Tensor, y: Tensor) => loss(snn.apply(p, x), y));
const B = 64;
for (let epoch = 0; epoch < epochs; epoch++) {
  let total = 0, batches = 0;
  for (let at = 0; at + B <= nTrain; at += B) {
    const [value, grads] = step(params, rows(trainX, at, at + B), rows(trainY, at, at + B));
    const [updates, next] = opt.update(grads, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    total += value.item() as number;
    batches++;
  }
  const [acc] = accuracy(snn.apply(params, testX), testY);
  console.log(
    `epoch ${epoch + 1}: loss ${(total / batches).toFixed(4)}, held-out accuracy ${(acc.item() as number).toFixed(3)}`,
  );
}
const traces = snn.apply(params, testX);

for (const dtype of ["float64", "float32"] as const) {
  // optim.applyUpdates returns params with sorted keys; toNir reads the layers in network order.
  const graph = nir.toNir(nir.reorderLayers(initParams, params), [IN], [C], DT, { dtype });
  const file = join(outDir, `randman_${dtype}.nir`);
  writeFileSync(file, await nir.write(graph));
  const [net, imported] = nir.fromNir(await nir.read(file), testX, { dt: DT });
  const [again] = net.apply(imported, testX);
  const maxDiff = np.max(np.abs(np.sub(again, traces))).item() as number;
  const [accBack] = accuracy(again, testY);
  console.log(
    `${dtype} NIR file ${file}: nodes ${graph.edges.map(([a]) => a).join(" -> ")} -> output; ` +
      `re-imported traces differ by at most ${maxDiff.toExponential(2)}, accuracy ${
        (accBack.item() as number).toFixed(3)
      }`,
  );
  if (dtype === "float64" && maxDiff !== 0) throw new Error("nir_roundtrip: the float64 round trip is not exact");
}

// ---- 2. Norse's LIF neuron, NIR's single-neuron test --------------------------------------------
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
const train = intervals.flatMap((i) => [...new Array(i).fill(0), 1]).slice(0, 100).flatMap((
  s,
) => [s, ...new Array(9).fill(0)]);
const graph = await nir.read(args.norse!);
const lif = graph.nodes["1"] as nir.NIRLIF;
const x = np.array(train, { shape: [1, train.length, 1], dtype: "float32" });
const [net, lifParams] = nir.fromNir(graph, x, { dt: 1e-4, returnAllStates: true });
const [out, states] = net.apply(lifParams, x);
const v = Array.from((states["1"] as Tensor).dataSync()), s = Array.from(out.dataSync());
const threshold = lif.v_threshold.dataSync()[0];
const ms = (t: number) => (t + 1) * 0.1; // the state after step t, in ms
const chart = lineChart(
  [
    { name: "membrane v", points: v.map((vi, t) => [ms(t), vi] as [number, number]) },
    { name: "threshold", points: [[0, threshold], [ms(v.length - 1), threshold]], color: "#999999" },
  ],
  {
    title: `lif_norse.nir (tau ${
      (lif.tau.dataSync()[0] * 1e3).toPrecision(3)
    } ms), NIR's single-neuron input, dt = 0.1 ms`,
    xLabel: "time (ms)",
    yLabel: "v",
  },
);
writeFileSync(join(outDir, "lif_norse_membrane.svg"), chart);
writeFileSync(
  join(outDir, "lif_norse_spikes.svg"),
  spikeRaster(train.map((xi, t) => [xi, s[t]]), {
    title: "input spikes (row 0) and output spikes (row 1), 1,000 steps",
  }),
);
console.log(
  `lif_norse.nir: ${train.reduce((a, b) => a + b)} input spikes, ${s.reduce((a, b) => a + b)} output spikes, ` +
    `peak membrane ${Math.max(...v).toFixed(4)}; plots in ${outDir}/lif_norse_membrane.svg and lif_norse_spikes.svg`,
);
