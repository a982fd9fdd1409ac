/**
 * A run's checkpoints: `checkpoints/epoch-<k>.safetensors` in its folder,
 * written at the end of every epoch k (counted from 1), each holding the
 * parameters and the optimizer state (`data.saveCheckpoint`'s format) and,
 * in its metadata, what it belongs to: the example, the run-defining
 * options except `--epochs` and `--data` (which a resumed run may change),
 * the data's SHA-256 and the epoch and step. Nothing in a checkpoint
 * depends on time or place, so two runs that reach the same state write
 * the same bytes.
 *
 * Loading checks all of that against the run being resumed and refuses a
 * checkpoint that does not belong to it, naming the difference.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { data, isTensor, type nn } from "../../mod.ts";
import type { DataRecord } from "./data_hash.ts";
import type { Config } from "./options.ts";
import { RunError } from "./run_error.ts";

/** What training carries from one step to the next. */
export interface TrainState {
  params: nn.Params;
  /** The optimizer's state (`opt.init(params)` and its successors). */
  optState: unknown;
}

/** What a checkpoint must belong to. */
export interface CheckpointOwner {
  /** The example's name ("mnist", "shd"). */
  example: string;
  /** The run-defining options that fix the training trajectory (see {@link trajectoryConfig}). */
  config: Config;
  /** The run's data. */
  data: readonly DataRecord[];
}

const KEY = {
  example: "spyx_run.example",
  config: "spyx_run.config",
  data: "spyx_run.data",
  epoch: "spyx_run.epoch",
  step: "spyx_run.step",
};

/** Options a resumed run may change: how far to train, and where the (hash-checked) data lives. */
export const RESUMABLE_OPTIONS: ReadonlySet<string> = new Set(["epochs", "data"]);

/**
 * The options that fix a run's trajectory: all but {@link RESUMABLE_OPTIONS}.
 *
 * @example
 * ```ts
 * trajectoryConfig({ epochs: 10, seed: 0, hidden: 256 }); // { seed: 0, hidden: 256 }
 * ```
 */
export function trajectoryConfig(config: Config): Config {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !RESUMABLE_OPTIONS.has(k)));
}

/**
 * The path of epoch `epoch`'s checkpoint in a run folder.
 *
 * @example
 * ```ts
 * checkpointPath("reports/mnist", 3); // "reports/mnist/checkpoints/epoch-3.safetensors"
 * ```
 */
export function checkpointPath(runDir: string, epoch: number): string {
  return join(runDir, "checkpoints", `epoch-${epoch}.safetensors`);
}

/**
 * The epochs that have a checkpoint in a run folder, ascending.
 *
 * @example
 * ```ts ignore
 * listCheckpoints("reports/mnist"); // [1, 2, 3]
 * ```
 */
export function listCheckpoints(runDir: string): number[] {
  const dir = join(runDir, "checkpoints");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => name.match(/^epoch-([1-9]\d*)\.safetensors$/))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * Deletes a run folder's checkpoints (a fresh run in a folder that held
 * another must not leave that run's later epochs to be resumed from).
 *
 * @example
 * ```ts ignore
 * clearCheckpoints("reports/mnist");
 * ```
 */
export function clearCheckpoints(runDir: string): void {
  for (const epoch of listCheckpoints(runDir)) rmSync(checkpointPath(runDir, epoch));
}

/**
 * Writes epoch `epoch`'s checkpoint (atomically: `data.saveCheckpoint`
 * renames a finished file into place).
 *
 * @example
 * ```ts ignore
 * await saveEpochCheckpoint("reports/mnist", 1, 125, { params, optState }, owner);
 * ```
 */
export async function saveEpochCheckpoint(
  runDir: string,
  epoch: number,
  step: number,
  state: TrainState,
  owner: CheckpointOwner,
): Promise<string> {
  mkdirSync(join(runDir, "checkpoints"), { recursive: true });
  const path = checkpointPath(runDir, epoch);
  await data.saveCheckpoint(path, { params: state.params, optState: state.optState } as never, {
    metadata: {
      [KEY.example]: owner.example,
      [KEY.config]: JSON.stringify(owner.config),
      [KEY.data]: JSON.stringify(owner.data.map(({ name, sha256 }) => ({ name, sha256 }))),
      [KEY.epoch]: String(epoch),
      [KEY.step]: String(step),
    },
  });
  return path;
}

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));

/** The options whose values differ, as "name: a in the checkpoint, b in this run". */
function configDifferences(stored: Config, current: Config): string[] {
  const names = [...new Set([...Object.keys(stored), ...Object.keys(current)])];
  return names
    .filter((k) => stored[k] !== current[k])
    .map((k) =>
      `--${k} ${stored[k] === undefined ? "absent" : show(stored[k])} in the checkpoint, ${
        current[k] === undefined ? "absent" : show(current[k])
      } in this run`
    );
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !isTensor(x);
}

function describeLeaf(x: unknown): string {
  if (isTensor(x)) return `${x.dtype} [${x.shape.join(", ")}]`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (isPlainObject(x)) return `an object {${Object.keys(x).join(", ")}}`;
  return x === null ? "null" : typeof x;
}

/** The first place where `got` does not have `want`'s structure, dtypes and shapes, or null. */
function structureDifference(got: unknown, want: unknown, path: string): string | null {
  const here = path || "the tree";
  if (isTensor(want)) {
    const same = isTensor(got) && got.dtype === want.dtype && got.shape.length === want.shape.length &&
      got.shape.every((d, i) => d === want.shape[i]);
    return same ? null : `${here} is ${describeLeaf(got)} in the checkpoint, ${describeLeaf(want)} in the network`;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      return `${here} is ${describeLeaf(got)} in the checkpoint, ${describeLeaf(want)} in the network`;
    }
    for (let i = 0; i < want.length; i++) {
      const d = structureDifference(got[i], want[i], `${path}/${i}`);
      if (d) return d;
    }
    return null;
  }
  if (isPlainObject(want)) {
    if (!isPlainObject(got)) return `${here} is ${describeLeaf(got)} in the checkpoint, an object in the network`;
    for (const k of Object.keys(want)) {
      if (!Object.hasOwn(got, k)) return `${path}/${k} is missing from the checkpoint`;
    }
    for (const k of Object.keys(got)) {
      if (!Object.hasOwn(want, k)) return `${path}/${k} is in the checkpoint but not in the network`;
    }
    for (const k of Object.keys(want)) {
      const d = structureDifference(got[k], want[k], `${path}/${k}`);
      if (d) return d;
    }
    return null;
  }
  return typeof got === typeof want && (got === null) === (want === null)
    ? null
    : `${here} is ${describeLeaf(got)} in the checkpoint, ${describeLeaf(want)} in the network`;
}

/**
 * Loads epoch `epoch`'s checkpoint of a run folder, refusing (with a
 * {@link RunError} that names the file and the difference) a file that is
 * damaged, that another example or other options or data wrote, or whose
 * parameters or optimizer state do not have the structure, dtypes and
 * shapes of `template` (the network's freshly initialised state).
 *
 * @example
 * ```ts ignore
 * const { state, step } = loadEpochCheckpoint("reports/mnist", 3, owner, task.init());
 * ```
 */
export function loadEpochCheckpoint(
  runDir: string,
  epoch: number,
  owner: CheckpointOwner,
  template: TrainState,
): { state: TrainState; step: number } {
  const path = checkpointPath(runDir, epoch);
  const refuse = (why: string) => new RunError(`cannot resume from ${path}: ${why}`);
  let metadata: Record<string, string>, tree: unknown;
  try {
    const bytes = readFileSync(path);
    metadata = data.decodeSafetensors(bytes).metadata;
    tree = data.fromSafetensors(bytes);
  } catch (e) {
    throw refuse((e as Error).message.replace(/^(decodeSafetensors|data\.fromSafetensors): /, ""));
  }
  if (metadata[KEY.example] === undefined) {
    throw refuse(`it is not a checkpoint of a spyx-ts example run (no "${KEY.example}" metadata)`);
  }
  if (metadata[KEY.example] !== owner.example) {
    throw refuse(`the ${metadata[KEY.example]} example wrote it, not the ${owner.example} example`);
  }
  if (metadata[KEY.epoch] !== String(epoch)) throw refuse(`it says it is epoch ${metadata[KEY.epoch]}'s`);
  let stored: Config, storedData: { name: string; sha256: string }[];
  try {
    stored = JSON.parse(metadata[KEY.config]);
    storedData = JSON.parse(metadata[KEY.data]);
  } catch {
    throw refuse("its run metadata is not valid JSON");
  }
  const differences = configDifferences(stored, owner.config);
  if (differences.length > 0) throw refuse(`it was written with other options: ${differences.join("; ")}`);
  for (const d of owner.data) {
    const s = storedData.find((x) => x.name === d.name);
    if (s?.sha256 !== d.sha256) {
      throw refuse(
        `it was trained on other data: ${d.name} has SHA-256 ${s?.sha256 ?? "(none)"} there, ${d.sha256} here`,
      );
    }
  }
  const mismatch = structureDifference(tree, { params: template.params, optState: template.optState }, "");
  if (mismatch) throw refuse(`it does not fit this network: ${mismatch.replace(/^\//, "")}`);
  const step = Number(metadata[KEY.step]);
  if (!Number.isSafeInteger(step) || step < 0) throw refuse(`its step ${metadata[KEY.step]} is not a count`);
  const { params, optState } = tree as unknown as TrainState;
  return { state: { params, optState }, step };
}
