/**
 * The part of a training example that is the same for every example: the
 * command line, the epoch loop with its data order and keys, logging and
 * the progress bar, `run.json`, `metrics.jsonl`, a checkpoint at the end of
 * every epoch, `--resume`, the final evaluation and the report. An example
 * supplies only its data, network and step ({@link ExampleDefinition}).
 *
 * Exact resumption: every random key comes from (seed, epoch, batch)
 * (`keys.ts`), and a checkpoint holds the whole training state (parameters
 * and optimizer state, bit for bit), so a run stopped after epoch k and
 * resumed continues with the very numbers an uninterrupted run computes.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import process from "node:process";
import { getBackend, initWebGPU, type nn, np, type random, setBackend, type Tensor } from "../../mod.ts";
import {
  type CheckpointOwner,
  clearCheckpoints,
  listCheckpoints,
  loadEpochCheckpoint,
  RESUMABLE_OPTIONS,
  saveEpochCheckpoint,
  type TrainState,
  trajectoryConfig,
} from "./checkpoints.ts";
import type { DataRecord } from "./data_hash.ts";
import { describeEnvironment } from "./environment.ts";
import { batchKey, epochKeys, epochOrder, type RunKeys, runKeys } from "./keys.ts";
import { type EpochLine, MetricsLog } from "./metrics_log.ts";
import { type Config, configToArgs, type OptionSpecs, parseRunArgs, requireAll, usage } from "./options.ts";
import { type OutputSink, ProgressDisplay, stdoutSink } from "./progress.ts";
import { REPORT_FILES, writeReport } from "./report.ts";
import { RunError } from "./run_error.ts";
import { readRunRecord, type RunRecord, type RunSession, writeRunRecord } from "./run_record.ts";

/** What one optimizer step reports. */
export interface StepResult {
  state: TrainState;
  /** The batch's loss, a scalar tensor: read back only when the trainer logs (a GPU read costs ~11 ms). */
  loss: Tensor;
  /** Accuracy on the step's batch, a scalar tensor. */
  accuracy: Tensor;
}

/** An example's data, network and step, ready to train. */
export interface TrainingTask {
  /** The first line printed: the data and the network in words. */
  intro: string;
  /** The data, with SHA-256 fingerprints (checked when a run is resumed). */
  data: DataRecord[];
  /** Training samples used (the epoch order permutes `0..trainSize-1`). */
  trainSize: number;
  testSize: number;
  /** Fresh parameters and optimizer state. */
  init(): TrainState;
  /** One optimizer step on the training samples `indices` (int32 `[batch]`), with the batch's key. */
  step(state: TrainState, indices: Tensor, key: random.PRNGKey): StepResult;
  /** Accuracy on the held-out samples. */
  evaluate(params: nn.Params): number;
  /** The hidden layer's spikes (`[time][neuron]`) for one held-out sample, for the raster. */
  raster(params: nn.Params): { spikes: number[][]; title: string };
}

/** A training example. */
export interface ExampleDefinition {
  /** Recorded in runs and checkpoints; a run of one example cannot be resumed by another. */
  name: string;
  /** Its script, as run from the repository root (`examples/train_mnist.ts`). */
  program: string;
  /** One paragraph for `--help`. */
  summary: string;
  /** Its run-defining options, the common ones included. */
  options: OptionSpecs;
  /** `--out` when not given. */
  defaultOut: string;
  /** Loads the data and builds the network and step for a configuration. */
  prepare(config: Config, keys: RunKeys): Promise<TrainingTask>;
}

/** What a finished run returns. */
export interface RunResult {
  testAccuracy: number;
  runDir: string;
  record: RunRecord;
}

const now = () => new Date().toISOString();

/** The configuration and folder of a resumed run, checked against the command line. */
function resumedConfig(
  def: ExampleDefinition,
  runDir: string,
  previous: RunRecord,
  given: Set<string>,
  parsed: Config,
): Config {
  if (previous.example !== def.name) {
    throw new RunError(`cannot resume ${runDir}: it is a run of the ${previous.example} example, not ${def.name}`);
  }
  for (const name of Object.keys(previous.config)) {
    if (!Object.hasOwn(def.options, name)) {
      throw new RunError(`cannot resume ${runDir}: its run.json has an option --${name} that ${def.program} lacks`);
    }
  }
  const config: Config = {};
  for (const [name, spec] of Object.entries(def.options)) {
    const recorded = previous.config[name] ?? spec.default;
    if (recorded !== undefined) config[name] = recorded;
    if (!given.has(name)) continue;
    if (RESUMABLE_OPTIONS.has(name)) config[name] = parsed[name];
    else if (parsed[name] !== recorded) {
      throw new RunError(
        `cannot resume ${runDir} with --${name} ${parsed[name]}: the run has --${name} ${recorded} ` +
          `(a resumed run keeps its options; only ${
            [...RESUMABLE_OPTIONS].map((o) => `--${o}`).join(" and ")
          } may change)`,
      );
    }
  }
  return config;
}

/**
 * Runs an example with command-line arguments `argv`: trains (or resumes),
 * evaluates, writes the run folder, prints progress to `sink` and ends with
 * `test_accuracy=0.xxxx`. Returns null for `--help`. Problems of the user's
 * making throw a {@link RunError}.
 *
 * @example
 * ```ts ignore
 * await runExample(mnistExample, ["--epochs", "2", "--out", "runs/a"]);
 * await runExample(mnistExample, ["--resume", "runs/a", "--epochs", "4"]);
 * ```
 */
export async function runExample(
  def: ExampleDefinition,
  argv: readonly string[],
  sink: OutputSink = stdoutSink(),
): Promise<RunResult | null> {
  const t0 = performance.now();
  const program = basename(def.program, ".ts");
  const args = parseRunArgs(program, def.options, argv);
  if (args.help) {
    sink.write(usage(def.program, def.summary, def.options) + "\n");
    return null;
  }
  let runDir: string, config: Config, previous: RunRecord | null = null;
  if (args.resume !== undefined) {
    runDir = args.resume;
    if (args.out !== undefined && resolve(args.out) !== resolve(runDir)) {
      throw new RunError(
        `${program}: --out ${args.out} and --resume ${runDir} differ; a resumed run stays in its folder`,
      );
    }
    previous = readRunRecord(runDir);
    config = resumedConfig(def, runDir, previous, args.given, args.config);
  } else {
    runDir = args.out ?? def.defaultOut;
    config = args.config;
  }
  requireAll(program, def.options, config);

  if (config.backend === "webgpu") {
    await initWebGPU();
    setBackend("webgpu");
  }
  const onCpu = getBackend().name === "cpu";
  const keys = runKeys(Number(config.seed));
  const task = await def.prepare(config, keys);
  const owner: CheckpointOwner = { example: def.name, config: trajectoryConfig(config), data: task.data };
  if (previous) {
    for (const d of task.data) {
      const old = previous.data.find((p) => p.name === d.name);
      if (old?.sha256 !== d.sha256) {
        throw new RunError(
          `cannot resume ${runDir}: the run trained on ${d.name} with SHA-256 ${old?.sha256 ?? "(none)"}, ` +
            `${d.source} has ${d.sha256}`,
        );
      }
    }
  }

  const epochs = Number(config.epochs), B = Number(config.batch), logEvery = Number(config["log-every"]);
  const batches = Math.floor(task.trainSize / B);
  if (batches === 0) {
    throw new RunError(`${program}: --batch ${B} is larger than the ${task.trainSize} training samples`);
  }
  let state = task.init(), epochsDone = 0, step = 0, log: MetricsLog;
  sink.write(task.intro + "\n");
  if (previous) {
    const last = listCheckpoints(runDir).at(-1);
    if (last !== undefined) {
      if (last > epochs) {
        throw new RunError(`cannot resume ${runDir} to --epochs ${epochs}: it has a checkpoint of epoch ${last}`);
      }
      ({ state, step } = loadEpochCheckpoint(runDir, last, owner, state));
      epochsDone = last;
    }
    sink.write(`resuming ${runDir} after epoch ${epochsDone} (step ${step}), up to epoch ${epochs}\n`);
    log = MetricsLog.resume(join(runDir, "metrics.jsonl"), epochsDone);
  } else {
    mkdirSync(runDir, { recursive: true });
    clearCheckpoints(runDir);
    log = MetricsLog.start(join(runDir, "metrics.jsonl"));
  }

  const environment = describeEnvironment();
  const session: RunSession = {
    startedAt: now(),
    endedAt: null,
    fromEpoch: epochsDone,
    toEpoch: epochsDone,
    environment,
  };
  const record: RunRecord = {
    example: def.name,
    status: "running",
    config,
    command: [def.program, ...configToArgs(config)],
    seed: Number(config.seed),
    ...environment,
    data: task.data,
    startedAt: previous?.startedAt ?? session.startedAt,
    endedAt: null,
    epochsDone,
    finalMetrics: null,
    timing: null,
    sessions: [...(previous?.sessions ?? []), session],
  };
  writeRunRecord(runDir, record);

  const progress = new ProgressDisplay(sink);
  const sessionStart = performance.now(), stepsLeft = (epochs - epochsDone) * batches;
  let sessionSteps = 0;
  for (let epoch = epochsDone; epoch < epochs; epoch++) {
    const keysOfEpoch = epochKeys(keys.train, epoch);
    const order = epochOrder(keysOfEpoch, task.trainSize);
    let seen = 0, correct = 0, lossSum = 0, windowLoss = 0, windowAccuracy = 0, windowSteps = 0, lastLoss = 0;
    // Metrics not yet read back: on a device, read in one go when the trainer logs, not every step.
    let pending: Tensor[] = [];
    const epochStart = performance.now();
    for (let b = 0; b < batches; b++) {
      const indices = np.slice(order, [b * B], [(b + 1) * B]);
      const result = task.step(state, indices, batchKey(keysOfEpoch, b));
      state = result.state;
      step++;
      sessionSteps++;
      pending.push(result.loss, result.accuracy);
      const logNow = (b + 1) % logEvery === 0 || b === batches - 1;
      if (!logNow && !(onCpu && progress.active)) continue;
      const values = np.stack(pending).dataSync();
      pending = [];
      for (let i = 0; i < values.length; i += 2) {
        const loss = values[i], accuracy = values[i + 1];
        seen += B;
        correct += accuracy * B;
        lossSum += loss;
        windowLoss += loss;
        windowAccuracy += accuracy;
        windowSteps++;
        lastLoss = loss;
      }
      const seconds = (performance.now() - epochStart) / 1000, rate = seen / seconds;
      if (logNow) {
        const text = `epoch ${epoch + 1}/${epochs} batch ${b + 1}/${batches} loss ${lastLoss.toFixed(4)} ` +
          `train_acc ${(correct / seen).toFixed(4)} ${rate.toFixed(0)} samples/s`;
        log.append({
          event: "step",
          epoch: epoch + 1,
          batch: b + 1,
          step,
          loss: lastLoss,
          trainAccuracy: correct / seen,
          windowLoss: windowLoss / windowSteps,
          windowAccuracy: windowAccuracy / windowSteps,
          time: { seconds, samplesPerSecond: rate },
        });
        windowLoss = windowAccuracy = windowSteps = 0;
        if (!progress.active) progress.line(text);
        else if (b === batches - 1) progress.line(text);
      }
      if (progress.active && b < batches - 1) {
        const perStep = (performance.now() - sessionStart) / 1000 / sessionSteps;
        progress.update({
          epoch: epoch + 1,
          epochs,
          batch: b + 1,
          batches,
          loss: lastLoss,
          accuracy: correct / seen,
          samplesPerSecond: rate,
          etaSeconds: perStep * (stepsLeft - sessionSteps),
        });
      }
    }
    const seconds = (performance.now() - epochStart) / 1000;
    log.append({
      event: "epoch",
      epoch: epoch + 1,
      step,
      loss: lossSum / batches,
      trainAccuracy: correct / seen,
      time: { seconds, samplesPerSecond: seen / seconds },
    });
    await saveEpochCheckpoint(runDir, epoch + 1, step, state, owner);
    record.epochsDone = session.toEpoch = epoch + 1;
    writeRunRecord(runDir, record);
  }
  progress.clear();

  const evalStart = performance.now();
  const testAccuracy = task.evaluate(state.params);
  log.append({
    event: "test",
    epoch: epochs,
    step,
    testAccuracy,
    time: { seconds: (performance.now() - evalStart) / 1000 },
  });
  const epochLines = log.lines.filter((l): l is EpochLine => l.event === "epoch");
  const last = epochLines[epochLines.length - 1];
  const trainSeconds = epochLines.reduce((s, l) => s + l.time.seconds, 0);
  const samplesPerSecond = (epochLines.length * batches * B) / trainSeconds;
  const totalSeconds = (performance.now() - t0) / 1000;
  writeReport(runDir, {
    config,
    lines: log.lines,
    trainSamples: task.trainSize,
    testSamples: task.testSize,
    testAccuracy,
    trainSeconds,
    totalSeconds,
    samplesPerSecond,
    raster: task.raster(state.params),
  });
  Object.assign(record, {
    status: "finished",
    endedAt: session.endedAt = now(),
    finalMetrics: {
      testAccuracy,
      trainLoss: last?.loss ?? NaN,
      trainAccuracy: last?.trainAccuracy ?? NaN,
      epochs,
      steps: step,
    },
    timing: { trainSeconds, samplesPerSecond },
  });
  writeRunRecord(runDir, record);
  sink.write(
    `report written to ${runDir} (run.json, metrics.jsonl, checkpoints/, ${REPORT_FILES.join(", ")}); ` +
      `${totalSeconds.toFixed(1)} s\n`,
  );
  sink.write(`test_accuracy=${testAccuracy.toFixed(4)}\n`);
  return { testAccuracy, runDir, record };
}

/**
 * Runs an example with the process's arguments: a {@link RunError} is
 * printed without a stack trace and exits with status 1.
 *
 * @example
 * ```ts ignore
 * if (import.meta.main) await runFromCommandLine(mnistExample);
 * ```
 */
export async function runFromCommandLine(def: ExampleDefinition): Promise<void> {
  try {
    await runExample(def, process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof RunError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
