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
import { primitives, type Tensor, tree, vmap } from "../mod.ts";
import { rng, seedArb } from "./support/arbitraries.ts";
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
