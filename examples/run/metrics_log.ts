/**
 * `metrics.jsonl`: one JSON object per line, one line per logged training
 * step, per finished epoch and for the final evaluation. Every number in a
 * line is a pure function of the run's configuration and data, except
 * those under `time`, so two runs of the same configuration write the same
 * file once `time` is left out (see {@link withoutTime}).
 *
 * @module
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { RunError } from "./run_error.ts";

/** A logged training step (epochs and batches counted from 1, as printed). */
export interface StepLine {
  event: "step";
  epoch: number;
  /** Batch within the epoch. */
  batch: number;
  /** Optimizer steps since the start of the run. */
  step: number;
  /** This step's loss. */
  loss: number;
  /** Accuracy on the epoch's batches so far. */
  trainAccuracy: number;
  /** Mean loss of the steps since the previous logged step. */
  windowLoss: number;
  /** Mean accuracy of the steps since the previous logged step. */
  windowAccuracy: number;
  time: { seconds: number; samplesPerSecond: number };
}

/** A finished epoch. */
export interface EpochLine {
  event: "epoch";
  epoch: number;
  step: number;
  /** Mean loss of the epoch's steps. */
  loss: number;
  trainAccuracy: number;
  time: { seconds: number; samplesPerSecond: number };
}

/** The held-out evaluation at the end of a run. */
export interface TestLine {
  event: "test";
  epoch: number;
  step: number;
  testAccuracy: number;
  time: { seconds: number };
}

/** Any line of `metrics.jsonl`. */
export type MetricsLine = StepLine | EpochLine | TestLine;

/**
 * A line without its timings: what must be equal between two runs of one
 * configuration.
 *
 * @example
 * ```ts
 * withoutTime({ event: "test", epoch: 2, step: 16, testAccuracy: 0.5, time: { seconds: 1.2 } });
 * // { event: "test", epoch: 2, step: 16, testAccuracy: 0.5 }
 * ```
 */
export function withoutTime(line: MetricsLine): Omit<MetricsLine, "time"> {
  const { time: _time, ...rest } = line;
  return rest;
}

/**
 * Reads a `metrics.jsonl` file. A last line that is not JSON (a process
 * stopped while writing it) is dropped; any other such line throws.
 *
 * @example
 * ```ts ignore
 * readMetrics("reports/mnist/metrics.jsonl").filter((l) => l.event === "epoch");
 * ```
 */
export function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const rows = text.split("\n");
  if (rows[rows.length - 1] === "") rows.pop();
  const lines: MetricsLine[] = [];
  rows.forEach((row, i) => {
    try {
      lines.push(JSON.parse(row) as MetricsLine);
    } catch {
      if (i < rows.length - 1) throw new RunError(`${path}: line ${i + 1} is not JSON`);
    }
  });
  return lines;
}

/** The open `metrics.jsonl` of a run: appends lines and keeps them for the report. */
export class MetricsLog {
  private constructor(readonly path: string, readonly lines: MetricsLine[]) {}

  /**
   * Starts an empty log at `path` (a fresh run), replacing any old file.
   *
   * @example
   * ```ts ignore
   * const log = MetricsLog.start("reports/mnist/metrics.jsonl");
   * ```
   */
  static start(path: string): MetricsLog {
    writeFileSync(path, "");
    return new MetricsLog(path, []);
  }

  /**
   * Reopens a run's log to continue after epoch `epochsDone`: keeps the
   * step and epoch lines of epochs 1..epochsDone and drops the rest (steps
   * of an epoch that was cut short, the evaluation of a run that had
   * ended), so that the continued file equals an uninterrupted run's.
   *
   * @example
   * ```ts ignore
   * const log = MetricsLog.resume("reports/mnist/metrics.jsonl", 3);
   * ```
   */
  static resume(path: string, epochsDone: number): MetricsLog {
    const kept = readMetrics(path).filter((l) => l.event !== "test" && l.epoch <= epochsDone);
    writeFileSync(path, kept.map((l) => JSON.stringify(l) + "\n").join(""));
    return new MetricsLog(path, kept);
  }

  /**
   * Appends one line (written at once, so a stopped run loses at most the
   * line being written).
   *
   * @example
   * ```ts ignore
   * log.append({ event: "test", epoch: 10, step: 1250, testAccuracy: 0.93, time: { seconds: 40 } });
   * ```
   */
  append(line: MetricsLine): void {
    appendFileSync(this.path, JSON.stringify(line) + "\n");
    this.lines.push(line);
  }
}
