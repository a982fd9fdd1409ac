import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, optim, type Tensor, tree, vjp } from "../mod.ts";
import { assertAllClose, loadReference, refTensor, relError } from "./support/numeric.ts";

type Arr = { shape: number[]; data: number[] };
type Dtype = "float32" | "float64";
const REF = loadReference("optimizers.json");

const toTree = (p: Record<string, Arr>, dtype: Dtype) => ({ a: refTensor(p.a, dtype), b: refTensor(p.b, dtype) });

// deno-lint-ignore no-explicit-any
function fromConfig(name: string, c: any): optim.GradientTransformation {
  const adamOpts = { b1: c.b1, b2: c.b2, eps: c.eps };
  switch (name) {
    case "sgd":
      return optim.sgd(c.learning_rate);
    case "sgd_momentum":
      return optim.sgd(c.learning_rate, { momentum: c.momentum });
    case "sgd_nesterov":
      return optim.sgd(c.learning_rate, { momentum: c.momentum, nesterov: true });
    case "adam":
      return optim.adam(c.learning_rate, adamOpts);
    case "adamw":
      return optim.adamw(c.learning_rate, { ...adamOpts, weightDecay: c.weight_decay });
    case "rmsprop":
      return optim.rmsprop(c.learning_rate, { decay: c.decay, eps: c.eps });
    case "rmsprop_torch":
      return optim.rmsprop(c.learning_rate, { decay: c.decay, eps: c.eps, form: "torch" });
    case "chain_clip_adam":
      return optim.chain(optim.clipByGlobalNorm(c.max_norm), optim.adam(c.learning_rate, adamOpts));
    default:
      throw new Error(`no mapping for reference case ${name}`);
  }
}

/** Runs `opt` over the reference gradients; returns the params after each update. */
function runSteps(opt: optim.GradientTransformation, params: Record<string, Tensor>, grads: Record<string, Tensor>[]) {
  let state = opt.init(params);
  const out: Record<string, Tensor>[] = [];
  for (const g of grads) {
    const [updates, next] = opt.update(g, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    out.push(params);
  }
  return { params: out, state };
}

describe("optimizers: golden (optimizers.json)", () => {
  for (const dtype of ["float64", "float32"] as const) {
    REF.cases.forEach((c: { name: string; config: unknown; params: Record<string, Arr>[] }, k: number) => {
      test(`${c.name} #${k} ${JSON.stringify(c.config)} (${dtype})`, () => {
        const grads = REF.grads.map((g: Record<string, Arr>) => toTree(g, dtype));
        const { params, state } = runSteps(fromConfig(c.name, c.config), toTree(REF.params0, dtype), grads);
        params.forEach((p, step) => {
          for (const leaf of ["a", "b"]) {
            const got = p[leaf], want = c.params[step][leaf];
            assert.equal(got.dtype, dtype, `${leaf} keeps its dtype`);
            assert.deepEqual(got.shape, want.shape);
            if (dtype === "float64") {
              const e = relError(got.dataSync(), want.data);
              assert.ok(e <= 1e-10, `update ${step + 1}, leaf ${leaf}: relative error ${e}`);
            } else {
              assertAllClose(got.dataSync(), want.data, { rtol: 1e-4, atol: 1e-5 }, `update ${step + 1} ${leaf}`);
            }
          }
        });
        for (const leaf of tree.leaves(state)) {
          if (typeof leaf === "number") continue;
          assert.equal((leaf as Tensor).dtype, dtype, "optimizer state keeps the params' dtype");
        }
      });
    });
  }

  test("the reference file's cases are all mapped, and the update count is kept as a plain number", () => {
    const names = new Set(REF.cases.map((c: { name: string }) => c.name));
    assert.deepEqual(
      [...names].sort(),
      ["adam", "adamw", "chain_clip_adam", "rmsprop", "rmsprop_torch", "sgd", "sgd_momentum", "sgd_nesterov"],
    );
    const opt = optim.adam(1e-3);
    const grads = REF.grads.map((g: Record<string, Arr>) => toTree(g, "float64"));
    const { state } = runSteps(opt, toTree(REF.params0, "float64"), grads);
    assert.equal(state[0].count, 3);
  });

  test("globalNorm matches grad_global_norms", () => {
    REF.grads.forEach((g: Record<string, Arr>, i: number) => {
      const n = optim.globalNorm(toTree(g, "float64"));
      assert.ok(Math.abs(n.item() as number - REF.grad_global_norms[i]) <= 1e-12 * REF.grad_global_norms[i]);
    });
  });
});

// --- Independent oracles: the optax formulas, element by element in float64 JS. ---

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

/** One element's optimizer: `(g, p, t) => update` with its own state, `t` counting from 1. */
type ElementRule = () => (g: number, p: number, t: number) => number;

/**
 * Runs `opt` over `steps` random gradients on a params tree {x: [2, 3], y: [4]} and
 * compares every update with `rule` applied to every element.
 */
function checkAgainstRule(opt: optim.GradientTransformation, rule: ElementRule, seed: number, steps = 4): void {
  const shapes = { x: [2, 3], y: [4] };
  const p0 = { x: values(6, seed).map((v) => v * 2), y: values(4, seed + 1).map((v) => v * 2) };
  let params: Record<string, Tensor> = {
    x: np.array(p0.x, { shape: shapes.x, dtype: "float64" }),
    y: np.array(p0.y, { shape: shapes.y, dtype: "float64" }),
  };
  const rules = { x: p0.x.map(() => rule()), y: p0.y.map(() => rule()) };
  const cur = { x: p0.x.slice(), y: p0.y.slice() };
  let state = opt.init(params);
  for (let t = 1; t <= steps; t++) {
    const g = { x: values(6, seed + 10 * t).map((v) => v * 3), y: values(4, seed + 10 * t + 1) };
    const [updates, next] = opt.update(
      {
        x: np.array(g.x, { shape: shapes.x, dtype: "float64" }),
        y: np.array(g.y, { shape: shapes.y, dtype: "float64" }),
      },
      state,
      params,
    );
    for (const k of ["x", "y"] as const) {
      const want = cur[k].map((p, i) => rules[k][i](g[k][i], p, t));
      const got = (updates as Record<string, Tensor>)[k].dataSync();
      assertAllClose(got, want, { rtol: 1e-11, atol: 1e-14 }, `step ${t} leaf ${k}`);
      cur[k] = cur[k].map((p, i) => p + want[i]);
    }
    params = optim.applyUpdates(params, updates) as Record<string, Tensor>;
    state = next;
  }
}

describe("optimizers: element-wise oracles", () => {
  test("adagrad: s = 0.1 + sum g^2, update -lr*g/sqrt(s + 1e-7)", () => {
    checkAgainstRule(optim.adagrad(0.05), () => {
      let s = 0.1;
      return (g) => {
        s += g * g;
        return -0.05 * g / Math.sqrt(s + 1e-7);
      };
    }, 1);
  });

  test("lion with weight decay: -lr*(sign(b1*m + (1-b1)*g) + wd*p), m = b2*m + (1-b2)*g", () => {
    checkAgainstRule(optim.lion(0.01, { b1: 0.8, b2: 0.95, weightDecay: 0.1 }), () => {
      let m = 0;
      return (g, p) => {
        const u = Math.sign(0.8 * m + 0.2 * g);
        m = 0.95 * m + 0.05 * g;
        return -0.01 * (u + 0.1 * p);
      };
    }, 2);
  });

  test("centered rmsprop with momentum (torch form)", () => {
    const lr = 0.01, d = 0.8, eps = 1e-6, mom = 0.5;
    checkAgainstRule(optim.rmsprop(lr, { decay: d, eps, centered: true, momentum: mom, form: "torch" }), () => {
      let mu = 0, nu = 0, buf = 0;
      return (g) => {
        mu = d * mu + (1 - d) * g;
        nu = d * nu + (1 - d) * g * g;
        buf = -lr * g / (Math.sqrt(nu - mu * mu) + eps) + mom * buf;
        return buf;
      };
    }, 3);
  });

  test("rmsprop with initialScale and eps inside the root", () => {
    checkAgainstRule(optim.rmsprop(0.02, { decay: 0.7, eps: 1e-4, initialScale: 0.5 }), () => {
      let nu = 0.5;
      return (g) => {
        nu = 0.7 * nu + 0.3 * g * g;
        return -0.02 * g / Math.sqrt(nu + 1e-4);
      };
    }, 4);
  });

  test("adam with epsRoot and a schedule as learning rate (evaluated at counts 0, 1, 2, ...)", () => {
    const schedule = optim.exponentialDecay({ initValue: 0.1, transitionSteps: 2, decayRate: 0.5 });
    checkAgainstRule(optim.adam(schedule, { b1: 0.5, b2: 0.75, eps: 1e-3, epsRoot: 1e-2 }), () => {
      let m = 0, v = 0;
      return (g, _p, t) => {
        m = 0.5 * m + 0.5 * g;
        v = 0.75 * v + 0.25 * g * g;
        const lr = 0.1 * 0.5 ** ((t - 1) / 2);
        return -lr * (m / (1 - 0.5 ** t)) / (Math.sqrt(v / (1 - 0.75 ** t) + 1e-2) + 1e-3);
      };
    }, 5);
  });

  test("adam's one-pass CPU update equals its ops bit for bit; under a tape the ops run and are differentiable", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const epsRoot of [0, 1e-3]) {
        const opt = optim.scaleByAdam({ b1: 0.8, b2: 0.95, eps: 1e-6, epsRoot });
        const p = { w: np.array([0.5, -1.5, 2, 0.25, -3], { dtype }) };
        const grads = [[0.3, -2, 0.001, 7, -0.5], [-1, 0.25, 3, -0.125, 2]].map((g) => ({ w: np.array(g, { dtype }) }));
        type W = { w: Tensor };
        let fused = opt.init(p), taped = opt.init(p);
        for (const g of grads) {
          const [uFused, sFused] = opt.update(g, fused) as [W, optim.ScaleByAdamState];
          // vjp's forward runs under a tape, so the update takes the op-by-op path.
          let uTaped: W | undefined, sTaped: optim.ScaleByAdamState | undefined;
          vjp((w: Tensor) => {
            [uTaped, sTaped] = opt.update({ w: np.add(g.w, np.mul(w, 0)) }, taped) as [W, optim.ScaleByAdamState];
            return uTaped.w;
          }, p.w);
          assert.deepEqual(uFused.w.dataSync(), uTaped!.w.dataSync(), `${dtype} epsRoot ${epsRoot}: update`);
          assert.deepEqual((sFused.mu as W).w.dataSync(), (sTaped!.mu as W).w.dataSync(), "first moment");
          assert.deepEqual((sFused.nu as W).w.dataSync(), (sTaped!.nu as W).w.dataSync(), "second moment");
          [fused, taped] = [sFused, sTaped!];
        }
      }
    }
    // A meta-gradient: d/dp of a loss after one Adam step from p, against central differences.
    const opt = optim.adam(0.1);
    const after = (p: Tensor) => {
      const g = grad((q: Tensor) => np.sum(np.pow(q, 3)))(p) as Tensor;
      const [u] = opt.update({ w: g }, opt.init({ w: p }));
      return np.sum(np.square((optim.applyUpdates({ w: p }, u) as { w: Tensor }).w));
    };
    const p0 = [0.7, -0.4];
    const auto = (grad(after)(np.array(p0, { dtype: "float64" })) as Tensor).dataSync();
    for (let i = 0; i < p0.length; i++) {
      const at = (d: number) => after(np.array(p0.map((x, j) => (j === i ? x + d : x)), { dtype: "float64" })).item();
      const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
      assert.ok(Math.abs(auto[i] - fd) <= 1e-6 * (1 + Math.abs(fd)), `meta-gradient ${i}: ${auto[i]} vs ${fd}`);
    }
  });

  test("adamw with a mask decays only the masked leaves", () => {
    const opt = optim.adamw(0.1, { weightDecay: 0.5, mask: (p) => tree.map(() => false, p) });
    const plain = optim.adam(0.1);
    const params = { w: np.array([1, -2], { dtype: "float64" }) };
    const g = { w: np.array([0.3, 0.4], { dtype: "float64" }) };
    const [u1] = opt.update(g, opt.init(params), params);
    const [u2] = plain.update(g, plain.init(params));
    assert.deepEqual(u1.w.dataSync(), u2.w.dataSync());
    const decayAll = optim.adamw(0.1, { weightDecay: 0.5, mask: { w: true } });
    const [u3] = decayAll.update(g, decayAll.init(params), params);
    // Adam's first step is -lr*g/(|g| + eps); the decay adds -lr*wd*p.
    assertAllClose(u3.w.dataSync(), [-0.1 * (0.3 / (0.3 + 1e-8) + 0.5), -0.1 * (0.4 / (0.4 + 1e-8) - 1)]);
  });

  test("sgd over random gradients: params follow p - lr*g exactly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0, max: 2, noNaN: true }), (seed, lr) => {
        checkAgainstRule(optim.sgd(lr), () => (g) => -lr * g, seed, 2);
      }),
      { numRuns: 15 },
    );
  });
});

describe("optimizers: structure, dtypes and state", () => {
  test("applyUpdates casts back to each parameter's dtype and keeps null leaves", () => {
    const params = { w: np.array([1, 2], { dtype: "float32" }), skip: null, v: np.array([1], { dtype: "float64" }) };
    const updates = {
      w: np.array([0.5, 0.25], { dtype: "float64" }),
      skip: null,
      v: np.array([1], { dtype: "float64" }),
    };
    const out = optim.applyUpdates(params, updates);
    assert.equal(out.w.dtype, "float32");
    assert.equal(out.skip, null);
    assert.deepEqual(Array.from(out.w.dataSync()), [1.5, 2.25]);
    assert.deepEqual(Array.from(out.v.dataSync()), [2]);
  });

  test("state survives a round trip through its leaves (checkpointing)", () => {
    const opt = optim.chain(
      optim.clipByGlobalNorm(1),
      optim.adamw(optim.cosineDecay({ initValue: 0.1, decaySteps: 5 })),
    );
    const params = { w: np.array([1, -1, 0.5], { dtype: "float64" }) };
    const g = (i: number) => ({ w: np.array(values(3, i), { dtype: "float64" }) });
    const [, s1] = opt.update(g(1), opt.init(params), params);
    const [leaves, def] = tree.flatten(s1);
    assert.ok(leaves.every((l) => typeof l === "number" || (l as Tensor).dtype === "float64"));
    const copied = leaves.map((l) =>
      typeof l === "number"
        ? JSON.parse(JSON.stringify(l))
        : np.array((l as Tensor).dataSync(), { shape: (l as Tensor).shape as number[], dtype: "float64" })
    );
    const restored = tree.unflatten(def, copied);
    const [ua] = opt.update(g(2), s1, params);
    const [ub] = opt.update(g(2), restored, params);
    assert.deepEqual(ua.w.dataSync(), ub.w.dataSync());
  });

  test("float32 params with float64 gradients: state stays float32", () => {
    const opt = optim.adam(0.1);
    const params = { w: np.ones([2]) };
    const [updates, state] = opt.update({ w: np.ones([2], { dtype: "float64" }) }, opt.init(params));
    assert.equal(state[0].mu.w.dtype, "float32");
    assert.equal(state[0].nu.w.dtype, "float32");
    assert.equal(optim.applyUpdates(params, updates).w.dtype, "float32");
  });

  test("a training loop with grad decreases a quadratic", () => {
    const loss = (p: { w: Tensor }) => np.sum(np.square(np.sub(p.w, np.array([3, -1]))));
    for (
      const opt of [
        optim.sgd(0.1, { momentum: 0.5 }),
        optim.adam(0.3),
        optim.rmsprop(0.1),
        optim.adagrad(1),
        optim.lion(0.1, { weightDecay: 0 }),
      ]
    ) {
      let params = { w: np.zeros([2]) };
      let state = opt.init(params);
      const before = loss(params).item() as number;
      for (let i = 0; i < 30; i++) {
        const [u, s] = opt.update(grad(loss)(params), state, params);
        params = optim.applyUpdates(params, u);
        state = s;
      }
      assert.ok((loss(params).item() as number) < before * 0.1, `loss ${loss(params).item()} from ${before}`);
    }
  });
});

describe("chain and clipping", () => {
  test("chain() is the identity; chain of scales multiplies; state is an array in order", () => {
    const g = { w: np.array([1, -2], { dtype: "float64" }) };
    const empty = optim.chain();
    assert.deepEqual(empty.init(g), []);
    assert.equal(empty.update(g, [])[0], g);
    const two = optim.chain(optim.scale(2), optim.scaleBySchedule((s) => s + 3));
    const [u, st] = two.update(g, two.init(g));
    assert.deepEqual(Array.from(u.w.dataSync()), [6, -12]);
    assert.deepEqual(st, [{}, { count: 1 }]);
  });

  test("clipByGlobalNorm: below, at and above the threshold; zero gradients stay zero", () => {
    const t = optim.clipByGlobalNorm(5);
    const run = (a: number[], b: number[]) => {
      const [u] = t.update(
        { a: np.array(a, { dtype: "float64" }), b: [np.array(b, { dtype: "float64" })] },
        t.init({}),
      );
      return [...u.a.dataSync(), ...u.b[0].dataSync()];
    };
    assert.deepEqual(run([1, 2], [2]), [1, 2, 2]); // norm 3
    assert.deepEqual(run([3], [4]), [3, 4]); // norm exactly 5
    assertAllClose(run([6], [8]), [3, 4], { rtol: 1e-15 }); // norm 10
    assert.deepEqual(run([0, 0], [0]), [0, 0, 0]);
  });

  test("clipByGlobalNorm: the clipped norm is min(norm, maxNorm) (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0.01, max: 10, noNaN: true }), (seed, maxNorm) => {
        const g = {
          a: np.array(values(5, seed).map((v) => v * 4), { dtype: "float64" }),
          b: np.array(values(3, seed + 1), { dtype: "float64" }),
        };
        let sq = 0;
        for (const l of tree.leaves(g) as Tensor[]) for (const v of l.dataSync()) sq += v * v;
        const t = optim.clipByGlobalNorm(maxNorm);
        const [u] = t.update(g, t.init(g));
        const n = optim.globalNorm(u).item() as number;
        assert.ok(Math.abs(n - Math.min(Math.sqrt(sq), maxNorm)) <= 1e-12 * maxNorm);
      }),
      { numRuns: 20 },
    );
  });

  test("clip bounds each element; addDecayedWeights(0) needs no params", () => {
    const t = optim.clip(0.5);
    const [u] = t.update({ w: np.array([-2, 0.25, 0.5, 3], { dtype: "float64" }) }, t.init({}));
    assert.deepEqual(Array.from(u.w.dataSync()), [-0.5, 0.25, 0.5, 0.5]);
    const d = optim.addDecayedWeights(0);
    const g = { w: np.ones([2]) };
    assert.equal(d.update(g, d.init(g))[0], g);
  });
});

describe("schedules (closed forms)", () => {
  const steps = fc.integer({ min: 0, max: 400 });
  const near = (got: number, want: number) =>
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);

  test("constant", () => {
    fc.assert(fc.property(steps, (s) => assert.equal(optim.constant(0.3)(s), 0.3)), { numRuns: 10 });
  });

  test("exponentialDecay: smooth, staircase, delayed start and end value", () => {
    const smooth = optim.exponentialDecay({ initValue: 2, transitionSteps: 10, decayRate: 0.5 });
    near(smooth(10), 1);
    near(smooth(25), 2 * Math.SQRT1_2 / 2 / 2);
    const stair = optim.exponentialDecay({
      initValue: 2,
      transitionSteps: 10,
      decayRate: 0.5,
      staircase: true,
      transitionBegin: 5,
      endValue: 0.3,
    });
    fc.assert(
      fc.property(steps, (s) => {
        const want = s <= 5 ? 2 : Math.max(2 * 0.5 ** Math.floor((s - 5) / 10), 0.3);
        near(stair(s), want);
      }),
      { numRuns: 30 },
    );
    const grow = optim.exponentialDecay({ initValue: 1, transitionSteps: 4, decayRate: 2, endValue: 5 });
    near(grow(4), 2);
    near(grow(100), 5);
  });

  test("cosineDecay: init at 0, half-way value, alpha floor after decaySteps", () => {
    const s = optim.cosineDecay({ initValue: 0.8, decaySteps: 100, alpha: 0.1 });
    near(s(0), 0.8);
    near(s(50), 0.8 * (0.9 * 0.5 + 0.1));
    near(s(100), 0.08);
    near(s(1000), 0.08);
    fc.assert(
      fc.property(steps, (k) => near(s(k), 0.8 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(k, 100) / 100)) + 0.1))),
      { numRuns: 30 },
    );
  });

  test("warmupCosineDecay: linear warmup then cosine to endValue", () => {
    const s = optim.warmupCosineDecay({
      initValue: 0.1,
      peakValue: 1,
      warmupSteps: 20,
      decaySteps: 120,
      endValue: 0.2,
    });
    fc.assert(
      fc.property(steps, (k) => {
        const want = k < 20
          ? 0.1 + 0.9 * k / 20
          : 0.2 + 0.8 * 0.5 * (1 + Math.cos(Math.PI * Math.min(k - 20, 100) / 100));
        near(s(k), want);
      }),
      { numRuns: 30 },
    );
    near(s(20), 1);
    near(s(70), 0.6);
    const noWarmup = optim.warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 0, decaySteps: 10 });
    near(noWarmup(0), 1);
  });

  test("piecewiseConstant: scales apply from their boundary on, in boundary order", () => {
    const s = optim.piecewiseConstant({ initValue: 1, boundariesAndScales: { 200: 0.5, 100: 0.1 } });
    assert.deepEqual([s(0), s(99), s(100), s(199)], [1, 1, 0.1, 0.1]);
    near(s(200), 0.05);
    const pairs = optim.piecewiseConstant({ initValue: 3, boundariesAndScales: [[10, 2]] });
    assert.deepEqual([pairs(9), pairs(10)], [3, 6]);
    assert.equal(optim.piecewiseConstant({ initValue: 4 })(1e6), 4);
  });

  test("linearSchedule, polynomialSchedule and joinSchedules", () => {
    const lin = optim.linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 8, transitionBegin: 2 });
    assert.deepEqual([lin(0), lin(2), lin(6), lin(10), lin(50)], [1, 1, 0.5, 0, 0]);
    const poly = optim.polynomialSchedule({ initValue: 2, endValue: 1, power: 3, transitionSteps: 4 });
    near(poly(2), 1 + 0.125);
    const joined = optim.joinSchedules([optim.constant(1), optim.constant(2), (k) => k], [5, 10]);
    assert.deepEqual([joined(4), joined(5), joined(9), joined(10), joined(13)], [1, 2, 2, 0, 3]);
  });
});

describe("errors", () => {
  const p = { w: np.zeros([2]) };
  test("bad options name the function and the value", () => {
    assert.throws(() => optim.sgd(-0.1), /sgd: learning rate must be a finite number >= 0, got -0.1/);
    assert.throws(() => optim.adam(NaN), /adam: learning rate .* got NaN/);
    assert.throws(() => optim.adam(1e-3, { eps: -1 }), /adam: eps must be .* >= 0, got -1/);
    assert.throws(() => optim.adam(1e-3, { b1: 1 }), /adam: b1 must be .* < 1, got 1/);
    assert.throws(() => optim.adamw(1e-3, { weightDecay: -1 }), /adamw: weightDecay/);
    assert.throws(() => optim.adamw(1e-3, { weight_decay: 0.1 } as never), /adamw: unknown option "weight_decay"/);
    assert.throws(() => optim.rmsprop(1e-3, { decay: 1.5 }), /rmsprop: decay must be .* <= 1, got 1.5/);
    assert.throws(() => optim.rmsprop(1e-3, { form: "keras" as never }), /rmsprop: form must be "optax" or "torch"/);
    assert.throws(() => optim.adagrad(0.1, { eps: -1e-7 }), /adagrad: eps/);
    assert.throws(() => optim.lion(0.1, { b2: 2 }), /lion: b2/);
    assert.throws(() => optim.sgd(0.1, { nesterov: true }), /sgd: nesterov: true needs a momentum/);
    assert.throws(() => optim.clipByGlobalNorm(0), /clipByGlobalNorm: maxNorm must be .* > 0, got 0/);
    assert.throws(() => optim.clip(-1), /clip: maxDelta/);
    assert.throws(
      () => optim.exponentialDecay({ initValue: 1, transitionSteps: 0, decayRate: 0.5 }),
      /exponentialDecay: transitionSteps/,
    );
    assert.throws(() => optim.cosineDecay({ initValue: 1, decaySteps: -5 }), /cosineDecay: decaySteps/);
    assert.throws(
      () => optim.warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 10 }),
      /warmupCosineDecay: decaySteps must be .* > 10/,
    );
    assert.throws(
      () => optim.piecewiseConstant({ initValue: 1, boundariesAndScales: { 5: -1 } }),
      /piecewiseConstant: scale at boundary 5/,
    );
    assert.throws(
      () => optim.joinSchedules([optim.constant(1)], [3]),
      /joinSchedules: 1 schedules need 0 boundaries, got 1/,
    );
    assert.throws(() => optim.chain(optim.sgd(1), {} as never), /chain: argument 1 is not a gradient transformation/);
  });

  test("gradients that do not match the state's tree name both structures", () => {
    const opt = optim.adam(1e-3);
    const state = opt.init(p);
    assert.throws(
      () => opt.update({ v: np.zeros([2]) }, state),
      /scaleByAdam: updates and mu \(first moment\) have different tree structures: updates has leaves \[v\], mu \(first moment\) has \[w\]/,
    );
    assert.throws(
      () => opt.update({ w: np.zeros([3]) }, state),
      /scaleByAdam: updates leaf w has shape \[3\] but mu \(first moment\) has shape \[2\]/,
    );
    assert.throws(
      () => optim.applyUpdates(p, { w: np.zeros([2, 1]) }),
      /applyUpdates: params leaf w has shape \[2\] but updates has shape \[2,1\]/,
    );
    assert.throws(() => opt.update(p, [state[0]]), /chain: expected a state array of 2 entries/);
    assert.throws(
      () => optim.sgd(1).update({ w: [1, 2] }, optim.sgd(1).init(p)),
      /updates leaf w.0 must be a Tensor/,
    );
  });

  test("weight decay without params, a NaN schedule, a bad mask", () => {
    const opt = optim.adamw(1e-3);
    assert.throws(() => opt.update(p, opt.init(p)), /addDecayedWeights: this transformation needs the parameters/);
    const nanLr = optim.sgd((s) => (s > 0 ? NaN : 1));
    const [, s1] = nanLr.update(p, nanLr.init(p));
    assert.throws(() => nanLr.update(p, s1), /the schedule returned NaN at step 1/);
    const masked = optim.addDecayedWeights(0.1, { mask: { v: true } });
    assert.throws(() => masked.update(p, masked.init(p), p), /addDecayedWeights: mask must be a tree of booleans/);
  });
});
