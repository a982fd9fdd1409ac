/**
 * The spyx SHD tutorial network, ported line by line, against
 * shared/reference/network.json: DeepRNN([Linear(H, no bias), LIF([H]),
 * Linear(C, no bias), LI([C])]) unrolled batch-major from zero states, the
 * integral cross-entropy loss, and the gradients of every parameter.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, fn, nn, np, random, type Tensor, valueAndGrad } from "../mod.ts";
import { assertRelClose, loadReference, refTensor } from "./support/numeric.ts";

type Arr = { shape: number[]; data: number[] };
const ref = loadReference("network.json");
const { batch: B, time: T, n_in: IN, hidden: H, classes: C, smoothing } = ref.config as Record<string, number>;
assert.deepEqual(ref.config.activation, { name: "superspike", k: 25 });
assert.equal(ref.config.threshold, 1);
assert.equal(ref.config.time_axis, 1);

/** The tutorial's forward pass; `untilLIF` stops the DeepRNN after the LIF layer to expose its spikes. */
function snn(x: Tensor, untilLIF = false): Tensor {
  const layers = untilLIF
    ? [new nn.Linear(H, { withBias: false }), new nn.LIF([H], { activation: axn.superspike(25) })]
    : [
      new nn.Linear(H, { withBias: false }),
      new nn.LIF([H], { activation: axn.superspike(25) }),
      new nn.Linear(C, { withBias: false }),
      new nn.LI([C]),
    ];
  const core = new nn.DeepRNN(layers);
  const [traces] = nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false });
  return traces;
}

const SNN = nn.transform((x: Tensor) => snn(x));
const spikingLayer = nn.transform((x: Tensor) => snn(x, true));
const loss = fn.integralCrossentropy({ smoothing });

function params(dtype: "float32" | "float64"): nn.Params {
  const out: nn.Params = {};
  for (const [m, ps] of Object.entries(ref.params as Record<string, Record<string, Arr>>)) {
    out[m] = Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, refTensor(v, dtype)]));
  }
  return out;
}

describe("network golden test (network.json)", () => {
  test("init creates exactly the parameters linear, LIF, linear_1, LI with the tutorial's shapes", () => {
    const p = SNN.init(random.key(0), refTensor(ref.x, "float32"));
    const shapes = Object.fromEntries(
      Object.entries(p).map(([m, ps]) => [m, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, v.shape]))]),
    );
    assert.deepEqual(shapes, {
      linear: { w: [IN, H] },
      LIF: { beta: [H] },
      linear_1: { w: [H, C] },
      LI: { beta: [C] },
    });
  });

  for (const [dtype, fwdTol, gradTol] of [["float64", 1e-10, 1e-10], ["float32", 1e-4, 1e-3]] as const) {
    test(`spikes, traces, loss and every gradient (${dtype})`, () => {
      const x = refTensor(ref.x, dtype);
      const targets = np.array(ref.targets.data, { shape: ref.targets.shape, dtype: "int32" });
      const p = params(dtype);

      const spikes = spikingLayer.apply({ linear: p.linear, LIF: p.LIF }, null, x);
      assert.deepEqual(spikes.shape, [B, T, H]);
      assertRelClose(spikes, (ref.spikes as Arr).data, fwdTol, "spikes");

      const [value, grads] = valueAndGrad((q: nn.Params) => {
        const traces = SNN.apply(q, null, x);
        assert.deepEqual(traces.shape, [B, T, C]);
        assert.equal(traces.dtype, dtype);
        assertRelClose(traces, (ref.traces as Arr).data, fwdTol, "traces");
        return loss(traces, targets);
      })(p);
      assert.equal(value.dtype, dtype);
      assertRelClose(value, [ref.loss], fwdTol, "loss");
      for (const [m, ps] of Object.entries(ref.grads as Record<string, Record<string, Arr>>)) {
        for (const [k, want] of Object.entries(ps)) {
          const got = grads[m]?.[k] as Tensor | undefined;
          assert.ok(got, `missing gradient ${m}/${k}`);
          assert.deepEqual(got.shape, want.shape, `${m}/${k}`);
          assertRelClose(got, want.data, gradTol, `gradient ${m}/${k}`);
        }
      }
    });
  }
});
