/**
 * `plot.raster`: a spike raster as an SVG string (snnTorch's
 * `spikeplot.raster`), readable at any size: axis ticks on both axes,
 * marks scaled to the grid cell (never thinner than a pixel and a half),
 * optional sorting by firing rate or first spike, and a side panel with
 * each neuron's firing rate.
 *
 * @module
 */
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { axisLabels, axisTicks, checkSize, escapeXml, niceTicks, type Panel, svgOpen, timeByNeuron } from "./svg.ts";

/** Options of {@link raster}. */
export interface RasterOptions {
  /** Title above the plot (default "Spike raster"). */
  title?: string;
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default: grows with the number of rows shown, 240 to 900). */
  height?: number;
  /**
   * Row order: `"index"` (default, neuron 0 at the top), `"rate"` (most
   * active first) or `"firstSpike"` (earliest first spike first; silent
   * neurons last).
   */
  sort?: "index" | "rate" | "firstSpike";
  /** Show only neurons that spiked at least once (default false). */
  activeOnly?: boolean;
  /** Draw the firing-rate panel to the right (default true). */
  rates?: boolean;
  /** Duration of one step; the time axis is then in `timeUnit` (default 1, axis in steps). */
  dt?: number;
  /** Unit of `dt` for the axis label (default "step" when `dt` is 1, else "s"). */
  timeUnit?: string;
  /** Colour of the marks and bars (default "#1f3a93"). */
  color?: string;
}

const RASTER_OPTIONS = ["title", "width", "height", "sort", "activeOnly", "rates", "dt", "timeUnit", "color"];

/** The smallest of 1, 2, 2.5, 5 times a power of ten at or above `v` (1 for 0). */
function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((c) => c >= v * (1 - 1e-12))!;
}

/** Row order for {@link RasterOptions.sort}. */
function rowOrder(rows: number[][], neurons: number, sort: string, counts: number[]): number[] {
  const order = Array.from({ length: neurons }, (_, i) => i);
  if (sort === "rate") return order.sort((a, b) => counts[b] - counts[a] || a - b);
  if (sort === "firstSpike") {
    const first = order.map((i) => {
      const t = rows.findIndex((r) => r[i] !== 0);
      return t < 0 ? Infinity : t;
    });
    return order.sort((a, b) => first[a] - first[b] || a - b);
  }
  return order;
}

/**
 * A spike raster of `spikes` `[time, neuron]` (a tensor or nested arrays;
 * any non-zero entry is a spike) as an SVG document: one row per neuron,
 * one mark per spike, time along x, with ticks and labels on both axes and
 * (by default) each neuron's firing rate in spikes per step beside its
 * row. Marks scale with the grid cell (85 % of a row's height, at least
 * 3 px), so that a sparse raster of hundreds of neurons stays visible; `sort: "rate"` and
 * `activeOnly` bring the few active neurons of a large layer together.
 *
 * @example
 * ```ts
 * import { plot } from "../mod.ts";
 * const spikes = [[0, 1, 0], [1, 0, 0], [0, 1, 1]]; // 3 steps × 3 neurons
 * const svg = plot.raster(spikes, { title: "hidden layer", sort: "rate" });
 * svg.startsWith("<svg"); // true
 * ```
 */
export function raster(
  spikes: Tensor | readonly (readonly number[])[],
  options: RasterOptions = {},
): string {
  const fn = "plot.raster";
  checkOptions(fn, options, RASTER_OPTIONS);
  const { title = "Spike raster", sort = "index", activeOnly = false, rates = true, dt = 1, color = "#1f3a93" } =
    options;
  if (sort !== "index" && sort !== "rate" && sort !== "firstSpike") {
    throw new RangeError(`${fn}: sort must be "index", "rate" or "firstSpike", got ${formatValue(sort)}`);
  }
  if (!(typeof dt === "number" && dt > 0 && Number.isFinite(dt))) {
    throw new RangeError(`${fn}: dt must be a positive number, got ${formatValue(dt)}`);
  }
  checkSize(fn, "width", options.width, 20000);
  checkSize(fn, "height", options.height, 20000);
  const timeUnit = options.timeUnit ?? (dt === 1 ? "step" : "s");
  const { rows, steps, neurons } = timeByNeuron(fn, spikes);

  const counts = new Array<number>(neurons).fill(0);
  for (const r of rows) r.forEach((v, i) => (counts[i] += v !== 0 ? 1 : 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const active = counts.filter((c) => c > 0).length;
  let shown = rowOrder(rows, neurons, sort, counts);
  if (activeOnly) shown = shown.filter((i) => counts[i] > 0);

  const width = options.width ?? 720;
  const height = options.height ?? Math.round(Math.min(900, Math.max(240, 100 + 4 * shown.length)));
  const ratesWidth = rates ? Math.min(140, Math.round(width * 0.18)) : 0;
  const panel: Panel = {
    x: 64,
    y: 52,
    width: width - 64 - 20 - (rates ? ratesWidth + 16 : 0),
    height: height - 52 - 50,
  };
  if (panel.width < 40 || panel.height < 20) {
    throw new RangeError(`${fn}: a ${width} × ${height} picture leaves no room for the plot`);
  }
  const dx = panel.width / steps, dy = panel.height / Math.max(1, shown.length);
  // Marks fill most of a cell: tall ticks for few neurons, dots of at least 3 px where rows are thin.
  const markH = Math.max(3, dy * 0.85), markW = Math.max(1.5, Math.min(dx * 0.6, Math.max(3, markH / 3)));
  const parts = svgOpen(width, height, title);
  const caption = `${neurons} neurons (${active} fired), ${steps} steps, ${total} spikes` +
    (activeOnly ? `; ${neurons - active} silent neurons hidden` : "") +
    (sort !== "index" ? `; sorted by ${sort === "rate" ? "firing rate" : "first spike"}` : "");
  parts.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${escapeXml(caption)}</text>`);
  parts.push(
    `<rect x="${panel.x}" y="${panel.y}" width="${panel.width}" height="${panel.height}" fill="none" stroke="#333"/>`,
  );

  const marks: string[] = [];
  shown.forEach((neuron, row) => {
    const y = panel.y + (row + 0.5) * dy - markH / 2;
    for (let t = 0; t < steps; t++) {
      if (rows[t][neuron] !== 0) {
        const x = panel.x + (t + 0.5) * dx - markW / 2;
        marks.push(`M${x.toFixed(1)},${y.toFixed(1)}h${markW.toFixed(1)}v${markH.toFixed(1)}h-${markW.toFixed(1)}z`);
      }
    }
  });
  if (marks.length) parts.push(`<path d="${marks.join("")}" fill="${escapeXml(color)}"/>`);

  // Time ticks at step boundaries, labelled in time units; neuron ticks at rows, labelled with the neuron's index.
  const timeTicks = niceTicks(0, steps * dt, 6);
  parts.push(...axisTicks(panel, "x", timeTicks, (v) => panel.x + (v / dt) * dx));
  if (shown.length > 0) {
    const rowTicks = shown.length <= 16
      ? shown.map((_, r) => r)
      : niceTicks(0, shown.length - 1, 8, true).filter((r) => r < shown.length);
    const labelled = rowTicks.map((r) => panel.y + (r + 0.5) * dy);
    rowTicks.forEach((r, k) => {
      const y = labelled[k].toFixed(1);
      parts.push(
        `<line x1="${panel.x - 4}" x2="${panel.x}" y1="${y}" y2="${y}" stroke="#333"/>`,
        `<text x="${panel.x - 7}" y="${Number(y) + 4}" text-anchor="end">${shown[r]}</text>`,
      );
    });
  } else {
    parts.push(
      `<text x="${panel.x + panel.width / 2}" y="${
        panel.y + panel.height / 2
      }" text-anchor="middle" fill="#888">no spikes</text>`,
    );
  }
  const timeLabel = dt === 1 && timeUnit === "step" ? "time step" : `time (${timeUnit})`;
  parts.push(...axisLabels(panel, timeLabel, "neuron", height - 12));

  if (rates && shown.length > 0) {
    const rp: Panel = { x: panel.x + panel.width + 16, y: panel.y, width: ratesWidth, height: panel.height };
    const rate = (neuron: number) => counts[neuron] / (steps * dt);
    const top = niceCeiling(Math.max(...shown.map(rate)));
    const bars = shown.map((neuron, row) => {
      const w = (rate(neuron) / top) * rp.width;
      return w > 0
        ? `M${rp.x},${(rp.y + row * dy + dy * 0.1).toFixed(1)}h${w.toFixed(1)}v${Math.max(1, dy * 0.8).toFixed(1)}h-${
          w.toFixed(1)
        }z`
        : "";
    });
    parts.push(
      `<rect x="${rp.x}" y="${rp.y}" width="${rp.width}" height="${rp.height}" fill="none" stroke="#333"/>`,
      `<path d="${bars.join("")}" fill="${escapeXml(color)}" fill-opacity="0.6"/>`,
      ...axisTicks(rp, "x", [0, top / 2, top], (v) => rp.x + (v / top) * rp.width),
      `<text x="${rp.x + rp.width / 2}" y="${height - 12}" text-anchor="middle">rate (spikes/${
        escapeXml(timeUnit === "step" ? "step" : timeUnit)
      })</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}
