/**
 * `plot.traces`: membrane-potential traces as an SVG string, one small
 * panel per neuron on a shared time axis (snnTorch's `spikeplot.traces`),
 * with the threshold and the neuron's spikes drawn in.
 *
 * @module
 */
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { axisTicks, checkSize, escapeXml, niceTicks, type Panel, svgOpen, tickLabel, timeByNeuron } from "./svg.ts";

/** Options of {@link traces}. */
export interface TracesOptions {
  /** Title above the plot (default "Membrane potential"). */
  title?: string;
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default 70 + 90 per neuron shown, at most 1400). */
  height?: number;
  /** Which neurons (columns) to draw, in this order (default the first 8). */
  neurons?: readonly number[];
  /** Spikes of the same neurons, `[time, neuron]` like the traces, marked above each trace. */
  spikes?: Tensor | readonly (readonly number[])[];
  /** Firing threshold, drawn as a dashed line in every panel. */
  threshold?: number;
  /** Duration of one step; the time axis is then in `timeUnit` (default 1, axis in steps). */
  dt?: number;
  /** Unit of `dt` for the axis label (default "step" when `dt` is 1, else "s"). */
  timeUnit?: string;
  /** Colour of the traces (default "#1f3a93"). */
  color?: string;
}

const TRACES_OPTIONS = ["title", "width", "height", "neurons", "spikes", "threshold", "dt", "timeUnit", "color"];

/**
 * Membrane potentials `membrane` `[time, neuron]` (a tensor or nested
 * arrays, e.g. the states that `nn.dynamicUnroll` steps through) as an SVG
 * document: one panel per neuron with its own y range and ticks, a shared
 * time axis, the threshold as a dashed line, and the neuron's spikes (from
 * `spikes`) as red ticks along the panel's top edge.
 *
 * @example
 * ```ts
 * import { plot } from "../mod.ts";
 * const v = [[0, 0.2], [0.6, 0.4], [1.2, 0.5], [0.1, 0.7]]; // 4 steps × 2 neurons
 * const s = [[0, 0], [0, 0], [1, 0], [0, 0]];
 * const svg = plot.traces(v, { spikes: s, threshold: 1 });
 * svg.includes("neuron 1"); // true
 * ```
 */
export function traces(
  membrane: Tensor | readonly (readonly number[])[],
  options: TracesOptions = {},
): string {
  const fn = "plot.traces";
  checkOptions(fn, options, TRACES_OPTIONS);
  const { title = "Membrane potential", dt = 1, color = "#1f3a93", threshold } = options;
  if (!(typeof dt === "number" && dt > 0 && Number.isFinite(dt))) {
    throw new RangeError(`${fn}: dt must be a positive number, got ${formatValue(dt)}`);
  }
  if (threshold !== undefined && !(typeof threshold === "number" && Number.isFinite(threshold))) {
    throw new RangeError(`${fn}: threshold must be a finite number, got ${formatValue(threshold)}`);
  }
  checkSize(fn, "width", options.width, 20000);
  checkSize(fn, "height", options.height, 20000);
  const timeUnit = options.timeUnit ?? (dt === 1 ? "step" : "s");
  const { rows, steps, neurons } = timeByNeuron(fn, membrane);
  const shown = options.neurons ?? Array.from({ length: Math.min(neurons, 8) }, (_, i) => i);
  if (
    !Array.isArray(shown) || shown.length === 0 || !shown.every((i) => Number.isInteger(i) && i >= 0 && i < neurons)
  ) {
    throw new RangeError(
      `${fn}: neurons must be a non-empty list of indices in [0, ${neurons}), got ${formatValue(options.neurons)}`,
    );
  }
  let spikeRows: number[][] | null = null;
  if (options.spikes !== undefined) {
    const s = timeByNeuron(`${fn} (spikes)`, options.spikes);
    if (s.steps !== steps || s.neurons !== neurons) {
      throw new RangeError(
        `${fn}: spikes are ${s.steps} steps × ${s.neurons} neurons, the traces ${steps} × ${neurons}`,
      );
    }
    spikeRows = s.rows;
  }

  const width = options.width ?? 720;
  const height = options.height ?? Math.min(1400, 70 + 90 * shown.length);
  const left = 70, top = 36, bottom = 46, gap = 12;
  const each = (height - top - bottom - gap * (shown.length - 1)) / shown.length;
  if (each < 20 || width - left - 20 < 40) {
    throw new RangeError(`${fn}: a ${width} × ${height} picture leaves no room for ${shown.length} panels`);
  }
  const plotWidth = width - left - 20;
  const x = (t: number) => left + (steps > 1 ? (t / (steps - 1)) * plotWidth : plotWidth / 2);
  const parts = svgOpen(width, height, title);

  shown.forEach((neuron, k) => {
    const panel: Panel = { x: left, y: top + k * (each + gap), width: plotWidth, height: each };
    const values = rows.map((r) => r[neuron]);
    const finite = values.filter(Number.isFinite);
    let lo = Math.min(...finite, threshold ?? Infinity), hi = Math.max(...finite, threshold ?? -Infinity);
    if (!(hi > lo)) [lo, hi] = [Number.isFinite(lo) ? lo - 0.5 : -0.5, Number.isFinite(hi) ? hi + 0.5 : 0.5];
    const pad = (hi - lo) * 0.08;
    [lo, hi] = [lo - pad, hi + pad];
    const y = (v: number) => panel.y + panel.height - ((v - lo) / (hi - lo)) * panel.height;
    parts.push(
      `<rect x="${panel.x}" y="${panel.y}" width="${panel.width}" height="${panel.height}" fill="none" stroke="#333"/>`,
      `<text transform="translate(14 ${
        panel.y + panel.height / 2
      }) rotate(-90)" text-anchor="middle">neuron ${neuron}</text>`,
      ...axisTicks(panel, "y", niceTicks(lo, hi, 3), y),
    );
    if (threshold !== undefined) {
      const ty = y(threshold).toFixed(1);
      parts.push(
        `<line x1="${panel.x}" x2="${
          panel.x + panel.width
        }" y1="${ty}" y2="${ty}" stroke="#999" stroke-dasharray="5 4"/>`,
      );
    }
    // A NaN or infinite value breaks the line rather than drawing it off the panel.
    let d = "", pen = false;
    values.forEach((v, t) => {
      if (!Number.isFinite(v)) return void (pen = false);
      d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="1.6"/>`);
    if (spikeRows) {
      const marks = spikeRows.flatMap((r, t) => r[neuron] !== 0 ? [`M${x(t).toFixed(1)},${panel.y}v8`] : []);
      if (marks.length) parts.push(`<path d="${marks.join("")}" stroke="#d62728" stroke-width="2"/>`);
    }
  });

  const last: Panel = { x: left, y: height - bottom - each, width: plotWidth, height: each };
  const span = (steps - 1) * dt;
  const timeTicks = span > 0 ? niceTicks(0, span, 6) : [0];
  parts.push(...axisTicks(last, "x", timeTicks, (v) => x(v / dt)));
  const timeLabel = dt === 1 && timeUnit === "step" ? "time step" : `time (${timeUnit})`;
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(timeLabel)}</text>`,
  );
  if (threshold !== undefined) {
    parts.push(
      `<text x="${width - 20}" y="30" text-anchor="end" fill="#777">dashed: threshold ${tickLabel(threshold)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}
