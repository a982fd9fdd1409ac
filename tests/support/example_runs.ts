/**
 * Helpers for tests that run the training examples: small configurations,
 * a silent output, temporary run folders, and a run folder's contents in
 * comparable form.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMetrics, withoutTime } from "../../examples/run/metrics_log.ts";
import type { OutputSink } from "../../examples/run/progress.ts";
import type { RunRecord } from "../../examples/run/run_record.ts";

/** A few seconds of MNIST training: 8 steps per epoch of a 16-neuron network. */
export const MNIST_TINY = [
  "--train-size",
  "256",
  "--test-size",
  "128",
  "--hidden",
  "16",
  "--steps",
  "8",
  "--batch",
  "32",
  "--log-every",
  "3",
];

/** An output that keeps what is written (not a terminal). */
export function captureOutput(): OutputSink & { text(): string } {
  const parts: string[] = [];
  return { write: (t) => void parts.push(t), isTTY: false, text: () => parts.join("") };
}

/** Runs `body` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "spyx-run-"));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A run folder's `metrics.jsonl` without the timings, one JSON text per line. */
export function metricsWithoutTime(runDir: string): string[] {
  return readMetrics(join(runDir, "metrics.jsonl")).map((l) => JSON.stringify(withoutTime(l)));
}

/** A run folder's `run.json`. */
export function runRecord(runDir: string): RunRecord {
  return JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
}

/** The bytes of epoch `epoch`'s checkpoint. */
export function checkpointBytes(runDir: string, epoch: number): Uint8Array {
  return readFileSync(join(runDir, "checkpoints", `epoch-${epoch}.safetensors`));
}

/** Whether two byte arrays are equal (without a megabyte-long assertion message). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
