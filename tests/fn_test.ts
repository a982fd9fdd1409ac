import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fn, grad, np, optim, type Tensor } from "../mod.ts";
import { assertAllClose, assertRelClose, checkGradients, loadReference, refTensor } from "./support/numeric.ts";

type Arr = { shape: number[]; data: number[] };
type Dtype = "float32" | "float64";
const REF = loadReference("losses.json");
const TOL = { float64: 1e-10, float32: 1e-4 };

const targetsOf = (a: Arr) => np.array(a.data, { shape: a.shape, dtype: "int32" });

/** Checks a scalar loss value against the reference. */
function assertLoss(got: Tensor, want: number, dtype: Dtype): void {
  assert.deepEqual(got.shape, []);
  assert.equal(got.dtype, dtype);
  const e = Math.abs((got.item() as number) - want) / Math.abs(want);
  assert.ok(e <= TOL[dtype], `loss ${got.item()} vs ${want}: relative error ${e}`);
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

describe("fn: golden (losses.json)", () => {
  for (const dtype of ["float64", "float32"] as const) {
    REF.integral_crossentropy.forEach(
      (c: { smoothing: number; time_axis: number; traces: Arr; targets: Arr; loss: number; grad: Arr }, k: number) => {
        test(`integralCrossentropy #${k} smoothing ${c.smoothing} (${dtype})`, () => {
          const loss = fn.integralCrossentropy({ smoothing: c.smoothing, timeAxis: c.time_axis });
          const traces = refTensor(c.traces, dtype), targets = targetsOf(c.targets);
          assertLoss(loss(traces, targets), c.loss, dtype);
          const g = grad((t: Tensor) => loss(t, targets))(traces);
          assert.equal(g.dtype, dtype);
          assert.deepEqual(g.shape, c.grad.shape);
          assertRelClose(g, c.grad.data, TOL[dtype], "d loss / d traces");
        });
      },
    );

    REF.integral_accuracy.forEach(
      (c: { time_axis: number; traces: Arr; targets: Arr; accuracy: number; preds: Arr }, k: number) => {
        test(`integralAccuracy #${k} (${dtype})`, () => {
          const [acc, preds] = fn.integralAccuracy({ timeAxis: c.time_axis })(
            refTensor(c.traces, dtype),
            targetsOf(c.targets),
          );
          assert.equal(preds.dtype, "int32");
          assert.deepEqual(preds.shape, c.preds.shape);
          assert.deepEqual(Array.from(preds.dataSync()), c.preds.data);
          assertLoss(acc, c.accuracy, dtype);
        });
      },
    );

    REF.mse_spikerate.forEach(
      (
        c: {
          sparsity: number;
          smoothing: number;
          time_axis: number;
          traces: Arr;
          targets: Arr;
          loss: number;
          grad: Arr;
        },
        k: number,
      ) => {
        test(`mseSpikerate #${k} sparsity ${c.sparsity} smoothing ${c.smoothing} (${dtype})`, () => {
          const isDefault = c.sparsity === 0.25 && c.smoothing === 0;
          const loss = isDefault
            ? fn.mseSpikerate()
            : fn.mseSpikerate({ sparsity: c.sparsity, smoothing: c.smoothing, timeAxis: c.time_axis });
          const traces = refTensor(c.traces, dtype), targets = targetsOf(c.targets);
          assertLoss(loss(traces, targets), c.loss, dtype);
          assertRelClose(grad((t: Tensor) => loss(t, targets))(traces), c.grad.data, TOL[dtype], "d loss / d traces");
        });
      },
    );

    REF.silence_reg.forEach((c: { min_spikes: number; inputs: Arr[]; loss: number; grads: Arr[] }, k: number) => {
      test(`silenceReg #${k} minSpikes ${c.min_spikes} (${dtype})`, () => {
        const reg = fn.silenceReg(c.min_spikes);
        const inputs = c.inputs.map((a) => refTensor(a, dtype));
        assertLoss(reg(inputs), c.loss, dtype);
        const gs = grad(reg)(inputs) as Tensor[];
        gs.forEach((g, j) => {
          assert.deepEqual(g.shape, c.grads[j].shape);
          assertRelClose(g, c.grads[j].data, TOL[dtype], `d loss / d inputs[${j}]`);
        });
      });
    });

    REF.sparsity_reg.forEach(
      (
        c: { max_spikes: number; norm: string; delta: number; inputs: Arr[]; loss: number; grads: Arr[] },
        k: number,
      ) => {
        test(`sparsityReg #${k} maxSpikes ${c.max_spikes} (${dtype})`, () => {
          assert.equal(c.norm, "huber");
          const reg = k === 0
            ? fn.sparsityReg(c.max_spikes)
            : fn.sparsityReg(c.max_spikes, (z) => optim.huberLoss(z, undefined, c.delta));
          // The counts as a nested tree, as nn.transformWithState returns them.
          const inputs = Object.fromEntries(
            c.inputs.map((a, j) => [`layer${j}`, { spike_count: refTensor(a, dtype) }]),
          );
          assertLoss(reg(inputs), c.loss, dtype);
          const gs = grad(reg)(inputs) as Record<string, { spike_count: Tensor }>;
          c.grads.forEach((want, j) => {
            assertRelClose(gs[`layer${j}`].spike_count, want.data, TOL[dtype], `d loss / d inputs[${j}]`);
          });
        });
      },
    );
  }
});

describe("fn: time axis and layouts", () => {
  const c = REF.integral_crossentropy[0];
  const traces = refTensor(c.traces, "float64"), targets = targetsOf(c.targets);

  test("time-major traces with timeAxis 0, and timeAxis -2, give the reference loss and gradient", () => {
    const timeMajor = np.transpose(traces, [1, 0, 2]);
    for (const [x, axis] of [[timeMajor, 0], [traces, -2]] as const) {
      const loss = fn.integralCrossentropy({ smoothing: c.smoothing, timeAxis: axis });
      assertLoss(loss(x, targets), c.loss, "float64");
      const g = grad((t: Tensor) => loss(t, targets))(x);
      const back = axis === 0 ? np.transpose(g, [1, 0, 2]) : g;
      assertRelClose(back, c.grad.data, 1e-12);
    }
    const m = REF.mse_spikerate[1];
    const tm = np.transpose(refTensor(m.traces, "float64"), [1, 0, 2]);
    const mse = fn.mseSpikerate({ sparsity: m.sparsity, smoothing: m.smoothing, timeAxis: 0 });
    assertLoss(mse(tm, targetsOf(m.targets)), m.loss, "float64");
    const a = REF.integral_accuracy[0];
    const [acc, preds] = fn.integralAccuracy({ timeAxis: 0 })(
      np.transpose(refTensor(a.traces, "float64"), [1, 0, 2]),
      targetsOf(a.targets),
    );
    assert.deepEqual(Array.from(preds.dataSync()), a.preds.data);
    assert.equal(acc.item(), a.accuracy);
  });

  test("extra leading axes: targets [G, B] with traces [G, B, T, C] (timeAxis 2)", () => {
    const stacked = np.stack([traces, np.flip(traces, 0)]);
    const tg = np.stack([targets, np.flip(targets, 0)]);
    const loss = fn.integralCrossentropy({ smoothing: c.smoothing, timeAxis: 2 })(stacked, tg);
    assertLoss(loss, c.loss, "float64"); // both halves are the same batch, permuted
  });

  test("spike traces of dtype bool or int32 are read as float32", () => {
    const spikes = np.greater(refTensor(REF.mse_spikerate[0].traces), 0.5);
    const loss = fn.mseSpikerate()(spikes, targetsOf(REF.mse_spikerate[0].targets));
    assert.equal(loss.dtype, "float32");
    assertLoss(loss, REF.mse_spikerate[0].loss, "float32");
  });
});

describe("fn: properties", () => {
  const shapeArb = fc.record({
    b: fc.integer({ min: 1, max: 3 }),
    t: fc.integer({ min: 1, max: 4 }),
    c: fc.integer({ min: 2, max: 4 }),
  });

  test("integralCrossentropy and mseSpikerate: autodiff matches finite differences", () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.integer({ min: 1, max: 1e6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ b, t, c }, seed, smoothing) => {
          const x = np.array(values(b * t * c, seed).map((v) => 2 * v), { shape: [b, t, c], dtype: "float64" });
          const y = np.array(values(b, seed + 1).map((v) => Math.floor((v + 1) / 2 * c)), { dtype: "int32" });
          checkGradients((tr) => fn.integralCrossentropy({ smoothing })(tr, y), [x]);
          checkGradients((tr) => fn.mseSpikerate({ sparsity: 0.5, smoothing })(tr, y), [x]);
        },
      ),
      { numRuns: 15 },
    );
  });

  test("integralCrossentropy: adding a per-sample constant to every class changes nothing; smoothing 0 is -log p(target)", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 1e6 }), ({ b, t, c }, seed) => {
        const x = np.array(values(b * t * c, seed), { shape: [b, t, c], dtype: "float64" });
        const y = np.array(values(b, seed + 3).map((v) => Math.floor((v + 1) / 2 * c)), { dtype: "int32" });
        const shift = np.array(values(b * t, seed + 5).map((v) => 10 * v), { shape: [b, t, 1], dtype: "float64" });
        const loss = fn.integralCrossentropy({ smoothing: 0.2 });
        assertAllClose([loss(np.add(x, shift), y).item() as number], [loss(x, y).item() as number], { rtol: 1e-12 });
        // Direct sum: -mean_b log(exp(z_y) / sum_c exp(z_c)), z = sum over time.
        const xd = x.dataSync(), yd = y.dataSync();
        let want = 0;
        for (let i = 0; i < b; i++) {
          const z = Array.from({ length: c }, (_, k) => {
            let s = 0;
            for (let s2 = 0; s2 < t; s2++) s += xd[(i * t + s2) * c + k];
            return s;
          });
          want -= Math.log(Math.exp(z[yd[i]]) / z.reduce((a, v) => a + Math.exp(v), 0));
        }
        assertAllClose([fn.integralCrossentropy({ smoothing: 0 })(x, y).item() as number], [want / b], { rtol: 1e-12 });
      }),
      { numRuns: 20 },
    );
  });

  test("sparsityReg with a custom norm; silenceReg is zero when every neuron fires enough", () => {
    const x = np.array([[1, 3, 5, 7], [0, 0, 1, 1]], { dtype: "float64" }); // per-sample means 4 and 0.5
    assertAllClose([fn.sparsityReg(1, np.square)([x]).item() as number], [9]);
    assert.equal(fn.silenceReg(0.5)({ a: x }).item(), 0);
    assertAllClose([fn.silenceReg(2)({ a: x }).item() as number], [1.5 ** 2 + 0.5 ** 2]); // batch means 0.5, 1.5, 3, 4
  });
});

describe("fn: errors", () => {
  const traces = np.zeros([2, 3, 4]);
  const targets = np.array([0, 1], { dtype: "int32" });
  test("timeAxis out of range or on the class axis", () => {
    assert.throws(
      () => fn.integralCrossentropy({ timeAxis: 3 })(traces, targets),
      /integralCrossentropy: timeAxis 3 is out of range for traces of shape \[2,3,4\]/,
    );
    assert.throws(
      () => fn.integralAccuracy({ timeAxis: -4 })(traces, targets),
      /integralAccuracy: timeAxis -4 is out of range/,
    );
    assert.throws(
      () => fn.mseSpikerate({ timeAxis: 2 })(traces, targets),
      /mseSpikerate: timeAxis 2 is the class axis/,
    );
    assert.throws(
      () => fn.integralCrossentropy()(np.zeros([4]), targets),
      /traces must have a time axis and a class axis, got shape \[4\]/,
    );
  });

  test("targets of the wrong dtype or shape", () => {
    assert.throws(
      () => fn.integralCrossentropy()(traces, np.array([0, 1])),
      /integralCrossentropy: targets must be an int32 tensor of class indices, got float32/,
    );
    assert.throws(
      () => fn.integralCrossentropy()(traces, np.array([0, 1, 2], { dtype: "int32" })),
      /targets have shape \[3\] but traces of shape \[2,3,4\] with timeAxis 1 need targets of shape \[2\]/,
    );
    assert.throws(
      () => fn.integralAccuracy({ timeAxis: 0 })(traces, targets),
      /integralAccuracy: targets have shape \[2\] .* need targets of shape \[3\]/,
    );
  });

  test("bad options and bad count trees", () => {
    assert.throws(
      () => fn.integralCrossentropy({ smoothing: 1.5 }),
      /integralCrossentropy: smoothing must be .* <= 1, got 1.5/,
    );
    assert.throws(
      () => fn.integralCrossentropy({ time_axis: 0 } as never),
      /integralCrossentropy: unknown option "time_axis"/,
    );
    assert.throws(() => fn.mseSpikerate({ sparsity: -1 }), /mseSpikerate: sparsity/);
    assert.throws(() => fn.silenceReg(NaN), /silenceReg: minSpikes must be a finite number, got NaN/);
    assert.throws(() => fn.silenceReg(1)({}), /silenceReg: the spike-count tree has no tensor leaves/);
    assert.throws(
      () => fn.sparsityReg(1)([np.array(3)]),
      /sparsityReg: leaf 0 must have shape \[B, \.\.\.\] with B > 0, got \[\]/,
    );
    assert.throws(() => fn.sparsityReg(1, "huber" as never), /sparsityReg: norm must be a function/);
    assert.throws(
      () => optim.huberLoss(np.ones([2]), np.ones([3])),
      /huberLoss: .* shape \[2\] but targets has shape \[3\]/,
    );
  });
});
