/**
 * Minimal SVG writers for training reports: line charts of metrics and
 * spike rasters. Plain strings, no browser or plotting library.
 *
 * @module
 */
import { plot } from "../../mod.ts";

/** One named line of a chart. */
export interface Series {
  name: string;
  /** `[x, y]` points in drawing order. */
  points: readonly (readonly [number, number])[];
  color?: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Fixed y range; by default the data's range. */
  yRange?: readonly [number, number];
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * A line chart with axes, ticks and a legend.
 *
 * @example
 * ```ts
 * const svg = lineChart([{ name: "loss", points: [[0, 2.3], [1, 0.9]] }], { title: "Loss", xLabel: "step", yLabel: "loss" });
 * ```
 */
export function lineChart(series: readonly Series[], options: LineChartOptions): string {
  const { width = 640, height = 360 } = options;
  const m = { left: 60, right: 20, top: 36, bottom: 46 };
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) throw new RangeError("lineChart: no data points");
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = options.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const w = width - m.left - m.right, h = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => m.top + h - ((y - y0) / (y1 - y0)) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<text x="${sx(t)}" y="${m.top + h + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${
      escapeXml(options.yLabel)
    }</text>`,
  );
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = s.points.map((p, k) => `${k ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    parts.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`,
      `<rect x="${m.left + 10}" y="${m.top + 8 + i * 16}" width="12" height="3" fill="${color}"/>`,
      `<text x="${m.left + 28}" y="${m.top + 13 + i * 16}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Options of {@link spikeRaster}. */
export interface RasterOptions {
  title: string;
  width?: number;
  height?: number;
}

/**
 * A spike raster: one row per neuron, a mark at every step where it
 * spiked; `spikes[t][i]` is nonzero when neuron `i` spiked at step `t`.
 * Drawn by the library's `plot.raster`, most active neurons first and
 * silent ones left out (the caption counts them), so that the few neurons
 * of a sparse layer are not lost among hundreds of empty rows.
 *
 * @example
 * ```ts
 * const svg = spikeRaster([[0, 1], [1, 0]], { title: "hidden layer" });
 * ```
 */
export function spikeRaster(spikes: readonly (readonly number[])[], options: RasterOptions): string {
  return plot.raster(spikes, { ...options, sort: "rate", activeOnly: true });
}
