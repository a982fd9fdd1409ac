/**
 * jax-js (`@jax-js/jax`) on W1-W3, written as its users write it: pure
 * functions over arrays with its reference-counting discipline (`.ref` for
 * every extra use), `valueAndGrad`, `jit` around the whole step, the
 * default `wasm` device. W2 projects the input inside the time loop: the
 * whole-sequence projection followed by per-step slices (as W1 does) ran
 * about 50 times slower there under jax-js's jit (20 s against 0.33 s per
 * step), so we give it the faster of the two natural formulations; for W1
 * both take about 2 s. jax-js has no `custom_vjp`, so the surrogate spike
 * is the usual stop-gradient construction: `sg(H(u) - f(u)) + f(u)` with
 * `f(u) = u / (1 + k|u|)`, whose derivative is superspike's
 * `1 / (1 + k|u|)^2`. There is no optax on npm for jax-js, so W2's Adam is
 * written out (optax's formulas) inside the jitted step.
 *
 * @module
 */
import {
  blockUntilReady,
  defaultDevice,
  init,
  jit,
  lax,
  nn as jnn,
  numpy as np,
  tree,
  valueAndGrad,
} from "@jax-js/jax";
import { uniformArray, w1Data, w2Data } from "../workloads/data.ts";
import {
  type BenchCase,
  LEARNING_RATE,
  SUPERSPIKE_K,
  type W1Params,
  type W2Params,
  type W3Params,
} from "../workloads/spec.ts";

/** Heaviside forward, superspike backward, through a stop-gradient. */
function spike(u: np.Array): np.Array {
  const f = u.ref.div(np.abs(u.ref).mul(SUPERSPIKE_K).add(1));
  const h = u.greater(0).astype(np.float32);
  return lax.stopGradient(h.sub(f.ref)).add(f);
}

type W1Tree = { w: np.Array; b: np.Array };

function w1(p: W1Params): () => Promise<unknown> {
  const { T, B, n } = p;
  const d = w1Data(p);
  const x = np.array(d.x).reshape([T * B, n]);
  const params: W1Tree = { w: np.array(d.w).reshape([n, n]), b: np.array(d.b) };
  const loss = (q: W1Tree, x: np.Array) => {
    const current = np.matmul(x, q.w).add(q.b).reshape([T, B, n]);
    let v = np.zeros([B, n]);
    let total = np.zeros([]);
    for (let t = 0; t < T; t++) {
      const s = spike(v.ref.sub(1));
      v = v.mul(0.9).add(current.ref.slice(t)).sub(s.ref);
      total = total.add(s.sum());
    }
    current.dispose();
    v.dispose();
    return total;
  };
  const step = jit(valueAndGrad(loss));
  return async () => {
    const [value, grads] = step(tree.ref(params), x.ref);
    await blockUntilReady(grads);
    const out = await value.data();
    tree.dispose(grads);
    return out[0];
  };
}

type W2Tree = { w1: np.Array; w2: np.Array; bh: np.Array; bo: np.Array };

function w2(p: W2Params): () => Promise<unknown> {
  const { B, T, inputs, hidden, classes } = p;
  const d = w2Data(p);
  // Time-major rows (t, b): without a scan the step loop slices time off the leading axis.
  const timeMajor = new Float32Array(B * T * inputs);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      timeMajor.set(d.x.subarray((b * T + t) * inputs, (b * T + t + 1) * inputs), (t * B + b) * inputs);
    }
  }
  const x = np.array(timeMajor).reshape([T * B, inputs]);
  // Smoothed one-hot targets, as optax/spyx build them.
  const smoothing = 0.3;
  const onehot = new Float32Array(B * classes).fill(smoothing / classes);
  d.labels.forEach((c, i) => (onehot[i * classes + c] += 1 - smoothing));
  const labels = np.array(onehot).reshape([B, classes]);
  let params: W2Tree = {
    w1: np.array(d.w1).reshape([inputs, hidden]),
    w2: np.array(d.w2).reshape([hidden, classes]),
    bh: np.array(d.betaHidden),
    bo: np.array(d.betaOut),
  };
  let mu: W2Tree = tree.map((a: np.Array) => np.zerosLike(a.ref), params) as W2Tree;
  let nu: W2Tree = tree.map((a: np.Array) => np.zerosLike(a.ref), params) as W2Tree;
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];

  const loss = (q: W2Tree, x: np.Array, labels: np.Array) => {
    const xs = x.reshape([T, B, inputs]);
    const bh = np.clip(q.bh, 0, 1), bo = np.clip(q.bo, 0, 1);
    let v = np.zeros([B, hidden]), vo = np.zeros([B, classes]), logits = np.zeros([B, classes]);
    for (let t = 0; t < T; t++) {
      const s = spike(v.ref.sub(1));
      v = bh.ref.mul(v).add(np.matmul(xs.ref.slice(t), q.w1.ref)).sub(s.ref);
      vo = bo.ref.mul(vo).add(np.matmul(s, q.w2.ref));
      logits = logits.add(vo.ref);
    }
    xs.dispose();
    q.w1.dispose();
    bh.dispose();
    bo.dispose();
    v.dispose();
    vo.dispose();
    q.w2.dispose();
    return labels.mul(jnn.logSoftmax(logits, -1)).sum(-1).mean().neg();
  };

  const adamLeaf = (p: np.Array, g: np.Array, m: np.Array, v: np.Array, c1: np.Array, c2: np.Array) => {
    const m2 = m.mul(b1).add(g.ref.mul(1 - b1));
    const v2 = v.mul(b2).add(g.ref.mul(g).mul(1 - b2));
    const update = m2.ref.mul(c1).div(np.sqrt(v2.ref.mul(c2)).add(eps)).mul(LEARNING_RATE);
    return [p.sub(update), m2, v2];
  };

  const trainStep = jit(
    (q: W2Tree, m: W2Tree, v: W2Tree, c1: np.Array, c2: np.Array, x: np.Array, labels: np.Array) => {
      const [value, g] = valueAndGrad(loss)(tree.ref(q), x, labels);
      const out = { q: {} as W2Tree, m: {} as W2Tree, v: {} as W2Tree };
      for (const key of ["w1", "w2", "bh", "bo"] as const) {
        const [pk, mk, vk] = adamLeaf(q[key], g[key], m[key], v[key], c1.ref, c2.ref);
        out.q[key] = pk;
        out.m[key] = mk;
        out.v[key] = vk;
      }
      c1.dispose();
      c2.dispose();
      return [value, out.q, out.m, out.v] as [np.Array, W2Tree, W2Tree, W2Tree];
    },
  );

  let count = 0;
  return async () => {
    count++;
    const c1 = np.array([1 / (1 - b1 ** count)]).reshape([]), c2 = np.array([1 / (1 - b2 ** count)]).reshape([]);
    const [value, q, m, v] = trainStep(params, mu, nu, c1, c2, x.ref, labels.ref);
    [params, mu, nu] = [q, m, v];
    await blockUntilReady(params);
    return (await value.data())[0];
  };
}

function w3({ m, k, n }: W3Params): () => Promise<unknown> {
  const a = np.array(uniformArray(m * k, 1, -1, 1)).reshape([m, k]);
  const b = np.array(uniformArray(k * n, 2, -1, 1)).reshape([k, n]);
  const product = jit((a: np.Array, b: np.Array) => np.matmul(a, b));
  return async () => {
    const c = product(a.ref, b.ref);
    await blockUntilReady(c);
    c.dispose();
  };
}

/**
 * Starts jax-js on its wasm device and builds the step of `c`, or null for
 * W4 (not ported to the peers).
 *
 * @example
 * ```ts
 * import { benchCases } from "../workloads/spec.ts";
 * const step = await buildJaxjs(benchCases(true)[3]);
 * await step?.();
 * ```
 */
export async function buildJaxjs(c: BenchCase): Promise<(() => Promise<unknown>) | null> {
  await init();
  defaultDevice("wasm");
  const p = c.params;
  switch (p.kind) {
    case "W1":
      return w1(p);
    case "W2":
      return w2(p);
    case "W3":
      return w3(p);
    case "W4":
      return null;
  }
}
