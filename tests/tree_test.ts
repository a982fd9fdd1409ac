import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { np, type Tensor, tree } from "../mod.ts";

/** Nested plain objects/arrays with number leaves (and a few nulls). */
const treeArb = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer({ min: -100, max: 100 }),
    fc.constant(null),
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie("node"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).node;

/** Leaves in sorted-key depth-first order, written independently of tree.flatten. */
function naiveLeaves(t: unknown): unknown[] {
  if (t === null || t === undefined) return [];
  if (Array.isArray(t)) return t.flatMap(naiveLeaves);
  if (typeof t === "object" && Object.getPrototypeOf(t) === Object.prototype) {
    return Object.keys(t).sort().flatMap((k) => naiveLeaves((t as Record<string, unknown>)[k]));
  }
  return [t];
}

describe("tree", () => {
  test("flatten visits keys in sorted order, depth first; null is structure, not a leaf", () => {
    const [leaves, def] = tree.flatten({ b: 2, a: [1, { z: 4, y: 3 }], c: null });
    assert.deepEqual(leaves, [1, 3, 4, 2]);
    assert.equal(tree.numLeaves(def), 4);
    assert.deepEqual(tree.leaves([[], {}, undefined, 5]), [5]);
    assert.deepEqual(tree.leaves(7), [7]);
  });

  test("unflatten(flatten(t)) rebuilds t; leaves match an independent walk (property)", () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const [leaves, def] = tree.flatten(t);
        assert.deepEqual(leaves, naiveLeaves(t));
        assert.deepEqual(tree.unflatten(def, leaves), t);
        assert.deepEqual(tree.structure(t), def);
        assert.equal(tree.numLeaves(def), leaves.length);
      }),
      { numRuns: 30 },
    );
  });

  test("a key named __proto__ is an ordinary key", () => {
    const t = JSON.parse('{"__proto__": [1, 2], "a": 3}');
    const [leaves, def] = tree.flatten(t);
    assert.deepEqual(leaves, [1, 2, 3]);
    const back = tree.unflatten(def, leaves) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back).sort(), ["__proto__", "a"]);
    assert.deepEqual(back["__proto__"], [1, 2]);
  });

  test("tensors, class instances and functions are leaves", () => {
    const x = np.ones([2]);
    class Box {
      v = 1;
    }
    const box = new Box();
    const fn = () => 0;
    assert.deepEqual(tree.leaves({ x, box, fn }), [box, fn, x]);
  });

  test("map applies leaf-wise over several trees of one structure", () => {
    const params = { w: np.array([1, 2]), b: [np.array([3])] };
    const grads = { w: np.array([10, 20]), b: [np.array([30])] };
    const next = tree.map((p: Tensor, g: Tensor) => np.sub(p, np.mul(0.1, g)), params, grads) as typeof params;
    assert.deepEqual(next.w.toArray(), [0, 0]);
    assert.deepEqual(next.b[0].toArray(), [0]);
    fc.assert(
      fc.property(treeArb, (t) => {
        const doubled = tree.map((v: number) => v * 2, t);
        assert.deepEqual(tree.leaves(doubled), naiveLeaves(t).map((v) => (v as number) * 2));
        assert.deepEqual(tree.structure(doubled), tree.structure(t));
      }),
      { numRuns: 20 },
    );
  });

  test("errors: mismatched structures and wrong leaf counts", () => {
    assert.throws(
      () => tree.map((a: number, b: number) => a + b, { a: 1 }, { b: 1 }),
      /tree\.map: tree 1 has a different structure from the first tree/,
    );
    assert.throws(
      () => tree.map((a: number, b: number) => a + b, [1, 2], [1]),
      /tree\.map: tree 1 has a different structure/,
    );
    const def = tree.structure({ a: 1, b: 2 });
    assert.throws(() => tree.unflatten(def, [1]), /tree\.unflatten: too few leaves \(1\)/);
    assert.throws(() => tree.unflatten(def, [1, 2, 3]), /tree\.unflatten: 3 leaves for a structure of 2/);
  });
});
