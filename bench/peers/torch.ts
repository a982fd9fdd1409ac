/**
 * Runs `torch_bench.py` when a Python with `torch` is importable, with
 * PyTorch's best ordinary setting on this kind of machine: as many threads
 * as cores, `OMP_WAIT_POLICY=passive`, and tcmalloc preloaded when Debian's
 * `libtcmalloc-minimal4` is installed (glibc's allocator returns PyTorch's
 * large temporaries to the kernel and re-faults them every step, which
 * slows its time loop several times).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type BenchCase, WARMUP } from "../workloads/spec.ts";

const TCMALLOC = [
  "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
  "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
  "/usr/lib64/libtcmalloc_minimal.so.4",
];

/** How PyTorch will be run, or why it will not. */
export type TorchSetup = { python: string; env: Record<string, string>; threads: number; describe: string } | {
  skipped: string;
};

/**
 * Finds a Python that imports `torch` (`$PYTHON`, `python3`, then Debian's
 * `/usr/bin/python3`) and the environment to run it in.
 *
 * @example
 * ```ts
 * const setup = findTorch();
 * "skipped" in setup ? setup.skipped : setup.python;
 * ```
 */
export function findTorch(): TorchSetup {
  const candidates = [process.env.PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p);
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const threads = cpus().length;
    const env: Record<string, string> = { OMP_WAIT_POLICY: "passive", OMP_NUM_THREADS: String(threads) };
    const tcmalloc = TCMALLOC.find((p) => existsSync(p));
    if (tcmalloc) env.LD_PRELOAD = tcmalloc;
    return {
      python,
      env,
      threads,
      describe: `torch ${probe.stdout.trim()} (${python}), ${threads} threads, OMP_WAIT_POLICY=passive, ${
        tcmalloc ? "tcmalloc preloaded" : "glibc malloc (libtcmalloc-minimal4 not installed)"
      }`,
    };
  }
  return { skipped: "no python3 with torch importable (Debian: apt-get install python3-torch libopenblas0-pthread)" };
}

/**
 * The command line that measures `c` with PyTorch.
 *
 * @example
 * ```ts
 * import { benchCases } from "../workloads/spec.ts";
 * const setup = findTorch();
 * if (!("skipped" in setup)) torchCommand(setup, benchCases(true)[3]);
 * ```
 */
export function torchCommand(
  setup: Exclude<TorchSetup, { skipped: string }>,
  c: BenchCase,
): { command: string; args: string[]; env: Record<string, string> } {
  const script = fileURLToPath(new URL("./torch_bench.py", import.meta.url));
  const payload = JSON.stringify({ id: c.id, params: c.params, samples: c.samples, warmup: WARMUP });
  return {
    command: setup.python,
    args: [script, "--case-json", payload, "--threads", String(setup.threads)],
    env: setup.env,
  };
}
