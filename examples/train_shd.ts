/**
 * Trains spyx's SHD tutorial network on the Spiking Heidelberg Digits:
 * binned spikes of 700 cochlea channels → Linear(700→128) → LIF →
 * Linear(128→20) → LI, integral cross-entropy with label smoothing, Adam,
 * and spyx's shift augmentation (each batch's channels rolled by one random
 * shift, drawn as `data.shiftAugment` draws it and applied while the batch is
 * copied from the binned data). Same options and outputs as the MNIST example, ending with
 * `test_accuracy=0.xxxx`; `--resume DIR` continues a stopped run exactly.
 *
 * `--data DIR` is a folder holding `shd_train.h5` and `shd_test.h5`, the
 * files from https://zenkelab.org/datasets/ (`shd_train.h5.gz` and
 * `shd_test.h5.gz`, gunzipped).
 *
 * ```sh
 * deno run -A examples/train_shd.ts --data ~/data/shd --out reports/shd
 * ```
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { axn, fn, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";
import { type BinnedSpikes, binShdFile, gatherBatch } from "./shd/binned_spikes.ts";
import type { TrainState } from "./run/checkpoints.ts";
import { type DataRecord, sha256 } from "./run/data_hash.ts";
import { commonOptions } from "./run/options.ts";
import type { OutputSink } from "./run/progress.ts";
import { RunError } from "./run/run_error.ts";
import { type ExampleDefinition, runExample, runFromCommandLine, type TrainingTask } from "./run/trainer.ts";

/** SHD's classes (digits 0-9 in English and German) and input channels. */
const CLASSES = 20, UNITS = 700;

/** Reads and bins one SHD file of the data folder. */
async function loadSplit(
  dir: string,
  file: string,
  steps: number,
  maxTime: number,
  limit: number,
): Promise<{ spikes: BinnedSpikes; record: DataRecord }> {
  const path = join(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new RunError(
      `train_shd: cannot read ${path} (${(e as Error).message}); --data must name a folder with shd_train.h5 and ` +
        `shd_test.h5 from https://zenkelab.org/datasets/ (gunzipped)`,
    );
  }
  let spikes: BinnedSpikes;
  try {
    spikes = await binShdFile(bytes, path, { steps, maxTime, units: UNITS, limit });
  } catch (e) {
    // A file that is not in SHD's layout: data.loadShd's message names the file and what is wrong.
    throw new RunError((e as Error).message);
  }
  const bad = spikes.labels.findIndex((c) => c < 0 || c >= CLASSES);
  if (bad >= 0) throw new RunError(`train_shd: ${path}: sample ${bad} has label ${spikes.labels[bad]}, not 0..19`);
  if (spikes.samples === 0) throw new RunError(`train_shd: ${path} holds no samples`);
  return { spikes, record: { name: file, source: path, sha256: sha256(bytes), samples: spikes.samples } };
}

/** The SHD example: its options, data, network and step. */
export const shdExample: ExampleDefinition = {
  name: "shd",
  program: "examples/train_shd.ts",
  summary: "Trains spyx's SHD tutorial network, Linear(700→H) → LIF → Linear(H→20) → LI, on the Spiking " +
    "Heidelberg Digits (--data: a folder with shd_train.h5 and shd_test.h5 from https://zenkelab.org/datasets/).",
  options: {
    data: { kind: "path", help: "folder holding shd_train.h5 and shd_test.h5" },
    ...commonOptions({ epochs: 20, batch: 64, lr: 1e-3, logEvery: 25 }),
    steps: { kind: "count", default: 100, help: "time bins per sample" },
    "max-time": { kind: "positive", default: 1.4, help: "seconds the time bins cover (later spikes are dropped)" },
    hidden: { kind: "count", default: 128, help: "LIF neurons in the hidden layer" },
    smoothing: { kind: "fraction", default: 0.3, help: "label smoothing of the integral cross-entropy" },
    "max-shift": { kind: "size", default: 16, help: "largest channel shift of the augmentation (0: none)" },
  },
  defaultOut: "reports/shd",
  prepare: async (config, keys): Promise<TrainingTask> => {
    const T = Number(config.steps), H = Number(config.hidden), B = Number(config.batch);
    const maxTime = Number(config["max-time"]), maxShift = Number(config["max-shift"]);
    const dir = String(config.data);
    const train = await loadSplit(dir, "shd_train.h5", T, maxTime, Number(config["train-size"]));
    const test = await loadSplit(dir, "shd_test.h5", T, maxTime, Number(config["test-size"]));
    const trainLabels = np.fromTypedArray(train.spikes.labels, [train.spikes.samples], "int32");
    const testLabels = np.fromTypedArray(test.spikes.labels, [test.spikes.samples], "int32");
    const nTrain = train.spikes.samples, nTest = test.spikes.samples;

    /** The network of spyx's SHD tutorial, returning the LI traces and the hidden spikes. */
    const snn = nn.transform((x: Tensor) => {
      const hidden = new nn.DeepRNN([
        new nn.Linear(H, { withBias: false }),
        new nn.LIF([H], { activation: axn.superspike(25) }),
      ]);
      const readout = new nn.DeepRNN([new nn.Linear(CLASSES, { withBias: false }), new nn.LI([CLASSES])]);
      const batch = x.shape[0];
      const [spikes] = nn.dynamicUnroll(hidden, x, hidden.initialState(batch), { timeMajor: false });
      const [traces] = nn.dynamicUnroll(readout, spikes, readout.initialState(batch), { timeMajor: false });
      return { traces, spikes };
    });
    const lossFn = fn.integralCrossentropy({ smoothing: Number(config.smoothing) });
    const accuracyFn = fn.integralAccuracy();
    const opt = optim.adam(Number(config.lr));
    const trainStep = valueAndGrad(
      (p: nn.Params, x: Tensor, y: Tensor) => {
        const { traces } = snn.apply(p, null, x);
        return [lossFn(traces, y), traces];
      },
      { hasAux: true },
    );
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

    return {
      intro: `SHD: ${nTrain} training and ${nTest} held-out samples, ${T} time bins over ${maxTime} s, ` +
        `batch ${B}, hidden ${H}`,
      data: [train.record, test.record],
      trainSize: nTrain,
      testSize: nTest,
      init(): TrainState {
        const params = snn.init(keys.init, gatherBatch(train.spikes, [0]));
        return { params, optState: opt.init(params) };
      },
      step({ params, optState }, idx, key) {
        // data.shiftAugment(maxShift)'s draw: one shift for the whole batch, in [-maxShift, maxShift).
        const shift = maxShift > 0 ? random.randint(key, [1], -maxShift, maxShift).dataSync()[0] : 0;
        const x = gatherBatch(train.spikes, idx.dataSync() as Int32Array, shift);
        const y = np.take(trainLabels, idx, 0);
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
        let correct = 0;
        for (let start = 0; start < nTest; start += B) {
          const end = Math.min(nTest, start + B);
          const { traces } = snn.apply(params, null, gatherBatch(test.spikes, range(start, end)));
          correct += accuracyFn(traces, np.slice(testLabels, [start], [end]))[0].item() * (end - start);
        }
        return correct / nTest;
      },
      raster(params) {
        const { spikes } = snn.apply(params, null, gatherBatch(test.spikes, [0]));
        return {
          spikes: np.squeeze(spikes, 0).toArray() as number[][],
          title: `Hidden LIF spikes for one held-out sample (label ${test.spikes.labels[0]})`,
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
 * const result = await main(["--data", "data/shd", "--epochs", "1", "--out", "runs/shd"]);
 * result?.testAccuracy;
 * ```
 */
export function main(argv: readonly string[], sink?: OutputSink) {
  return runExample(shdExample, argv, sink);
}

if (import.meta.main) await runFromCommandLine(shdExample);
