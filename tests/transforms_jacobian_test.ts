/**
 * Jacobians, Hessians and compositions of transformations:
 * - `jacfwd(f)` equals `jacrev(f)` on random compositions of ops
 *   (`support/programs.ts`, float64, pytree outputs, `argnums` arrays),
 *   and both equal central differences on smooth ones;
 * - `hessian` equals central differences of `grad`; pytree arguments and
 *   outputs arrange blocks `[...outShape, ...inShape]` as JAX does;
 *   `hasAux` passes the aux through; `linearize`;
 * - `jvp` through `customVjp` is `bwd` transposed (`J t`), the surrogate's
 *   derivative for a spike, written here as a scalar formula;
 * - `jvp`, `vmap` and both Jacobians over `scan`;
 * - `vmap(grad)`, `grad(vmap)`, `jvp(grad)` (forward-over-reverse Hessian-
 *   vector products against `hessian @ v`), `grad(jvp)`, `vmap(jvp)`,
 *   `vmap(vmap)`, against loops and the other mode.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  axn,
  customVjp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  linearize,
  nn,
  np,
  random,
  scan,
  type Tensor,
  tree,
  vmap,
} from "../mod.ts";
import { assertAllClose } from "./support/numeric.ts";
import { f64, randomTensor, randomValues, seedArb } from "./support/arbitraries.ts";
import { type Program, programArgs, randomProgram } from "./support/programs.ts";
import { axpy, sliceAlong, stackAlong } from "./support/transforms.ts";

const RUNS = { numRuns: Number(process.env.SPYX_PROPERTY_RUNS ?? 25) };
const EPS = 1e-6;

function leaves(x: unknown): Tensor[] {
  return tree.leaves(x as tree.PyTree) as Tensor[];
}

/** `e_i`-direction central differences of every output leaf: per leaf, values laid out `[...outShape, ...inShape]`. */
function fdJacobian(f: (...a: Tensor[]) => unknown, args: readonly Tensor[], argIndex: number): Float64Array[] {
  const x = args[argIndex], n = x.size;
  const outs = leaves(f(...args));
  const jac = outs.map((o) => new Float64Array(o.size * n));
  for (let e = 0; e < n; e++) {
    const dir = new Float64Array(n);
    dir[e] = 1;
    const t = np.array(dir, { shape: x.shape.slice(), dtype: "float64" });
    const at = (sign: number) => leaves(f(...args.map((a, k) => (k === argIndex ? axpy(a, sign * EPS, t) : a))));
    const plus = at(1), minus = at(-1);
    outs.forEach((o, k) => {
      const p = plus[k].dataSync(), m = minus[k].dataSync();
      for (let j = 0; j < o.size; j++) jac[k][j * n + e] = (p[j] - m[j]) / (2 * EPS);
    });
  }
  return jac;
}

function assertTreesClose(got: unknown, want: unknown, tol: { rtol: number; atol: number }, what: string): void {
  const [g, gDef] = tree.flatten(got as tree.PyTree);
  const [w, wDef] = tree.flatten(want as tree.PyTree);
  assert.deepEqual(gDef, wDef, `${what}: structure`);
  g.forEach((l, k) => {
    const a = l as Tensor, b = w[k] as Tensor;
    assert.deepEqual(a.shape, b.shape, `${what}: leaf ${k} shape`);
    assertAllClose(a.dataSync(), b.dataSync(), tol, `${what}: leaf ${k}`);
  });
}

/** All argument indices of a program. */
const allArgs = (p: Program) => p.argShapes.map((_, k) => k);

describe("jacfwd, jacrev and hessian", () => {
  test("jacfwd equals jacrev on random compositions of ops (pytree outputs, argnums arrays)", () => {
    fc.assert(
      fc.property(seedArb, seedArb, (programSeed, seed) => {
        const p = randomProgram(programSeed);
        const args = programArgs(p, seed);
        const argnums = allArgs(p);
        const fwd = jacfwd(p.run, { argnums })(...args);
        const rev = jacrev(p.run, { argnums })(...args);
        assertTreesClose(fwd, rev, { rtol: 1e-10, atol: 1e-12 }, p.label);
        // Blocks: output tree of argument lists, each [...outShape, ...inShape].
        const outs = leaves(p.run(...args));
        const blocks = leaves(fwd);
        assert.equal(blocks.length, outs.length * args.length, p.label);
        blocks.forEach((b, i) => {
          const o = outs[Math.floor(i / args.length)], a = args[i % args.length];
          assert.deepEqual(b.shape, [...o.shape, ...a.shape], `${p.label}: block ${i}`);
        });
      }),
      RUNS,
    );
  });

  test("both equal central differences on smooth random compositions", () => {
    fc.assert(
      fc.property(seedArb, seedArb, (programSeed, seed) => {
        const p = randomProgram(programSeed, { smooth: true, steps: 4 });
        const args = programArgs(p, seed);
        const k = Math.abs(seed) % args.length;
        const want = fdJacobian(p.run, args, k);
        for (const jac of [jacfwd, jacrev]) {
          const got = leaves(jac(p.run, { argnums: k })(...args));
          got.forEach((g, o) =>
            assertAllClose(g.dataSync(), want[o], { rtol: 1e-6, atol: 1e-7 }, `${p.label}: out ${o}`)
          );
        }
      }),
      RUNS,
    );
  });

  test("hessian equals central differences of grad (one argument, and argnums arrays)", () => {
    fc.assert(
      fc.property(seedArb, seedArb, (programSeed, seed) => {
        const p = randomProgram(programSeed, { smooth: true, scalar: true, steps: 4 });
        const args = programArgs(p, seed);
        const argnums = allArgs(p);
        const h = hessian(p.run, { argnums })(...args) as Tensor[][];
        const g = (...xs: Tensor[]) => grad(p.run, { argnums })(...xs) as Tensor[];
        argnums.forEach((j) => {
          const cols = fdJacobian(g, args, j); // d grad_i / d x_j for each i
          argnums.forEach((i) => {
            assert.deepEqual(h[i][j].shape, [...args[i].shape, ...args[j].shape], `${p.label}: H[${i}][${j}] shape`);
            assertAllClose(h[i][j].dataSync(), cols[i], { rtol: 1e-6, atol: 1e-7 }, `${p.label}: H[${i}][${j}]`);
          });
        });
        // One argument: a single block.
        const h0 = hessian(p.run)(...args) as Tensor;
        assertAllClose(
          h0.dataSync(),
          h[0][0].dataSync(),
          { rtol: 1e-12, atol: 1e-14 },
          `${p.label}: hessian argnums 0`,
        );
      }),
      { numRuns: 15 },
    );
  });

  test("pytree arguments and outputs: blocks arranged as the output's tree of the arguments' trees", () => {
    const f = (p: { a: Tensor; b: Tensor[] }, y: Tensor) => ({
      u: np.mul(np.sum(np.mul(p.a, y)), p.b[0]),
      v: [np.sin(np.matmul(p.b[0], y))],
    });
    const p = { a: randomTensor([3], 1), b: [randomTensor([2, 3], 2)] };
    const y = randomTensor([3], 3);
    for (const jac of [jacfwd, jacrev]) {
      const single = jac(f)(p, y);
      assert.deepEqual(Object.keys(single).sort(), ["u", "v"]);
      assert.deepEqual(single.u.a.shape, [2, 3, 3]);
      assert.deepEqual(single.u.b[0].shape, [2, 3, 2, 3]);
      assert.deepEqual(single.v[0].a.shape, [2, 3]);
      assert.deepEqual(single.v[0].b[0].shape, [2, 2, 3]);
      const both = jac(f, { argnums: [1, 0] })(p, y);
      assert.deepEqual(both.u[0].shape, [2, 3, 3]);
      assert.deepEqual(both.u[1].b[0].shape, [2, 3, 2, 3]);
      // Values against central differences, leaf by leaf.
      const flatF = (a: Tensor, b0: Tensor, yy: Tensor) => f({ a, b: [b0] }, yy);
      const args = [p.a, p.b[0], y];
      const blocks = [[single.u.a, single.u.b[0], both.u[0]], [single.v[0].a, single.v[0].b[0], both.v[0][0]]];
      args.forEach((_, k) => {
        const want = fdJacobian(flatF, args, k);
        blocks.forEach((row, o) => assertAllClose(row[k].dataSync(), want[o], { rtol: 1e-6, atol: 1e-8 }));
      });
    }
  });

  test("hasAux: [jacobian, aux] with the aux of the call, for jacfwd, jacrev and hessian", () => {
    const x = randomTensor([3], 5);
    const f = (v: Tensor) => [np.sum(np.pow(v, 3)), { norm: np.sum(np.square(v)), tag: "t" }] as const;
    const [jf, auxF] = jacfwd(f, { hasAux: true })(x);
    const [jr, auxR] = jacrev(f, { hasAux: true })(x);
    const [h, auxH] = hessian(f, { hasAux: true })(x);
    const xs = Array.from(x.dataSync());
    assertAllClose(jf.dataSync(), xs.map((v) => 3 * v * v), { rtol: 1e-12 });
    assertAllClose(jr.dataSync(), xs.map((v) => 3 * v * v), { rtol: 1e-12 });
    assertAllClose(h.dataSync(), xs.flatMap((v, i) => xs.map((_, j) => (i === j ? 6 * v : 0))), { rtol: 1e-12 });
    for (const aux of [auxF, auxR, auxH]) {
      assert.equal(aux.tag, "t");
      assertAllClose(aux.norm.dataSync(), [xs.reduce((s, v) => s + v * v, 0)], { rtol: 1e-12 });
    }
  });

  test("errors: integer arguments, argnums out of range, hasAux without a pair", () => {
    const f = (v: Tensor) => np.sin(v);
    assert.throws(() => jacfwd(f)(np.array([1], { dtype: "int32" })), /jacfwd: leaf 0 of argument 0 has dtype int32/);
    assert.throws(() => jacrev(f, { argnums: 1 })(f64([1], [1])), /jacrev: argnums 1 is out of range for 1 arguments/);
    assert.throws(() => jacfwd(f, { hasAux: true })(f64([1], [1])), /hasAux the function must return \[value, aux\]/);
  });
});

describe("linearize", () => {
  test("the primal output, and a JVP function that may be called with several tangents", () => {
    fc.assert(
      fc.property(seedArb, seedArb, (programSeed, seed) => {
        const p = randomProgram(programSeed, { smooth: true });
        const args = programArgs(p, seed);
        const [y, fJvp] = linearize(p.run, ...args);
        assertTreesClose(y, p.run(...args), { rtol: 0, atol: 0 }, `${p.label}: primal`);
        for (const s of [seed + 1, seed + 2]) {
          const ts = args.map((a, k) => randomTensor(a.shape, s + k));
          const want = leaves(jvp(p.run, args, ts)[1]);
          leaves(fJvp(...ts)).forEach((g, o) => assertAllClose(g.dataSync(), want[o].dataSync(), { rtol: 1e-12 }));
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe("jvp through customVjp", () => {
  // The surrogates' derivatives as scalar formulas (SPEC §7).
  const SURROGATES: [string, axn.SpikeActivation, (u: number) => number][] = [
    ["superspike(25)", axn.superspike(25), (u) => 1 / (1 + 25 * Math.abs(u)) ** 2],
    ["arctan(2)", axn.arctan(2), (u) => 1 / ((1 + (2 * Math.PI * u) ** 2) * Math.PI)],
    ["tanh(1)", axn.tanh(1), (u) => 4 / (Math.exp(-u) + Math.exp(u)) ** 2],
    ["boxcar(2, 0.5)", axn.boxcar(2, 0.5), (u) => (Math.abs(u) < 1 ? 0.5 : 0)],
    ["triangular(2)", axn.triangular(2), (u) => Math.max(0, 1 - Math.abs(2 * u))],
  ];

  test("a spike's tangent is the surrogate derivative times the tangent (not the step's zero)", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 0, max: SURROGATES.length - 1 }), (seed, k) => {
        const [name, spike, s] = SURROGATES[k];
        const u = randomValues(6, seed, -1.5, 1.5), t = randomValues(6, seed + 1);
        const [y, dy] = jvp(spike, [f64(u, [2, 3])], [f64(t, [2, 3])]);
        assert.deepEqual(Array.from(y.dataSync()), u.map((v) => (v > 0 ? 1 : 0)), name);
        assertAllClose(dy.dataSync(), u.map((v, i) => s(v) * t[i]), { rtol: 1e-12, atol: 1e-15 }, name);
      }),
      RUNS,
    );
  });

  test("J t is bwd transposed: several pytree arguments, and a bwd that is not fwd's derivative", () => {
    // An exact bwd: J t equals central differences.
    const product = customVjp(
      (x: Tensor, p: { w: Tensor }) => [np.matmul(x, p.w), [x, p.w]] as [Tensor, Tensor[]],
      ([x, w]: Tensor[], g: Tensor) => [np.matmul(g, np.transpose(w)), { w: np.matmul(np.transpose(x), g) }],
    );
    const x = randomTensor([2, 3], 1), w = randomTensor([3, 4], 2);
    const tx = randomTensor([2, 3], 3), tw = randomTensor([3, 4], 4);
    const [, dy] = jvp((a: Tensor, b: Tensor) => product(a, { w: b }), [x, w], [tx, tw]);
    const f = (a: Tensor, b: Tensor) => np.matmul(a, b);
    const fd = np.div(np.sub(f(axpy(x, EPS, tx), axpy(w, EPS, tw)), f(axpy(x, -EPS, tx), axpy(w, -EPS, tw))), 2 * EPS);
    assertAllClose(dy.dataSync(), fd.dataSync(), { rtol: 1e-7, atol: 1e-9 });
    // A bwd of 3g for fwd = sin: the tangent follows bwd (3t), as surrogates do.
    const odd = customVjp((v: Tensor) => [np.sin(v), null], (_r: null, g: Tensor) => [np.mul(g, 3)]);
    const [, d] = jvp(odd, [x], [tx]);
    assertAllClose(d.dataSync(), Array.from(tx.dataSync(), (v) => 3 * v), { rtol: 1e-15 });
  });

  test("jvp(grad) of a customVjp function differentiates its bwd (written in ops)", () => {
    // bwd = g * s(u) with s(u) = 1 / (1 + k|u|)^2: d/du of the gradient is s'(u) = -2k sign(u) / (1 + k|u|)^3.
    const k = 3;
    const spike = customVjp(
      (u: Tensor) => [np.astype(np.greater(u, 0), u.dtype), u],
      (u: Tensor, g: Tensor) => [np.div(g, np.square(np.add(1, np.mul(k, np.abs(u)))))],
    );
    const u = randomValues(5, 9, -1, 1).map((v) => (Math.abs(v) < 0.05 ? 0.3 : v)), t = randomValues(5, 10);
    const [, d] = jvp(grad((v: Tensor) => np.sum(spike(v))), [f64(u, [5])], [f64(t, [5])]);
    assertAllClose(d.dataSync(), u.map((v, i) => (-2 * k * Math.sign(v) / (1 + k * Math.abs(v)) ** 3) * t[i]), {
      rtol: 1e-12,
    });
  });
});

describe("scan under jvp, vmap and the Jacobians", () => {
  const body = (p: { w: Tensor }) => (c: { h: Tensor; n: Tensor }, x: Tensor) => {
    const h = np.tanh(np.add(np.matmul(c.h, p.w), x));
    return [{ h, n: np.add(c.n, np.sum(np.square(h))) }, np.mul(h, c.n)] as [{ h: Tensor; n: Tensor }, Tensor];
  };
  const run = (w: Tensor, h0: Tensor, xs: Tensor, reverse: boolean) => {
    const [c, ys] = scan(body({ w }), { h: h0, n: f64([0.5], []) }, xs, { reverse });
    return [c.h, c.n, ys];
  };

  test("jvp equals central differences; jacfwd equals jacrev (carry, xs and a closed-over weight)", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 4 }), fc.boolean(), (seed, T, reverse) => {
        const args = [
          randomTensor([3, 3], seed, -0.7, 0.7),
          randomTensor([3], seed + 1),
          randomTensor([T, 3], seed + 2),
        ];
        const ts = args.map((a, k) => randomTensor(a.shape, seed + 10 + k));
        const f = (w: Tensor, h0: Tensor, xs: Tensor) => run(w, h0, xs, reverse);
        const [, dy] = jvp(f, args, ts);
        const plus = f(...args.map((a, k) => axpy(a, EPS, ts[k])) as [Tensor, Tensor, Tensor]);
        const minus = f(...args.map((a, k) => axpy(a, -EPS, ts[k])) as [Tensor, Tensor, Tensor]);
        dy.forEach((d, o) => {
          const fd = Array.from(plus[o].dataSync(), (v, i) => (v - minus[o].dataSync()[i]) / (2 * EPS));
          assertAllClose(d.dataSync(), fd, { rtol: 1e-6, atol: 1e-8 }, `output ${o}`);
        });
        const argnums = [0, 1, 2];
        assertTreesClose(jacfwd(f, { argnums })(...args), jacrev(f, { argnums })(...args), {
          rtol: 1e-10,
          atol: 1e-12,
        }, "scan");
      }),
      { numRuns: 12 },
    );
  });

  test("vmap over xs (time axis second), the initial carry or the weights equals a loop", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), (
        seed,
        T,
        size,
        reverse,
      ) => {
        const examples = Array.from({ length: size }, (_, b) => [
          randomTensor([3, 3], seed + 100 * b, -0.7, 0.7),
          randomTensor([3], seed + 100 * b + 1),
          randomTensor([T, 3], seed + 100 * b + 2),
        ]);
        const which = seed % 3;
        const inAxes = [which === 0 ? 0 : null, which === 1 ? null : 0, 1];
        const args = examples[0].map((
          a,
          k,
        ) => (inAxes[k] === null ? a : stackAlong(examples.map((e) => e[k]), inAxes[k]!)));
        const f = (w: Tensor, h0: Tensor, xs: Tensor) => run(w, h0, xs, reverse);
        const got = vmap(f, { inAxes, outAxes: [0, 0, 1] })(...(args as [Tensor, Tensor, Tensor]));
        examples.forEach((e, b) => {
          const want = f(...e.map((a, k) => (inAxes[k] === null ? examples[0][k] : a)) as [Tensor, Tensor, Tensor]);
          [0, 0, 1].forEach((ax, o) =>
            assertAllClose(sliceAlong(got[o], ax, b).dataSync(), want[o].dataSync(), { rtol: 1e-12 }, `output ${o}`)
          );
        });
      }),
      { numRuns: 12 },
    );
  });
});

describe("compositions of transformations", () => {
  const loss = (w: Tensor, x: Tensor, y: Tensor) => np.sum(np.square(np.sub(np.tanh(np.matmul(x, w)), y)));

  test("vmap(grad) gives per-example gradients equal to a loop of grad", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 4 }), (seed, n) => {
        const w = randomTensor([3, 2], seed), xs = randomTensor([n, 3], seed + 1), ys = randomTensor([n, 2], seed + 2);
        const [gw, gx] = vmap(grad(loss, { argnums: [0, 1] }), { inAxes: [null, 0, 0] })(w, xs, ys);
        assert.deepEqual(gw.shape, [n, 3, 2]);
        for (let b = 0; b < n; b++) {
          const [ww, wx] = grad(loss, { argnums: [0, 1] })(w, sliceAlong(xs, 0, b), sliceAlong(ys, 0, b));
          assertAllClose(sliceAlong(gw, 0, b).dataSync(), ww.dataSync(), { rtol: 1e-12 });
          assertAllClose(sliceAlong(gx, 0, b).dataSync(), wx.dataSync(), { rtol: 1e-12 });
        }
      }),
      RUNS,
    );
  });

  test("grad(vmap) equals the gradient of the loop's sum", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 4 }), (seed, n) => {
        const w = randomTensor([3, 2], seed), xs = randomTensor([n, 3], seed + 1), ys = randomTensor([n, 2], seed + 2);
        const batched = grad((v: Tensor) => np.sum(vmap(loss, { inAxes: [null, 0, 0] })(v, xs, ys)))(w);
        const looped = grad((v: Tensor) => {
          let s: Tensor = f64([0], []);
          for (let b = 0; b < n; b++) s = np.add(s, loss(v, sliceAlong(xs, 0, b), sliceAlong(ys, 0, b)));
          return s;
        })(w);
        assertAllClose(batched.dataSync(), looped.dataSync(), { rtol: 1e-12 });
      }),
      RUNS,
    );
  });

  test("forward-over-reverse jvp(grad) and reverse-over-forward grad(jvp) equal hessian @ v", () => {
    fc.assert(
      fc.property(seedArb, seedArb, (programSeed, seed) => {
        const p = randomProgram(programSeed, { smooth: true, scalar: true, steps: 4 });
        const args = programArgs(p, seed);
        const f = (x: Tensor) => p.run(x, ...args.slice(1)) as Tensor;
        const x = args[0], v = randomTensor(x.shape, seed + 99);
        const h = hessian(f)(x) as Tensor;
        const n = x.size;
        const hd = h.dataSync(), vd = v.dataSync();
        const want = Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let j = 0; j < n; j++) s += hd[i * n + j] * vd[j];
          return s;
        });
        const [, fwdRev] = jvp(grad(f), [x], [v]);
        assertAllClose(fwdRev.dataSync(), want, { rtol: 1e-9, atol: 1e-11 }, `${p.label}: jvp(grad)`);
        const revFwd = grad((y: Tensor) => jvp(f, [y], [v])[1])(x);
        assertAllClose(revFwd.dataSync(), want, { rtol: 1e-9, atol: 1e-11 }, `${p.label}: grad(jvp)`);
      }),
      RUNS,
    );
  });

  test("vmap(jvp) equals a loop of jvp (primals and tangents batched on different axes)", () => {
    fc.assert(
      fc.property(seedArb, seedArb, fc.integer({ min: 1, max: 3 }), (programSeed, seed, size) => {
        const p = randomProgram(programSeed);
        const examples = Array.from({ length: size }, (_, b) => programArgs(p, seed + 1000 * b));
        const tangents = Array.from({ length: size }, (_, b) => programArgs(p, seed + 7 + 1000 * b));
        const n = p.argShapes.length;
        const f = (...xt: Tensor[]) => jvp(p.run, xt.slice(0, n), xt.slice(n));
        const inAxes = [...p.argShapes.map(() => 0), ...p.argShapes.map((s) => s.length)];
        const args = [
          ...p.argShapes.map((_, k) => stackAlong(examples.map((e) => e[k]), 0)),
          ...p.argShapes.map((s, k) => stackAlong(tangents.map((e) => e[k]), s.length)),
        ];
        const got = leaves(vmap(f, { inAxes })(...args));
        for (let b = 0; b < size; b++) {
          const want = leaves(f(...examples[b], ...tangents[b]));
          got.forEach((g, o) =>
            assertAllClose(sliceAlong(g, 0, b).dataSync(), want[o].dataSync(), { rtol: 1e-12 }, `${p.label}: ${o}`)
          );
        }
      }),
      RUNS,
    );
  });

  test("vmap(vmap) equals a double loop (inner and outer axes anywhere)", () => {
    fc.assert(
      fc.property(seedArb, seedArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (
        programSeed,
        seed,
        outer,
        inner,
      ) => {
        const p = randomProgram(programSeed);
        const ex = Array.from(
          { length: outer },
          (_, a) => Array.from({ length: inner }, (_, b) => programArgs(p, seed + 1000 * a + 10 * b)),
        );
        const inAx = p.argShapes.map((s, k) => (k + seed) % (s.length + 1));
        const outAx = p.argShapes.map((s, k) => (k + seed + 1) % (s.length + 2));
        // Stack the inner axis first, then the outer one, each at its position.
        const args = p.argShapes.map((_, k) =>
          stackAlong(ex.map((row) => stackAlong(row.map((e) => e[k]), inAx[k])), outAx[k])
        );
        const got = leaves(vmap(vmap(p.run, { inAxes: inAx, outAxes: -1 }), { inAxes: outAx, outAxes: 0 })(...args));
        for (let a = 0; a < outer; a++) {
          for (let b = 0; b < inner; b++) {
            const want = leaves(p.run(...ex[a][b]));
            got.forEach((g, o) => {
              const slice = sliceAlong(sliceAlong(g, 0, a), -1, b);
              assertAllClose(slice.dataSync(), want[o].dataSync(), { rtol: 1e-12 }, `${p.label}: ${o} [${a}, ${b}]`);
            });
          }
        }
      }),
      RUNS,
    );
  });

  test("jacrev of vmap and vmap of jacfwd agree with per-example Jacobians", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 3 }), (seed, n) => {
        const f = (x: Tensor) => np.sin(np.mul(x, np.sum(np.square(x))));
        const xs = randomTensor([n, 3], seed);
        const perExample = vmap(jacfwd(f))(xs);
        const whole = jacrev(vmap(f))(xs) as Tensor; // [n, 3, n, 3], block diagonal
        for (let b = 0; b < n; b++) {
          const want = jacrev(f)(sliceAlong(xs, 0, b)) as Tensor;
          assertAllClose(sliceAlong(perExample, 0, b).dataSync(), want.dataSync(), { rtol: 1e-12 });
          assertAllClose(sliceAlong(sliceAlong(whole, 0, b), 1, b).dataSync(), want.dataSync(), { rtol: 1e-12 });
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe("Jacobians of spiking networks (the fused kernels' rules under every transformation)", () => {
  for (const model of Object.keys(nn.NEURON_MODELS) as (keyof typeof nn.NEURON_MODELS)[]) {
    test(`${model}: jacfwd equals jacrev; hessian (forward over reverse) equals reverse over forward`, () => {
      const Model = nn.NEURON_MODELS[model];
      const net = nn.transform((x: Tensor) => {
        const core = new nn.DeepRNN([
          new nn.Linear(3),
          new Model([3], Model.cell.spiking ? { threshold: 0.4 } : {}),
          new nn.Linear(2),
        ]);
        return nn.dynamicUnroll(core, x, core.initialState(2))[0] as Tensor;
      });
      const x = f64(Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.abs(Math.sin(1.1 * i))), [4, 2, 3]);
      const params = tree.map(
        (p: Tensor) => np.astype(p, "float64"),
        net.init(random.key(3), x) as tree.PyTree,
      ) as nn.Params;
      const f = (xs: Tensor) => net.apply(params, null, xs);
      assertTreesClose(jacfwd(f)(x), jacrev(f)(x), { rtol: 1e-10, atol: 1e-13 }, `${model}: Jacobian`);
      const loss = (w: Tensor) => np.sum(np.square(net.apply({ ...params, linear: { ...params.linear, w } }, null, x)));
      const w = params.linear.w;
      assertTreesClose(hessian(loss)(w), jacrev(jacfwd(loss))(w), { rtol: 1e-10, atol: 1e-12 }, `${model}: Hessian`);
    });
  }
});
