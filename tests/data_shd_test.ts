import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm";
import { data } from "../mod.ts";

// shd_small.h5 was written by h5py (tests/fixtures/make_shd_fixture.py) in
// SHD's layout; shd_small.json holds the same spikes as plain numbers.
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SMALL = fixture("shd_small.h5");
const truth = JSON.parse(readFileSync(fixture("shd_small.json"), "utf8")) as {
  labels: number[];
  times: (number | null)[][];
  units: number[][];
};

/** Bins the fixture's spike lists by the documented rule. */
function binned(
  numSteps: number,
  maxTime: number,
  numUnits: number,
  counts = false,
  samples = truth.labels.map((_, i) => i),
) {
  const out = new Float32Array(samples.length * numSteps * numUnits);
  samples.forEach((s, n) => {
    truth.times[s].forEach((t, j) => {
      if (t === null || t < 0 || t >= maxTime) return;
      const step = Math.floor((t / maxTime) * numSteps);
      const at = (n * numSteps + step) * numUnits + truth.units[s][j];
      out[at] = counts ? out[at] + 1 : 1;
    });
  });
  return out;
}

/** Writes an HDF5 file with h5wasm (plain datasets only: h5wasm cannot write VLEN numbers). */
async function writeH5(path: string, build: (f: InstanceType<typeof h5wasm.File>) => void): Promise<void> {
  const module = await h5wasm.ready;
  const name = `/test-${Math.random().toString(36).slice(2)}.h5`;
  const f = new h5wasm.File(name, "w");
  build(f);
  f.close();
  writeFileSync(path, module.FS.readFile(name));
  module.FS.unlink(name);
}

function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spyx-shd-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("data.loadShd", () => {
  test("reads h5py's VLEN float16/uint16 layout and bins like a direct loop", async () => {
    const { spikes, labels } = await data.loadShd(SMALL, { numSteps: 14 });
    assert.deepEqual(spikes.shape, [5, 14, 700]);
    assert.equal(spikes.dtype, "float32");
    assert.deepEqual(Array.from(labels.dataSync()), truth.labels);
    assert.equal(labels.dtype, "int32");
    assert.deepEqual(spikes.dataSync(), binned(14, 1.4, 700));
    // The fixture's sample 2 holds a NaN time, a spike at t = 0 on unit 699 and
    // two spikes of unit 3 in one bin; sample 1 holds no spikes at all.
    const s = spikes.dataSync() as Float32Array;
    assert.equal(s[(2 * 14 + 0) * 700 + 699], 1);
    assert.equal(s.subarray(14 * 700, 2 * 14 * 700).reduce((a, b) => a + b, 0), 0);
  });

  test("counts, another window, a sample range, and bytes instead of a path", async () => {
    const counted = await data.loadShd(SMALL, { numSteps: 7, maxTime: 1.0, numUnits: 700, counts: true });
    assert.deepEqual(counted.spikes.dataSync(), binned(7, 1.0, 700, true));
    assert.ok(Math.max(...(counted.spikes.dataSync() as Float32Array)) >= 2, "the repeated spike is counted twice");
    const part = await data.loadShd(new Uint8Array(readFileSync(SMALL)), { numSteps: 5, start: 2, count: 2 });
    assert.deepEqual(part.spikes.shape, [2, 5, 700]);
    assert.deepEqual(part.spikes.dataSync(), binned(5, 1.4, 700, false, [2, 3]));
    assert.deepEqual(Array.from(part.labels.dataSync()), truth.labels.slice(2, 4));
  });

  test("a truncated file, or no HDF5 file at all, fails with the file's name", async () => {
    const bytes = readFileSync(SMALL);
    await withTempDir(async (dir) => {
      const cut = join(dir, "cut.h5");
      writeFileSync(cut, bytes.subarray(0, 6000));
      await assert.rejects(
        data.loadShd(cut, { numSteps: 4 }),
        new RegExp(`data\\.loadShd: ${cut.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is truncated: it has 6000 bytes`),
      );
      const junk = join(dir, "junk.h5");
      writeFileSync(junk, new TextEncoder().encode("not hdf5 at all"));
      await assert.rejects(data.loadShd(junk, { numSteps: 4 }), /junk\.h5 is not an HDF5 file/);
      await assert.rejects(
        data.loadShd(join(dir, "absent.h5"), { numSteps: 4 }),
        /data\.loadShd: cannot read .*absent\.h5/,
      );
    });
  });

  test("a damaged interior gives HDF5's reason, and loading works again afterwards", async () => {
    const bytes = new Uint8Array(readFileSync(SMALL));
    bytes.fill(0xab, 3000, 6000); // the global heap holding the VLEN rows
    // checkHdf5Bytes walks global heaps before HDF5 does (a corrupt one can make HDF5 loop forever).
    await assert.rejects(
      data.loadShd(bytes, { numSteps: 4 }),
      /data\.loadShd: in-memory file(: HDF5 cannot read "spikes\/\w+": \S| is corrupt: HDF5 global heap at byte \d+: \S)/,
    );
    const { labels } = await data.loadShd(SMALL, { numSteps: 4 });
    assert.deepEqual(Array.from(labels.dataSync()), truth.labels);
  });

  test("missing datasets, wrong types, mismatched lengths and out-of-range units are named", async () => {
    await withTempDir(async (dir) => {
      const noTimes = join(dir, "no_times.h5");
      await writeH5(noTimes, (f) => {
        f.create_dataset({ name: "labels", data: new Uint16Array([1, 2]) });
        f.create_group("spikes");
        (f.get("spikes") as InstanceType<typeof h5wasm.Group>).create_dataset({
          name: "units",
          data: new Uint16Array([1, 2]),
        });
      });
      await assert.rejects(
        data.loadShd(noTimes, { numSteps: 4 }),
        /no_times\.h5 has no dataset "spikes\/times" \(no "times" in "spikes"; found "units"\)/,
      );
      const noSpikes = join(dir, "no_spikes.h5");
      await writeH5(noSpikes, (f) => f.create_dataset({ name: "labels", data: new Uint16Array([1]) }));
      await assert.rejects(
        data.loadShd(noSpikes, { numSteps: 4 }),
        /no_spikes\.h5 has no dataset "spikes\/times" \(no "spikes" in the root group; found "labels"\)/,
      );
      const flatTimes = join(dir, "flat_times.h5");
      await writeH5(flatTimes, (f) => {
        f.create_dataset({ name: "labels", data: new Uint16Array([1, 2]) });
        const g = f.create_group("spikes");
        g.create_dataset({ name: "times", data: new Float32Array([0.1, 0.2]) });
        g.create_dataset({ name: "units", data: new Uint16Array([1, 2]) });
      });
      await assert.rejects(
        data.loadShd(flatTimes, { numSteps: 4 }),
        /flat_times\.h5: "spikes\/times" must hold variable-length arrays of numbers/,
      );
    });
    await assert.rejects(
      data.loadShd(fixture("shd_bad_lengths.h5"), { numSteps: 4 }),
      /shd_bad_lengths\.h5: sample 1 has 25 spike times but 24 units/,
    );
    await assert.rejects(
      data.loadShd(SMALL, { numSteps: 4, numUnits: 100 }),
      /shd_small\.h5: sample 0 has a spike of unit \d+, outside \[0, 100\)/,
    );
  });

  test("option errors", async () => {
    await assert.rejects(
      data.loadShd(SMALL, { numSteps: 0 }),
      /data\.loadShd: numSteps must be an integer >= 1, got 0/,
    );
    await assert.rejects(data.loadShd(SMALL, { numSteps: 4, maxTime: -1 }), /data\.loadShd: maxTime must be > 0/);
    await assert.rejects(
      data.loadShd(SMALL, { numSteps: 4, start: 4, count: 3 }),
      /samples 4\.\.6 requested, .*shd_small\.h5 has 5/,
    );
    await assert.rejects(
      data.loadShd(42 as unknown as string, { numSteps: 4 }),
      /data\.loadShd: source must be a path or a Uint8Array/,
    );
  });
});
