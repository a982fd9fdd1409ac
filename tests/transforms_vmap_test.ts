/**
 * Batching, primitive by primitive: for every primitive of `primitives()`
 * (comparisons, rounding, indices, random keys and the fused kernels
 * included), `vmap` of its exercise (`support/primitive_cases.ts`) over a
 * random batch axis per argument (sometimes `null`: the argument is shared)
 * with a random output axis equals a loop over the examples, stacked. The
 * batched arguments are stacked and the outputs sliced in plain JS, so the
 * oracle does not go through the batching rules under test. A spy on the
 * primitive's batching rule (or its composition, for a primitive batched
 * through it) checks that the exercise ran it.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { np, primitives, type Tensor, tree, vmap } from "../mod.ts";
import { f64, rng, seedArb } from "./support/arbitraries.ts";
import { PRIMITIVE_CASES, type PrimitiveCase } from "./support/primitive_cases.ts";
import { countRuleCalls, sliceAlong, stackAlong } from "./support/transforms.ts";

const RUNS = { numRuns: Number(process.env.SPYX_PROPERTY_RUNS ?? 20) };

function leavesOf(out: unknown): Tensor[] {
  return tree.leaves(out as tree.PyTree) as Tensor[];
}

function assertSame(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const g = got.dataSync(), w = want.dataSync();
  const float = got.dtype === "float32" || got.dtype === "float64";
  for (let i = 0; i < w.length; i++) {
    const ok = g[i] === w[i] || (float && Math.abs(g[i] - w[i]) <= 1e-12 * (1 + Math.abs(w[i]))) ||
      (Number.isNaN(g[i]) && Number.isNaN(w[i]));
    assert.ok(ok, `${what}[${i}]: vmap ${g[i]}, loop ${w[i]}`);
  }
}

/** Runs one exercise under `vmap` over `size` examples and checks it against the loop; returns the spied rule's calls. */
function checkVmap(name: string, c: PrimitiveCase, seed: number, size: number): number {
  const prim = primitives().get(name)!;
  const rule = prim.batch !== undefined ? "batch" : "composition";
  const r = rng(seed ^ 0x5bd1e995);
  const examples = Array.from({ length: size }, (_, b) => c.gen(seed + 1000 * b));
  const n = examples[0].length;
  // A random axis per argument (negative ones too), some arguments shared; at least one mapped.
  const inAxes: (number | null)[] = examples[0].map((a) => {
    if (r() < 0.25) return null;
    const axis = Math.floor(r() * (a.ndim + 1));
    return r() < 0.3 ? axis - (a.ndim + 1) : axis;
  });
  if (!inAxes.some((a) => a !== null)) inAxes[Math.floor(r() * n)] = 0;
  const args = examples[0].map((a, i) => inAxes[i] === null ? a : stackAlong(examples.map((e) => e[i]), inAxes[i]!));
  const perExample = examples.map((e) => c.make()(...e.map((a, i) => (inAxes[i] === null ? examples[0][i] : a))));
  const [wantLeaves, def] = tree.flatten(perExample[0] as tree.PyTree) as [Tensor[], tree.TreeDef];
  const outAxes = wantLeaves.map((l) => {
    const axis = Math.floor(r() * (l.ndim + 1));
    return r() < 0.3 ? axis - (l.ndim + 1) : axis;
  });
  const outSpec = wantLeaves.length === 1 && !Array.isArray(perExample[0]) ? outAxes[0] : tree.unflatten(def, outAxes);
  const label = `${c.label}, ${size} examples, inAxes ${JSON.stringify(inAxes)}, outAxes ${JSON.stringify(outSpec)}`;
  const [out, calls] = countRuleCalls(
    name,
    rule,
    () => vmap(c.make(), { inAxes, outAxes: outSpec as never })(...args),
  );
  const got = leavesOf(out);
  assert.equal(got.length, wantLeaves.length, `${label}: output leaves`);
  got.forEach((g, k) => {
    for (let b = 0; b < size; b++) {
      assertSame(sliceAlong(g, outAxes[k], b), leavesOf(perExample[b])[k], `${label}: leaf ${k} example ${b}`);
    }
  });
  return calls;
}

describe("vmap of every primitive", () => {
  test("the exercise table covers every primitive (and names only declared ones)", () => {
    const missing = [...primitives().keys()].filter((n) => !(n in PRIMITIVE_CASES));
    assert.deepEqual(missing, [], `primitives without an exercise: ${missing.join(", ")}`);
    const unknown = Object.keys(PRIMITIVE_CASES).filter((n) => !primitives().has(n));
    assert.deepEqual(unknown, [], `exercises of undeclared primitives: ${unknown.join(", ")}`);
    for (const p of primitives().values()) {
      assert.ok(p.batch || p.composition, `${p.name}: neither a batching rule nor a composition`);
    }
  });

  for (const name of primitives().keys()) {
    if (!(name in PRIMITIVE_CASES)) continue;
    test(`${name}: vmap equals a loop over the examples, and runs the primitive's batching rule`, () => {
      fc.assert(
        fc.property(PRIMITIVE_CASES[name], seedArb, fc.integer({ min: 1, max: 3 }), (c, seed, size) => {
          const calls = checkVmap(name, c, seed, size);
          assert.ok(calls > 0, `${c.label}: the ${name} batching rule did not run under vmap`);
        }),
        RUNS,
      );
    });
  }
});

describe("vmap options and errors", () => {
  const X = f64([1, 2, 3, 4, 5, 6], [2, 3]);

  test("inAxes as a pytree prefix (objects too), outAxes null for an output that does not vary", () => {
    const f = (p: { a: Tensor; b: Tensor }, y: Tensor, c: Tensor) => [np.add(np.mul(p.a, p.b), y), np.mul(c, 2)];
    const b = f64([1, 10, 100], [3]), c = f64([7], [1]);
    const [got, shared] = vmap(f, { inAxes: [{ a: 0, b: null }, 1, null], outAxes: [-1, null] })(
      { a: X, b },
      np.transpose(X),
      c,
    );
    assert.deepEqual(got.toArray(), [[2, 8], [22, 55], [303, 606]]);
    assert.deepEqual(shared.toArray(), [14]);
    // An unbatched output with an axis is broadcast along it.
    assert.deepEqual(vmap((_x: Tensor, k: Tensor) => k, { inAxes: [0, null] })(X, c).toArray(), [[7], [7]]);
  });

  test("errors name vmap and the offending axis, size or leaf", () => {
    const id = (a: Tensor) => a;
    assert.throws(() => vmap(np.add)(X, np.ones([3, 3])), /vmap: mapped axes have different sizes \(2 and 3/);
    assert.throws(() => vmap(id, { inAxes: null })(X), /vmap: inAxes maps no argument/);
    assert.throws(() => vmap((a: { x: Tensor }) => a.x, { inAxes: [{ y: 0 }] })({ x: X }), /not a prefix/);
    assert.throws(() => vmap(id, { outAxes: null })(X), /outAxes is null for output leaf 0, which varies/);
    assert.throws(() => vmap(id, { inAxes: 2 })(X), /vmap: inAxes entry for argument 0 2 is out of range/);
    assert.throws(() => vmap(id, { inAxes: [0, 0] })(X), /inAxes has 2 entries but the function got 1 arguments/);
    assert.throws(() => vmap((a: Tensor) => a.dataSync())(X), /cannot be read inside vmap/);
    let leaked: Tensor | null = null;
    vmap((a: Tensor) => (leaked = a))(X);
    assert.throws(() => np.add(leaked!, 1), /used outside the vmap call that made it/);
  });
});
