/**
 * The GPU machine's run, in one call: our WebGPU backend on W1 (n = 512,
 * 4096, 16384), W2 and the float32 products (`bench/gpu.ts`), the peers of
 * `../shared/device/` in the same call (spyx and hand-written JAX, plain
 * PyTorch CUDA: `w1_gpu.py`, `w2_gpu.py`), and optionally our CPU backend
 * against PyTorch at several thread counts on the machine's cores
 * (`bench/main.ts --threads`). Each part runs in its own process under a
 * time limit, and one JSON of medians is written after every part, so a
 * run cut short still leaves what it measured.
 *
 *   source .gpu/on_device.sh && deno run -A bench/device.ts --out $OUT/device.json \
 *     [--spyx .gpu/spyxsrc] [--threads 1,2,4,8,16] [--seconds 480]
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "device.json" },
    spyx: { type: "string", default: ".gpu/spyxsrc" },
    peers: { type: "string", default: "../shared/device" },
    threads: { type: "string" },
    seconds: { type: "string", default: "480" },
  },
});
const deadline = Date.now() + Number(values.seconds) * 1000;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "spyx-device-"));
const report: Record<string, unknown> = { date: new Date().toISOString(), parts: {} };
const parts = report.parts as Record<string, unknown>;

/** Runs one part with what is left of the time (at most `cap` seconds); records its output or why it has none. */
function part(name: string, cap: number, command: string, args: string[], parse: (stdout: string) => unknown): void {
  const left = Math.floor((deadline - Date.now()) / 1000);
  if (left < 20) {
    parts[name] = { skipped: `no time left (${left} s)` };
  } else {
    const started = performance.now();
    const r = spawnSync(command, args, {
      encoding: "utf8",
      timeout: Math.min(cap, left) * 1000,
      killSignal: "SIGKILL",
      maxBuffer: 64 << 20,
    });
    const seconds = Math.round((performance.now() - started) / 1000);
    try {
      parts[name] = { seconds, status: r.status, result: parse(r.stdout ?? "") };
    } catch (e) {
      parts[name] = { seconds, status: r.status, error: String(e), stderr: (r.stderr ?? "").slice(-2000) };
    }
  }
  writeFileSync(values.out!, JSON.stringify(report, null, 2));
  console.log(`${name}: ${JSON.stringify(parts[name]).slice(0, 300)}`);
}

const jsonLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

const ours = join(scratch, "ours.json");
part(
  "ours-webgpu",
  240,
  process.execPath,
  ["run", "-A", here("./gpu.ts"), "--json", ours],
  () => JSON.parse(readFileSync(ours, "utf8")),
);
if (existsSync(values.peers!)) {
  part("peers-w1", 180, "python3", [join(values.peers!, "w1_gpu.py"), values.spyx!, "512", "4096", "16384"], jsonLines);
  part("peers-w2", 90, "python3", [join(values.peers!, "w2_gpu.py"), values.spyx!], jsonLines);
} else {
  parts.peers = { skipped: `no peer scripts at ${values.peers}` };
}
if (values.threads) {
  const saved = join(scratch, "threads.json");
  part(
    "cpu-threads",
    300,
    process.execPath,
    [
      "run",
      "-A",
      here("./main.ts"),
      "--only",
      "W1-4096",
      "--peers",
      "torch",
      "--threads",
      values.threads,
      "--save",
      saved,
    ],
    () => JSON.parse(readFileSync(saved, "utf8")),
  );
}
console.log(`wrote ${values.out}`);
