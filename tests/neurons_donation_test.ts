/**
 * Input donation of the whole-sequence kernels (`donateInput`, and
 * `DeepRNN` donating its own `Linear` outputs): a donated input's storage
 * holds the saved membranes (no new array), the results and gradients equal
 * those of an undonated run, and nothing the caller can still read is ever
 * overwritten: inputs of the unroll, outputs of layers that may alias their
 * input, inputs kept for a backward pass that is itself differentiated.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { grad, nn, np, random, type Tensor, tree, valueAndGrad, vjp } from "../mod.ts";

function values(n: number, seed: number, lo: number, hi: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

const [T, B, N] = [6, 2, 5];
const THR = 0.75, BETA = 0.8;

function sequence(dtype: "float32" | "float64", seed = 1): Tensor {
  return np.array(values(T * B * N, seed, -0.4, 1.3), { shape: [T, B, N], dtype });
}

type ModelName = keyof typeof nn.NEURON_MODELS;
/** Every model, from the registry. */
const MODELS = Object.keys(nn.NEURON_MODELS) as ModelName[];
type Ctor = new (hidden: readonly number[], options?: Record<string, unknown>) => nn.Neuron;

/** A model with scalar decays `BETA` and threshold `THR` (spiking ones). */
function neuron(model: ModelName): nn.Neuron {
  const { cell } = nn.NEURON_MODELS[model];
  const options: Record<string, unknown> = Object.fromEntries(cell.spec.params.map((p) => [p, BETA]));
  if (cell.spiking) options.threshold = THR;
  return new (nn.NEURON_MODELS[model] as unknown as Ctor)([N], options);
}

/** Outputs, final state and the gradients of a weighted loss w.r.t. the params and inputs, from `callSequence`. */
function modelRun(xs: Tensor, donate: boolean, model: ModelName) {
  const cot = np.array(values(T * B * N, 7, -1, 1), { shape: [T, B, N], dtype: xs.dtype });
  const net = nn.transform((x: Tensor) => {
    const core = neuron(model);
    return core.callSequence(x, np.zeros([B, ...core.stateShape], { dtype: x.dtype }), { donateInput: donate })!;
  });
  const params = tree.map(
    (p: Tensor) => np.astype(p, xs.dtype),
    net.init(random.key(0), np.zeros(xs.shape, { dtype: xs.dtype })) as tree.PyTree,
  ) as nn.Params;
  let out: [Tensor, Tensor] | undefined;
  const [, [gp, gx]] = valueAndGrad((p: nn.Params, x: Tensor) => {
    out = net.apply(p, null, x) as [Tensor, Tensor];
    return np.add(np.sum(np.mul(out[0], cot)), np.sum(out[1]));
  }, { argnums: [0, 1] })(params, xs);
  return { spikes: out![0].dataSync(), final: out![1].dataSync(), gx: (gx as Tensor).dataSync(), gp };
}

/** The membrane before every step, by the recurrence in float64. */
function membranes(x: number[], model: "LIF" | "IF"): number[] {
  const v = new Array(B * N).fill(0), out: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < B * N; i++) {
      const vi = v[i], spike = vi - THR > 0 ? 1 : 0;
      out.push(vi);
      v[i] = (model === "LIF" ? BETA * vi : vi) + x[t * B * N + i] - spike * THR;
    }
  }
  return out;
}

describe("callSequence({ donateInput: true })", () => {
  for (const model of MODELS) {
    for (const dtype of ["float64", "float32"] as const) {
      test(`${model} ${dtype}: same results and gradients; an undonated input is left alone`, () => {
        const kept = sequence(dtype), given = sequence(dtype);
        const plain = modelRun(kept, false, model), donated = modelRun(given, true, model);
        assert.deepEqual(donated.spikes, plain.spikes);
        assert.deepEqual(donated.final, plain.final);
        assert.deepEqual(donated.gx, plain.gx);
        const [gDonated, gPlain] = [tree.leaves(donated.gp), tree.leaves(plain.gp)] as Tensor[][];
        assert.equal(
          gDonated.length,
          nn.NEURON_MODELS[model].cell.spec.params.length +
            (nn.NEURON_MODELS[model].cell.spec.recurrent ? 1 : 0),
        );
        gDonated.forEach((g, k) => assert.deepEqual(g.dataSync(), gPlain[k].dataSync()));
        assert.deepEqual(kept.dataSync(), sequence(dtype).dataSync(), "an undonated input is left alone");
      });
    }
  }

  // A recurrent model's backward pass writes dL/dx elsewhere (its feedback needs the saved states until the end).
  for (const model of MODELS.filter((m) => !nn.NEURON_MODELS[m].cell.spec.recurrent)) {
    test(`${model}: the states are kept in the donated storage, which holds dL/dx after the backward pass`, () => {
      const given = sequence("float64");
      const donated = modelRun(given, true, model);
      assert.deepEqual(Array.from(given.dataSync()), Array.from(donated.gx));
    });
  }

  test("without a backward pass, the donated storage holds the membrane before every step", () => {
    const x = sequence("float64"), xv = Array.from(x.dataSync());
    nn.transform((xs: Tensor) => {
      const lif = new nn.LIF([N], { beta: BETA, threshold: THR });
      return lif.callSequence(xs, lif.initialState(B), { donateInput: true });
    }).apply({ LIF: { beta: np.array(BETA, { dtype: "float64" }) } }, null, x);
    const got = Array.from(x.dataSync()), want = membranes(xv, "LIF");
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-12, `${i}: ${got[i]} vs ${want[i]}`);
    }
  });
});

describe("DeepRNN donates only what nothing else can read", () => {
  const run = (layers: () => nn.DeepRNNLayer[], x: Tensor) => {
    const net = nn.transform((xs: Tensor) => {
      const core = new nn.DeepRNN(layers());
      return nn.dynamicUnroll(core, xs, core.initialState(B))[0];
    });
    const params = net.init(random.key(0), x);
    return grad((p: nn.Params) => np.sum(np.mul(net.apply(p, null, x), 1.5)))(params);
  };

  /** A Linear subclass that returns its input (an alias), so its output must not be donated. */
  class PassThrough extends nn.Linear {
    override call(x: Tensor): Tensor {
      super.call(x);
      return x;
    }
  }

  const cases: [string, () => nn.DeepRNNLayer[]][] = [
    ["the unroll's own input (LIF first)", () => [new nn.LIF([N], { beta: BETA })]],
    ["a function layer that reshapes (shares storage)", () => [(h: Tensor) => np.reshape(h, h.shape), new nn.LIF([N])]],
    ["a Linear subclass that returns its input", () => [new PassThrough(N), new nn.LIF([N])]],
    ["the input of a Linear", () => [new nn.Linear(N), new nn.LIF([N])]],
  ];
  for (const [label, layers] of cases) {
    test(`${label} is left intact`, () => {
      for (const dtype of ["float32", "float64"] as const) {
        const x = sequence(dtype, 3);
        run(layers, x);
        assert.deepEqual(x.dataSync(), sequence(dtype, 3).dataSync());
      }
    });
  }

  test("[Linear, LIF] under a backward pass that is itself differentiated equals the per-step path", () => {
    const x = sequence("float64", 4);
    const make = () => [new nn.Linear(N), new nn.LIF([N], { beta: BETA })];
    const params = nn.transform((xs: Tensor) => {
      const core = new nn.DeepRNN(make());
      return nn.dynamicUnroll(core, xs, core.initialState(B))[0];
    }).init(random.key(2), x);
    const direction = np.array(values(T * B * N, 5, -1, 1), { shape: [T, B, N], dtype: "float64" });
    const c0 = np.array(values(T * B * N, 6, -1, 1), { shape: [T, B, N], dtype: "float64" });
    const secondOrder = (fused: boolean) => {
      const net = nn.transform((xs: Tensor) => {
        const core = new nn.DeepRNN(make());
        return nn.dynamicUnroll(core, xs, core.initialState(B), { fused })[0];
      });
      const [, back] = vjp((xv: Tensor) => net.apply(params, null, xv), x);
      return grad((c: Tensor) => np.sum(np.mul((back(c) as Tensor[])[0], direction)))(c0) as Tensor;
    };
    const a = secondOrder(true).dataSync(), b = secondOrder(false).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-12, `${i}: ${a[i]} vs ${b[i]}`);
  });
});
