import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, nn, np, random, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";

/** Deterministic values in [-1, 1) (mulberry32). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

const f64 = (shape: number[], seed: number) =>
  np.array(values(shape.reduce((a, b) => a * b, 1), seed), { shape, dtype: "float64" });

/** Mean and standard deviation of the elements. */
function moments(t: Tensor): [number, number] {
  const d = t.dataSync();
  let m = 0;
  for (const v of d) m += v;
  m /= d.length;
  let v2 = 0;
  for (const v of d) v2 += (v - m) ** 2;
  return [m, Math.sqrt(v2 / d.length)];
}

/** Standard deviation of a unit normal truncated to [-2, 2] (closed form). */
const TRUNCATED_STD = (() => {
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
  const mass = 0.9544997361036416; // P(|z| < 2)
  return Math.sqrt(1 - (4 * phi2) / mass);
})();

describe("Linear", () => {
  const net = nn.transform((x: Tensor) => new nn.Linear(3).call(x));

  test("y = x @ w + b over any leading axes (direct sums)", () => {
    const x = f64([2, 3, 4], 1);
    const params = net.init(random.key(0), x);
    const { w, b } = params.linear;
    assert.deepEqual(w.shape, [4, 3]);
    assert.deepEqual(b.shape, [3]);
    assert.equal(w.dtype, "float64");
    const y = net.apply(params, null, x);
    assert.deepEqual(y.shape, [2, 3, 3]);
    const xd = x.dataSync(), wd = w.dataSync(), bd = b.dataSync(), want: number[] = [];
    for (let r = 0; r < 6; r++) {
      for (let o = 0; o < 3; o++) {
        let acc = bd[o];
        for (let i = 0; i < 4; i++) acc += xd[r * 4 + i] * wd[i * 3 + o];
        want.push(acc);
      }
    }
    assertAllClose(y.dataSync(), want, { rtol: 1e-12, atol: 1e-14 });
    // A vector input is one sample.
    const v = np.array([1, 2, 3, 4], { dtype: "float64" });
    const wantV = [0, 1, 2].map((o) => bd[o] + wd[o] + 2 * wd[3 + o] + 3 * wd[6 + o] + 4 * wd[9 + o]);
    assertAllClose(net.apply(params, null, v).dataSync(), wantV, { rtol: 1e-12 });
  });

  test("Haiku's default init: w truncated normal with stddev 1/sqrt(in), b zeros", () => {
    const wide = nn.transform((x: Tensor) => new nn.Linear(256).call(x));
    const params = wide.init(random.key(3), np.ones([1, 64]));
    const [mean, std] = moments(params.linear.w);
    const stddev = 1 / Math.sqrt(64);
    assert.ok(Math.abs(mean) < 0.05 * stddev, `mean ${mean}`);
    assert.ok(Math.abs(std / (stddev * TRUNCATED_STD) - 1) < 0.03, `std ${std} vs ${stddev * TRUNCATED_STD}`);
    assert.ok(Math.max(...Array.from(params.linear.w.dataSync(), Math.abs)) <= 2 * stddev + 1e-7);
    assert.ok(Array.from(params.linear.b.dataSync()).every((v) => v === 0));
  });

  test("withBias false, custom initializers and integer inputs", () => {
    const noBias = nn.transform((x: Tensor) =>
      new nn.Linear(2, { withBias: false, wInit: nn.initializers.constant(0.5) }).call(x)
    );
    const x = np.array([[1, 2, 3]], { dtype: "int32" });
    const params = noBias.init(random.key(0), x);
    assert.deepEqual(Object.keys(params.linear), ["w"]);
    assert.equal(params.linear.w.dtype, "float32");
    assert.deepEqual(Array.from(noBias.apply(params, null, x).dataSync()), [3, 3]);
    const withB = nn.transform((v: Tensor) => new nn.Linear(2, { bInit: nn.initializers.constant(1) }).call(v));
    assert.deepEqual(Array.from(withB.init(random.key(0), x).linear.b.dataSync()), [1, 1]);
  });

  test("gradients match finite differences", () => {
    const x = f64([2, 3], 4), w = f64([3, 3], 5), b = f64([3], 6);
    checkGradients((xv, wv, bv) => net.apply({ linear: { w: wv, b: bv } }, null, xv), [x, w, b]);
  });

  test("bad arguments", () => {
    const bad = (n: number) => nn.transform((x: Tensor) => new nn.Linear(n).call(x)).init(random.key(0), np.ones([1]));
    assert.throws(() => bad(0), /Linear: outputSize must be a positive integer, got 0/);
    assert.throws(() => bad(1.5), /got 1.5/);
    assert.throws(() => net.init(random.key(0), np.array(2)), /Linear \(linear\): input must not be a scalar/);
  });
});

/** Direct float64 convolution, NHWC input, HWIO kernel, explicit padding, groups. */
function referenceConv2D(
  x: Tensor,
  w: Tensor,
  stride: number[],
  rate: number[],
  pad: [number, number][],
  groups: number,
): { shape: number[]; data: number[] } {
  const [N, H, W, C] = x.shape, [KH, KW, Cg, O] = w.shape;
  const xd = x.dataSync(), wd = w.dataSync();
  const eff = [(KH - 1) * rate[0] + 1, (KW - 1) * rate[1] + 1];
  const OH = Math.floor((H + pad[0][0] + pad[0][1] - eff[0]) / stride[0]) + 1;
  const OW = Math.floor((W + pad[1][0] + pad[1][1] - eff[1]) / stride[1]) + 1;
  const Og = O / groups, data: number[] = [];
  assert.equal(C, Cg * groups);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let o = 0; o < O; o++) {
          const g = Math.floor(o / Og);
          let acc = 0;
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * stride[0] + ky * rate[0] - pad[0][0], ix = ox * stride[1] + kx * rate[1] - pad[1][0];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < Cg; c++) {
                acc += xd[((n * H + iy) * W + ix) * C + g * Cg + c] * wd[((ky * KW + kx) * Cg + c) * O + o];
              }
            }
          }
          data.push(acc);
        }
      }
    }
  }
  return { shape: [N, OH, OW, O], data };
}

const sameOut = (n: number, s: number) => Math.ceil(n / s);
const validOut = (n: number, k: number, s: number, r: number) => Math.floor((n - (k - 1) * r - 1) / s) + 1;

describe("Conv2D and Conv1D", () => {
  test("Conv2D equals a direct convolution (HWIO kernel, stride, rate, explicit and SAME padding, groups)", () => {
    const cases: { options: nn.ConvOptions; pad: [number, number][]; x: number[] }[] = [
      {
        options: { kernelShape: [3, 2], stride: [2, 1], padding: [[1, 0], [0, 1]] },
        pad: [[1, 0], [0, 1]],
        x: [2, 5, 4, 2],
      },
      // SAME with H=6, stride 2, dilated kernel 3: out 3, total pad 1 -> [0, 1]; W=5, stride 1, k 2: pad [0, 1].
      { options: { kernelShape: 2, stride: [2, 1], rate: [2, 1] }, pad: [[0, 1], [0, 1]], x: [1, 6, 5, 2] },
      { options: { kernelShape: 2, featureGroupCount: 2, padding: "VALID" }, pad: [[0, 0], [0, 0]], x: [1, 3, 3, 4] },
    ];
    cases.forEach(({ options, pad, x: xShape }, i) => {
      const net = nn.transform((x: Tensor) => new nn.Conv2D(4, options).call(x));
      const x = f64(xShape, 10 + i);
      const params = net.init(random.key(i), x);
      params.conv2_d.b = f64([4], 20 + i);
      const y = net.apply(params, null, x);
      const opt = (v: number | readonly number[] | undefined) => typeof v === "number" ? [v, v] : (v ?? [1, 1]).slice();
      const want = referenceConv2D(
        x,
        params.conv2_d.w,
        opt(options.stride),
        opt(options.rate),
        pad,
        options.featureGroupCount ?? 1,
      );
      const bias = params.conv2_d.b.dataSync();
      assert.deepEqual(y.shape, want.shape, `case ${i}`);
      assertAllClose(y.dataSync(), want.data.map((v, j) => v + bias[j % 4]), { rtol: 1e-12, atol: 1e-13 }, `case ${i}`);
    });
  });

  test("NHWC and NCHW agree given the same kernel", () => {
    const options = { kernelShape: [3, 2], stride: 2 };
    const last = nn.transform((x: Tensor) => new nn.Conv2D(3, { ...options, dataFormat: "NHWC" }).call(x));
    const first = nn.transform((x: Tensor) => new nn.Conv2D(3, { ...options, dataFormat: "NCHW" }).call(x));
    const x = f64([2, 5, 6, 2], 3);
    const xT = np.transpose(x, [0, 3, 1, 2]);
    const pLast = last.init(random.key(1), x), pFirst = first.init(random.key(1), xT);
    assert.deepEqual(pFirst.conv2_d.w.shape, [3, 2, 2, 3]);
    assert.deepEqual(pFirst.conv2_d.b.shape, [3, 1, 1]);
    const b = f64([3], 4);
    const yLast = last.apply({ conv2_d: { w: pLast.conv2_d.w, b } }, null, x);
    const yFirst = first.apply({ conv2_d: { w: pLast.conv2_d.w, b: np.reshape(b, [3, 1, 1]) } }, null, xT);
    assertAllClose(np.transpose(yFirst, [0, 2, 3, 1]).dataSync(), yLast.dataSync(), { rtol: 1e-12, atol: 1e-14 });
  });

  test("output and parameter shapes follow SAME/VALID, stride and rate (Conv1D and Conv2D)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.constantFrom("SAME" as const, "VALID" as const),
        fc.boolean(),
        (h, w, k, s, r, padding, twoD) => {
          const eff = (k - 1) * r + 1;
          fc.pre(padding === "SAME" || (eff <= h && eff <= w));
          const size = (n: number) => padding === "SAME" ? sameOut(n, s) : validOut(n, k, s, r);
          const options = { kernelShape: k, stride: s, rate: r, padding };
          const net = nn.transform((x: Tensor) =>
            (twoD ? new nn.Conv2D(5, options) : new nn.Conv1D(5, options)).call(x)
          );
          const x = np.ones(twoD ? [2, h, w, 3] : [2, h, 3]);
          const params = net.init(random.key(0), x);
          const name = twoD ? "conv2_d" : "conv1_d";
          assert.deepEqual(params[name].w.shape, twoD ? [k, k, 3, 5] : [k, 3, 5]);
          assert.deepEqual(params[name].b.shape, [5]);
          assert.deepEqual(net.apply(params, null, x).shape, twoD ? [2, size(h), size(w), 5] : [2, size(h), 5]);
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  });

  test("default init: truncated normal with stddev 1/sqrt(fanIn), fanIn = prod(w.shape[:-1])", () => {
    const net = nn.transform((x: Tensor) => new nn.Conv2D(64, { kernelShape: 3, featureGroupCount: 2 }).call(x));
    const params = net.init(random.key(5), np.ones([1, 4, 4, 32]));
    assert.deepEqual(params.conv2_d.w.shape, [3, 3, 16, 64]);
    const [mean, std] = moments(params.conv2_d.w);
    const stddev = 1 / Math.sqrt(9 * 16);
    assert.ok(Math.abs(mean) < 0.05 * stddev, `mean ${mean}`);
    assert.ok(Math.abs(std / (stddev * TRUNCATED_STD) - 1) < 0.03, `std ${std}`);
  });

  test("unbatched inputs give the batched result without the batch axis", () => {
    const net = nn.transform((x: Tensor) => new nn.Conv1D(2, { kernelShape: 3, dataFormat: "NCW" }).call(x));
    const x = f64([3, 7], 8); // [C, W]
    const params = net.init(random.key(0), x);
    assert.deepEqual(params.conv1_d.b.shape, [2, 1]);
    const unbatched = net.apply(params, null, x);
    const batched = net.apply(params, null, np.expandDims(x, 0));
    assert.deepEqual(unbatched.shape, [2, 7]);
    assertAllClose(unbatched.dataSync(), batched.dataSync(), { rtol: 0, atol: 0 });
  });

  test("gradients match finite differences (Conv2D strided, Conv1D dilated)", () => {
    const c2 = nn.transform((x: Tensor) => new nn.Conv2D(3, { kernelShape: 2, stride: 2 }).call(x));
    checkGradients(
      (x, w, b) => c2.apply({ conv2_d: { w, b } }, null, x),
      [f64([1, 4, 5, 2], 1), f64([2, 2, 2, 3], 2), f64([3], 3)],
    );
    const c1 = nn.transform((x: Tensor) => new nn.Conv1D(2, { kernelShape: 2, rate: 2, padding: "VALID" }).call(x));
    checkGradients((x, w, b) => c1.apply({ conv1_d: { w, b } }, null, x), [
      f64([2, 6, 3], 4),
      f64([2, 3, 2], 5),
      f64([2], 6),
    ]);
  });

  test("bad options and inputs are reported", () => {
    const run = (options: nn.ConvOptions, shape = [1, 5, 5, 4]) =>
      nn.transform((x: Tensor) => new nn.Conv2D(4, options).call(x)).init(random.key(0), np.ones(shape));
    assert.throws(() => run({ kernelShape: 3, dataFormat: "HWCN" }), /unknown dataFormat "HWCN"/);
    assert.throws(() => run({ kernelShape: 3, dataFormat: "NHC" }), /unknown dataFormat "NHC"/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => run({ kernelShape: 3, padding: "FULL" as any }), /unknown padding "FULL"/);
    assert.throws(() => run({ kernelShape: [3, 3, 3] }), /kernelShape must be a positive integer or 2 of them/);
    assert.throws(() => run({ kernelShape: 3, stride: 0 }), /stride must be/);
    assert.throws(
      () => run({ kernelShape: 3 }, [5, 4]),
      /expected an input of rank 4 \(batched\) or 3 \(unbatched\), got shape \[5,4\]/,
    );
    assert.throws(
      () => run({ kernelShape: 3, featureGroupCount: 3 }),
      /featureGroupCount must be a positive integer dividing/,
    );
    assert.throws(
      () => run({ kernelShape: 3, featureGroupCount: 4 }, [1, 5, 5, 6]),
      /input channels 6 .* not divisible by featureGroupCount 4/,
    );
    // deno-lint-ignore no-explicit-any
    assert.throws(() => run({} as any), /kernelShape option is required/);
  });
});

describe("Flatten, Sequential, BatchApply", () => {
  test("Flatten keeps the leading preserveDims axes and the row-major order", () => {
    const flat = (p?: number) =>
      nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.Flatten({ preserveDims: p }).call(x)));
    const x = np.arange(120, { dtype: "float64" });
    const y = flat().apply({}, np.reshape(x, [2, 3, 4, 5]));
    assert.deepEqual(y.shape, [2, 60]);
    assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
    assert.deepEqual(flat(2).apply({}, np.reshape(x, [2, 3, 4, 5])).shape, [2, 3, 20]);
    assert.deepEqual(flat(2).apply({}, np.reshape(x, [8, 15])).shape, [8, 15]);
    assert.deepEqual(flat().apply({}, x).shape, [120]);
    assert.throws(() => flat(0).apply({}, x), /Flatten: preserveDims must be a positive integer, got 0/);
  });

  test("Sequential composes its layers; extra arguments go to the first one", () => {
    const net = nn.transform((x: Tensor, scale: number) =>
      new nn.Sequential([(v: Tensor, s: number) => np.mul(v, s), new nn.Linear(3), np.tanh, new nn.Linear(2)]).call(
        x,
        scale,
      )
    );
    const x = f64([2, 4], 9);
    const params = net.init(random.key(0), x, 2);
    assert.deepEqual(Object.keys(params).sort(), ["linear", "linear_1"]);
    const lin = (m: string, v: Tensor) => np.add(np.matmul(v, params[m].w), params[m].b);
    const want = lin("linear_1", np.tanh(lin("linear", np.mul(x, 2))));
    assertAllClose(net.apply(params, null, x, 2).dataSync(), want.dataSync(), { rtol: 1e-12, atol: 1e-14 });
    const bad = nn.transform(() => new nn.Sequential([42 as unknown as nn.SequentialLayer]));
    assert.throws(() => bad.init(random.key(0)), /Sequential: layer 0 is 42, neither a module nor a function/);
  });

  test("BatchApply equals merging the leading axes by hand", () => {
    const net = nn.transform((x: Tensor) => new nn.BatchApply(new nn.Linear(3)).call(x));
    const x = f64([4, 2, 5], 11);
    const params = net.init(random.key(0), x);
    assert.deepEqual(Object.keys(params), ["linear"]);
    const y = net.apply(params, null, x);
    const manual = np.reshape(np.add(np.matmul(np.reshape(x, [8, 5]), params.linear.w), params.linear.b), [4, 2, 3]);
    assert.deepEqual(y.shape, [4, 2, 3]);
    assertAllClose(y.dataSync(), manual.dataSync(), { rtol: 0, atol: 0 });
  });

  test("BatchApply with several arguments, a pytree result and numDims 3; mismatched axes are rejected", () => {
    const net = nn.withoutApplyRng(nn.transform((a: Tensor, b: Tensor) =>
      new nn.BatchApply((u: Tensor, v: Tensor) => {
        assert.equal(u.ndim, 2); // the function sees one batch axis
        return { sum: np.add(u, v), first: np.sum(u, -1) };
      }, { numDims: 3 }).call(a, b)
    ));
    const a = f64([2, 3, 2, 4], 1), b = f64([2, 3, 2, 4], 2);
    const out = net.apply({}, a, b) as unknown as { sum: Tensor; first: Tensor };
    assert.deepEqual(out.sum.shape, [2, 3, 2, 4]);
    assert.deepEqual(out.first.shape, [2, 3, 2]);
    assertAllClose(out.sum.dataSync(), np.add(a, b).dataSync(), { rtol: 0, atol: 0 });
    assert.throws(
      () => net.apply({}, a, f64([2, 3, 3, 4], 3)),
      /every tensor argument needs the leading axes \[2,3,2\]/,
    );
  });
});

describe("dropout", () => {
  test("rate 0 is the identity and needs no key", () => {
    const x = f64([3, 4], 1);
    assert.equal(nn.dropout(null, 0, x), x);
  });

  test("drops a fraction rate and scales the rest by 1/(1-rate)", () => {
    const n = 20000, rate = 0.3;
    const y = nn.dropout(random.key(4), rate, np.ones([n])).dataSync();
    let zeros = 0;
    for (const v of y) {
      if (v === 0) zeros++;
      else assert.ok(Math.abs(v - 1 / (1 - rate)) < 1e-6, `kept value ${v}`);
    }
    const sigma = Math.sqrt((rate * (1 - rate)) / n);
    assert.ok(Math.abs(zeros / n - rate) < 5 * sigma, `dropped fraction ${zeros / n}`);
    // Same key, same mask; another key, another mask.
    const again = nn.dropout(random.key(4), rate, np.ones([n])).dataSync();
    assert.deepEqual(Array.from(again), Array.from(y));
    assert.notDeepEqual(Array.from(nn.dropout(random.key(5), rate, np.ones([n])).dataSync()), Array.from(y));
  });

  test("the gradient is the mask scaled by 1/(1-rate)", () => {
    const x = f64([50], 2);
    const key = random.key(1);
    const y = nn.dropout(key, 0.5, x).dataSync(), xd = x.dataSync();
    const g = grad((v: Tensor) => np.sum(nn.dropout(key, 0.5, v)))(x).dataSync();
    for (let i = 0; i < 50; i++) assert.equal(g[i], y[i] === 0 ? 0 : 2, `element ${i}: y ${y[i]}, x ${xd[i]}`);
  });

  test("inside dynamicUnroll, the backward pass sees the forward pass's masks", () => {
    const net = nn.transform((x: Tensor) => {
      const core = new nn.DeepRNN([new nn.Linear(3), (h: Tensor) => nn.dropout(nn.nextRngKey(), 0.5, h)]);
      return nn.dynamicUnroll(core, x, core.initialState(x.shape[1]))[0];
    });
    const x = f64([5, 2, 3], 3);
    const params = net.init(random.key(0), x);
    const y = net.apply(params, random.key(9), x);
    const g = grad((p: nn.Params) => np.sum(net.apply(p, random.key(9), x)))(params);
    // d sum(y) / d b_j = (number of kept entries of unit j) / (1 - rate).
    const kept = [0, 0, 0];
    y.dataSync().forEach((v, i) => (kept[i % 3] += v === 0 ? 0 : 2));
    assert.deepEqual(Array.from(g.linear.b.dataSync()), kept);
  });

  test("broadcastDims shares the mask along the given axes", () => {
    const y = nn.dropout(random.key(2), 0.5, np.ones([4, 64]), { broadcastDims: [0] }).toArray() as number[][];
    for (const row of y) assert.deepEqual(row, y[0]);
  });

  test("rates outside [0, 1) and missing keys are rejected", () => {
    const x = np.ones([2]);
    assert.throws(() => nn.dropout(random.key(0), 1, x), /dropout: rate must be in \[0, 1\), got 1/);
    assert.throws(() => nn.dropout(random.key(0), -0.1, x), /got -0.1/);
    assert.throws(() => nn.dropout(random.key(0), NaN, x), /got NaN/);
    assert.throws(() => nn.dropout(null, 0.5, x), /dropout: a random key is required for rate 0.5/);
  });
});

describe("ActivityRegularization", () => {
  test("counts the spikes it sees across applies and returns them unchanged", () => {
    const net = nn.transformWithState((s: Tensor) => new nn.ActivityRegularization().call(s));
    const s1 = np.array([[1, 0, 1], [0, 0, 1]]), s2 = np.array([[1, 1, 0], [0, 0, 1]]);
    const { params, state } = net.init(random.key(0), s1);
    assert.deepEqual(params, {});
    assert.deepEqual(state.ActReg.spike_count.toArray(), [[0, 0, 0], [0, 0, 0]]);
    const [y, st1] = net.apply(params, state, null, s1);
    assert.deepEqual(y.toArray(), s1.toArray());
    const [, st2] = net.apply(params, st1, null, s2);
    assert.deepEqual(st1.ActReg.spike_count.toArray(), [[1, 0, 1], [0, 0, 1]]);
    assert.deepEqual(st2.ActReg.spike_count.toArray(), [[2, 1, 1], [0, 0, 2]]);
  });

  // Inside an unrolled DeepRNN the count is the sum over time of the layer's
  // input, and stays differentiable (state threads through the scan carry).
  const unrolled = nn.transformWithState((xs: Tensor) => {
    const core = new nn.DeepRNN([new nn.Linear(3), np.tanh, new nn.ActivityRegularization(), new nn.Linear(2)]);
    return nn.dynamicUnroll(core, xs, core.initialState(xs.shape[1]))[0];
  });
  const xs = f64([4, 2, 3], 5); // [T, B, in]
  const init = unrolled.init(random.key(1), xs);

  test("counts over every step of a dynamicUnroll", () => {
    assert.deepEqual(Object.keys(init.state), ["ActReg"]);
    const [, state] = unrolled.apply(init.params, init.state, null, xs);
    const { w, b } = init.params.linear;
    const hidden = np.tanh(np.add(np.matmul(xs, w), b)); // [T, B, 3]
    assertAllClose(state.ActReg.spike_count.dataSync(), np.sum(hidden, 0).dataSync(), { rtol: 1e-12, atol: 1e-14 });
    const [, twice] = unrolled.apply(init.params, state, null, xs);
    assertAllClose(twice.ActReg.spike_count.dataSync(), np.mul(np.sum(hidden, 0), 2).dataSync(), { rtol: 1e-12 });
  });

  test("gradients through the counts match finite differences", () => {
    const countOf = (w: Tensor, b: Tensor, x: Tensor) =>
      unrolled.apply({ ...init.params, linear: { w, b } }, init.state, null, x)[1].ActReg.spike_count;
    checkGradients(countOf, [init.params.linear.w, init.params.linear.b, xs]);
  });
});
