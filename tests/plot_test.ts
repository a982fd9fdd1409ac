/**
 * plot.raster and plot.traces: the pictures show what the data holds (one
 * mark per spike at its step and neuron, rows in the requested order, one
 * panel per neuron), stay readable at hundreds of neurons, and reject bad
 * input with clear errors.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { np, plot, random } from "../mod.ts";
import { rng } from "./support/arbitraries.ts";

/** The rectangles of the marks path: [x, y, width, height] each. */
function marks(svg: string, color = "#1f3a93"): number[][] {
  const d = svg.match(new RegExp(`<path d="([^"]*)" fill="${color}"/>`))?.[1] ?? "";
  return [...d.matchAll(/M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)/g)].map((m) => m.slice(1).map(Number));
}

/** Text labels (the content of <text> elements). */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

function randomSpikes(steps: number, neurons: number, p: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: steps }, () => Array.from({ length: neurons }, () => (r() < p ? 1 : 0)));
}

describe("plot.raster", () => {
  test("one mark per spike, at its step (x) and its neuron's row (y)", () => {
    const spikes = randomSpikes(30, 12, 0.2, 1);
    const svg = plot.raster(spikes, { rates: false });
    const ms = marks(svg);
    assert.equal(ms.length, spikes.flat().filter((v) => v !== 0).length);
    // x centres increase with the step, y centres with the row; recover (step, neuron) from the centres.
    const xs = ms.map(([x, , w]) => x + w / 2), ys = ms.map(([, y, , h]) => y + h / 2);
    const step = (x: number) => Math.round((x - Math.min(...xs)) / ((Math.max(...xs) - Math.min(...xs)) / 29));
    const seen = new Set(ms.map((_, i) => `${step(xs[i])},${ys[i].toFixed(0)}`));
    assert.equal(seen.size, ms.length, "no two spikes share a mark");
    assert.ok(svg.startsWith("<svg") && svg.endsWith("</svg>"));
  });

  test("a tensor and nested arrays draw the same picture", () => {
    const t = np.astype(random.bernoulli(random.key(3), 0.3, [10, 6]), "float32");
    assert.equal(plot.raster(t), plot.raster(t.toArray() as number[][]));
  });

  test("256 neurons with 2 firing: marks at least 3 px tall, ticks on both axes, the count in the caption", () => {
    const spikes = Array.from(
      { length: 25 },
      (_, t) => Array.from({ length: 256 }, (_, i) => (i === 7 || (i === 200 && t % 3 === 0) ? 1 : 0)),
    );
    const svg = plot.raster(spikes, { title: "hidden" });
    for (const [, , w, h] of marks(svg)) assert.ok(h >= 3 && w >= 1.5, `mark ${w} × ${h}`);
    const labels = texts(svg);
    assert.ok(labels.includes("256 neurons (2 fired), 25 steps, 34 spikes"), labels.join(" | "));
    for (const tick of ["0", "5", "25", "200"]) assert.ok(labels.includes(tick), `tick ${tick}`);
    assert.ok(labels.includes("time step") && labels.includes("neuron"));
    assert.ok(labels.includes("rate (spikes/step)"), "the firing-rate panel");
  });

  test("sort by rate and activeOnly: the active neurons alone, most active on top", () => {
    const counts = [0, 5, 0, 9, 2, 0];
    const spikes = Array.from({ length: 10 }, (_, t) => counts.map((c) => (t < c ? 1 : 0)));
    const svg = plot.raster(spikes, { sort: "rate", activeOnly: true, rates: false });
    const rows = new Map<number, number>();
    for (const [, y] of marks(svg)) rows.set(y, (rows.get(y) ?? 0) + 1);
    const byRow = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
    assert.deepEqual(byRow, [9, 5, 2]);
    const labels = texts(svg);
    assert.ok(
      labels.includes("3") && labels.includes("1") && labels.includes("4"),
      "rows labelled with neuron indices",
    );
    assert.ok(labels.some((l) => l.includes("3 silent neurons hidden")));
  });

  test("firstSpike order, dt and time units", () => {
    const spikes = [[0, 0, 1], [0, 1, 0], [1, 0, 0]];
    const svg = plot.raster(spikes, { sort: "firstSpike", dt: 0.5, timeUnit: "ms", rates: false });
    const ys = marks(svg).sort((a, b) => a[0] - b[0]).map(([, y]) => y);
    assert.ok(ys[0] < ys[1] && ys[1] < ys[2], "earliest first spike on top");
    assert.ok(texts(svg).includes("time (ms)"));
  });

  test("errors name plot.raster and the problem", () => {
    assert.throws(
      () => plot.raster(np.zeros([2, 3, 4])),
      /plot\.raster: expected a \[time, neuron\] tensor .* got shape \[2,3,4\]/,
    );
    assert.throws(() => plot.raster([[1, 0], [1]]), /plot\.raster: row 1 has 1 neurons, row 0 has 2/);
    assert.throws(() => plot.raster([]), /plot\.raster: empty input \(0 steps × 0 neurons\)/);
    assert.throws(() => plot.raster([[1]], { sort: "size" as never }), /plot\.raster: sort must be .* got "size"/);
    assert.throws(
      () => plot.raster([[1]], { width: NaN }),
      /plot\.raster: width must be a positive integer .* got NaN/,
    );
    assert.throws(
      () => plot.raster("spikes" as never),
      /plot\.raster: expected a \[time, neuron\] Tensor or nested arrays, got "spikes"/,
    );
  });
});

describe("plot.traces", () => {
  const v = Array.from({ length: 40 }, (_, t) => [Math.sin(t / 4), (t % 10) / 8, 0.2]);
  const s = v.map((row) => row.map((x) => (x > 1 ? 1 : 0)));

  test("one panel per neuron shown, the threshold in each, a red mark per spike", () => {
    const svg = plot.traces(v, { spikes: s, threshold: 1, neurons: [1, 0] });
    const labels = texts(svg);
    assert.deepEqual(labels.filter((l) => l.startsWith("neuron ")), ["neuron 1", "neuron 0"]);
    assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 2);
    const red = svg.match(/<path d="([^"]*)" stroke="#d62728"/g) ?? [];
    const spikeMarks = red.join("").match(/M/g)?.length ?? 0;
    assert.equal(spikeMarks, s.filter((row) => row[1] === 1).length + s.filter((row) => row[0] === 1).length);
    assert.equal((svg.match(/<path d="M[^"]*" fill="none" stroke="#1f3a93"/g) ?? []).length, 2, "one trace per panel");
  });

  test("values map linearly to heights, the largest on top", () => {
    const svg = plot.traces([[0], [2], [4]], { neurons: [0] });
    const d = svg.match(/<path d="([^"]*)" fill="none"/)![1];
    const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    assert.equal(ys.length, 3);
    // Equal steps in value are equal steps in pixels (a linear axis), top for the largest value.
    assert.ok(Math.abs((ys[0] - ys[1]) - (ys[1] - ys[2])) < 0.2 && ys[2] < ys[0]);
  });

  test("a NaN breaks the line instead of drawing it off the panel", () => {
    const svg = plot.traces([[0], [1], [NaN], [1], [0]]);
    const d = svg.match(/<path d="([^"]*)" fill="none"/)![1];
    assert.equal(d.match(/M/g)!.length, 2);
  });

  test("errors name plot.traces and the problem", () => {
    assert.throws(
      () => plot.traces(v, { neurons: [3] }),
      /plot\.traces: neurons must be a non-empty list of indices in \[0, 3\), got \[3\]/,
    );
    assert.throws(
      () => plot.traces(v, { spikes: [[1]] }),
      /plot\.traces: spikes are 1 steps × 1 neurons, the traces 40 × 3/,
    );
    assert.throws(() => plot.traces(v, { threshold: NaN }), /plot\.traces: threshold must be a finite number, got NaN/);
    assert.throws(
      () => plot.traces(v, { spike: s } as never),
      /plot\.traces: unknown option "spike" \(did you mean "spikes"\?\)/,
    );
  });
});
