/**
 * The benchmark report: a Markdown table of medians with throughputs, and
 * the ratios ours / peer (below 1: we are faster).
 *
 * @module
 */
import type { BenchCase } from "./workloads/spec.ts";

/** The outcome of one (implementation, case) run. */
export type Outcome =
  | {
    impl: string;
    case: string;
    medianMs: number;
    minMs: number;
    samplesMs: number[];
    runtime: string;
    details: string;
    firstValue?: number | null;
  }
  | { impl: string; case: string; skipped: string };

/** True when the outcome is a measurement. */
export function measured(o: Outcome | undefined): o is Extract<Outcome, { medianMs: number }> {
  return !!o && "medianMs" in o;
}

function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** `median ms` plus a throughput: GFLOP/s for W1-W3, samples/s for W4. */
export function formatCell(c: BenchCase, o: Outcome | undefined): string {
  if (!o) return "";
  if (!measured(o)) return "-";
  const rate = c.items
    ? `${(c.items / (o.medianMs / 1000)).toFixed(0)} samples/s`
    : `${(c.flops / o.medianMs / 1e6).toFixed(1)} GFLOP/s`;
  return `${formatMs(o.medianMs)} ms (${rate})`;
}

/**
 * The Markdown table: one row per case, one column per implementation, then
 * one ratio column per peer.
 *
 * @example
 * ```ts
 * import { benchCases } from "./workloads/spec.ts";
 * renderTable(benchCases(true).slice(3, 4), ["ours"], []);
 * ```
 */
export function renderTable(cases: BenchCase[], impls: string[], outcomes: Outcome[]): string {
  const find = (impl: string, id: string) => outcomes.find((o) => o.impl === impl && o.case === id);
  const peers = impls.filter((i) => i !== "ours");
  const header = ["case", "GFLOP", ...impls, ...peers.map((p) => `ours/${p}`)];
  const rows = cases.map((c) => {
    const ours = find("ours", c.id);
    const ratios = peers.map((p) => {
      const peer = find(p, c.id);
      return measured(ours) && measured(peer) ? (ours.medianMs / peer.medianMs).toFixed(2) : "-";
    });
    return [c.id, (c.flops / 1e9).toFixed(2), ...impls.map((i) => formatCell(c, find(i, c.id))), ...ratios];
  });
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The reasons behind every `-` in the table. */
export function renderSkips(outcomes: Outcome[]): string {
  return outcomes
    .filter((o) => !measured(o))
    .map((o) => `- ${o.impl} ${o.case}: ${(o as { skipped: string }).skipped}`)
    .join("\n");
}

/**
 * The loss each implementation returned on its first call, per case: the
 * JavaScript implementations share their inputs, so theirs must agree to
 * float32 rounding (PyTorch draws its own inputs).
 *
 * @example
 * ```ts
 * renderFirstValues([]); // ""
 * ```
 */
export function renderFirstValues(outcomes: Outcome[]): string {
  const byCase = new Map<string, string[]>();
  for (const o of outcomes) {
    if (!measured(o) || typeof o.firstValue !== "number") continue;
    byCase.set(o.case, [...(byCase.get(o.case) ?? []), `${o.impl} ${o.firstValue.toPrecision(7)}`]);
  }
  return [...byCase].map(([id, values]) => `- ${id}: ${values.join(", ")}`).join("\n");
}
