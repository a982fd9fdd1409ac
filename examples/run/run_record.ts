/**
 * `run.json`: what a run was. Written when the run starts, after every
 * epoch and when it ends, so that a stopped run can be resumed from it.
 * It holds the full resolved configuration (every option, defaults
 * included, and the command line that reproduces it), the seed, the data's
 * SHA-256, where it ran (library, runtime, backend, threads, platform), when
 * (start and end), and the final metrics; a resumed run adds a session.
 *
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DataRecord } from "./data_hash.ts";
import type { Environment } from "./environment.ts";
import type { Config } from "./options.ts";
import { RunError } from "./run_error.ts";

/** One process's part of a run: a fresh start or a resumption. */
export interface RunSession {
  startedAt: string;
  /** Null while it runs (or if it was stopped). */
  endedAt: string | null;
  /** Epochs done when it started. */
  fromEpoch: number;
  /** Epochs done when it last saved a checkpoint. */
  toEpoch: number;
  environment: Environment;
}

/** The deterministic results of a finished run. */
export interface FinalMetrics {
  testAccuracy: number;
  /** Mean loss of the last epoch. */
  trainLoss: number;
  /** Accuracy on the last epoch's batches. */
  trainAccuracy: number;
  epochs: number;
  steps: number;
}

/** The contents of `run.json`. */
export interface RunRecord extends Environment {
  /** The example ("mnist", "shd"). */
  example: string;
  /** "running" until the final evaluation is written. */
  status: "running" | "finished";
  /** Every run-defining option's value. */
  config: Config;
  /** The command that reproduces the run (with another `--out`). */
  command: string[];
  seed: number;
  data: DataRecord[];
  /** When the first session started, and the last one ended (null until the run finished). */
  startedAt: string;
  endedAt: string | null;
  /** Epochs with a checkpoint. */
  epochsDone: number;
  /** Fresh start first, then each resumption; the top-level environment is the latest session's. */
  sessions: RunSession[];
  /** Null until the run finished. */
  finalMetrics: FinalMetrics | null;
  /** Seconds spent training and evaluating, summed over sessions (not reproducible). */
  timing: { trainSeconds: number; samplesPerSecond: number } | null;
}

/**
 * The path of a run folder's record.
 *
 * @example
 * ```ts
 * runRecordPath("reports/mnist"); // "reports/mnist/run.json"
 * ```
 */
export function runRecordPath(runDir: string): string {
  return join(runDir, "run.json");
}

/**
 * Reads a run folder's `run.json`, with errors that say what is missing.
 *
 * @example
 * ```ts ignore
 * const record = readRunRecord("reports/mnist");
 * record.config.hidden; // 256
 * ```
 */
export function readRunRecord(runDir: string): RunRecord {
  const path = runRecordPath(runDir);
  if (!existsSync(path)) throw new RunError(`cannot resume ${runDir}: it has no run.json (is it a run folder?)`);
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new RunError(`cannot resume ${runDir}: run.json is not valid JSON: ${(e as Error).message}`);
  }
  for (const field of ["example", "config", "data", "sessions", "epochsDone"] as const) {
    if (record?.[field] === undefined) throw new RunError(`cannot resume ${runDir}: run.json has no "${field}"`);
  }
  return record;
}

/**
 * Writes a run folder's `run.json` (to a temporary file first, then
 * renamed, so that a stopped process never leaves half a record).
 *
 * @example
 * ```ts ignore
 * writeRunRecord("reports/mnist", record);
 * ```
 */
export function writeRunRecord(runDir: string, record: RunRecord): void {
  const path = runRecordPath(runDir), temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2) + "\n");
  renameSync(temporary, path);
}
