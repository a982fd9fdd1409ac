import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, scan } from "../mod.ts";
import { checkGradients } from "./support/numeric.ts";

test("grad of sum of squares is 2x", () => {
  const g = grad((x) => np.sum(np.square(x)))(np.array([1, -2, 3], { dtype: "float64" }));
  assert.deepEqual(g.toArray(), [2, -4, 6]);
});

test("scan gradient matches finite differences (closure capture included)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (T, n) => {
      const xs = np.array(Array.from({ length: T * n }, (_, i) => Math.sin(i + 1)), {
        shape: [T, n],
        dtype: "float64",
      });
      checkGradients((x, w, c0) => {
        const [c, ys] = scan((c, xt) => [np.tanh(np.add(np.mul(c, w), xt)), np.mul(c, c)], c0, x);
        return np.concatenate([np.reshape(ys, [-1]), c]);
      }, [xs, np.array([0.7], { dtype: "float64" }), np.array(Array(n).fill(0.3), { dtype: "float64" })]);
    }),
    { numRuns: 10 },
  );
});
