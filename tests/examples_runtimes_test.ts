/**
 * One seed, one `metrics.jsonl` (apart from timings) under Deno and Bun.
 *
 * The two engines round the matrix product's relaxed multiply-add
 * differently on x86-64 (V8 fuses it where the CPU has FMA3, JavaScriptCore
 * does not), which changes the last bits of every product; Deno started
 * with `--v8-flags=--no-enable-fma3` rounds as Bun does. Each run records
 * which rounding it had (`run.json` `matmul.fusedMultiplyAdd`), and the
 * test checks that first, so a failure says why.
 */
import { test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  checkpointBytes,
  metricsWithoutTime,
  MNIST_TINY,
  runRecord,
  sameBytes,
  withTempDir,
} from "./support/example_runs.ts";

/** Bun stops a test after 5 s unless told otherwise; these train networks. */
const SLOW = { timeout: 120_000 };

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/** Runs the MNIST example under Deno, without V8's FMA3 when this V8 has the flag. */
async function runDeno(args: string[]): Promise<void> {
  const script = ["run", "-A", "examples/train_mnist.ts", ...args];
  try {
    await run(bin("deno"), ["run", "-A", "--v8-flags=--no-enable-fma3", ...script.slice(2)], { cwd: root });
  } catch (e) {
    if (!/did not recognize flag/.test(String((e as { stderr?: string }).stderr))) throw e;
    await run(bin("deno"), script, { cwd: root });
  }
}

test("the same seed gives the same metrics.jsonl and checkpoint under Deno and Bun", SLOW, async () => {
  await withTempDir(async (dir) => {
    const args = [...MNIST_TINY, "--epochs", "1", "--seed", "5"];
    const denoDir = join(dir, "deno"), bunDir = join(dir, "bun");
    await Promise.all([
      runDeno([...args, "--out", denoDir]),
      run(bin("bun"), ["examples/train_mnist.ts", ...args, "--out", bunDir], { cwd: root }),
    ]);
    const [d, b] = [runRecord(denoDir), runRecord(bunDir)];
    assert.deepEqual([d.runtime.name, b.runtime.name], ["deno", "bun"]);
    assert.equal(
      d.matmul.fusedMultiplyAdd,
      b.matmul.fusedMultiplyAdd,
      "the runtimes round relaxed multiply-adds differently, so their products differ in the last bits",
    );
    assert.deepEqual(metricsWithoutTime(denoDir), metricsWithoutTime(bunDir));
    assert.deepEqual(d.finalMetrics, b.finalMetrics);
    assert.ok(sameBytes(checkpointBytes(denoDir, 1), checkpointBytes(bunDir, 1)), "final checkpoints differ");
  });
});
