/**
 * The report files of a finished run, drawn from its `metrics.jsonl` (so a
 * resumed run's report covers all its epochs): `loss.svg`, `accuracy.svg`,
 * `raster.svg` (the hidden layer's spikes for one held-out sample) and
 * `metrics.json` (a one-object summary: the options, sample counts, test
 * accuracy, timings and each epoch's training accuracy).
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart, spikeRaster } from "../report/svg.ts";
import type { MetricsLine, StepLine } from "./metrics_log.ts";
import type { Config } from "./options.ts";

/** What the report needs beyond the metrics. */
export interface ReportInput {
  config: Config;
  lines: readonly MetricsLine[];
  trainSamples: number;
  testSamples: number;
  testAccuracy: number;
  trainSeconds: number;
  totalSeconds: number;
  samplesPerSecond: number;
  /** `[time][neuron]` 0/1 spikes of the hidden layer for one held-out sample, and the raster's title. */
  raster: { spikes: number[][]; title: string };
}

/** The files {@link writeReport} writes. */
export const REPORT_FILES = ["loss.svg", "accuracy.svg", "raster.svg", "metrics.json"];

const camelCase = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * Writes the report files into `dir`.
 *
 * @example
 * ```ts ignore
 * writeReport("reports/mnist", { config, lines: log.lines, trainSamples: 8000, ... });
 * ```
 */
export function writeReport(dir: string, input: ReportInput): void {
  const steps = input.lines.filter((l): l is StepLine => l.event === "step");
  const logEvery = Number(input.config["log-every"]);
  const lastStep = steps.length > 0 ? steps[steps.length - 1].step : 0;
  writeFileSync(
    join(dir, "loss.svg"),
    lineChart([{
      name: `training loss (mean of each ${logEvery} steps)`,
      points: steps.map((s) => [s.step, s.windowLoss]),
    }], { title: "Integral cross-entropy", xLabel: "training step", yLabel: "loss" }),
  );
  writeFileSync(
    join(dir, "accuracy.svg"),
    lineChart(
      [
        {
          name: `training accuracy (mean of each ${logEvery} steps)`,
          points: steps.map((s) => [s.step, s.windowAccuracy]),
        },
        {
          name: `held-out accuracy ${input.testAccuracy.toFixed(4)}`,
          points: [[0, input.testAccuracy], [lastStep, input.testAccuracy]],
        },
      ],
      { title: "Accuracy", xLabel: "training step", yLabel: "accuracy", yRange: [0, 1] },
    ),
  );
  writeFileSync(join(dir, "raster.svg"), spikeRaster(input.raster.spikes, { title: input.raster.title }));
  const summary: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input.config)) summary[camelCase(k)] = v;
  Object.assign(summary, {
    trainSamples: input.trainSamples,
    testSamples: input.testSamples,
    testAccuracy: input.testAccuracy,
    trainSeconds: input.trainSeconds,
    totalSeconds: input.totalSeconds,
    samplesPerSecond: input.samplesPerSecond,
    epochTrainAccuracy: input.lines.filter((l) => l.event === "epoch").map((l) => [l.epoch, l.trainAccuracy]),
  });
  writeFileSync(join(dir, "metrics.json"), JSON.stringify(summary, null, 2));
}
