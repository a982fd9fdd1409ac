import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { customVjp, grad, noGrad, np, scan, stopGradient, type Tensor, valueAndGrad, vjp } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";
import { f64, numel, randomTensor, randomValues, seedArb, shapeArb } from "./support/arbitraries.ts";

const RUNS = { numRuns: 12 };

describe("grad and valueAndGrad", () => {
  test("closed forms: d/dx sum(x^2) = 2x, d/dx sum(tanh x) = 1 - tanh^2", () => {
    const x = f64([1, -2, 3], [3]);
    assert.deepEqual(grad((v) => np.sum(np.square(v)))(x).toArray(), [2, -4, 6]);
    const g = grad((v) => np.sum(np.tanh(v)))(x);
    assertAllClose(g.dataSync(), [1, -2, 3].map((v) => 1 - Math.tanh(v) ** 2), { rtol: 1e-14 });
  });

  test("pytree arguments give gradients of the same structure; number leaves are float32 scalars", () => {
    const params = { w: f64([1, 2], [2]), layers: [{ b: f64([0.5], [1]) }], steps: 3 };
    const g = grad((p: typeof params, x: Tensor) => np.sum(np.mul(np.add(np.mul(p.w, x), p.layers[0].b), p.steps)))(
      params,
      f64([3, 4], [2]),
    );
    assert.deepEqual(Object.keys(g).sort(), ["layers", "steps", "w"]);
    assert.deepEqual(g.w.toArray(), [9, 12]);
    assert.deepEqual(g.layers[0].b.toArray(), [6]);
    // d/dsteps of steps * sum(w * x + b) = 3.5 + 8.5
    assert.equal(g.steps.dtype, "float32");
    assert.equal(g.steps.item(), 12);
  });

  test("argnums (number or array) and hasAux; valueAndGrad returns the value", () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => np.sum(np.mul(np.mul(a, b), np.exp(c)));
    const a = f64([2], [1]), b = f64([3], [1]), c = f64([0], [1]);
    assert.deepEqual(grad(f, { argnums: 1 })(a, b, c).toArray(), [2]);
    const [ga, gc] = grad(f, { argnums: [0, 2] })(a, b, c);
    assert.deepEqual(ga.toArray(), [3]);
    assert.deepEqual(gc.toArray(), [6]);
    const [value, grads] = valueAndGrad(f, { argnums: [2, 0] })(a, b, c);
    assert.equal(value.item(), 6);
    assert.deepEqual(grads.map((t: Tensor) => t.item()), [6, 3]);
    const withAux = (x: Tensor) => [np.sum(np.square(x)), { norm: np.sqrt(np.sum(np.square(x))), tag: 1 }];
    const [[v, aux], g] = valueAndGrad(withAux, { hasAux: true })(f64([3, 4], [2]));
    assert.equal(v.item(), 25);
    assert.equal(aux.norm.item(), 5);
    assert.equal(aux.tag, 1);
    assert.deepEqual(g.toArray(), [6, 8]);
    const [g2, aux2] = grad(withAux, { hasAux: true })(f64([1], [1]));
    assert.deepEqual(g2.toArray(), [2]);
    assert.equal(aux2.norm.item(), 1);
    const [gs, aux3] = grad((x: Tensor, y: Tensor) => [np.sum(np.mul(x, y)), y], { argnums: [0, 1], hasAux: true })(
      a,
      b,
    );
    assert.deepEqual(gs.map((t: Tensor) => t.item()), [3, 2]);
    assert.deepEqual(aux3.toArray(), b.toArray());
  });

  test("integer and bool inputs get zero gradients; unused inputs get zeros", () => {
    const i = np.array([1, 2], { dtype: "int32" });
    const g = grad((x: Tensor) => np.sum(np.astype(x, "float32")))(i);
    assert.equal(g.dtype, "int32");
    assert.deepEqual(g.toArray(), [0, 0]);
    const [, gy] = grad((x: Tensor, _y: Tensor) => np.sum(x), { argnums: [0, 1] })(f64([1], [1]), f64([1, 2], [2]));
    assert.deepEqual(gy.toArray(), [0, 0]);
  });

  test("a value used several times accumulates its gradient", () => {
    fc.assert(
      fc.property(shapeArb(0, 2), seedArb, (shape, seed) => {
        checkGradients((x) => np.mul(np.add(np.mul(x, x), np.sin(x)), np.exp(np.mul(x, 0.3))), [
          randomTensor(shape, seed),
        ]);
      }),
      RUNS,
    );
  });

  test("errors: non-scalar output, bad argnums, bad aux", () => {
    assert.throws(
      () => grad((x: Tensor) => x)(f64([1, 2], [2])),
      /grad: the function must return a float scalar tensor, got shape \[2\] float64/,
    );
    assert.throws(() => grad(() => np.array([1], { dtype: "int32" }))(f64([1], [1])), /grad: .* got shape \[1\] int32/);
    assert.throws(
      () => grad(() => 1)(f64([1], [1])),
      /grad: the function must return a float scalar tensor, got number/,
    );
    assert.throws(
      () => grad((x: Tensor) => np.sum(x), { argnums: 2 })(f64([1], [1])),
      /grad: argnums 2 is out of range for 1 arguments/,
    );
    assert.throws(
      () => grad((x: Tensor) => np.sum(x), { hasAux: true })(f64([1], [1])),
      /grad: with hasAux the function must return \[value, aux\]/,
    );
  });
});

describe("vjp", () => {
  test("pytree outputs: the cotangent has the output's structure", () => {
    const x = f64([1, 2], [2]);
    const [out, back] = vjp((v: Tensor) => ({ sq: np.square(v), s: np.sum(v) }), x);
    assert.deepEqual(out.sq.toArray(), [1, 4]);
    const [gx] = back({ sq: f64([1, 1], [2]), s: f64([10], []) });
    assert.deepEqual((gx as Tensor).toArray(), [12, 14]);
  });

  test("a float32 cotangent for a float64 output is converted", () => {
    const [, back] = vjp((v: Tensor) => np.mul(v, 3), f64([1], [1]));
    const [g] = back(np.array([2], { dtype: "float32" }));
    assert.equal((g as Tensor).dtype, "float64");
    assert.deepEqual((g as Tensor).toArray(), [6]);
  });

  test("errors: second call, wrong structure, wrong shape, non-tensor output", () => {
    const [, back] = vjp((v: Tensor) => np.square(v), f64([1], [1]));
    back(f64([1], [1]));
    assert.throws(() => back(f64([1], [1])), /vjp: the backward function can be called only once/);
    const [, back2] = vjp((v: Tensor) => [v, v], f64([1], [1]));
    assert.throws(() => back2(f64([1], [1])), /vjp: cotangent structure does not match the output structure/);
    const [, back3] = vjp((v: Tensor) => np.square(v), f64([1, 2], [2]));
    assert.throws(() => back3(f64([1], [1])), /vjp: cotangent 0 must be a Tensor of shape \[2\], got \[1\]/);
    assert.throws(() => vjp(() => 3 as never, f64([1], [1])), /vjp: output leaf 0 is number, not a Tensor/);
  });
});

describe("stopGradient and noGrad", () => {
  test("stopGradient treats its value as a constant (pytrees too)", () => {
    const x = f64([1, 2, 3], [3]);
    assert.deepEqual(grad((v: Tensor) => np.sum(np.mul(v, stopGradient(v))))(x).toArray(), [1, 2, 3]);
    const g = grad((v: Tensor) => {
      const frozen = stopGradient({ a: np.mul(v, 2), b: [v] });
      return np.sum(np.add(np.mul(frozen.a, v), frozen.b[0]));
    })(x);
    assert.deepEqual(g.toArray(), [2, 4, 6]);
    assert.deepEqual(stopGradient(x).toArray(), [1, 2, 3]);
  });

  test("noGrad hides computations from the tape", () => {
    const g = grad((v: Tensor) => np.add(np.sum(v), noGrad(() => np.sum(np.square(v)))))(f64([1, 2], [2]));
    assert.deepEqual(g.toArray(), [1, 1]);
  });
});

describe("customVjp", () => {
  // Heaviside forward with the fast-sigmoid surrogate derivative 1/(1+k|u|)^2.
  const spike = customVjp(
    (u: Tensor) => [np.astype(np.greater(u, 0), u.dtype), u],
    (u: Tensor, g: Tensor) => [np.div(g, np.square(np.add(1, np.mul(10, np.abs(u)))))],
  );

  test("forward runs fwd, backward runs bwd (surrogate closed form)", () => {
    const u = f64([-0.5, 0, 0.2, 1], [4]);
    assert.deepEqual(spike(u).toArray(), [0, 0, 1, 1]);
    const g = grad((v: Tensor) => np.sum(spike(v)))(u);
    assertAllClose(g.dataSync(), [-0.5, 0, 0.2, 1].map((v) => 1 / (1 + 10 * Math.abs(v)) ** 2), { rtol: 1e-14 });
  });

  test("an exact hand-written bwd agrees with finite differences (several pytree arguments)", () => {
    const f = customVjp(
      (p: { a: Tensor; b: Tensor }, x: Tensor) => [np.mul(np.mul(p.a, x), np.exp(p.b)), { p, x }],
      (r: { p: { a: Tensor; b: Tensor }; x: Tensor }, g: Tensor) => {
        const e = np.exp(r.p.b);
        const ga = np.sum(np.mul(np.mul(g, r.x), e), 0);
        const gb = np.sum(np.mul(np.mul(np.mul(g, r.p.a), r.x), e), 0);
        return [{ a: ga, b: gb }, np.mul(np.mul(g, r.p.a), e)];
      },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seedArb, (n, m, seed) => {
        checkGradients((a, b, x) => np.sin(f({ a, b }, x)), [
          randomTensor([m], seed),
          randomTensor([m], seed + 1),
          randomTensor([n, m], seed + 2),
        ]);
      }),
      RUNS,
    );
  });

  test("bwd written in ops is itself differentiable (second derivative)", () => {
    const cube = customVjp(
      (x: Tensor) => [np.pow(x, 3), x],
      (x: Tensor, g: Tensor) => [np.mul(g, np.mul(3, np.square(x)))],
    );
    const x = f64([-1, 0.5, 2], [3]);
    const d2 = grad((v: Tensor) => np.sum(grad((w: Tensor) => np.sum(cube(w)))(v)))(x);
    assertAllClose(d2.dataSync(), [-6, 3, 12]);
  });

  test("null cotangents are zeros; int arguments get none", () => {
    const f = customVjp(
      (x: Tensor, k: Tensor) => [np.mul(x, np.astype(k, x.dtype)), null],
      (_r: null, g: Tensor) => [g, null],
    );
    const [gx, gk] = grad((x: Tensor, k: Tensor) => np.sum(f(x, k)), { argnums: [0, 1] })(
      f64([1, 2], [2]),
      np.array([3, 3], { dtype: "int32" }),
    );
    assert.deepEqual(gx.toArray(), [1, 1]);
    assert.deepEqual(gk.toArray(), [0, 0]);
  });

  test("errors: wrong number or shape of cotangents", () => {
    const bad = customVjp((x: Tensor) => [x, null], (_r: null, g: Tensor) => [g, g]);
    assert.throws(() => grad((x: Tensor) => np.sum(bad(x)))(f64([1], [1])), /customVjp: bwd must return 1 cotangents/);
    const badShape = customVjp((x: Tensor) => [np.sum(x), null], (_r: null, g: Tensor) => [g]);
    assert.throws(
      () => grad((x: Tensor) => badShape(x))(f64([1, 2], [2])),
      /customVjp: cotangent 0 leaf 0 must have shape \[2\]/,
    );
  });
});

describe("scan", () => {
  /** The same loop written out by hand. */
  function loop(
    f: (c: Tensor, x: Tensor) => [Tensor, Tensor],
    c: Tensor,
    xs: Tensor,
    reverse: boolean,
  ): [Tensor, Tensor] {
    const T = xs.shape[0];
    const ys: Tensor[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const xt = np.squeeze(
        np.slice(xs, xs.shape.map((_, i) => (i === 0 ? t : 0)), xs.shape.map((d, i) => (i === 0 ? t + 1 : d))),
        0,
      );
      [c, ys[t]] = f(c, xt);
    }
    return [c, np.stack(ys)];
  }

  test("forward equals the hand-written loop (forward and reverse)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        seedArb,
        fc.boolean(),
        (T, n, seed, reverse) => {
          const xs = randomTensor([T, n], seed), c0 = randomTensor([n], seed + 1), w = randomTensor([n], seed + 2);
          const body = (c: Tensor, x: Tensor): [Tensor, Tensor] => [np.tanh(np.add(np.mul(c, w), x)), np.mul(c, 2)];
          const [c, ys] = scan(body, c0, xs, { reverse });
          const [cRef, ysRef] = loop(body, c0, xs, reverse);
          assertAllClose(c.dataSync(), cRef.dataSync(), { rtol: 1e-14 });
          assert.deepEqual(ys.shape, [T, n]);
          assertAllClose(ys.dataSync(), ysRef.dataSync(), { rtol: 1e-14 });
        },
      ),
      RUNS,
    );
  });

  test("gradients w.r.t. carry, xs and closed-over tensors (forward and reverse)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        seedArb,
        fc.boolean(),
        (T, n, seed, reverse) => {
          checkGradients((xs, w, b, c0) => {
            const [c, ys] = scan(
              (c: Tensor, x: Tensor) => {
                const h = np.tanh(np.add(np.add(np.mul(c, w), x), b));
                return [h, np.mul(h, x)];
              },
              c0,
              xs,
              { reverse },
            );
            return np.concatenate([np.reshape(ys, [-1]), c]);
          }, [
            randomTensor([T, n], seed),
            randomTensor([n], seed + 1),
            randomTensor([], seed + 2),
            randomTensor([n], seed + 3),
          ]);
        },
      ),
      RUNS,
    );
  });

  test("pytree carry and xs, xs = null with a length, closed-over tensors returned as they are", () => {
    const w = f64([0.5, -1], [2]);
    checkGradients((a, xs) => {
      const [carry, ys] = scan(
        (
          c: { h: Tensor; n: Tensor[] },
          x: { u: Tensor },
        ) => [{ h: np.add(np.mul(c.h, w), x.u), n: [np.add(c.n[0], 1)] }, [w, c.h]],
        { h: a, n: [f64([0], [])] },
        { u: xs },
      );
      return np.concatenate([carry.h, np.reshape(ys[0], [-1]), np.reshape(ys[1], [-1]), np.reshape(carry.n[0], [1])]);
    }, [f64([1, 2], [2]), randomTensor([3, 2], 4)]);
    checkGradients((v) => {
      const [c, ys] = scan((c: Tensor, _x: null) => [np.mul(c, v), v], f64([1, 1], [2]), null, { length: 3 });
      return np.concatenate([c, np.reshape(ys, [-1])]);
    }, [f64([0.9, 1.1], [2])]);
    // Only the closed-over value, no op on it inside the body.
    const g = grad((v: Tensor) => np.sum(scan((c: Tensor, _x: Tensor) => [c, v], f64([0], [1]), np.zeros([4, 1]))[1]))(
      f64([2], [1]),
    );
    assert.deepEqual(g.toArray(), [4]);
  });

  test("its backward pass is itself differentiable: w.r.t. the cotangents and closed-over tensors (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        seedArb,
        fc.boolean(),
        (T, n, seed, reverse) => {
          const xs = randomTensor([T, n], seed), c0 = randomTensor([n], seed + 1);
          checkGradients((ctYs, ctCarry, w) => {
            const [, back] = vjp(
              (x: Tensor, v: Tensor) =>
                scan(
                  (c: Tensor, xt: Tensor) => {
                    const h = np.tanh(np.add(np.mul(c, v), xt));
                    return [h, np.mul(h, xt)];
                  },
                  c0,
                  x,
                  { reverse },
                ),
              xs,
              w,
            );
            const [gx, gw] = back([ctCarry, ctYs]) as Tensor[];
            return np.concatenate([np.reshape(gx, [-1]), gw]);
          }, [randomTensor([T, n], seed + 2), randomTensor([n], seed + 3), randomTensor([n], seed + 4)]);
        },
      ),
      RUNS,
    );
  });

  test("grad inside a scan body (gradient descent unrolled) is differentiable", () => {
    checkGradients((c0, xs) => {
      const [c] = scan(
        (c: Tensor, x: Tensor) => {
          const g = grad((y: Tensor) => np.sum(np.mul(np.square(np.sin(y)), x)))(c);
          return [np.sub(c, np.mul(g, 0.3)), c];
        },
        c0,
        xs,
      );
      return c;
    }, [randomTensor([2], 1), randomTensor([3, 2], 2, 0.5, 1.5)]);
  });

  test("errors: mismatched leading axes, changing carry, no length", () => {
    assert.throws(
      () => scan((c: Tensor, x: Tensor[]) => [c, x[0]], np.zeros([1]), [np.zeros([3, 1]), np.zeros([2, 1])]),
      /scan: every leaf of xs needs leading axis 3, got shape \[2,1\]/,
    );
    assert.throws(
      () => scan((c: Tensor, x: Tensor) => [np.concatenate([c, x]), x], np.zeros([1]), np.zeros([2, 1])),
      /scan: carry leaf 0 changed from \[1\] float32 to \[2\] float32/,
    );
    assert.throws(() => scan((c: Tensor) => [c, c], np.zeros([1]), null), /scan: give xs or options.length/);
    assert.throws(
      () => scan((c: Tensor, x: Tensor) => [c, x], np.zeros([1]), np.zeros([0, 1])),
      /scan: zero-length scans are not supported/,
    );
    assert.throws(
      () => scan((c: Tensor, x: Tensor) => [[c], x] as never, np.zeros([1]), np.zeros([2, 1])),
      /scan: the body must return a carry with the structure of init/,
    );
  });
});

describe("higher-order derivatives of composites", () => {
  test("Hessian-vector products of softmax, logsumexp, matmul and variance match finite differences", () => {
    fc.assert(
      fc.property(shapeArb(1, 2), seedArb, (shape, seed) => {
        const x = f64(randomValues(numel(shape), seed, -1, 1), shape);
        const w = randomTensor(shape, seed + 1);
        for (
          const f of [
            (v: Tensor) => np.sum(np.mul(np.softmax(v), w)),
            (v: Tensor) => np.logsumexp(np.mul(v, w)),
            (v: Tensor) => np.sum(np.square(np.matmul(np.reshape(v, [1, -1]), np.reshape(w, [-1, 1])))),
            (v: Tensor) => np.add(np.var(np.mul(v, w)), np.sum(np.mul(v, v))),
          ]
        ) {
          checkGradients((v) => grad(f)(v), [x], { rtol: 1e-4 });
        }
      }),
      { numRuns: 8 },
    );
  });
});
