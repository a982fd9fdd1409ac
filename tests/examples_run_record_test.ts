/**
 * The run folder of a training example: `run.json` says what the run was
 * (every field the issue asks for), running its recorded command again
 * reproduces it, and the command line rejects bad options clearly.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getBackend } from "../mod.ts";
import { main } from "../examples/train_mnist.ts";
import { readMetrics } from "../examples/run/metrics_log.ts";
import {
  captureOutput,
  checkpointBytes,
  metricsWithoutTime,
  MNIST_TINY,
  runRecord,
  sameBytes,
  withTempDir,
} from "./support/example_runs.ts";

/** Bun stops a test after 5 s unless told otherwise; these train networks. */
const SLOW = { timeout: 120_000 };

const version = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8")).version;
const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("run.json", () => {
  test(
    "records the configuration, seed, versions, backend, threads, platform, data hash, times and metrics",
    SLOW,
    async () => {
      await withTempDir(async (dir) => {
        const out = join(dir, "run");
        const output = captureOutput();
        const result = await main([...MNIST_TINY, "--epochs", "2", "--seed", "7", "--out", out], output);
        assert.match(
          output.text(),
          /^MNIST: 256 training and 128 held-out digits, 8 time steps, batch 32, hidden 16\n/,
        );
        assert.match(output.text(), /\ntest_accuracy=0\.\d{4}\n$/);
        assert.deepEqual(readdirSync(out).sort(), [
          "accuracy.svg",
          "checkpoints",
          "loss.svg",
          "metrics.json",
          "metrics.jsonl",
          "raster.svg",
          "run.json",
        ]);
        assert.deepEqual(readdirSync(join(out, "checkpoints")).sort(), ["epoch-1.safetensors", "epoch-2.safetensors"]);

        const r = runRecord(out);
        assert.equal(r.example, "mnist");
        assert.equal(r.status, "finished");
        assert.deepEqual(r.config, {
          epochs: 2,
          seed: 7,
          batch: 32,
          lr: 0.002,
          "log-every": 3,
          "train-size": 256,
          "test-size": 128,
          backend: "cpu",
          steps: 8,
          hidden: 16,
          "max-rate": 0.75,
        });
        assert.equal(r.seed, 7);
        assert.deepEqual(r.library, { name: "@spyx/spyx-ts", version });
        assert.ok(["deno", "bun"].includes(r.runtime.name) && /^\d+\.\d+\.\d+/.test(r.runtime.version));
        assert.equal(r.backend, getBackend().name);
        assert.ok(Number.isInteger(r.threads) && r.threads >= 1);
        assert.equal(typeof r.matmul.tile, "string");
        assert.ok([true, false, null].includes(r.matmul.fusedMultiplyAdd));
        assert.ok(r.platform.os && r.platform.arch && r.platform.cores >= 1);
        assert.equal(r.data.length, 1);
        assert.match(r.data[0].sha256, /^[0-9a-f]{64}$/);
        assert.equal(r.data[0].samples, 10000);
        assert.match(r.startedAt, isoTime);
        assert.match(r.endedAt!, isoTime);
        assert.ok(r.endedAt! >= r.startedAt);
        assert.equal(r.epochsDone, 2);
        assert.deepEqual(Object.keys(r.finalMetrics!).sort(), [
          "epochs",
          "steps",
          "testAccuracy",
          "trainAccuracy",
          "trainLoss",
        ]);
        assert.equal(r.finalMetrics!.testAccuracy, result!.testAccuracy);
        assert.equal(r.finalMetrics!.steps, 16);
        assert.equal(r.sessions.length, 1);
        assert.equal(r.sessions[0].environment.runtime.name, r.runtime.name);

        const lines = readMetrics(join(out, "metrics.jsonl"));
        assert.deepEqual(
          lines.map((l) =>
            l.event === "step" ? `s${l.epoch}.${l.batch}` : l.event === "epoch" ? `e${l.epoch}` : "test"
          ),
          ["s1.3", "s1.6", "s1.8", "e1", "s2.3", "s2.6", "s2.8", "e2", "test"],
        );
        const epoch2 = lines.find((l) => l.event === "epoch" && l.epoch === 2);
        assert.equal(epoch2?.event === "epoch" && epoch2.trainAccuracy, r.finalMetrics!.trainAccuracy);
      });
    },
  );

  test("running its recorded command again reproduces the run", SLOW, async () => {
    await withTempDir(async (dir) => {
      const first = join(dir, "first"), again = join(dir, "again");
      await main([...MNIST_TINY, "--epochs", "2", "--seed", "3", "--lr", "0.005", "--out", first], captureOutput());
      const [program, ...args] = runRecord(first).command;
      assert.equal(program, "examples/train_mnist.ts");
      await main([...args, "--out", again], captureOutput());
      assert.deepEqual(metricsWithoutTime(again), metricsWithoutTime(first));
      assert.ok(sameBytes(checkpointBytes(again, 2), checkpointBytes(first, 2)));
      assert.deepEqual(runRecord(again).finalMetrics, runRecord(first).finalMetrics);
      assert.deepEqual(runRecord(again).config, runRecord(first).config);
    });
  });

  test("a fresh run in a used folder replaces the old run's checkpoints", SLOW, async () => {
    await withTempDir(async (dir) => {
      await main([...MNIST_TINY, "--epochs", "2", "--out", dir], captureOutput());
      await main([...MNIST_TINY, "--epochs", "1", "--out", dir], captureOutput());
      assert.deepEqual(readdirSync(join(dir, "checkpoints")), ["epoch-1.safetensors"]);
      assert.equal(runRecord(dir).sessions.length, 1);
      assert.ok(!existsSync(join(dir, "run.json.tmp")));
    });
  });
});

describe("the command line", () => {
  test("--help lists every option", SLOW, async () => {
    const output = captureOutput();
    assert.equal(await main(["--help"], output), null);
    for (
      const option of ["--epochs", "--seed", "--steps", "--batch", "--hidden", "--lr", "--max-rate", "--log-every"]
    ) {
      assert.match(output.text(), new RegExp(`\\n  ${option} `));
    }
    assert.match(output.text(), /--resume DIR/);
  });

  test("bad options are named", SLOW, async () => {
    const cases: [string[], RegExp][] = [
      [["--epochs", "0"], /^train_mnist: --epochs must be an integer >= 1, got 0$/],
      [["--lr", "0"], /^train_mnist: --lr must be a number > 0, got 0$/],
      [["--seed", "1.5"], /^train_mnist: --seed must be an integer, got 1\.5$/],
      [["--train-size", "x"], /^train_mnist: --train-size must be an integer >= 0, got x$/],
      [["--hiden", "3"], /^train_mnist: Unknown option '--hiden'.* \(see --help\)$/],
      [["extra"], /^train_mnist: .*extra.* \(see --help\)$/],
      [["--batch", "300", "--train-size", "256"], /^train_mnist: --batch 300 is larger than the 256 training samples$/],
    ];
    for (const [argv, message] of cases) {
      await assert.rejects(main(argv, captureOutput()), (e: Error) => {
        assert.equal(e.name, "RunError");
        assert.match(e.message, message);
        return true;
      });
    }
  });
});
