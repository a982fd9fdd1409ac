/**
 * `--resume`: a run stopped after an epoch and resumed ends bit for bit
 * where an uninterrupted run ends (checkpoint bytes, metrics, final
 * numbers), and a checkpoint that does not belong to the run is refused
 * with an error that names the difference.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { data, np } from "../mod.ts";
import { main } from "../examples/train_mnist.ts";
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

const run = (args: string[]) => main([...MNIST_TINY, ...args], captureOutput());

describe("the MNIST example resumes exactly", () => {
  test("2 epochs equal 1 epoch, stopped during the 2nd, resumed to 2", SLOW, async () => {
    await withTempDir(async (dir) => {
      const whole = join(dir, "whole"), parts = join(dir, "parts");
      const straight = await run(["--epochs", "2", "--out", whole]);
      await run(["--epochs", "1", "--out", parts]);
      // What a process killed during epoch 2 leaves: a logged step of epoch 2 and half a line.
      appendFileSync(
        join(parts, "metrics.jsonl"),
        '{"event":"step","epoch":2,"batch":3,"step":11,"loss":9}\n{"event":"st',
      );
      const output = captureOutput();
      const resumed = await main([...MNIST_TINY, "--resume", parts, "--epochs", "2"], output);
      assert.match(output.text(), /resuming .* after epoch 1 \(step 8\), up to epoch 2/);
      for (const epoch of [1, 2]) {
        assert.ok(sameBytes(checkpointBytes(whole, epoch), checkpointBytes(parts, epoch)), `epoch-${epoch} differs`);
      }
      assert.deepEqual(metricsWithoutTime(parts), metricsWithoutTime(whole));
      assert.equal(resumed!.testAccuracy, straight!.testAccuracy);
      const [a, b] = [runRecord(whole), runRecord(parts)];
      assert.deepEqual(b.finalMetrics, a.finalMetrics);
      assert.deepEqual(b.config, a.config);
      assert.equal(b.sessions.length, 2);
      assert.deepEqual(b.sessions.map((s) => [s.fromEpoch, s.toEpoch]), [[0, 1], [1, 2]]);
      assert.equal(b.startedAt, runRecord(parts).sessions[0].startedAt);
    });
  });

  test("resuming a finished run to more epochs continues it", SLOW, async () => {
    await withTempDir(async (dir) => {
      await run(["--epochs", "1", "--out", join(dir, "a")]);
      await run(["--epochs", "3", "--out", join(dir, "b")]);
      await main(["--resume", join(dir, "a"), "--epochs", "3"], captureOutput());
      assert.ok(sameBytes(checkpointBytes(join(dir, "a"), 3), checkpointBytes(join(dir, "b"), 3)));
      assert.deepEqual(metricsWithoutTime(join(dir, "a")), metricsWithoutTime(join(dir, "b")));
    });
  });
});

describe("a checkpoint or run that does not belong is refused", () => {
  test("other options, a damaged file, another network, another example, another folder", SLOW, async () => {
    await withTempDir(async (dir) => {
      const base = join(dir, "base");
      await run(["--epochs", "1", "--out", base]);
      const copy = (name: string) => {
        cpSync(base, join(dir, name), { recursive: true });
        return join(dir, name);
      };

      await assert.rejects(
        run(["--resume", base, "--epochs", "2", "--hidden", "32"]),
        /cannot resume .*base with --hidden 32: the run has --hidden 16 \(a resumed run keeps its options; only --epochs and --data may change\)/,
      );
      await assert.rejects(
        main(["--resume", base, "--out", join(dir, "elsewhere")], captureOutput()),
        /--out .*elsewhere and --resume .*base differ/,
      );
      await assert.rejects(main(["--resume", join(dir, "absent")], captureOutput()), /absent: it has no run\.json/);

      const damaged = copy("damaged");
      const path = join(damaged, "checkpoints", "epoch-1.safetensors");
      writeFileSync(path, readFileSync(path).subarray(0, 500));
      await assert.rejects(
        main(["--resume", damaged, "--epochs", "2"], captureOutput()),
        /cannot resume from .*damaged.*epoch-1\.safetensors: .*truncated/,
      );

      // A checkpoint of the same options whose network differs (as after a code change).
      const reshaped = copy("reshaped");
      const file = join(reshaped, "checkpoints", "epoch-1.safetensors");
      const bytes = readFileSync(file);
      const tree = data.fromSafetensors(bytes) as { params: Record<string, Record<string, unknown>> };
      tree.params.linear.w = np.zeros([784, 17]);
      const metadata = Object.fromEntries(
        Object.entries(data.decodeSafetensors(bytes).metadata).filter(([k]) => k.startsWith("spyx_run.")),
      );
      writeFileSync(file, data.toSafetensors(tree as never, { metadata }));
      await assert.rejects(
        main(["--resume", reshaped, "--epochs", "2"], captureOutput()),
        /does not fit this network: params\/linear\/w is float32 \[784, 17\] in the checkpoint, float32 \[784, 16\] in the network/,
      );

      // Another run's checkpoint (other options) copied into this run's folder.
      const other = join(dir, "other");
      await run(["--epochs", "1", "--lr", "0.01", "--out", other]);
      const mixed = copy("mixed");
      cpSync(join(other, "checkpoints", "epoch-1.safetensors"), join(mixed, "checkpoints", "epoch-1.safetensors"));
      await assert.rejects(
        main(["--resume", mixed, "--epochs", "2"], captureOutput()),
        /it was written with other options: --lr 0\.01 in the checkpoint, 0\.002 in this run/,
      );

      // A run folder of the other example.
      const record = JSON.parse(readFileSync(join(base, "run.json"), "utf8"));
      const shdRun = copy("shd");
      writeFileSync(join(shdRun, "run.json"), JSON.stringify({ ...record, example: "shd" }));
      await assert.rejects(
        main(["--resume", shdRun], captureOutput()),
        /it is a run of the shd example, not mnist/,
      );
    });
  });
});
