/**
 * Forward mode, primitive by primitive: for every differentiable primitive
 * of `primitives()` (those not flagged `nonDifferentiable`), `jvp` of its
 * exercise (`support/primitive_cases.ts`: random shapes, broadcasts, axes
 * and values, in float64) equals central differences along a random
 * tangent, and its primal output equals plain evaluation. Spiking outputs
 * (a neuron layer's spikes) have the surrogate's derivative, not the step
 * function's zero: there the oracle is the other mode, `<c, J t>` against
 * `<J^T c, t>` from `vjp` (whose backward pass is the fused kernel's). A
 * spy on the primitive's JVP rule (or on its composition, for primitives
 * differentiated through it) checks that the exercise really ran it.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { jvp, np, primitives, type Tensor, tree, vjp } from "../mod.ts";
import { randomValues, seedArb } from "./support/arbitraries.ts";
import { PRIMITIVE_CASES, type PrimitiveCase } from "./support/primitive_cases.ts";
import { axpy, countRuleCalls, fromData, inner } from "./support/transforms.ts";

const RUNS = { numRuns: Number(process.env.SPYX_PROPERTY_RUNS ?? 20) };
const F64_TOL = { eps: 1e-6, rtol: 1e-6, atol: 1e-8 };

const isFloat = (t: Tensor) => t.dtype === "float32" || t.dtype === "float64";

function leavesOf(out: unknown): Tensor[] {
  return tree.leaves(out as tree.PyTree) as Tensor[];
}

/** A random tensor like `x` (its dtype), values in [-1, 1). */
function randomLike(x: Tensor, seed: number): Tensor {
  const data = x.dtype === "float32"
    ? Float32Array.from(randomValues(x.size, seed))
    : Float64Array.from(randomValues(x.size, seed));
  return fromData(data, x.shape, x.dtype);
}

function checkClose(got: ArrayLike<number>, want: ArrayLike<number>, scale: number, tol: typeof F64_TOL, what: string) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue; // infinities too (a max window over padding only)
    const err = Math.abs(got[i] - want[i]);
    assert.ok(
      err <= tol.atol * (1 + scale) + tol.rtol * Math.abs(want[i]),
      `${what}[${i}]: jvp ${got[i]}, oracle ${want[i]}`,
    );
  }
}

/** Runs one exercise under `jvp` and checks it against its oracle; returns how often the spied rule ran. */
function checkJvp(name: string, c: PrimitiveCase, seed: number): number {
  const prim = primitives().get(name)!;
  const rule = prim.jvp !== undefined ? "jvp" : "composition";
  const args = c.gen(seed);
  const mask = c.tangents ?? args.map(isFloat);
  const tangents = args.map((a, i) => (mask[i] ? randomLike(a, seed + 101 * (i + 1)) : null));
  const tol = c.tol ?? F64_TOL;
  const [[out, tOut], calls] = countRuleCalls(name, rule, () => jvp(c.make() as never, args, tangents));
  const outs = leavesOf(out), touts = leavesOf(tOut);
  const plain = leavesOf(c.make()(...args));
  assert.equal(outs.length, plain.length, `${c.label}: primal structure`);
  outs.forEach((o, k) => {
    assert.deepEqual(o.shape, plain[k].shape, `${c.label}: primal ${k} shape`);
    assert.equal(touts[k].dtype, o.dtype, `${c.label}: tangent ${k} dtype`);
    assert.deepEqual(touts[k].shape, o.shape, `${c.label}: tangent ${k} shape`);
    checkClose(o.dataSync(), plain[k].dataSync(), 0, { eps: 0, rtol: 1e-12, atol: 1e-12 }, `${c.label}: primal ${k}`);
  });
  if ((c.oracle ?? "fd") === "fd") {
    const shifted = (sign: number) =>
      leavesOf(c.make()(...args.map((a, i) => (mask[i] ? axpy(a, sign * tol.eps, tangents[i]!) : a))));
    const plus = shifted(1), minus = shifted(-1);
    outs.forEach((o, k) => {
      if (!isFloat(o)) return;
      const p = plus[k].dataSync(), m = minus[k].dataSync();
      const primal = o.dataSync();
      // Where the primal is infinite (a max window over padding only), differences say nothing.
      const finite = Array.from(primal, (v, i) => [v, i]).filter(([v]) => Number.isFinite(v)).map(([, i]) => i);
      const fd = finite.map((i) => (p[i] - m[i]) / (2 * tol.eps));
      const got = touts[k].dataSync();
      const scale = Math.max(0, ...finite.map((i) => Math.abs(primal[i])));
      checkClose(finite.map((i) => got[i]), fd, scale, tol, `${c.label}: tangent ${k}`);
    });
  } else {
    // <c, J t> from jvp against <J^T c, t> from vjp.
    const [y, back] = vjp(c.make() as never, ...args);
    const cts = leavesOf(y).map((l, k) => randomLike(l, seed + 7 * (k + 1)));
    const grads = back(tree.unflatten(tree.structure(y as tree.PyTree), cts) as never) as Tensor[];
    const lhs = cts.reduce((s, ct, k) => s + inner(ct, touts[k]), 0);
    const rhs = args.reduce((s, _a, i) => (mask[i] ? s + inner(grads[i], tangents[i]!) : s), 0);
    assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(rhs)), `${c.label}: <c, J t> = ${lhs}, <J^T c, t> = ${rhs}`);
  }
  return calls;
}

const differentiable = [...primitives().values()].filter((p) => !p.nonDifferentiable).map((p) => p.name);

describe("jvp of every differentiable primitive", () => {
  test("the exercise table covers every differentiable primitive (and names only declared ones)", () => {
    const missing = differentiable.filter((n) => !(n in PRIMITIVE_CASES));
    assert.deepEqual(missing, [], `differentiable primitives without an exercise: ${missing.join(", ")}`);
    const unknown = Object.keys(PRIMITIVE_CASES).filter((n) => !primitives().has(n));
    assert.deepEqual(unknown, [], `exercises of undeclared primitives: ${unknown.join(", ")}`);
    // Random draws, comparisons and indices are flagged (their tangents are zeros by rule); every other has a way.
    for (const p of primitives().values()) {
      if (p.name.startsWith("random_")) assert.equal(p.nonDifferentiable, true, `${p.name} is not flagged`);
      if (!p.nonDifferentiable) assert.ok(p.jvp || p.composition, `${p.name}: neither a JVP rule nor a composition`);
    }
  });

  for (const name of differentiable) {
    if (!(name in PRIMITIVE_CASES)) continue;
    test(`${name}: jvp equals the oracle, and runs the primitive's rule`, () => {
      fc.assert(
        fc.property(PRIMITIVE_CASES[name], seedArb, (c, seed) => {
          const calls = checkJvp(name, c, seed);
          assert.ok(calls > 0, `${c.label}: the ${name} rule did not run under jvp`);
        }),
        RUNS,
      );
    });
  }
});

describe("jvp arguments", () => {
  test("integer primals take no tangent (null), pytree primals take tangents of their structure", () => {
    const x = np.array([1, 2], { dtype: "float64" }), i = np.array([3, 4], { dtype: "int32" });
    const [y, dy] = jvp((a: Tensor, k: Tensor) => np.mul(a, np.astype(k, "float64")), [x, i], [np.onesLike(x), null]);
    assert.deepEqual(y.toArray(), [3, 8]);
    assert.deepEqual(dy.toArray(), [3, 4]);
    const [, dt] = jvp(
      (p: { a: Tensor; b: Tensor[] }) => np.add(p.a, np.mul(p.b[0], 2)),
      [{ a: x, b: [x] }],
      [{ a: np.onesLike(x), b: [np.full([2], 0.5, { dtype: "float64" })] }],
    );
    assert.deepEqual(dt.toArray(), [2, 2]);
  });

  test("errors: counts, structures and shapes of the tangents", () => {
    const x = np.array([1, 2], { dtype: "float64" });
    assert.throws(() => jvp(np.sin, [x], []), /jvp: 1 primals but 0 tangents/);
    assert.throws(() => jvp(np.sin, x as never, [x]), /jvp: primals and tangents must be arrays/);
    assert.throws(
      () => jvp(np.sin, [x], [np.ones([3])]),
      /jvp: tangent leaf 0 of argument 0 has shape \[3\], its primal \[2\]/,
    );
    assert.throws(() => jvp((p: Tensor[]) => p[0], [[x]], [[x, x]]), /jvp: tangent 0 has 2 leaves but primal 0 has 1/);
  });
});
