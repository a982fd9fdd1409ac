/**
 * Whole-sequence neuron kernels and layer-by-layer unrolling against the
 * per-step path: for every model, every built-in surrogate, scalar and
 * per-neuron decays, the fused op's outputs, final state and every gradient
 * (inputs, initial state, each parameter) equal those of `staticUnroll`, a
 * plain loop of single steps on the tape. Also: DeepRNN layer by layer,
 * reverse and batch-major unrolls, multi-dimensional hidden shapes, and the
 * cores, activations and layers that must keep taking the per-step path.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, grad, nn, np, random, type Tensor, valueAndGrad, vjp } from "../mod.ts";
import { relError } from "./support/numeric.ts";

// The models and what each has, from the registry: a new model needs no edit here.
const CLASSES = nn.NEURON_MODELS;
type Model = keyof typeof CLASSES;
const MODELS = Object.keys(CLASSES) as Model[];
const DECAYS = Object.fromEntries(MODELS.map((m) => [m, CLASSES[m].cell.spec.params.slice()])) as Record<
  Model,
  string[]
>;
const RECURRENT = new Set<Model>(MODELS.filter((m) => !!CLASSES[m].cell.spec.recurrent));
const TWO_PART = new Set<Model>(MODELS.filter((m) => CLASSES[m].cell.spec.state.length === 2));
const SPIKING = new Set<Model>(MODELS.filter((m) => CLASSES[m].cell.spiking));
type Ctor = new (hidden: readonly number[], options?: Record<string, unknown>) => nn.Neuron;
const SURROGATES: Record<string, () => axn.SpikeActivation> = {
  superspike: () => axn.superspike(),
  arctan: () => axn.arctan(),
  tanh: () => axn.tanh(2),
  boxcar: () => axn.boxcar(),
  triangular: () => axn.triangular(),
  sigmoid: () => axn.sigmoid(4),
  fastSigmoid: () => axn.fastSigmoid(),
  straightThrough: () => axn.straightThrough(),
};

/** Deterministic values in [lo, hi) (mulberry32), independent of the library's random module. */
function uniform(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return (shape: number[], lo: number, hi: number, dtype: "float32" | "float64" = "float64") =>
    np.array(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * next()), {
      shape,
      dtype,
    });
}

interface Case {
  model: Model;
  surrogate: string | null;
  perNeuron: boolean;
  hidden: number[];
  batch: number[];
  dtype: "float32" | "float64";
  reverse: boolean;
  timeMajor: boolean;
}

function options(c: Case, scalars: Record<string, number>): Record<string, unknown> {
  const o: Record<string, unknown> = c.perNeuron ? {} : { ...scalars };
  if (c.surrogate !== null) o.activation = SURROGATES[c.surrogate]();
  if (SPIKING.has(c.model)) o.threshold = 0.75;
  return o;
}

/** Inputs, initial state, parameters and output cotangents for one case. */
function data(c: Case, seed: number) {
  const u = uniform(seed);
  const T = 6;
  const stateShape = [...c.hidden.slice(0, -1), c.hidden[c.hidden.length - 1] * (TWO_PART.has(c.model) ? 2 : 1)];
  const timeMajorShape = [T, ...c.batch, ...c.hidden];
  const xShape = c.timeMajor ? timeMajorShape : [c.batch[0], T, ...c.batch.slice(1), ...c.hidden];
  const scalars: Record<string, number> = {};
  const inner: Record<string, Tensor> = {};
  for (const name of DECAYS[c.model]) {
    // Some per-neuron decays above 1 exercise the clip (zero gradient there).
    inner[name] = c.perNeuron ? u(c.hidden, 0.1, 1.15, c.dtype) : u([], 0.3, 0.95, c.dtype);
    if (!c.perNeuron) scalars[name] = inner[name].item();
  }
  if (RECURRENT.has(c.model)) inner.w = u([...c.hidden, ...c.hidden], -0.6, 0.6, c.dtype);
  return {
    x: u(xShape, -0.4, 1.3, c.dtype),
    s0: u([...c.batch, ...stateShape], -0.5, 1.4, c.dtype),
    params: Object.keys(inner).length > 0 ? { [c.model]: inner } : {},
    scalars,
    cotOut: u(xShape, -1, 1, c.dtype),
    cotState: u([...c.batch, ...stateShape], -1, 1, c.dtype),
  };
}

type Unroll = "fused" | "scan" | "static";

/** Loss value, outputs, final state and the gradients of params, inputs and initial state. */
function evaluate(c: Case, d: ReturnType<typeof data>, unroll: Unroll) {
  let fusedAvailable = false;
  const net = nn.transform((x: Tensor, s0: Tensor) => {
    const core = new (CLASSES[c.model] as unknown as Ctor)(c.hidden, options(c, d.scalars));
    const xsTimeMajor = c.timeMajor ? x : np.swapaxes(x, 0, 1);
    fusedAvailable = core.hasSequenceKernel(xsTimeMajor);
    const opts = { reverse: c.reverse, timeMajor: c.timeMajor };
    return unroll === "static"
      ? nn.staticUnroll(core, x, s0, opts)
      : nn.dynamicUnroll(core, x, s0, { ...opts, fused: unroll === "fused" });
  });
  let outputs: Tensor | undefined, final: Tensor | undefined;
  const [value, [gParams, gx, gs0]] = valueAndGrad((p: nn.Params, x: Tensor, s0: Tensor) => {
    [outputs, final] = net.apply(p, null, x, s0) as [Tensor, Tensor];
    return np.add(np.sum(np.mul(outputs, d.cotOut)), np.sum(np.mul(final, d.cotState)));
  }, { argnums: [0, 1, 2] })(d.params, d.x, d.s0);
  return { value, outputs: outputs!, final: final!, gParams, gx, gs0, fusedAvailable };
}

function assertClose(got: Tensor, want: Tensor, tol: number, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const e = relError(got.dataSync(), Array.from(want.dataSync()));
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(3)} exceeds ${tol}`);
}

/** The fused dynamicUnroll against an oracle path: forward, final state, every gradient. */
function compare(c: Case, oracle: Unroll = "static", tol = 1e-12, seed = 1): void {
  const d = data(c, seed);
  const fused = evaluate(c, d, "fused");
  const want = evaluate(c, d, oracle);
  assert.ok(fused.fusedAvailable, "the fused kernel must apply to this case");
  assertClose(fused.outputs, want.outputs, tol, "outputs");
  assertClose(fused.final, want.final, tol, "final state");
  assertClose(fused.gx, want.gx, tol, "gradient of the inputs");
  assertClose(fused.gs0, want.gs0, tol, "gradient of the initial state");
  const names = Object.keys(d.params[c.model] ?? {});
  assert.deepEqual(Object.keys(fused.gParams[c.model] ?? {}).sort(), names.sort(), "parameter gradients");
  for (const name of names) {
    assertClose(fused.gParams[c.model][name], want.gParams[c.model][name], tol, `gradient of ${name}`);
  }
  if (c.surrogate !== null && c.dtype === "float64") {
    // Not a vacuous comparison: some neurons fire and some do not.
    const spikes = Array.from(fused.outputs.dataSync()).reduce((a, b) => a + b, 0);
    assert.ok(spikes > 0 && spikes < fused.outputs.size, `spikes ${spikes} of ${fused.outputs.size}`);
  }
}

const base: Case = {
  model: "LIF",
  surrogate: "superspike",
  perNeuron: false,
  hidden: [3],
  batch: [2],
  dtype: "float64",
  reverse: false,
  timeMajor: true,
};

describe("fused kernels equal the per-step path (float64, every model, surrogate and decay kind)", () => {
  for (const model of MODELS) {
    const surrogates = SPIKING.has(model) ? Object.keys(SURROGATES) : [null];
    const kinds = DECAYS[model].length > 0 ? [false, true] : [false];
    for (const surrogate of surrogates) {
      for (const perNeuron of kinds) {
        const label = `${model}, ${surrogate ?? "no spikes"}, ${
          DECAYS[model].length === 0 ? "no decays" : perNeuron ? "per-neuron decays" : "scalar decays"
        }`;
        test(label, () => compare({ ...base, model, surrogate, perNeuron }));
      }
    }
  }
});

describe("fused kernels: layouts", () => {
  for (const model of MODELS) {
    const surrogate = SPIKING.has(model) ? "arctan" : null;
    test(`${model}: hiddenShape [2, 3], two batch axes, per-neuron decays`, () => {
      compare({ ...base, model, surrogate, perNeuron: true, hidden: [2, 3], batch: [2, 2] }, "static", 1e-12, 2);
    });
    test(`${model}: reverse, batch-major, against the scan path`, () => {
      compare({ ...base, model, surrogate, reverse: true, timeMajor: false }, "scan", 1e-12, 3);
      compare({ ...base, model, surrogate, reverse: true, timeMajor: false }, "static", 1e-12, 3);
    });
  }

  test("float32: every model within float32 rounding of the per-step path", () => {
    for (const model of MODELS) {
      compare({ ...base, model, surrogate: SPIKING.has(model) ? "tanh" : null, dtype: "float32" }, "static", 1e-5, 4);
    }
  });
});

describe("dynamicUnroll of a DeepRNN, layer by layer", () => {
  /** Counts the whole-sequence calls, to show which path ran. */
  class CountingLIF extends nn.LIF {
    static calls = 0;
    override callSequence(...args: Parameters<nn.LIF["callSequence"]>) {
      const out = super.callSequence(...args);
      if (out !== null) CountingLIF.calls++;
      return out;
    }
  }
  const layers = (withBias: boolean) => [
    new nn.Linear(5, { withBias }),
    new CountingLIF([5], { activation: axn.superspike() }),
    new nn.Linear(3, { withBias }),
    new nn.LI([3]),
  ];
  const u = uniform(11);
  const x = u([7, 4, 6], 0, 1.5);

  for (const timeMajor of [true, false]) {
    test(`[Linear, LIF, Linear, LI] (${timeMajor ? "time" : "batch"}-major): forward and every gradient`, () => {
      const net = (fused: boolean) =>
        nn.transform((x: Tensor) => {
          const core = new nn.DeepRNN(layers(true));
          const [ys, final] = nn.dynamicUnroll(core, x, core.initialState(4), { timeMajor, fused });
          return [ys, final] as [Tensor, Tensor[]];
        });
      const xs = timeMajor ? x : np.swapaxes(x, 0, 1);
      const params = nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN(layers(true));
        return nn.dynamicUnroll(core, x, core.initialState(4), { timeMajor })[0];
      }).init(random.key(3), xs);
      assert.deepEqual(Object.keys(params), ["linear", "LIF", "linear_1", "LI"]);
      const cot = u(timeMajor ? [7, 4, 3] : [4, 7, 3], -1, 1);
      const run = (fused: boolean) => {
        const before = CountingLIF.calls;
        let out: [Tensor, Tensor[]] | undefined;
        const [, [gp, gx]] = valueAndGrad((p: nn.Params, x: Tensor) => {
          out = net(fused).apply(p, null, x);
          return np.add(np.sum(np.mul(out[0], cot)), np.sum(out[1][0]));
        }, { argnums: [0, 1] })(params, xs);
        return { out: out!, gp, gx: gx as Tensor, fusedCalls: CountingLIF.calls - before };
      };
      const fused = run(true), generic = run(false);
      assert.equal(fused.fusedCalls, 1, "the fused run used the LIF kernel");
      assert.equal(generic.fusedCalls, 0, "fused: false scans step by step");
      assertClose(fused.out[0], generic.out[0], 1e-12, "traces");
      fused.out[1].forEach((s, i) => assertClose(s, generic.out[1][i], 1e-12, `final state ${i}`));
      assertClose(fused.gx, generic.gx, 1e-12, "gradient of the inputs");
      for (const [m, ps] of Object.entries(params)) {
        for (const k of Object.keys(ps)) assertClose(fused.gp[m][k], generic.gp[m][k], 1e-12, `gradient ${m}/${k}`);
      }
    });
  }

  test("init takes the per-step path and creates the same parameters as fused: false", () => {
    const init = (fused: boolean) =>
      nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN(layers(true));
        return nn.dynamicUnroll(core, x, core.initialState(4), { fused })[0];
      }).init(random.key(5), x);
    const before = CountingLIF.calls;
    const a = init(true), b = init(false);
    assert.equal(CountingLIF.calls, before);
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const [m, ps] of Object.entries(a)) {
      assert.deepEqual(Object.keys(ps), Object.keys(b[m]));
      for (const [k, v] of Object.entries(ps)) assert.deepEqual(v.dataSync(), b[m][k].dataSync(), `${m}/${k}`);
    }
  });

  test("a plain function layer and a nested Sequential run once over [T*B, ...]", () => {
    const make = () =>
      new nn.DeepRNN([
        (h: Tensor) => np.tanh(h),
        new nn.Sequential([new nn.Linear(4), (h: Tensor) => np.mul(h, 2)]),
        new CountingLIF([4]),
      ]);
    const net = (fused: boolean) =>
      nn.transform((x: Tensor) => {
        const core = make();
        return nn.dynamicUnroll(core, x, core.initialState(4), { fused })[0];
      });
    const params = net(true).init(random.key(1), x);
    const before = CountingLIF.calls;
    const f = grad((p: nn.Params) => np.sum(np.mul(net(true).apply(p, null, x), 1.5)))(params);
    assert.equal(CountingLIF.calls - before, 1);
    const g = grad((p: nn.Params) => np.sum(np.mul(net(false).apply(p, null, x), 1.5)))(params);
    for (const [m, ps] of Object.entries(params)) {
      for (const k of Object.keys(ps)) assertClose(f[m][k], g[m][k], 1e-12, `gradient ${m}/${k}`);
    }
  });
});

describe("the per-step path keeps working where no kernel applies", () => {
  const u = uniform(21);
  const x = u([6, 2, 3], 0, 1.5), s0 = u([2, 3], 0, 1);

  test("a user-defined RNNCore inside a DeepRNN", () => {
    class Accumulate extends nn.RNNCore {
      constructor() {
        super({}, "accumulate");
      }
      initialState(b: number) {
        return np.zeros([b, 3], { dtype: "float64" });
      }
      call(x: Tensor, s: nn.RNNState): [Tensor, Tensor] {
        const v = np.add(np.mul(s as Tensor, 0.5), x);
        return [v, v];
      }
    }
    const net = (unroll: typeof nn.dynamicUnroll) =>
      nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN([new Accumulate(), new nn.LIF([3], { beta: 0.8 })]);
        assert.equal(core.hasSequenceKernel(x), false);
        assert.equal(core.callSequence(x, core.initialState(2)), null);
        return unroll(core, x, core.initialState(2))[0];
      });
    const p = { LIF: { beta: np.array(0.8, { dtype: "float64" }) } };
    const gd = grad((q: nn.Params, x: Tensor) => np.sum(net(nn.dynamicUnroll).apply(q, null, x)), { argnums: [0, 1] });
    const gs = grad((q: nn.Params, x: Tensor) => np.sum(net(nn.staticUnroll).apply(q, null, x)), { argnums: [0, 1] });
    const [a, b] = [gd(p, x), gs(p, x)];
    assertClose(a[0].LIF.beta, b[0].LIF.beta, 1e-12, "gradient of beta");
    assertClose(a[1], b[1], 1e-12, "gradient of the inputs");
  });

  test("an axn.custom activation (no surrogate description)", () => {
    const act = axn.custom((v: Tensor) => np.exp(np.neg(np.square(v))));
    const net = (unroll: typeof nn.dynamicUnroll) =>
      nn.transform((x: Tensor, s: Tensor) => {
        const core = new nn.LIF([3], { beta: 0.7, activation: act });
        assert.equal(core.hasSequenceKernel(x), false);
        assert.equal(core.callSequence(x, s), null);
        return unroll(core, x, s);
      });
    const p = { LIF: { beta: np.array(0.7, { dtype: "float64" }) } };
    const loss = (unroll: typeof nn.dynamicUnroll) => (q: nn.Params, x: Tensor, s: Tensor) => {
      const [ys, f] = net(unroll).apply(q, null, x, s) as [Tensor, Tensor];
      return np.add(np.sum(np.mul(ys, x)), np.sum(f));
    };
    const a = grad(loss(nn.dynamicUnroll), { argnums: [0, 1, 2] })(p, x, s0);
    const b = grad(loss(nn.staticUnroll), { argnums: [0, 1, 2] })(p, x, s0);
    assertClose(a[0].LIF.beta, b[0].LIF.beta, 1e-12, "gradient of beta");
    assertClose(a[1], b[1], 1e-12, "gradient of the inputs");
    assertClose(a[2], b[2], 1e-12, "gradient of the initial state");
  });

  test("dropout (a random key per step) and ActivityRegularization (state per step) fall back to scanning", () => {
    const net = (fused: boolean) =>
      nn.transformWithState((x: Tensor) => {
        const core = new nn.DeepRNN([
          new nn.Linear(4),
          (h: Tensor) => nn.dropout(nn.nextRngKey(), 0.5, h),
          new nn.LIF([4], { beta: 0.9 }),
          new nn.ActivityRegularization(),
        ]);
        return nn.dynamicUnroll(core, x, core.initialState(2), { fused })[0];
      });
    const { params, state } = net(true).init(random.key(0), x);
    const run = (fused: boolean) =>
      valueAndGrad((p: nn.Params) => {
        const [ys, st] = net(fused).apply(p, state, random.key(9), x);
        return [np.sum(np.mul(ys, 1.25)), st] as [Tensor, nn.Params];
      }, { hasAux: true })(params);
    const [[va, sa], ga] = run(true), [[vb, sb], gb] = run(false);
    assert.equal(va.item(), vb.item());
    assert.deepEqual(
      sa.ActReg.spike_count.dataSync(),
      sb.ActReg.spike_count.dataSync(),
    );
    assertClose(ga.linear.w, gb.linear.w, 1e-12, "gradient of linear/w");
    assertClose(ga.LIF.beta, gb.LIF.beta, 1e-12, "gradient of LIF/beta");
  });

  test("a backward pass that is itself differentiated takes the per-step path in ops", () => {
    // vjp's forward runs with one tape (fused); its backward runs under grad's tape.
    const p = { LIF: { beta: np.array(0.8, { dtype: "float64" }) } };
    const direction = u([6, 2, 3], -1, 1), c0 = u([6, 2, 3], -1, 1);
    const secondOrder = (unroll: typeof nn.dynamicUnroll) => {
      const net = nn.transform((x: Tensor) => unroll(new nn.LIF([3], { beta: 0.8 }), x, s0)[0]);
      const [, back] = vjp((xv: Tensor) => net.apply(p, null, xv), x);
      return grad((c: Tensor) => np.sum(np.mul((back(c) as Tensor[])[0], direction)))(c0) as Tensor;
    };
    assertClose(secondOrder(nn.dynamicUnroll), secondOrder(nn.staticUnroll), 1e-12, "d<back(c), r>/dc");
  });

  test("callSequence checks its inputs", () => {
    nn.transform(() => {
      const lif = new nn.LIF([3], { beta: 0.5 });
      assert.throws(
        () => lif.callSequence(np.ones([4, 2, 5]), np.zeros([2, 3])),
        /LIF\.callSequence: inputs of shape \[4, 2, 5\]/,
      );
      assert.throws(() => lif.callSequence(np.ones([0, 2, 3]), np.zeros([2, 3])), /T >= 1/);
      assert.throws(() => lif.callSequence(np.ones([4, 2, 3]), np.zeros([3, 3])), /state of shape \[3, 3\]/);
      const alif = new nn.ALIF([3], { beta: 0.5, gamma: 0.5 });
      assert.throws(() => alif.callSequence(np.ones([4, 2, 3]), np.zeros([2, 3])), /expected \[2, 6\]/);
      const deep = new nn.DeepRNN([new nn.Linear(3), lif]);
      assert.throws(() => deep.callSequence(np.ones([4, 2, 3]), []), /DeepRNN: state must be an array of 1/);
    }).init(random.key(0));
  });
});
