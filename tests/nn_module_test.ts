import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { nn, np, random, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";

/** A module that builds two submodules inside `call` (Haiku's usual pattern). */
class TwoLayer extends nn.Module {
  constructor(options: nn.ModuleOptions = {}) {
    super(options, "two_layer");
  }
  call(x: Tensor): Tensor {
    const h = new nn.Linear(3).call(x);
    return new nn.Linear(2).call(np.tanh(h));
  }
}

/** A stateful module: counts its calls in the state `n`. */
class Counter extends nn.Module {
  constructor() {
    super({}, "counter");
  }
  call(x: Tensor): Tensor {
    const n = nn.getState("n", [], { init: nn.initializers.constant(0) });
    nn.setState("n", np.add(n, 1));
    return np.mul(x, n);
  }
}

const keys = (p: nn.Params) => Object.keys(p).sort();
const shapes = (p: nn.Params) =>
  Object.fromEntries(
    Object.entries(p).map(([m, ps]) => [m, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, v.shape]))]),
  );

describe("module naming", () => {
  test("unnamed modules get linear, linear_1, ...; explicit names are kept and made unique", () => {
    const net = nn.transform((x: Tensor) => {
      const a = new nn.Linear(3).call(x);
      const b = new nn.Linear(3, { name: "head" }).call(a);
      const c = new nn.Linear(2).call(b);
      return new nn.Linear(2, { name: "head" }).call(c);
    });
    const params = net.init(random.key(0), np.ones([1, 4]));
    assert.deepEqual(keys(params), ["head", "head_1", "linear", "linear_1"]);
    assert.deepEqual(shapes(params), {
      linear: { w: [4, 3], b: [3] },
      head: { w: [3, 3], b: [3] },
      linear_1: { w: [3, 2], b: [2] },
      head_1: { w: [2, 2], b: [2] },
    });
  });

  test("invalid module names are rejected", () => {
    const net = nn.transform((x: Tensor) => new nn.Linear(2, { name: "bad name" }).call(x));
    assert.throws(() => net.init(random.key(0), np.ones([1, 2])), /invalid module name "bad name"/);
  });

  test("submodules are keyed outer/~/inner and reused by every call of the outer module", () => {
    const net = nn.transform((x: Tensor) => {
      const outer = new TwoLayer();
      const other = new TwoLayer();
      return np.add(outer.call(outer.call(x)), other.call(x));
    });
    const x = np.array([[0.5, -1]]);
    const params = net.init(random.key(1), x);
    assert.deepEqual(keys(params), [
      "two_layer/~/linear",
      "two_layer/~/linear_1",
      "two_layer_1/~/linear",
      "two_layer_1/~/linear_1",
    ]);
    // Calling `outer` twice used the same weights: the output matches a manual evaluation.
    const lin = (m: string, v: Tensor) => np.add(np.matmul(v, params[m].w), params[m].b);
    const layer = (prefix: string, v: Tensor) => lin(`${prefix}/~/linear_1`, np.tanh(lin(`${prefix}/~/linear`, v)));
    const want = np.add(layer("two_layer", layer("two_layer", x)), layer("two_layer_1", x));
    assertAllClose(net.apply(params, null, x).dataSync(), want.dataSync(), { rtol: 1e-6, atol: 1e-7 });
  });

  test("parameters created outside any module live under ~", () => {
    const net = nn.transform((x: Tensor) =>
      np.mul(x, nn.getParameter("scale", [2], { init: nn.initializers.constant(3) }))
    );
    const params = net.init(random.key(0), np.ones([2]));
    assert.deepEqual(keys(params), ["~"]);
    assert.deepEqual(Array.from(params["~"].scale.dataSync()), [3, 3]);
    assert.deepEqual(Array.from(net.apply(params, null, np.array([1, 2])).dataSync()), [3, 6]);
  });
});

describe("transform", () => {
  test("getParameter, getState, setState, nextRngKey and modules need a transformed function", () => {
    const need = /must be called inside a function transformed with nn.transform/;
    assert.throws(() => nn.getParameter("w", [1], { init: nn.initializers.constant(0) }), /getParameter: .*transform/);
    assert.throws(() => nn.getState("s", [1], { init: nn.initializers.constant(0) }), /getState: .*transform/);
    assert.throws(() => nn.setState("s", np.zeros([1])), /setState: .*transform/);
    assert.throws(() => nn.nextRngKey(), /nextRngKey: .*transform/);
    assert.throws(() => new nn.Linear(2), need);
  });

  test("apply with a missing parameter names it", () => {
    const net = nn.transform((x: Tensor) => new nn.Linear(2).call(new nn.Linear(3).call(x)));
    const x = np.ones([1, 4]);
    const params = net.init(random.key(0), x);
    const partial = { linear: params.linear };
    assert.throws(() => net.apply(partial, null, x), /parameter linear_1\/w not found/);
  });

  test("apply with a parameter of the wrong shape names both shapes", () => {
    const net = nn.transform((x: Tensor) => new nn.Linear(2).call(x));
    const params = net.init(random.key(0), np.ones([1, 4]));
    assert.throws(
      () => net.apply(params, null, np.ones([1, 5])),
      /linear\/w has shape \[4,2\] but \[5,2\] was requested/,
    );
  });

  test("the same key gives the same parameters, another key other ones", () => {
    const net = nn.transform((x: Tensor) => new nn.Linear(5).call(x));
    const x = np.ones([1, 6]);
    const a = net.init(random.key(7), x), b = net.init(random.key(7), x), c = net.init(random.key(8), x);
    assert.deepEqual(Array.from(a.linear.w.dataSync()), Array.from(b.linear.w.dataSync()));
    assert.notDeepEqual(Array.from(a.linear.w.dataSync()), Array.from(c.linear.w.dataSync()));
  });

  test("init requires a key; transform rejects state", () => {
    const net = nn.transform((x: Tensor) => new nn.Linear(2).call(x));
    // deno-lint-ignore no-explicit-any
    assert.throws(() => net.init(null as any, np.ones([1, 2])), /init: a random key is required/);
    const stateful = nn.transform((x: Tensor) => new Counter().call(x));
    assert.throws(() => stateful.init(random.key(0), np.ones([2])), /use nn.transformWithState/);
  });

  test("transformWithState: init creates the state, apply returns the new one and leaves the old one alone", () => {
    const net = nn.transformWithState((x: Tensor) => new Counter().call(x));
    const x = np.array([1, 2]);
    const { params, state } = net.init(random.key(0), x);
    assert.deepEqual(params, {});
    assert.equal(state.counter.n.item(), 0); // the initial value, as Haiku's init returns
    const [y1, s1] = net.apply(params, state, null, x);
    const [y2, s2] = net.apply(params, s1, null, x);
    assert.deepEqual(Array.from(y1.dataSync()), [0, 0]);
    assert.deepEqual(Array.from(y2.dataSync()), [1, 2]);
    assert.equal(s1.counter.n.item(), 1);
    assert.equal(s2.counter.n.item(), 2);
    assert.equal(state.counter.n.item(), 0);
  });

  test("withoutApplyRng drops the key argument, for transform and transformWithState", () => {
    const plain = nn.transform((x: Tensor) => new nn.Linear(3).call(x));
    const x = np.array([[1, -2]]);
    const params = plain.init(random.key(3), x);
    const noRng = nn.withoutApplyRng(plain);
    assert.deepEqual(
      Array.from(noRng.apply(params, x).dataSync()),
      Array.from(plain.apply(params, null, x).dataSync()),
    );
    const stateful = nn.transformWithState((v: Tensor) => new Counter().call(v));
    const v = np.array([3, 4]);
    const init = stateful.init(random.key(0), v);
    const [, s1] = nn.withoutApplyRng(stateful).apply(init.params, init.state, v);
    const [y, s2] = nn.withoutApplyRng(stateful).apply(init.params, s1, v);
    assert.deepEqual(Array.from(y.dataSync()), [3, 4]);
    assert.equal(s2.counter.n.item(), 2);
  });

  test("nextRngKey: the same apply key gives the same numbers; a null key is an error", () => {
    const net = nn.transform((x: Tensor) => np.add(x, random.normal(nn.nextRngKey(), x.shape)));
    const x = np.zeros([4]);
    const params = net.init(random.key(0), x);
    const a = net.apply(params, random.key(5), x).dataSync();
    const b = net.apply(params, random.key(5), x).dataSync();
    const c = net.apply(params, random.key(6), x).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
    // Successive keys within one call differ.
    const two = nn.transform(() => [random.uniform(nn.nextRngKey(), [3]), random.uniform(nn.nextRngKey(), [3])]);
    const [u, v] = two.apply({}, random.key(1));
    assert.notDeepEqual(Array.from(u.dataSync()), Array.from(v.dataSync()));
    assert.throws(() => net.apply(params, null, x), /nextRngKey: no random key/);
  });
});

/** A core whose output is the running sum of its inputs, scaled by a parameter. */
class RunningSum extends nn.RNNCore {
  constructor() {
    super({}, "running_sum");
  }
  initialState(batch: number): Tensor {
    return np.zeros([batch, 2], { dtype: "float64" });
  }
  call(x: Tensor, state: Tensor): [Tensor, Tensor] {
    const scale = nn.getParameter("scale", [], { dtype: "float64", init: nn.initializers.constant(2) });
    const next = np.add(state, x);
    return [np.mul(next, scale), next];
  }
}

describe("unrolled cores inside transforms", () => {
  test("dynamicUnroll (forward and reverse, time- or batch-major) matches closed-form running sums", () => {
    const x = np.array(Array.from({ length: 5 * 3 * 2 }, (_, i) => (i * 7) % 5), {
      shape: [5, 3, 2],
      dtype: "float64",
    });
    const xd = x.dataSync();
    const runningSum = (reverse: boolean) => {
      const out = new Float64Array(xd.length);
      for (let j = 0; j < 6; j++) {
        let acc = 0;
        for (let k = 0; k < 5; k++) {
          const t = reverse ? 4 - k : k;
          acc += xd[t * 6 + j];
          out[t * 6 + j] = 2 * acc;
        }
      }
      return out;
    };
    for (const reverse of [false, true]) {
      const dyn = nn.transform((v: Tensor) => {
        const core = new RunningSum();
        return nn.dynamicUnroll(core, v, core.initialState(3), { reverse });
      });
      const params = dyn.init(random.key(0), x);
      const [ys, final] = dyn.apply(params, null, x);
      assertAllClose(ys.dataSync(), runningSum(reverse), { rtol: 0, atol: 1e-12 }, `reverse ${reverse}`);
      assertAllClose((final as Tensor).dataSync(), np.sum(x, 0).dataSync(), { rtol: 0, atol: 1e-12 });
      const batchMajor = nn.transform((v: Tensor) => {
        const core = new RunningSum();
        return nn.dynamicUnroll(core, v, core.initialState(3), { reverse, timeMajor: false })[0];
      });
      const yb = batchMajor.apply(params, null, np.swapaxes(x, 0, 1));
      assertAllClose(np.swapaxes(yb, 0, 1).dataSync(), runningSum(reverse), { rtol: 0, atol: 1e-12 });
    }
  });

  // The backward pass of dynamicUnroll's scan recomputes steps after apply has
  // returned; the modules must still find their parameters.
  const net = nn.transform((x: Tensor) => {
    const core = new nn.DeepRNN([new nn.Linear(3), np.tanh, new nn.Linear(2)]);
    return nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false })[0];
  });
  const x = np.array(Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), { shape: [2, 4, 3], dtype: "float64" });
  const params = net.init(random.key(2), x);

  test("dynamicUnroll equals stepping the layers by hand", () => {
    const lin = (m: string, v: Tensor) => np.add(np.matmul(v, params[m].w), params[m].b);
    const steps = [0, 1, 2, 3].map((t) => {
      const xt = np.squeeze(np.slice(x, [0, t, 0], [2, t + 1, 3]), 1);
      return lin("linear_1", np.tanh(lin("linear", xt)));
    });
    assertAllClose(net.apply(params, null, x).dataSync(), np.stack(steps, 1).dataSync(), { rtol: 1e-12, atol: 1e-12 });
  });

  test("gradients through dynamicUnroll match finite differences", () => {
    const f = (w0: Tensor, b0: Tensor, w1: Tensor, xs: Tensor) =>
      net.apply({ linear: { w: w0, b: b0 }, linear_1: { w: w1, b: params.linear_1.b } }, null, xs);
    checkGradients(f, [params.linear.w, params.linear.b, params.linear_1.w, x]);
  });
});
