/**
 * What the SVG plots share: escaping, tick positions, the document frame,
 * axes with ticks, and reading a `[time, neuron]` matrix from a tensor or
 * nested arrays.
 *
 * @module
 */
import { formatValue } from "../autodiff/checks.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";

/**
 * Text for an SVG document (`<`, `>`, `&`, `"` escaped).
 *
 * @example
 * ```ts
 * escapeXml("a < b"); // "a &lt; b"
 * ```
 */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/**
 * About `count` round tick values (steps of 1, 2 or 5 times a power of
 * ten) covering `[lo, hi]`; integers only when `integer`.
 *
 * @example
 * ```ts
 * niceTicks(0, 100); // [0, 20, 40, 60, 80, 100]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A tick value as a short label (no float noise such as 0.30000000000000004). */
export function tickLabel(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A plot area in SVG pixels and the data range it shows. */
export interface Panel {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/**
 * The opening lines of an SVG document of `width × height` with a white
 * background and a title.
 *
 * @example
 * ```ts
 * svgOpen(320, 200, "spikes")[0].startsWith("<svg"); // true
 * ```
 */
export function svgOpen(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
}

/**
 * Ticks and tick labels along the bottom (`"x"`) or left (`"y"`) edge of a
 * panel; `at` maps a value to its pixel coordinate along that edge.
 *
 * @example
 * ```ts
 * const p = { x: 40, y: 20, width: 200, height: 100 };
 * axisTicks(p, "x", [0, 5, 10], (v) => 40 + v * 20).length; // 6 elements
 * ```
 */
export function axisTicks(
  panel: Panel,
  side: "x" | "y",
  ticks: readonly number[],
  at: (v: number) => number,
): string[] {
  const out: string[] = [];
  const bottom = panel.y + panel.height;
  for (const t of ticks) {
    const p = at(t).toFixed(1);
    if (side === "x") {
      out.push(
        `<line x1="${p}" x2="${p}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`,
        `<text x="${p}" y="${bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`,
      );
    } else {
      out.push(
        `<line x1="${panel.x - 4}" x2="${panel.x}" y1="${p}" y2="${p}" stroke="#333"/>`,
        `<text x="${panel.x - 7}" y="${Number(p) + 4}" text-anchor="end">${tickLabel(t)}</text>`,
      );
    }
  }
  return out;
}

/**
 * A horizontal label centred under a panel and a vertical one beside it.
 *
 * @example
 * ```ts
 * axisLabels({ x: 40, y: 20, width: 200, height: 100 }, "time step", "neuron", 150).length; // 2
 * ```
 */
export function axisLabels(panel: Panel, xLabel: string, yLabel: string, xLabelY: number): string[] {
  return [
    `<text x="${panel.x + panel.width / 2}" y="${xLabelY}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(${Math.max(12, panel.x - 40)} ${panel.y + panel.height / 2}) rotate(-90)" ` +
    `text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
}

/**
 * A `[time, neuron]` matrix as rows of numbers, from a 2-d tensor (read
 * on the CPU) or nested arrays; a 1-d input is one neuron. Throws,
 * naming `fn`, for anything else, ragged rows or an empty matrix.
 *
 * @example
 * ```ts
 * timeByNeuron("plot.raster", [[0, 1], [1, 0]]); // { rows: [[0, 1], [1, 0]], steps: 2, neurons: 2 }
 * ```
 */
export function timeByNeuron(
  fn: string,
  values: Tensor | readonly (readonly number[])[] | readonly number[],
): { rows: number[][]; steps: number; neurons: number } {
  let rows: number[][];
  if (isTensor(values)) {
    if (values.ndim !== 1 && values.ndim !== 2) {
      throw new RangeError(
        `${fn}: expected a [time, neuron] tensor (or [time]), got shape [${values.shape}]; select one sample of a batch first`,
      );
    }
    const flat = Array.from(values.dataSync() as ArrayLike<number>, Number);
    const n = values.ndim === 2 ? values.shape[1] : 1;
    rows = Array.from({ length: values.shape[0] }, (_, t) => flat.slice(t * n, (t + 1) * n));
  } else if (Array.isArray(values)) {
    rows = values.map((r, t) => {
      if (typeof r === "number") return [r];
      if (!Array.isArray(r) || !r.every((v) => typeof v === "number")) {
        throw new TypeError(`${fn}: row ${t} must be an array of numbers, got ${formatValue(r)}`);
      }
      return r.slice();
    });
  } else {
    throw new TypeError(`${fn}: expected a [time, neuron] Tensor or nested arrays, got ${formatValue(values)}`);
  }
  const steps = rows.length, neurons = steps ? rows[0].length : 0;
  if (steps === 0 || neurons === 0) throw new RangeError(`${fn}: empty input (${steps} steps × ${neurons} neurons)`);
  rows.forEach((r, t) => {
    if (r.length !== neurons) throw new RangeError(`${fn}: row ${t} has ${r.length} neurons, row 0 has ${neurons}`);
  });
  return { rows, steps, neurons };
}

/**
 * Throws unless `value` is undefined or a positive integer of at most `max`.
 *
 * @example
 * ```ts
 * checkSize("plot.raster", "width", 640, 20000); // ok
 * ```
 */
export function checkSize(fn: string, name: string, value: unknown, max: number): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= max)) {
    throw new RangeError(`${fn}: ${name} must be a positive integer of at most ${max}, got ${formatValue(value)}`);
  }
}
