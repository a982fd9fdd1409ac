import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { axn, nn, np, random, type Tensor, valueAndGrad } from "../mod.ts";
import { loadReference, REFERENCE_DIR, relError } from "./support/numeric.ts";

type Ref = { shape: number[]; data: number[] };
type DType = "float32" | "float64";
interface ActivationRef {
  name: string;
  k?: number;
  width?: number;
  height?: number;
}
interface NeuronRef {
  model: string;
  config: { hidden_shape: number[]; threshold: number; activation: ActivationRef | null };
  params: Record<string, Ref>;
  x: Ref;
  state0: Ref;
  outputs: Ref;
  state_final: Ref;
  cot_outputs: Ref;
  cot_state: Ref;
  loss: number;
  grads: { x: Ref; state0: Ref; params: Record<string, Ref> };
}

const FILES = readdirSync(new URL("neurons/", REFERENCE_DIR)).filter((f) => f.endsWith(".json")).sort();

function activation(a: ActivationRef): axn.SpikeActivation {
  switch (a.name) {
    case "superspike":
      return axn.superspike(a.k);
    case "arctan":
      return axn.arctan(a.k);
    case "tanh":
      return axn.tanh(a.k);
    case "boxcar":
      return axn.boxcar(a.width, a.height);
    case "triangular":
      return axn.triangular(a.k);
  }
  throw new Error(`unknown activation ${a.name}`);
}

// The models from the registry: a new model needs a golden file, not an edit here.
const MODELS = nn.NEURON_MODELS;
type Ctor = new (hidden: readonly number[], options?: Record<string, unknown>) => nn.Neuron;

/** The neuron a reference file describes: scalar decays become number options, per-neuron ones are omitted. */
function makeNeuron(ref: NeuronRef): nn.Neuron {
  const options: Record<string, unknown> = {};
  const Model = MODELS[ref.model as keyof typeof MODELS];
  assert.ok(Model, `unknown model ${ref.model}`);
  if (Model.cell.spiking) {
    options.threshold = ref.config.threshold;
    options.activation = activation(ref.config.activation!);
  }
  for (const name of Model.cell.spec.params) {
    const p = ref.params[name];
    if (p && p.shape.length === 0) options[name] = p.data[0];
  }
  return new (Model as unknown as Ctor)(ref.config.hidden_shape, options);
}

const tensor = (a: Ref, dtype: DType) => np.array(a.data, { shape: a.shape, dtype });

function paramsOf(ref: NeuronRef, dtype: DType): nn.Params {
  const inner = Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, tensor(v, dtype)]));
  return Object.keys(inner).length > 0 ? { [ref.model]: inner } : {};
}

type Unroll = typeof nn.dynamicUnroll;

/** Runs the reference case: outputs, final state, loss and gradients w.r.t. params, x and state0. */
function run(ref: NeuronRef, dtype: DType, unroll: Unroll) {
  const net = nn.transform((x: Tensor, s0: Tensor) => unroll(makeNeuron(ref), x, s0));
  const cotO = tensor(ref.cot_outputs, dtype), cotS = tensor(ref.cot_state, dtype);
  let outputs: Tensor | undefined, final: Tensor | undefined;
  const loss = (params: nn.Params, x: Tensor, s0: Tensor) => {
    const [out, sf] = net.apply(params, null, x, s0) as [Tensor, Tensor];
    [outputs, final] = [out, sf];
    return np.add(np.sum(np.mul(out, cotO)), np.sum(np.mul(sf, cotS)));
  };
  const [value, [gParams, gx, gs0]] = valueAndGrad(loss, { argnums: [0, 1, 2] })(
    paramsOf(ref, dtype),
    tensor(ref.x, dtype),
    tensor(ref.state0, dtype),
  );
  return { outputs: outputs!, final: final!, value: value as Tensor, gParams, gx: gx as Tensor, gs0: gs0 as Tensor };
}

function check(ref: NeuronRef, dtype: DType, unroll: Unroll): void {
  const [fwdTol, gradTol] = dtype === "float64" ? [1e-10, 1e-10] : [1e-4, 1e-3];
  const r = run(ref, dtype, unroll);
  const close = (got: Tensor, want: Ref, tol: number, what: string) => {
    assert.deepEqual(got.shape, want.shape, `${what}: shape`);
    assert.equal(got.dtype, dtype, `${what}: dtype`);
    const e = relError(got.dataSync(), want.data);
    assert.ok(e <= tol, `${what}: relative error ${e.toExponential(3)} exceeds ${tol}`);
  };
  close(r.outputs, ref.outputs, fwdTol, "outputs");
  close(r.final, ref.state_final, fwdTol, "state_final");
  const lossErr = Math.abs(r.value.item() - ref.loss) / Math.max(1, Math.abs(ref.loss));
  assert.ok(lossErr <= fwdTol, `loss ${r.value.item()} vs ${ref.loss}`);
  close(r.gx, ref.grads.x, gradTol, "grad x");
  close(r.gs0, ref.grads.state0, gradTol, "grad state0");
  const names = Object.keys(ref.grads.params).sort();
  assert.deepEqual(Object.keys(r.gParams[ref.model] ?? {}).sort(), names, "parameter gradients");
  for (const name of names) close(r.gParams[ref.model][name], ref.grads.params[name], gradTol, `grad ${name}`);
}

describe("neuron golden files", () => {
  test("every model of nn.NEURON_MODELS has a golden file (and every file a model)", () => {
    const models = new Set(FILES.map((f) => (loadReference(`neurons/${f}`) as NeuronRef).model));
    assert.deepEqual([...models].sort(), Object.keys(MODELS).sort());
  });

  for (const file of FILES) {
    const ref = loadReference(`neurons/${file}`) as NeuronRef;
    const label = `${file} (${ref.model}, thr ${ref.config.threshold}, ${ref.config.activation?.name ?? "no spikes"})`;

    test(`${label}: dynamicUnroll, float64`, () => check(ref, "float64", nn.dynamicUnroll));
    test(`${label}: dynamicUnroll, float32`, () => check(ref, "float32", nn.dynamicUnroll));
    if (file.endsWith("_0.json")) {
      test(`${label}: staticUnroll, float64`, () => check(ref, "float64", nn.staticUnroll));
    }

    test(`${label}: init creates the reference's parameters (names, shapes)`, () => {
      const net = nn.transform((x: Tensor, s0: Tensor) => nn.dynamicUnroll(makeNeuron(ref), x, s0));
      const params = net.init(random.key(0), tensor(ref.x, "float32"), tensor(ref.state0, "float32"));
      const want = Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, v.shape]));
      const got = Object.fromEntries(Object.entries(params[ref.model] ?? {}).map(([k, v]) => [k, [...v.shape]]));
      assert.deepEqual(got, want);
      assert.deepEqual(Object.keys(params), Object.keys(want).length > 0 ? [ref.model] : []);
      // The core's initial state has the reference state's layout.
      const init = nn.transform(() => makeNeuron(ref).initialState(ref.state0.shape[0]));
      assert.deepEqual(init.apply({}, null).shape, ref.state0.shape);
    });
  }
});
