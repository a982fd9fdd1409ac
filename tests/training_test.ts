/**
 * End-to-end training: a few dozen optimizer steps must lower the loss on
 * Randman (timing-coded manifolds) and on a small MNIST subset. Bounds are
 * modest ratios of averaged losses, so they hold for any seed.
 */
import { test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, data, fn, nn, np, optim, random, type Tensor, valueAndGrad } from "../mod.ts";

function spyxNetwork(hidden: number, classes: number) {
  return nn.transform((x: Tensor) => {
    const core = new nn.DeepRNN([
      new nn.Linear(hidden),
      new nn.LIF([hidden], { activation: axn.superspike(25) }),
      new nn.Linear(classes),
      new nn.LI([classes]),
    ]);
    const [traces] = nn.dynamicUnroll(core, x, core.initialState(x.shape[0]), { timeMajor: false });
    return traces;
  });
}

/** Trains for `steps` minibatch steps and returns the loss of every step. */
function train(
  net: ReturnType<typeof spyxNetwork>,
  xs: Tensor,
  ys: Tensor,
  { steps, batch, lr, encode }: { steps: number; batch: number; lr: number; encode?: (x: Tensor, k: Tensor) => Tensor },
): number[] {
  const key = random.key(3);
  const prep = (x: Tensor, i: number) => (encode ? encode(x, random.foldIn(key, i)) : x);
  let params = net.init(key, prep(np.slice(xs, xs.shape.map(() => 0), [1, ...xs.shape.slice(1)]), -1));
  const opt = optim.adam(lr);
  let state = opt.init(params);
  const loss = fn.integralCrossentropy();
  const step = valueAndGrad((p: nn.Params, x: Tensor, y: Tensor) => loss(net.apply(p, null, x), y));
  const n = xs.shape[0];
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = (i * batch) % (n - batch + 1);
    const x = prep(np.slice(xs, [start, ...xs.shape.slice(1).map(() => 0)], [start + batch, ...xs.shape.slice(1)]), i);
    const y = np.slice(ys, [start], [start + batch]);
    const [value, grads] = step(params, x, y);
    const [updates, next] = opt.update(grads, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    losses.push(value.item());
  }
  return losses;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

test("an LIF network lowers its loss on Randman", () => {
  const { spikes, labels } = data.randman({ nClasses: 4, nUnits: 20, nSteps: 30, nSamples: 64, seed: 1 });
  const losses = train(spyxNetwork(32, 4), spikes, labels, { steps: 40, batch: 32, lr: 1e-2 });
  assert.ok(losses.every(Number.isFinite), `non-finite loss in ${losses}`);
  const first = mean(losses.slice(0, 5)), last = mean(losses.slice(-5));
  assert.ok(
    last < 0.85 * first,
    `Randman loss did not fall enough: first ${first.toFixed(4)}, last ${last.toFixed(4)}`,
  );
});

test("the MNIST example's network lowers its loss on a small subset", async () => {
  const mnist = await data.loadMnist();
  const images = np.reshape(np.slice(mnist.trainImages, [0, 0, 0], [512, 28, 28]), [512, 784]);
  const labels = np.slice(mnist.trainLabels, [0], [512]);
  const losses = train(spyxNetwork(64, 10), images, labels, {
    steps: 30,
    batch: 32,
    lr: 3e-3,
    encode: data.rateCode(10, 0.75),
  });
  const first = mean(losses.slice(0, 5)), last = mean(losses.slice(-5));
  assert.ok(last < 0.9 * first, `MNIST loss did not fall enough: first ${first.toFixed(4)}, last ${last.toFixed(4)}`);
});
