/**
 * The SHD example end to end, on a pair of small synthetic files in SHD's
 * layout that the test writes (each class fires on its own units): it
 * learns them well above chance in seconds, records the files' SHA-256,
 * resumes exactly and refuses other data.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import h5wasm from "h5wasm";
import { data, np, random } from "../mod.ts";
import { main } from "../examples/train_shd.ts";
import { binShdFile, gatherBatch } from "../examples/shd/binned_spikes.ts";
import { writeHdf5 } from "./support/hdf5_writer.ts";
import { syntheticShd, writeSyntheticShdPair } from "./support/synthetic_shd.ts";
import {
  captureOutput,
  checkpointBytes,
  metricsWithoutTime,
  runRecord,
  sameBytes,
  withTempDir,
} from "./support/example_runs.ts";

/** Bun stops a test after 5 s unless told otherwise; these train networks. */
const SLOW = { timeout: 120_000 };

/** `x` rounded to IEEE half precision (11 significant bits, ties to even), written independently of the writer. */
function roundToHalf(x: number): number {
  const spacing = x < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(x)) - 10);
  const q = x / spacing, floor = Math.floor(q), rest = q - floor;
  const n = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return n * spacing;
}

/** A small, quick configuration of the example. */
const SMALL = ["--steps", "20", "--hidden", "32", "--batch", "20", "--log-every", "5"];

describe("synthetic SHD files", () => {
  test("data.loadShd and h5wasm read what the writer wrote", SLOW, async () => {
    const { file, labels, times, units } = syntheticShd({ samples: 30, seed: 5 });
    const bytes = writeHdf5(file);
    const T = 14, maxTime = 1.4;
    const loaded = await data.loadShd(bytes, { numSteps: T, maxTime, counts: true });
    assert.deepEqual(Array.from(loaded.labels.dataSync()), labels);
    const expected = new Float32Array(30 * T * 700);
    times.forEach((row, n) =>
      row.forEach((t, j) => {
        const step = Math.floor((roundToHalf(t) / maxTime) * T);
        expected[(n * T + step) * 700 + units[n][j]] += 1;
      })
    );
    assert.deepEqual(loaded.spikes.dataSync(), expected);

    const module = await h5wasm.ready;
    module.FS.writeFile("/synthetic.h5", bytes);
    const f = new h5wasm.File("/synthetic.h5", "r");
    try {
      assert.deepEqual(f.keys().sort(), ["extra", "labels", "spikes"]);
      assert.deepEqual((f.get("spikes") as InstanceType<typeof h5wasm.Group>).keys(), ["times", "units"]);
      const unitsRead = (f.get("spikes/units") as InstanceType<typeof h5wasm.Dataset>).value as unknown as ArrayLike<
        number
      >[];
      assert.deepEqual(Array.from(unitsRead[3]), units[3]);
    } finally {
      f.close();
      module.FS.unlink("/synthetic.h5");
    }
  });
});

describe("examples/train_shd.ts", () => {
  test("its batches hold data.loadShd's bins, rolled exactly as data.shiftAugment rolls them", SLOW, async () => {
    const bytes = writeHdf5(syntheticShd({ samples: 12, seed: 3 }).file);
    const binned = await binShdFile(bytes, "synthetic", { steps: 10, maxTime: 1.4, units: 700, limit: 0 });
    const loaded = await data.loadShd(bytes, { numSteps: 10 });
    const indices = [5, 0, 11, 5];
    assert.deepEqual(
      gatherBatch(binned, indices).dataSync(),
      np.take(loaded.spikes, np.array(indices, { dtype: "int32" }), 0).dataSync(),
    );
    for (const seed of [0, 1, 2, 3]) {
      const key = random.key(seed);
      const shift = random.randint(key, [1], -16, 16).dataSync()[0];
      const expected = data.shiftAugment(16)(gatherBatch(binned, indices), key);
      assert.deepEqual(gatherBatch(binned, indices, shift).dataSync(), expected.dataSync(), `shift ${shift}`);
    }
  });

  test("learns synthetic SHD well above chance in seconds, and records the files' SHA-256", SLOW, async () => {
    await withTempDir(async (dir) => {
      const shd = join(dir, "shd"), out = join(dir, "run");
      mkdirSync(shd);
      writeSyntheticShdPair(shd, { train: 400, test: 200, seed: 1 });
      const output = captureOutput();
      const start = performance.now();
      const result = await main(["--data", shd, "--epochs", "3", ...SMALL, "--out", out], output);
      const seconds = (performance.now() - start) / 1000;
      assert.match(output.text(), /^SHD: 400 training and 200 held-out samples, 20 time bins over 1\.4 s, batch 20/);
      assert.match(output.text(), /\ntest_accuracy=0\.\d{4}\n$/);
      // Chance is 1/20.
      assert.ok(result!.testAccuracy > 0.6, `test accuracy ${result!.testAccuracy} after 3 epochs`);
      assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
      const record = runRecord(out);
      const hash = (name: string) => createHash("sha256").update(readFileSync(join(shd, name))).digest("hex");
      assert.deepEqual(record.data.map((d) => [d.name, d.sha256, d.samples]), [
        ["shd_train.h5", hash("shd_train.h5"), 400],
        ["shd_test.h5", hash("shd_test.h5"), 200],
      ]);
      assert.equal(record.config.data, shd);
      assert.equal(record.config["max-shift"], 16);
    });
  });

  test("resumes exactly (shift augmentation included) and refuses other data", SLOW, async () => {
    await withTempDir(async (dir) => {
      const shd = join(dir, "shd");
      mkdirSync(shd);
      writeSyntheticShdPair(shd, { train: 120, test: 40, seed: 2 });
      const run = (args: string[]) => main(["--data", shd, ...SMALL, ...args], captureOutput());
      await run(["--epochs", "2", "--out", join(dir, "whole")]);
      await run(["--epochs", "1", "--out", join(dir, "parts")]);
      await main(["--resume", join(dir, "parts"), "--epochs", "2"], captureOutput());
      assert.ok(sameBytes(checkpointBytes(join(dir, "whole"), 2), checkpointBytes(join(dir, "parts"), 2)));
      assert.deepEqual(metricsWithoutTime(join(dir, "parts")), metricsWithoutTime(join(dir, "whole")));

      writeFileSync(join(shd, "shd_train.h5"), writeHdf5(syntheticShd({ samples: 120, seed: 9 }).file));
      await assert.rejects(
        main(["--resume", join(dir, "parts"), "--epochs", "3"], captureOutput()),
        /cannot resume .*parts: the run trained on shd_train\.h5 with SHA-256 [0-9a-f]{64}, .*shd_train\.h5 has [0-9a-f]{64}/,
      );
      await assert.rejects(
        main(["--epochs", "1"], captureOutput()),
        /train_shd: --data is required \(folder holding shd_train.h5 and shd_test.h5\)/,
      );
      await assert.rejects(
        main(["--data", join(dir, "nothing")], captureOutput()),
        /train_shd: cannot read .*nothing\/shd_train\.h5 .*https:\/\/zenkelab\.org\/datasets\//,
      );
    });
  });
});
