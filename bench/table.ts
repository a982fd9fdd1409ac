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

/**
 * The scaling table of a run over several thread counts: per case and
 * implementation, the median at each count with its speed-up and parallel
 * efficiency (`speed-up / (p / p0)`) against the first count, and the
 * ratio ours / PyTorch at each count.
 *
 * @example
 * ```ts
 * renderScaling([], ["ours"], new Map()); // a header only
 * ```
 */
export function renderScaling(
  cases: BenchCase[],
  impls: string[],
  byThreads: ReadonlyMap<number | null, Outcome[]>,
): string {
  const counts = [...byThreads.keys()].filter((t): t is number => t !== null);
  const header = ["case", "impl", ...counts.map((t) => `${t} threads`)];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const impl of impls) {
      const at = (t: number) => byThreads.get(t)?.find((o) => o.impl === impl && o.case === c.id);
      const base = at(counts[0]);
      rows.push([
        c.id,
        impl,
        ...counts.map((t) => {
          const o = at(t);
          if (!measured(o)) return "-";
          if (!measured(base) || t === counts[0]) return `${o.medianMs.toFixed(0)} ms`;
          const speedup = base.medianMs / o.medianMs;
          return `${o.medianMs.toFixed(0)} ms (${speedup.toFixed(2)}x, ${
            (100 * speedup / (t / counts[0])).toFixed(0)
          } %)`;
        }),
      ]);
    }
    if (impls.includes("ours") && impls.includes("torch")) {
      rows.push([
        c.id,
        "ours/torch",
        ...counts.map((t) => {
          const o = byThreads.get(t)?.find((x) => x.impl === "ours" && x.case === c.id);
          const p = byThreads.get(t)?.find((x) => x.impl === "torch" && x.case === c.id);
          return measured(o) && measured(p) ? (o.medianMs / p.medianMs).toFixed(2) : "-";
        }),
      ]);
    }
  }
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
