import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { data, np, random, type Tensor } from "../mod.ts";
import { randomValues } from "./support/arbitraries.ts";

const flat = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

describe("data.rateCode", () => {
  test("shape [B, ...] -> [B, T, ...], float32 0/1, batch order kept", () => {
    const x = np.array(randomValues(2 * 3 * 4, 1, 0, 1), { shape: [2, 3, 4] });
    const s = data.rateCode(7)(x, random.key(0));
    assert.deepEqual(s.shape, [2, 7, 3, 4]);
    assert.equal(s.dtype, "float32");
    assert.ok(flat(s).every((v) => v === 0 || v === 1));
  });

  test("same key, same spikes; another key, other spikes", () => {
    const x = np.full([8, 50], 0.5);
    const enc = data.rateCode(20);
    assert.deepEqual(flat(enc(x, random.key(3))), flat(enc(x, random.key(3))));
    assert.notDeepEqual(flat(enc(x, random.key(3))), flat(enc(x, random.key(4))));
  });

  test("equals random.bernoulli on the repeated probabilities (JAX's uniform < p)", () => {
    const x = np.array(randomValues(3 * 10, 2, 0, 1), { shape: [3, 10] });
    const k = random.key(11);
    const got = data.rateCode(6, 0.3)(x, k);
    const p = np.broadcastTo(np.expandDims(np.mul(x, 0.3), 1), [3, 6, 10]);
    const want = random.bernoulli(k, p, [3, 6, 10]);
    assert.deepEqual(flat(got), flat(want).map(Number));
  });

  test("spike frequency matches value * maxR within 5 standard errors", () => {
    const levels = [0, 0.1, 0.4, 0.8, 1];
    const perLevel = 400, T = 50, maxR = 0.75;
    const values = levels.flatMap((v) => Array(perLevel).fill(v));
    const x = np.array(values, { shape: [levels.length, perLevel] });
    const s = data.rateCode(T, maxR)(x, random.key(7)).dataSync();
    levels.forEach((v, l) => {
      let count = 0;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < perLevel; i++) count += s[(l * T + t) * perLevel + i];
      }
      const n = T * perLevel, p = v * maxR;
      const rate = count / n;
      const bound = 5 * Math.sqrt((p * (1 - p)) / n);
      if (p === 0) assert.equal(count, 0, "a value of 0 never fires");
      else assert.ok(Math.abs(rate - p) <= bound, `value ${v}: rate ${rate}, expected ${p} ± ${bound}`);
    });
  });

  test("maxR = 1 makes a value of 1 fire at every step", () => {
    const s = data.rateCode(9, 1)(np.ones([2, 5]), random.key(1));
    assert.ok(flat(s).every((v) => v === 1));
  });

  test("errors name the function and the value", () => {
    const enc = data.rateCode(5);
    assert.throws(
      // On a device the check's verdict comes with the next read.
      () => enc(np.array([[0.5, 1.5]]), random.key(0)).dataSync(),
      /data\.rateCode: data values must lie in \[0, 1\], got 1\.5/,
    );
    assert.throws(() => enc(np.array([[-0.1]]), random.key(0)).dataSync(), /data\.rateCode.*-0\.1/);
    assert.throws(() => enc(np.array([[NaN]]), random.key(0)).dataSync(), /data\.rateCode.*NaN/);
    assert.throws(
      () => enc(np.array([[1]], { dtype: "int32" }), random.key(0)),
      /data\.rateCode: data must have a float dtype/,
    );
    assert.throws(() => enc(np.array(0.5), random.key(0)), /data\.rateCode: data must have at least 1 axes/);
    assert.throws(() => data.rateCode(0), /data\.rateCode: numSteps must be an integer >= 1, got 0/);
    assert.throws(() => data.rateCode(2.5), /numSteps/);
    assert.throws(() => data.rateCode(4, 1.2), /data\.rateCode: maxR must be a number in \[0, 1\], got 1\.2/);
  });
});

/** NumPy's digitize (increasing bins, right=False) by linear scan, then spyx's clip. */
function angleIndex(x: number, bins: number[]): number {
  let count = 0;
  for (const b of bins) if (b <= x) count++;
  return Math.min(Math.max(count - 1, 0), bins.length - 1);
}

describe("data.angleCode", () => {
  test("spyx's example values, including the edge semantics", () => {
    const enc = data.angleCode(4, 0, 3); // bins 0, 1, 2, 3
    const out = enc(np.array([-1, 0, 0.5, 1, 1.999, 2, 2.5, 3, 7])).toArray() as number[][];
    const idx = out.map((row) => row.indexOf(1));
    assert.deepEqual(idx, [0, 0, 0, 1, 1, 2, 2, 3, 3]);
    assert.ok(out.every((row) => row.reduce((a, b) => a + b) === 1));
  });

  test("one-hot of the bin against a loop over float64 bins (values away from edges)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: -5, max: 0, noNaN: true }),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (n, lo, width, seed) => {
          const hi = lo + width;
          const bins = Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + (i * (hi - lo)) / (n - 1)));
          const values = randomValues(30, seed, lo - 1, hi + 1).filter((v) =>
            bins.every((b) => Math.abs(v - b) > 1e-4 * (1 + Math.abs(b)))
          );
          const x = np.array(values, { shape: [values.length], dtype: "float64" });
          const out = data.angleCode(n, lo, hi)(x);
          assert.deepEqual(out.shape, [values.length, n]);
          const got = out.dataSync();
          values.forEach((v, i) => {
            const want = angleIndex(v, bins);
            for (let j = 0; j < n; j++) assert.equal(got[i * n + j], j === want ? 1 : 0, `value ${v}, neuron ${j}`);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  test("keeps the observation's shape in front", () => {
    const out = data.angleCode(5, -1, 1)(np.zeros([2, 3], { dtype: "int32" }));
    assert.deepEqual(out.shape, [2, 3, 5]);
    assert.equal(out.dtype, "float32");
  });

  test("errors", () => {
    assert.throws(() => data.angleCode(0, 0, 1), /data\.angleCode: neuronCount must be an integer >= 1, got 0/);
    assert.throws(() => data.angleCode(4, 1, 1), /data\.angleCode: need minVal < maxVal, got minVal 1, maxVal 1/);
    assert.throws(() => data.angleCode(4, 0, 1)(np.array([0, NaN])), /data\.angleCode: obs must be finite, got NaN/);
    assert.throws(
      () => data.angleCode(4, 0, 1)(np.array([true])),
      /data\.angleCode: obs must be a float or int tensor/,
    );
  });
});

/** Spike steps of a time-first [T, n] spike train (-1 for none). */
function spikeSteps(s: Tensor): number[] {
  const [T, n] = s.shape;
  const v = s.dataSync();
  return Array.from({ length: n }, (_, i) => {
    const steps = [];
    for (let t = 0; t < T; t++) if (v[t * n + i] === 1) steps.push(t);
    assert.ok(steps.length <= 1, `element ${i} fires ${steps.length} times`);
    return steps.length ? steps[0] : -1;
  });
}

describe("data.latencyCode (snnTorch spikegen.latency)", () => {
  test("snnTorch's documented example: linear, normalized, 5 steps", () => {
    const s = data.latencyCode(5, { normalize: true, linear: true, timeAxis: 0 })(np.array([0.02, 0.5, 1]));
    assert.deepEqual(s.toArray(), [[0, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]]);
  });

  test("linear code by hand: t = min(-tau (x - 1), -tau (theta - 1)), rounded half to even", () => {
    // tau 10: t = [0, 2.5, 7.5, 9.9] -> steps [0, 2, 8, 10].
    const x = np.array([1, 0.75, 0.25, 0.005]);
    assert.deepEqual(spikeSteps(data.latencyCode(11, { linear: true, tau: 10, timeAxis: 0 })(x)), [0, 2, 8, 10]);
    // clip drops the element below the threshold (0.005 < 0.01).
    assert.deepEqual(
      spikeSteps(data.latencyCode(11, { linear: true, tau: 10, clip: true, timeAxis: 0 })(x)),
      [0, 2, 8, -1],
    );
    // With 8 steps, 8 and 10 overflow: snnTorch clamps to 7 and then clears the last step.
    assert.deepEqual(spikeSteps(data.latencyCode(8, { linear: true, tau: 10, timeAxis: 0 })(x)), [0, 2, -1, -1]);
  });

  test("logarithmic code by hand: t = tau ln(x / (x - theta))", () => {
    // x = 1: ln(1/0.99) = 0.01005; 0.5: ln(0.5/0.49) = 0.0202; 0.02: ln 2 = 0.693;
    // 0 -> theta + eps: ln(0.0100001 / 1e-7) = 11.51. tau = 5 scales them to 0.05, 0.10, 3.47, 57.6.
    const x = np.array([1, 0.5, 0.02, 0]);
    assert.deepEqual(spikeSteps(data.latencyCode(60, { tau: 5, timeAxis: 0 })(x)), [0, 0, 3, 58]);
    // normalize: t * 59 / 57.56 -> [0.05, 0.10, 3.55, 59].
    assert.deepEqual(spikeSteps(data.latencyCode(60, { tau: 5, normalize: true, timeAxis: 0 })(x)), [0, 0, 4, 59]);
  });

  test("firstSpikeTime shifts the earliest spike there, and normalize stretches from it", () => {
    // t = [0.01005, 0.0202] -> t - min + 2 = [2, 2.0102]; normalized over 6 steps: [2, 5].
    const x = np.array([1, 0.5]);
    assert.deepEqual(spikeSteps(data.latencyCode(6, { firstSpikeTime: 2, timeAxis: 0 })(x)), [2, 2]);
    assert.deepEqual(
      spikeSteps(data.latencyCode(6, { firstSpikeTime: 2, normalize: true, timeAxis: 0 })(x)),
      [2, 5],
    );
  });

  test("default layout inserts time at axis 1, the transpose of time-first", () => {
    const x = np.array(randomValues(2 * 3, 5, 0, 1), { shape: [2, 3] });
    const batchMajor = data.latencyCode(10, { normalize: true })(x);
    const timeFirst = data.latencyCode(10, { normalize: true, timeAxis: 0 })(x);
    assert.deepEqual(batchMajor.shape, [2, 10, 3]);
    assert.deepEqual(flat(batchMajor), flat(np.transpose(timeFirst, [1, 0, 2])));
  });

  test("errors", () => {
    assert.throws(
      () => data.latencyCode(5, { threshold: 0 }),
      /data\.latencyCode: threshold must lie in \(0, 1\), got 0/,
    );
    assert.throws(() => data.latencyCode(5, { threshold: 1 }), /threshold/);
    assert.throws(() => data.latencyCode(5, { tau: 0 }), /data\.latencyCode: tau must be > 0, got 0/);
    assert.throws(
      () => data.latencyCode(5, { firstSpikeTime: 5 }),
      /firstSpikeTime \(5\) must be <= numSteps - 1 \(4\)/,
    );
    assert.throws(
      () => data.latencyCode(5, { linear: true })(np.array([[0.5, 1.5]])),
      /data\.latencyCode: linear coding of values above 1 needs normalize: true/,
    );
    assert.throws(() => data.latencyCode(5)(np.array([[NaN]])), /data\.latencyCode: data must be finite, got NaN/);
    assert.throws(() => data.latencyCode(5, { timeAxis: 3 })(np.zeros([2, 2])), /timeAxis 3 is out of range/);
  });
});

/** snnTorch's delta along one series, in float32 arithmetic. */
function deltaSeries(x: number[], thr: number, padding: boolean, offSpike: boolean): number[] {
  const f = Math.fround, th = f(thr);
  return x.map((v, t) => {
    const prev = t === 0 ? (padding ? x[0] : 0) : x[t - 1];
    const d = f(v - prev);
    return d >= th ? 1 : offSpike && d <= -th ? -1 : 0;
  });
}

describe("data.deltaCode (snnTorch spikegen.delta)", () => {
  test("hand-computed series", () => {
    const b = np.array([1, 2, 0, 2, 2.9]);
    assert.deepEqual(data.deltaCode(1, { offSpike: true, timeAxis: 0 })(b).toArray(), [1, 1, -1, 1, 0]);
    assert.deepEqual(data.deltaCode(1, { offSpike: true, padding: true, timeAxis: 0 })(b).toArray(), [0, 1, -1, 1, 0]);
    assert.deepEqual(data.deltaCode(1, { timeAxis: 0 })(b).toArray(), [1, 1, 0, 1, 0]);
    // Changes 1, 1, 0.9, 0.1, 0.9: only the first two reach 1. (snnTorch's docstring
    // shows a spike at index 3 for this input, which its own formula does not give.)
    assert.deepEqual(data.deltaCode(1, { timeAxis: 0 })(np.array([1, 2, 2.9, 3, 3.9])).toArray(), [1, 1, 0, 0, 0]);
    // A change of exactly the threshold fires (>=).
    assert.deepEqual(data.deltaCode(0.1, { timeAxis: 0 })(np.array([0, 0.1, 0.1])).toArray(), [0, 1, 0]);
  });

  test("batch-major [B, T, D] against a per-series loop", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 10000 }),
        (B, T, D, padding, offSpike, seed) => {
          const values = randomValues(B * T * D, seed, -1, 1).map(Math.fround);
          const out = data.deltaCode(0.3, { padding, offSpike })(np.array(values, { shape: [B, T, D] }));
          const got = out.dataSync();
          for (let b = 0; b < B; b++) {
            for (let d = 0; d < D; d++) {
              const series = Array.from({ length: T }, (_, t) => values[(b * T + t) * D + d]);
              const want = deltaSeries(series, 0.3, padding, offSpike);
              want.forEach((w, t) => assert.equal(got[(b * T + t) * D + d], w, `b ${b} t ${t} d ${d}`));
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test("errors", () => {
    assert.throws(() => data.deltaCode(0), /data\.deltaCode: threshold must be > 0, got 0/);
    assert.throws(
      () => data.deltaCode(0.1)(np.zeros([4])),
      /data\.deltaCode: timeAxis 1 is out of range for data of shape \[4\]/,
    );
    assert.throws(() => data.deltaCode(0.1)(np.array([[1, NaN]])), /data\.deltaCode: data must be finite/);
  });
});
