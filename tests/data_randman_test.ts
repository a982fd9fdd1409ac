import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { data, type Tensor } from "../mod.ts";

const flat = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);
const small = { nClasses: 3, nUnits: 6, nSteps: 20, nSamples: 40 };

describe("data.randman", () => {
  test("shapes and dtypes; exactly one spike per unit and sample, at spikeSteps", () => {
    const r = data.randman(small);
    assert.deepEqual(r.spikes.shape, [120, 20, 6]);
    assert.deepEqual(r.labels.shape, [120]);
    assert.deepEqual(r.spikeSteps.shape, [120, 6]);
    assert.deepEqual(r.points.shape, [120, 1]);
    assert.equal(r.spikes.dtype, "float32");
    assert.equal(r.labels.dtype, "int32");
    const s = r.spikes.dataSync(), steps = r.spikeSteps.dataSync();
    for (let n = 0; n < 120; n++) {
      for (let u = 0; u < 6; u++) {
        const fired: number[] = [];
        for (let t = 0; t < 20; t++) if (s[(n * 20 + t) * 6 + u] !== 0) fired.push(t);
        assert.deepEqual(fired, [steps[n * 6 + u]], `sample ${n} unit ${u}`);
        assert.equal(s[(n * 20 + fired[0]) * 6 + u], 1);
      }
    }
    const perClass = [0, 0, 0];
    for (const y of r.labels.dataSync()) perClass[y]++;
    assert.deepEqual(perClass, [40, 40, 40]);
  });

  test("same seed, same data; another seed, other data", () => {
    const a = data.randman({ ...small, seed: 4 }), b = data.randman({ ...small, seed: 4 });
    assert.deepEqual(flat(a.spikes), flat(b.spikes));
    assert.deepEqual(flat(a.labels), flat(b.labels));
    assert.notDeepEqual(flat(a.spikeSteps), flat(data.randman({ ...small, seed: 5 }).spikeSteps));
  });

  test("per class and unit, the rescaled times span the first and the last usable step", () => {
    // (y - min) / (max - min + 1e-7) maps the minimum to step 0 and the maximum
    // just below nSteps * stepFrac.
    for (const stepFrac of [1, 0.5]) {
      const r = data.randman({ ...small, shuffle: false, stepFrac });
      const steps = r.spikeSteps.dataSync();
      const last = 20 * stepFrac - 1;
      for (let k = 0; k < 3; k++) {
        for (let u = 0; u < 6; u++) {
          const col = Array.from({ length: 40 }, (_, s) => steps[(k * 40 + s) * 6 + u]);
          assert.equal(Math.min(...col), 0, `class ${k} unit ${u}`);
          assert.equal(Math.max(...col), last, `class ${k} unit ${u}`);
        }
      }
      assert.deepEqual(flat(r.labels), [...Array(40).fill(0), ...Array(40).fill(1), ...Array(40).fill(2)]);
    }
  });

  test("the shuffle permutes whole samples (spikes, label and manifold point together)", () => {
    const ordered = data.randman({ ...small, shuffle: false }), shuffled = data.randman(small);
    const key = (r: typeof ordered, n: number) =>
      `${r.labels.dataSync()[n]}|${r.points.dataSync()[n]}|${
        Array.from(r.spikeSteps.dataSync().subarray(n * 6, n * 6 + 6))
      }`;
    const a = Array.from({ length: 120 }, (_, n) => key(ordered, n)).sort();
    const b = Array.from({ length: 120 }, (_, n) => key(shuffled, n));
    assert.deepEqual(b.slice().sort(), a);
    assert.notDeepEqual(b, Array.from({ length: 120 }, (_, n) => key(ordered, n)));
  });

  test("the manifolds are smooth: nearby points fire at nearby times", () => {
    // 1-D manifolds: sorted by the intrinsic coordinate, neighbouring samples
    // differ in spike step far less than random pairs do.
    const r = data.randman({ nClasses: 2, nUnits: 10, nSteps: 100, nSamples: 300, shuffle: false });
    const x = r.points.dataSync(), steps = r.spikeSteps.dataSync();
    for (let k = 0; k < 2; k++) {
      const order = Array.from({ length: 300 }, (_, s) => k * 300 + s).sort((i, j) => x[i] - x[j]);
      let near = 0, far = 0;
      for (let i = 1; i < order.length; i++) {
        const j = order[(i * 131) % order.length];
        for (let u = 0; u < 10; u++) {
          near += Math.abs(steps[order[i] * 10 + u] - steps[order[i - 1] * 10 + u]);
          far += Math.abs(steps[order[i] * 10 + u] - steps[j * 10 + u]);
        }
      }
      assert.ok(near * 10 < far, `class ${k}: neighbours differ by ${near}, random pairs by ${far}`);
    }
  });

  test("errors", () => {
    assert.throws(() => data.randman({ nUnits: 2.5 }), /data\.randman: nUnits must be an integer >= 1, got 2\.5/);
    assert.throws(() => data.randman({ alpha: 0 }), /data\.randman: alpha must be > 0, got 0/);
    assert.throws(() => data.randman({ stepFrac: 0 }), /data\.randman: stepFrac must lie in \(0, 1\], got 0/);
    assert.throws(() => data.randman({ prec: 1 }), /data\.randman: prec must lie in \(0, 1\), got 1/);
    assert.throws(() => data.randman({ seed: -1 }), /data\.randman: seed must be an integer >= 0, got -1/);
  });
});
