/**
 * Trains a spiking network on MNIST digits, spyx style:
 * rate-coded pixels → Linear → LIF → Linear → LI, integral cross-entropy,
 * Adam. Prints progress, writes a report folder (metrics JSON, loss and
 * accuracy curves, a hidden-layer spike raster) and ends with a line
 * `test_accuracy=0.xxxx`.
 *
 * ```sh
 * deno run -A examples/train_mnist.ts --epochs 10 --seed 0 --out reports/mnist
 * ```
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { axn, data, fn, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";
import { lineChart, spikeRaster } from "./report/svg.ts";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "10" },
    seed: { type: "string", default: "0" },
    steps: { type: "string", default: "25" },
    batch: { type: "string", default: "64" },
    hidden: { type: "string", default: "256" },
    lr: { type: "string", default: "2e-3" },
    "max-rate": { type: "string", default: "0.75" },
    "log-every": { type: "string", default: "25" },
    out: { type: "string", default: "reports/mnist" },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(
    "usage: train_mnist.ts [--epochs 10] [--seed 0] [--steps 25] [--batch 64] [--hidden 256] [--lr 2e-3] [--max-rate 0.75] [--log-every 25] [--out reports/mnist]",
  );
  process.exit(0);
}

function positiveInt(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`train_mnist: --${name} must be a positive integer, got ${v}`);
  }
  return n;
}
function positiveNumber(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(`train_mnist: --${name} must be a positive number, got ${v}`);
  }
  return n;
}

const epochs = positiveInt("epochs", args.epochs);
const seed = Number(args.seed);
if (!Number.isSafeInteger(seed)) throw new RangeError(`train_mnist: --seed must be an integer, got ${args.seed}`);
const T = positiveInt("steps", args.steps);
const B = positiveInt("batch", args.batch);
const H = positiveInt("hidden", args.hidden);
const lr = positiveNumber("lr", args.lr);
const maxRate = positiveNumber("max-rate", args["max-rate"]);
const logEvery = positiveInt("log-every", args["log-every"]);
const outDir = args.out!;
const C = 10;

const t0 = performance.now();
const mnist = await data.loadMnist();
const [nTrain, nTest] = [mnist.trainImages.shape[0], mnist.testImages.shape[0]];
const flat = (x: Tensor) => np.reshape(x, [x.shape[0], -1]);
const trainX = flat(mnist.trainImages), testX = flat(mnist.testImages);
console.log(`MNIST: ${nTrain} training and ${nTest} held-out digits, ${T} time steps, batch ${B}, hidden ${H}`);
if (B > nTrain) throw new RangeError(`train_mnist: --batch ${B} is larger than the ${nTrain} training digits`);

/** The spyx tutorial network, returning the LI traces and the hidden spikes. */
const snn = nn.transform((x: Tensor) => {
  const hidden = new nn.DeepRNN([new nn.Linear(H), new nn.LIF([H], { activation: axn.superspike(25) })]);
  const readout = new nn.DeepRNN([new nn.Linear(C), new nn.LI([C])]);
  const batch = x.shape[0];
  const [spikes] = nn.dynamicUnroll(hidden, x, hidden.initialState(batch), { timeMajor: false });
  const [traces] = nn.dynamicUnroll(readout, spikes, readout.initialState(batch), { timeMajor: false });
  return { traces, spikes };
});

const encode = data.rateCode(T, maxRate);
const lossFn = fn.integralCrossentropy({ smoothing: 0.3 });
const accuracyFn = fn.integralAccuracy();

const [initKey, trainKey] = random.split(random.key(seed));
let params = snn.init(initKey, encode(np.slice(trainX, [0, 0], [1, trainX.shape[1]]), initKey));
const opt = optim.adam(lr);
let optState = opt.init(params);

const trainStep = valueAndGrad(
  (p: nn.Params, x: Tensor, y: Tensor) => {
    const { traces } = snn.apply(p, null, x);
    return [lossFn(traces, y), traces];
  },
  { hasAux: true },
);

const history: { step: number; loss: number; accuracy: number }[] = [];
const epochAccuracy: [number, number][] = [];
let step = 0;
const batchesPerEpoch = Math.floor(nTrain / B);
const trainStart = performance.now();
for (let epoch = 0; epoch < epochs; epoch++) {
  const epochKey = random.foldIn(trainKey, epoch);
  const [permKey, spikeKey] = random.split(epochKey);
  const order = random.permutation(permKey, nTrain);
  let seen = 0, correct = 0;
  const epochStart = performance.now();
  for (let b = 0; b < batchesPerEpoch; b++) {
    const idx = np.slice(order, [b * B], [(b + 1) * B]);
    const x = encode(np.take(trainX, idx, 0), random.foldIn(spikeKey, b));
    const y = np.take(mnist.trainLabels, idx, 0);
    const [[loss, traces], grads] = trainStep(params, x, y);
    const [updates, nextState] = opt.update(grads, optState, params);
    params = optim.applyUpdates(params, updates);
    optState = nextState;
    const [acc] = accuracyFn(traces, y);
    const lossValue = loss.item(), accValue = acc.item();
    seen += B;
    correct += accValue * B;
    step++;
    history.push({ step, loss: lossValue, accuracy: accValue });
    if ((b + 1) % logEvery === 0 || b === batchesPerEpoch - 1) {
      const rate = seen / ((performance.now() - epochStart) / 1000);
      console.log(
        `epoch ${epoch + 1}/${epochs} batch ${b + 1}/${batchesPerEpoch} loss ${lossValue.toFixed(4)} ` +
          `train_acc ${(correct / seen).toFixed(4)} ${rate.toFixed(0)} samples/s`,
      );
    }
  }
  epochAccuracy.push([epoch + 1, correct / seen]);
}
const trainSeconds = (performance.now() - trainStart) / 1000;

// Held-out evaluation, fixed spike key so the number is reproducible.
const evalKey = random.foldIn(random.key(seed), 1_000_003);
let testCorrect = 0;
for (let start = 0; start < nTest; start += B) {
  const end = Math.min(nTest, start + B);
  const x = encode(np.slice(testX, [start, 0], [end, testX.shape[1]]), random.foldIn(evalKey, start));
  const y = np.slice(mnist.testLabels, [start], [end]);
  const { traces } = snn.apply(params, null, x);
  testCorrect += accuracyFn(traces, y)[0].item() * (end - start);
}
const testAccuracy = testCorrect / nTest;

mkdirSync(outDir, { recursive: true });
const smooth = (values: number[], k = 20) =>
  values.map((_, i) => {
    const w = values.slice(Math.max(0, i - k + 1), i + 1);
    return w.reduce((a, v) => a + v, 0) / w.length;
  });
const losses = smooth(history.map((h) => h.loss)), accs = smooth(history.map((h) => h.accuracy));
writeFileSync(
  join(outDir, "loss.svg"),
  lineChart([{
    name: "training loss (moving average of 20 batches)",
    points: history.map((h, i) => [h.step, losses[i]]),
  }], {
    title: "Integral cross-entropy",
    xLabel: "training step",
    yLabel: "loss",
  }),
);
writeFileSync(
  join(outDir, "accuracy.svg"),
  lineChart(
    [
      { name: "training accuracy (moving average)", points: history.map((h, i) => [h.step, accs[i]]) },
      { name: `held-out accuracy ${testAccuracy.toFixed(4)}`, points: [[0, testAccuracy], [step, testAccuracy]] },
    ],
    { title: "Accuracy", xLabel: "training step", yLabel: "accuracy", yRange: [0, 1] },
  ),
);
const sample = encode(np.slice(testX, [0, 0], [1, testX.shape[1]]), evalKey);
const { spikes } = snn.apply(params, null, sample);
const raster = np.squeeze(spikes, 0).toArray() as number[][];
writeFileSync(
  join(outDir, "raster.svg"),
  spikeRaster(raster, { title: `Hidden LIF spikes for one held-out digit (label ${mnist.testLabels.dataSync()[0]})` }),
);
const totalSeconds = (performance.now() - t0) / 1000;
writeFileSync(
  join(outDir, "metrics.json"),
  JSON.stringify(
    {
      seed,
      epochs,
      steps: T,
      batch: B,
      hidden: H,
      lr,
      maxRate,
      trainSamples: nTrain,
      testSamples: nTest,
      testAccuracy,
      trainSeconds,
      totalSeconds,
      samplesPerSecond: (epochs * batchesPerEpoch * B) / trainSeconds,
      epochTrainAccuracy: epochAccuracy,
    },
    null,
    2,
  ),
);
console.log(
  `report written to ${outDir} (loss.svg, accuracy.svg, raster.svg, metrics.json); ${totalSeconds.toFixed(1)} s`,
);
console.log(`test_accuracy=${testAccuracy.toFixed(4)}`);
