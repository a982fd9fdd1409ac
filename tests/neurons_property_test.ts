import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { axn, nn, np, random, type Tensor, valueAndGrad } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import { numel, randomValues, seedArb } from "./support/arbitraries.ts";

// The models and what each has, from the registry: a new model needs no edit here.
const CTORS = nn.NEURON_MODELS;
type Model = keyof typeof CTORS;
const ALL = Object.keys(CTORS) as Model[];
const SPIKING: Model[] = ALL.filter((m) => CTORS[m].cell.spiking);
const TWO_PART = new Set<Model>(ALL.filter((m) => CTORS[m].cell.spec.state.length === 2));
/** The parameters each model reads: its decays, and recurrent weights `w`. */
const PARAMS = Object.fromEntries(
  ALL.map((m) => [m, [...CTORS[m].cell.spec.params, ...(CTORS[m].cell.spec.recurrent ? ["w"] : [])]]),
) as Record<Model, string[]>;

type Options = Record<string, unknown>;
type Ctor = new (hidden: readonly number[], options?: Options) => nn.Neuron;

function make(model: Model, hidden: readonly number[], options: Options = {}): nn.Neuron {
  return new (CTORS[model] as unknown as Ctor)(hidden, options);
}

function stateShape(model: Model, batch: number, hidden: readonly number[]): number[] {
  const s = [batch, ...hidden];
  if (TWO_PART.has(model)) s[s.length - 1] *= 2;
  return s;
}

const f64 = (shape: readonly number[], seed: number, lo = -1, hi = 1) =>
  np.array(randomValues(numel(shape), seed, lo, hi), { shape: shape.slice(), dtype: "float64" });

const unrolled = (model: Model, hidden: readonly number[], options: Options = {}) =>
  nn.transform((x: Tensor, s0: Tensor) => nn.dynamicUnroll(make(model, hidden, options), x, s0) as [Tensor, Tensor]);

/** Explicit parameters: decays inside (0.2, 0.9) (so the clip is the identity), weights in (-0.6, 0.6). */
function randomParams(model: Model, hidden: readonly number[], seed: number): nn.Params {
  const names = PARAMS[model];
  if (names.length === 0) return {};
  const inner: Record<string, Tensor> = {};
  names.forEach((name, i) => {
    inner[name] = name === "w" ? f64([...hidden, ...hidden], seed + i, -0.6, 0.6) : f64(hidden, seed + i, 0.2, 0.9);
  });
  return { [model]: inner };
}

/** Time steps of a time-major sequence. */
const stepsOf = (x: Tensor) => np.split(x, x.shape[0], 0).map((s) => np.squeeze(s, 0));

describe("neurons: properties", () => {
  test("zero input and zero state give no spikes and keep the state at zero (every spiking model)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SPIKING),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        seedArb,
        (model, threshold, T, B, n, seed) => {
          const net = unrolled(model, [n], { threshold });
          const x = np.zeros([T, B, n], { dtype: "float64" });
          const s0 = np.zeros(stateShape(model, B, [n]), { dtype: "float64" });
          const params = net.init(random.key(seed), x, s0);
          const [out, final] = net.apply(params, null, x, s0);
          assert.deepEqual(out.shape, [T, B, n]);
          assert.ok(out.dataSync().every((v) => v === 0), `${model}: spikes ${out.dataSync()}`);
          assert.ok(final.dataSync().every((v) => v === 0), `${model}: state ${final.dataSync()}`);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("LIF with scalar beta = 1 is IF (forward and gradients); beta above 1 is clipped to 1", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 2, noNaN: true }), seedArb, (threshold, seed) => {
        const x = f64([6, 2, 4], seed, -0.3, 1), s0 = f64([2, 4], seed + 1, -1, 1);
        const cot = f64([6, 2, 4], seed + 2);
        const lossOf = (net: ReturnType<typeof unrolled>) => (params: nn.Params, xv: Tensor, sv: Tensor) => {
          const [out, final] = net.apply(params, null, xv, sv);
          return np.add(np.sum(np.mul(out, cot)), np.sum(final));
        };
        const ifNet = unrolled("IF", [4], { threshold });
        const [ifOut, ifFinal] = ifNet.apply({}, null, x, s0);
        const [, [, ifGx, ifGs]] = valueAndGrad(lossOf(ifNet), { argnums: [0, 1, 2] })({}, x, s0);
        for (const beta of [1, 1.7]) {
          const lifNet = unrolled("LIF", [4], { threshold, beta });
          const params = { LIF: { beta: np.array(beta, { dtype: "float64" }) } };
          const [out, final] = lifNet.apply(params, null, x, s0);
          assert.deepEqual(Array.from(out.dataSync()), Array.from(ifOut.dataSync()));
          assert.deepEqual(Array.from(final.dataSync()), Array.from(ifFinal.dataSync()));
          const [, [gp, gx, gs]] = valueAndGrad(lossOf(lifNet), { argnums: [0, 1, 2] })(params, x, s0);
          assertAllClose(gx.dataSync(), ifGx.dataSync(), { rtol: 1e-14, atol: 0 });
          assertAllClose(gs.dataSync(), ifGs.dataSync(), { rtol: 1e-14, atol: 0 });
          // Above 1 the clip takes the bound: no gradient reaches the raw beta.
          if (beta > 1) assert.equal(gp.LIF.beta.item(), 0);
        }
      }),
      { numRuns: 12 },
    );
  });

  test("a negative beta is clipped to 0 (the membrane forgets)", () => {
    const x = f64([5, 2, 3], 7, -0.3, 1.5), s0 = f64([2, 3], 8);
    const run = (beta: number) =>
      unrolled("LIF", [3], { beta }).apply({ LIF: { beta: np.array(beta, { dtype: "float64" }) } }, null, x, s0);
    const [a, sa] = run(-0.4), [b, sb] = run(0);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.deepEqual(Array.from(sa.dataSync()), Array.from(sb.dataSync()));
  });

  test("batch elements are independent: permuting the batch permutes outputs and states (every model)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
        seedArb,
        (model, perm, seed) => {
          const net = unrolled(model, [3]);
          const x = f64([5, 4, 3], seed, -0.2, 1.2), s0 = f64(stateShape(model, 4, [3]), seed + 1);
          const params = net.init(random.key(seed), x, s0);
          const idx = np.array(perm, { dtype: "int32" });
          const [out, final] = net.apply(params, null, x, s0);
          const [pOut, pFinal] = net.apply(params, null, np.take(x, idx, 1), np.take(s0, idx, 0));
          assertAllClose(pOut.dataSync(), np.take(out, idx, 1).dataSync(), { rtol: 1e-13, atol: 1e-13 });
          assertAllClose(pFinal.dataSync(), np.take(final, idx, 0).dataSync(), { rtol: 1e-13, atol: 1e-13 });
        },
      ),
      { numRuns: 20 },
    );
  });

  test("dynamicUnroll equals a hand-written loop over call (outputs, state, gradients; both layouts)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), seedArb, (model, seed) => {
        const T = 4, B = 2, n = 3;
        const x = f64([T, B, n], seed, -0.2, 1.2), s0 = f64(stateShape(model, B, [n]), seed + 1);
        const cot = f64([T, B, n], seed + 2), cotS = f64(s0.shape, seed + 3);
        const loop = nn.transform((xs: Tensor, s: Tensor) => {
          const core = make(model, [n]);
          const outs: Tensor[] = [];
          let state = s;
          for (const xt of stepsOf(xs)) {
            const [y, next] = core.call(xt, state);
            outs.push(y);
            state = next;
          }
          return [np.stack(outs, 0), state] as [Tensor, Tensor];
        });
        const batchMajor = nn.transform((xs: Tensor, s: Tensor) =>
          nn.dynamicUnroll(make(model, [n]), xs, s, { timeMajor: false }) as [Tensor, Tensor]
        );
        const net = unrolled(model, [n]);
        const params = net.init(random.key(seed), x, s0);
        const lossOf = (f: (p: nn.Params, xs: Tensor, s: Tensor) => [Tensor, Tensor]) =>
        (
          p: nn.Params,
          xs: Tensor,
          s: Tensor,
        ) => {
          const [out, final] = f(p, xs, s);
          return np.add(np.sum(np.mul(out, cot)), np.sum(np.mul(final, cotS)));
        };
        const viaScan = (p: nn.Params, xs: Tensor, s: Tensor) => net.apply(p, null, xs, s);
        const viaLoop = (p: nn.Params, xs: Tensor, s: Tensor) => loop.apply(p, null, xs, s);
        const viaBatchMajor = (p: nn.Params, xs: Tensor, s: Tensor): [Tensor, Tensor] => {
          const [out, final] = batchMajor.apply(p, null, np.swapaxes(xs, 0, 1), s);
          return [np.swapaxes(out, 0, 1), final];
        };
        const want = valueAndGrad(lossOf(viaLoop), { argnums: [0, 1, 2] })(params, x, s0);
        for (const f of [viaScan, viaBatchMajor]) {
          const [outW, finalW] = viaLoop(params, x, s0), [out, final] = f(params, x, s0);
          assertAllClose(out.dataSync(), outW.dataSync(), { rtol: 1e-13, atol: 1e-13 });
          assertAllClose(final.dataSync(), finalW.dataSync(), { rtol: 1e-13, atol: 1e-13 });
          const got = valueAndGrad(lossOf(f), { argnums: [0, 1, 2] })(params, x, s0);
          assertAllClose([got[0].item()], [want[0].item()], { rtol: 1e-13 });
          for (const name of PARAMS[model]) {
            assertAllClose(got[1][0][model][name].dataSync(), want[1][0][model][name].dataSync(), { rtol: 1e-12 });
          }
          assertAllClose(got[1][1].dataSync(), want[1][1].dataSync(), { rtol: 1e-12, atol: 1e-14 });
          assertAllClose(got[1][2].dataSync(), want[1][2].dataSync(), { rtol: 1e-12, atol: 1e-14 });
        }
      }),
      { numRuns: 16 },
    );
  });
});

describe("neurons: gradients against finite differences", () => {
  // With heaviside spikes the surrogate gradient is not a derivative, so
  // finite differences say nothing about it. A smooth "spike" whose custom
  // backward is its exact derivative makes every model differentiable; the
  // gradient of the unrolled model (reset, adaptation, feedback, decays)
  // must then match central differences. The golden files check the true
  // spike function against an independent implementation.
  const K = 3;
  const smoothSpike = axn.custom(
    (u: Tensor) => {
      const s = np.sigmoid(np.mul(K, u));
      return np.mul(K, np.mul(s, np.sub(1, s)));
    },
    (u: Tensor) => np.sigmoid(np.mul(K, u)),
  );

  for (const model of ALL) {
    test(`${model}: d(outputs, final state) / d(x, state0, params)`, () => {
      const T = 3, B = 2, hidden = [3];
      const options = SPIKING.includes(model) ? { activation: smoothSpike, threshold: 0.8 } : {};
      const net = unrolled(model, hidden, options);
      const names = PARAMS[model];
      const params = randomParams(model, hidden, 40);
      const f = (x: Tensor, s0: Tensor, ...values: Tensor[]) => {
        const p = names.length > 0 ? { [model]: Object.fromEntries(names.map((k, i) => [k, values[i]])) } : {};
        const [out, final] = net.apply(p, null, x, s0);
        return np.concatenate([np.reshape(out, [-1]), np.reshape(final, [-1])]);
      };
      const x = f64([T, B, ...hidden], 11, -0.5, 1.5), s0 = f64(stateShape(model, B, hidden), 12, -0.5, 1);
      checkGradients(f, [x, s0, ...names.map((k) => params[model][k])]);
    });
  }

  test("scalar decays get the summed gradient of the per-neuron ones", () => {
    const x = f64([4, 2, 3], 21, -0.5, 1.5), s0 = f64([2, 6], 22);
    const options = { activation: smoothSpike, alpha: 0.6, beta: 0.7 };
    const scalarNet = unrolled("CuBaLIF", [3], options);
    const f = (a: Tensor, b: Tensor) => {
      const [out, final] = scalarNet.apply({ CuBaLIF: { alpha: a, beta: b } }, null, x, s0);
      return np.concatenate([np.reshape(out, [-1]), np.reshape(final, [-1])]);
    };
    checkGradients(f, [np.array(0.6, { dtype: "float64" }), np.array(0.7, { dtype: "float64" })]);
  });
});

describe("neurons: multi-dimensional hiddenShape", () => {
  /** A flat two-part state [B, 2N] ([V, A]) in the layout of hiddenShape h: [B, ...h] with the last axis doubled. */
  function stateToShape(model: Model, s: Tensor, h: number[]): Tensor {
    const B = s.shape[0];
    if (!TWO_PART.has(model)) return np.reshape(s, [B, ...h]);
    const [v, a] = np.split(s, 2, -1);
    return np.concatenate([np.reshape(v, [B, ...h]), np.reshape(a, [B, ...h])], -1);
  }
  function stateToFlat(model: Model, s: Tensor): Tensor {
    const B = s.shape[0];
    if (!TWO_PART.has(model)) return np.reshape(s, [B, -1]);
    const [v, a] = np.split(s, 2, -1);
    return np.concatenate([np.reshape(v, [B, -1]), np.reshape(a, [B, -1])], -1);
  }

  for (const model of SPIKING) {
    for (const h of [[2, 3], [2, 1, 3]]) {
      test(`${model} over [${h}] equals ${model} over [6] (outputs, state, gradients)`, () => {
        const T = 5, B = 2;
        const flatParams = randomParams(model, [6], 30);
        const shapedParams: nn.Params = PARAMS[model].length === 0 ? {} : {
          [model]: Object.fromEntries(
            Object.entries(flatParams[model]).map(([k, v]) => [k, np.reshape(v, k === "w" ? [...h, ...h] : h)]),
          ),
        };
        const x = f64([T, B, 6], 31, -0.2, 1.4), s0 = f64(stateShape(model, B, [6]), 32, -0.5, 1);
        const cot = f64([T, B, 6], 33);
        const flatNet = unrolled(model, [6]), shapedNet = unrolled(model, h);
        const flat = (p: nn.Params, xv: Tensor, sv: Tensor) => flatNet.apply(p, null, xv, sv);
        const shaped = (p: nn.Params, xv: Tensor, sv: Tensor): [Tensor, Tensor] => {
          const [out, final] = shapedNet.apply(p, null, np.reshape(xv, [T, B, ...h]), stateToShape(model, sv, h));
          assert.deepEqual(out.shape, [T, B, ...h]);
          return [np.reshape(out, [T, B, 6]), stateToFlat(model, final)];
        };
        const lossOf = (f: typeof flat) => (p: nn.Params, xv: Tensor, sv: Tensor) => {
          const [out, final] = f(p, xv, sv);
          return np.add(np.sum(np.mul(out, cot)), np.sum(np.square(final)));
        };
        const [outF, finalF] = flat(flatParams, x, s0), [outS, finalS] = shaped(shapedParams, x, s0);
        assert.ok(outF.dataSync().some((v) => v === 1), "some neurons spike");
        assertAllClose(outS.dataSync(), outF.dataSync(), { rtol: 1e-13, atol: 1e-13 });
        assertAllClose(finalS.dataSync(), finalF.dataSync(), { rtol: 1e-13, atol: 1e-13 });
        const [, [gpF, gxF, gsF]] = valueAndGrad(lossOf(flat), { argnums: [0, 1, 2] })(flatParams, x, s0);
        const [, [gpS, gxS, gsS]] = valueAndGrad(lossOf(shaped), { argnums: [0, 1, 2] })(shapedParams, x, s0);
        assertAllClose(gxS.dataSync(), gxF.dataSync(), { rtol: 1e-12, atol: 1e-13 });
        assertAllClose(gsS.dataSync(), gsF.dataSync(), { rtol: 1e-12, atol: 1e-13 });
        for (const k of PARAMS[model]) {
          assert.deepEqual(gpS[model][k].shape, shapedParams[model][k].shape);
          assertAllClose(gpS[model][k].dataSync(), gpF[model][k].dataSync(), { rtol: 1e-12, atol: 1e-13 });
        }
      });
    }
  }

  test("initialState doubles the last axis of a multi-dimensional state", () => {
    const shapes = nn.transform(
      () => [new nn.LIF([2, 3, 4]).initialState(5), new nn.ALIF([2, 3, 4]).initialState(1, "float64")],
    ).apply({}, null);
    assert.deepEqual(shapes[0].shape, [5, 2, 3, 4]);
    assert.deepEqual(shapes[1].shape, [1, 2, 3, 8]);
    assert.equal(shapes[0].dtype, "float32");
    assert.equal(shapes[1].dtype, "float64");
    assert.ok(shapes[0].dataSync().every((v) => v === 0) && shapes[1].dataSync().every((v) => v === 0));
  });
});

describe("neurons: parameters and names", () => {
  /** Standard deviation of a unit normal truncated to [-2, 2]. */
  const TRUNCATED_STD = Math.sqrt(1 - (4 * Math.exp(-2)) / Math.sqrt(2 * Math.PI) / 0.9544997361036416);

  function moments(t: Tensor): [number, number, number, number] {
    const d = Array.from(t.dataSync());
    const m = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
    return [m, sd, d.reduce((a, b) => Math.min(a, b)), d.reduce((a, b) => Math.max(a, b))];
  }

  test("per-neuron decays: truncated normal (mean 0.5, stddev 0.25) of shape hiddenShape; LI: 0.8", () => {
    const x = np.zeros([1, 30, 30]);
    const params = nn.transform((xv: Tensor) => {
      const c = make("CuBaLIF", [30, 30]), li = make("LI", [30, 30]), r = make("RIF", [10, 10]);
      r.call(np.zeros([1, 10, 10]), r.initialState(1));
      return [c.call(xv, c.initialState(1)), li.call(xv, li.initialState(1))];
    }).init(random.key(3), x);
    for (const name of ["alpha", "beta"]) {
      const p = params.CuBaLIF[name];
      assert.deepEqual(p.shape, [30, 30]);
      assert.equal(p.dtype, "float32");
      const [m, sd, lo, hi] = moments(p);
      assert.ok(Math.abs(m - 0.5) < 0.03, `${name} mean ${m}`);
      assert.ok(Math.abs(sd / (0.25 * TRUNCATED_STD) - 1) < 0.1, `${name} stddev ${sd}`);
      assert.ok(lo >= 0 && hi <= 1, `${name} range [${lo}, ${hi}]`);
    }
    assert.notDeepEqual(Array.from(params.CuBaLIF.alpha.dataSync()), Array.from(params.CuBaLIF.beta.dataSync()));
    const w = params.RIF.w;
    assert.deepEqual(w.shape, [10, 10, 10, 10]);
    const [wm, wsd, wlo, whi] = moments(w);
    assert.ok(Math.abs(wm) < 0.04, `w mean ${wm}`);
    assert.ok(Math.abs(wsd / TRUNCATED_STD - 1) < 0.04, `w stddev ${wsd}`);
    assert.ok(wlo >= -2 && whi <= 2, `w range [${wlo}, ${whi}]`);
    assert.deepEqual(params.LI.beta.shape, [30, 30]);
    assert.ok(params.LI.beta.dataSync().every((v) => Math.abs(v - 0.8) < 1e-7));
  });

  test("a number makes a scalar parameter initialised to it; parameters take the input's float dtype", () => {
    const x = np.zeros([1, 3], { dtype: "float64" });
    const params = nn.transform((xv: Tensor) => {
      const a = new nn.ALIF([3], { beta: 0.25, gamma: 0.125 });
      const c = new nn.RCuBaLIF([3], { alpha: 0.5 });
      return [a.call(xv, a.initialState(1, "float64")), c.call(xv, c.initialState(1, "float64"))];
    }).init(random.key(0), x);
    assert.deepEqual(params.ALIF.beta.shape, []);
    assert.equal(params.ALIF.beta.item(), 0.25);
    assert.equal(params.ALIF.gamma.item(), 0.125);
    assert.equal(params.ALIF.beta.dtype, "float64");
    assert.equal(params.RCuBaLIF.alpha.item(), 0.5);
    assert.deepEqual(params.RCuBaLIF.beta.shape, [3]);
    assert.equal(params.RCuBaLIF.w.dtype, "float64");
  });

  test("module names default to the class names, numbered within a scope", () => {
    const x = np.zeros([2, 1, 5]);
    const net = nn.transform((xv: Tensor) => {
      const core = new nn.DeepRNN([new nn.Linear(4), new nn.LIF([4]), new nn.Linear(3), new nn.LI([3])]);
      const [out] = nn.dynamicUnroll(core, xv, core.initialState(1));
      const extra = [new nn.LIF([3]), new nn.RLIF([3], { name: "readout" })];
      for (const c of extra) c.call(np.zeros([1, 3]), c.initialState(1));
      assert.deepEqual(out.shape, [2, 1, 3]);
      return extra.map((c) => c.name);
    });
    const params = net.init(random.key(0), x);
    assert.deepEqual(Object.keys(params), ["linear", "LIF", "linear_1", "LI", "LIF_1", "readout"]);
    assert.deepEqual(net.apply(params, null, x), ["LIF_1", "readout"]);
    const names = nn.transform(() => ALL.map((m) => make(m, [2]).name)).apply({}, null);
    assert.deepEqual(names, ALL);
  });
});

describe("neurons: errors", () => {
  const inFrame = <R>(f: () => R): R => nn.transform(f).apply({}, null);

  test("state of the wrong shape names the class and the shapes", () => {
    const x = np.zeros([2, 4]);
    assert.throws(
      () => unrolled("LIF", [4]).init(random.key(0), np.zeros([3, 2, 4]), np.zeros([2, 5])),
      /LIF: state of shape \[2, 5\] does not match input of shape \[2, 4\]: expected \[2, 4\]/,
    );
    assert.throws(
      () => inFrame(() => new nn.ALIF([4], { beta: 0.5, gamma: 0.5 }).call(x, np.zeros([2, 4]))),
      /ALIF: state of shape \[2, 4\] does not match input of shape \[2, 4\]: expected \[2, 8\] \(two parts/,
    );
    assert.throws(
      () => inFrame(() => new nn.RLIF([2, 2], { beta: 0.5 }).call(np.zeros([3, 2, 2]), np.zeros([2, 2, 2]))),
      /RLIF: state of shape \[2, 2, 2\] does not match input of shape \[3, 2, 2\]: expected \[3, 2, 2\]/,
    );
    assert.throws(
      () => inFrame(() => new nn.IF([4]).call(x, [np.zeros([2, 4])] as unknown as Tensor)),
      /IF: the state must be a Tensor, got an array/,
    );
  });

  test("input whose trailing shape does not match hiddenShape", () => {
    assert.throws(
      () => inFrame(() => new nn.LIF([4], { beta: 0.5 }).call(np.zeros([2, 5]), np.zeros([2, 4]))),
      /LIF: input of shape \[2, 5\] does not end with hiddenShape \[4\]/,
    );
    assert.throws(
      () => inFrame(() => new nn.CuBaLIF([2, 3]).call(np.zeros([3]), np.zeros([6]))),
      /CuBaLIF: input of shape \[3\] does not end with hiddenShape \[2, 3\]/,
    );
    assert.throws(
      () => inFrame(() => new nn.LI([4]).call(2 as unknown as Tensor, np.zeros([4]))),
      /LI: the input must be a Tensor, got number/,
    );
  });

  test("invalid hiddenShape, threshold, activation, decays and batch size", () => {
    const bad = (f: () => unknown) => () => inFrame(f);
    for (const h of [[], [0], [2.5], [-1]]) {
      assert.throws(
        bad(() => new nn.LIF(h)),
        new RegExp(`LIF: hiddenShape must be a non-empty array of positive integers, got \\[${h.join(", ")}\\]`),
      );
    }
    assert.throws(bad(() => new nn.RIF(8 as unknown as number[])), /RIF: hiddenShape must be .*, got 8/);
    assert.throws(
      bad(() => new nn.IF([3], { threshold: "1" as unknown as number })),
      /IF: threshold must be a finite number, got "1"/,
    );
    assert.throws(bad(() => new nn.ALIF([3], { threshold: NaN })), /ALIF: threshold must be a finite number, got NaN/);
    assert.throws(
      bad(() => new nn.LIF([3], { activation: "superspike" as unknown as axn.SpikeActivation })),
      /LIF: activation must be a function \(u: Tensor\) => Tensor, such as axn\.superspike\(\), got "superspike"/,
    );
    assert.throws(
      bad(() => new nn.CuBaLIF([3], { alpha: "0.9" as unknown as number })),
      /CuBaLIF: alpha must be a finite number \(a learnable scalar\) or omitted \(per-neuron\), got "0.9"/,
    );
    assert.throws(bad(() => new nn.ALIF([3], { gamma: Infinity })), /ALIF: gamma must be a finite number/);
    assert.throws(
      bad(() => new nn.LIF([3]).initialState(0)),
      /LIF.initialState: batchSize must be a positive integer, got 0/,
    );
    assert.throws(
      bad(() => new nn.LI([3]).initialState(2, "int32")),
      /LI.initialState: dtype must be a float dtype, got int32/,
    );
    assert.throws(() => new nn.LIF([3]), /inside a function transformed with nn.transform/);
  });
});
