/**
 * Our side of every workload, written against the public API as a user of
 * the library would write it (spyx style: `nn.transform`, `BatchApply`,
 * `DeepRNN`, `dynamicUnroll`, `fn.integralCrossentropy`, `optim.adam`).
 * Each builder returns the function that one timed call runs.
 *
 * @module
 */
import { axn, data, fn, nn, np, optim, random, type Tensor, tree, valueAndGrad } from "../../mod.ts";
import { labelArray, uniformArray, w1Data, w2Data } from "./data.ts";
import {
  type BenchCase,
  LEARNING_RATE,
  SEEDS,
  SUPERSPIKE_K,
  type W1Params,
  type W2Params,
  type W3Params,
  type W4Params,
} from "./spec.ts";
import { mnistStepFromExample } from "./w4_hook.ts";

/** One timed call. */
export type Step = () => unknown;

/** Replaces the parameter leaves whose shape matches a key of `values` (shape joined by commas). */
function replaceByShape<P>(params: P, values: Record<string, Tensor>): P {
  return tree.map((leaf: Tensor) => values[leaf.shape.join(",")] ?? leaf, params as never) as P;
}

function w1(p: W1Params): Step {
  const { T, B, n } = p;
  const d = w1Data(p);
  const x = np.array(d.x, { shape: [T, B, n] });
  const net = nn.transform((x: Tensor) => {
    const current = new nn.BatchApply(new nn.Linear(n)).call(x);
    const lif = new nn.LIF([n], { beta: 0.9, threshold: 1, activation: axn.superspike(SUPERSPIKE_K) });
    const [spikes] = nn.dynamicUnroll(lif, current, lif.initialState(B), { timeMajor: true });
    return np.sum(spikes);
  });
  const params = replaceByShape(net.init(random.key(0), x), {
    [`${n},${n}`]: np.array(d.w, { shape: [n, n] }),
    [`${n}`]: np.array(d.b, { shape: [n] }),
  });
  const lossAndGrad = valueAndGrad((p: nn.Params, x: Tensor) => net.apply(p, null, x) as Tensor);
  return () => {
    const [loss] = lossAndGrad(params, x);
    return loss.item();
  };
}

/**
 * The spyx SHD tutorial's network and training step (W2, and W4's replica):
 * returns one step on a batch-major input like `sample`.
 */
function snnTrainStep(
  sample: Tensor,
  labels: Tensor,
  sizes: { hidden: number; classes: number },
  init: Record<string, Tensor> | null,
): (x: Tensor) => number {
  const B = sample.shape[0];
  const net = nn.transform((x: Tensor) => {
    const projected = new nn.BatchApply(new nn.Linear(sizes.hidden, { withBias: false })).call(x);
    const core = new nn.DeepRNN([
      new nn.LIF([sizes.hidden], { activation: axn.superspike(SUPERSPIKE_K) }),
      new nn.Linear(sizes.classes, { withBias: false }),
      new nn.LI([sizes.classes]),
    ]);
    const [traces] = nn.dynamicUnroll(core, projected, core.initialState(B), { timeMajor: false });
    return traces;
  });
  let params = net.init(random.key(0), sample);
  if (init) params = replaceByShape(params, init);
  const loss = fn.integralCrossentropy({ smoothing: 0.3 });
  const opt = optim.adam(LEARNING_RATE);
  let state = opt.init(params);
  const lossAndGrad = valueAndGrad((p: nn.Params, x: Tensor, y: Tensor) => loss(net.apply(p, null, x) as Tensor, y));
  return (x: Tensor) => {
    const [value, grads] = lossAndGrad(params, x, labels);
    const [updates, next] = opt.update(grads, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    return value.item();
  };
}

function w2(p: W2Params): Step {
  const d = w2Data(p);
  const x = np.array(d.x, { shape: [p.B, p.T, p.inputs] });
  const labels = np.array(d.labels, { shape: [p.B], dtype: "int32" });
  const step = snnTrainStep(x, labels, p, {
    [`${p.inputs},${p.hidden}`]: np.array(d.w1, { shape: [p.inputs, p.hidden] }),
    [`${p.hidden},${p.classes}`]: np.array(d.w2, { shape: [p.hidden, p.classes] }),
    [`${p.hidden}`]: np.array(d.betaHidden, { shape: [p.hidden] }),
    [`${p.classes}`]: np.array(d.betaOut, { shape: [p.classes] }),
  });
  return () => step(x);
}

function w3({ m, k, n }: W3Params): Step {
  const a = np.array(uniformArray(m * k, 1, -1, 1), { shape: [m, k] });
  const b = np.array(uniformArray(k * n, 2, -1, 1), { shape: [k, n] });
  return () => np.matmul(a, b);
}

/**
 * W4: the MNIST example's step when `examples/` provides one (see
 * `w4_hook.ts`), otherwise a replica of its loop body: rate-code a batch of
 * real digits, value and gradient of the integral cross-entropy, Adam.
 */
async function w4(p: W4Params): Promise<{ step: Step; source: string }> {
  const fromExample = await mnistStepFromExample(p);
  if (fromExample) return { step: fromExample, source: "examples/ training-step builder" };
  let images: Tensor, labels: Tensor, digits: string;
  try {
    const mnist = await data.loadMnist();
    images = np.reshape(np.slice(mnist.trainImages, [0, 0, 0], [p.B, 28, 28]), [p.B, 784]);
    labels = np.slice(mnist.trainLabels, [0], [p.B]);
    digits = "real digits";
  } catch {
    // Without the optional `mnist` package: digit-like intensities (a fifth of the pixels lit).
    const lit = uniformArray(p.B * 784, SEEDS.input).map((u) => (u < 0.2 ? u * 5 : 0));
    images = np.array(lit, { shape: [p.B, 784] });
    labels = np.array(labelArray(p.B, SEEDS.labels, 10), { shape: [p.B], dtype: "int32" });
    digits = "synthetic digits: the mnist package is not installed";
  }
  const encode = data.rateCode(p.T, 0.75);
  let key = random.key(0);
  const train = snnTrainStep(encode(images, key), labels, { hidden: p.hidden, classes: 10 }, null);
  return {
    source: `replica of examples/train_mnist.ts's loop body (${digits})`,
    // Each call encodes fresh spikes, as the example's loop does.
    step: () => {
      const [next, sub] = random.split(key);
      key = next;
      return train(encode(images, sub));
    },
  };
}

/**
 * Builds our implementation of `c`; `note` says where W4 came from.
 *
 * @example
 * ```ts
 * import { benchCases } from "./spec.ts";
 * const { step } = await buildOurs(benchCases(true)[3]);
 * step();
 * ```
 */
export async function buildOurs(c: BenchCase): Promise<{ step: Step; note?: string }> {
  const p = c.params;
  switch (p.kind) {
    case "W1":
      return { step: w1(p) };
    case "W2":
      return { step: w2(p) };
    case "W3":
      return { step: w3(p) };
    case "W4": {
      const { step, source } = await w4(p);
      return { step, note: source };
    }
  }
}
