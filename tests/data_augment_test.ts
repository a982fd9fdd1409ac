import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { data, np, random, type Tensor } from "../mod.ts";

const flat = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

/** np.roll by index arithmetic: out[..., (i + s) mod n, ...] = x[..., i, ...] for each rolled axis. */
function rollOracle(values: number[], shape: number[], shifts: number[], axes: number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const coord = shape.map((n, d) => Math.floor(i / strides[d]) % n);
    axes.forEach((a, k) => {
      coord[a] = (((coord[a] + shifts[k]) % shape[a]) + shape[a]) % shape[a];
    });
    out[coord.reduce((acc, c, d) => acc + c * strides[d], 0)] = values[i];
  }
  return out;
}

describe("data.shiftAugment", () => {
  test("equals np.roll of the whole batch by random.randint(key, [axes], -maxShift, maxShift)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        (shape, maxShift, seed, twoAxes) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: n }, (_, i) => i);
          const x = np.array(values, { shape });
          const axes = twoAxes ? [-1, 1] : [-1];
          const k = random.key(seed);
          const shifts = Array.from(random.randint(k, [axes.length], -maxShift, maxShift).dataSync());
          const got = data.shiftAugment(maxShift, axes)(x, k);
          assert.deepEqual(got.shape, shape);
          const resolved = axes.map((a) => (a < 0 ? a + shape.length : a));
          assert.deepEqual(flat(got), rollOracle(values, shape, shifts, resolved));
        },
      ),
      { numRuns: 25 },
    );
  });

  test("shifts cover [-maxShift, maxShift - 1] and nothing else", () => {
    const seen = new Set<number>();
    const x = np.reshape(np.arange(8, { dtype: "float32" }), [1, 8]);
    const aug = data.shiftAugment(3);
    for (let s = 0; s < 200; s++) {
      // out[0] = x[(0 - shift) mod 8], so the shift is -out[0] mod 8, read in [-3, 4].
      const r = (8 - aug(x, random.key(s)).dataSync()[0]) % 8;
      seen.add(r > 4 ? r - 8 : r);
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2]);
  });

  test("errors", () => {
    assert.throws(() => data.shiftAugment(0), /data\.shiftAugment: maxShift must be an integer >= 1, got 0/);
    assert.throws(() => data.shiftAugment(2, []), /data\.shiftAugment: axes must be a non-empty array/);
    assert.throws(
      () => data.shiftAugment(2, [2])(np.zeros([3, 3]), random.key(0)),
      /data\.shiftAugment: axis 2 is out of range for 2 axes/,
    );
  });
});

describe("data.shuffler", () => {
  test("permutes with random.permutation, drops the remainder, reshapes, keeps pairs aligned", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, batch, width, seed) => {
          fc.pre(batch <= n);
          // Row i of x holds i * 10 + column, so every row names its sample.
          const x = np.array(Array.from({ length: n * width }, (_, i) => Math.floor(i / width) * 10 + (i % width)), {
            shape: [n, width],
          });
          const y = np.arange(n, { dtype: "int32" });
          const k = random.key(seed);
          const [xb, yb] = data.shuffler([x, y], batch)([x, y], k);
          const numBatches = Math.floor(n / batch);
          assert.deepEqual(xb.shape, [numBatches, batch, width]);
          assert.deepEqual(yb.shape, [numBatches, batch]);
          const labels = flat(yb), rows = flat(xb);
          const order = flat(random.permutation(k, n)).slice(0, numBatches * batch);
          assert.deepEqual(labels, order);
          labels.forEach((label, r) => {
            for (let c = 0; c < width; c++) assert.equal(rows[r * width + c], label * 10 + c);
          });
          assert.equal(new Set(labels).size, labels.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("labels with trailing axes, and another key gives another order", () => {
    const x = np.zeros([12, 2]), y = np.reshape(np.arange(24), [12, 2]);
    const shuffle = data.shuffler([x, y], 5);
    const [, yb] = shuffle([x, y], random.key(1));
    assert.deepEqual(yb.shape, [2, 5, 2]);
    assert.notDeepEqual(flat(yb), flat(shuffle([x, y], random.key(2))[1]));
  });

  test("errors", () => {
    const x = np.zeros([4, 2]), y = np.zeros([4]);
    assert.throws(
      () => data.shuffler([x, np.zeros([3])], 2),
      /data\.shuffler: x and y need the same leading \(sample\) axis, got shapes \[4,2\] and \[3\]/,
    );
    assert.throws(() => data.shuffler([x, y], 5), /data\.shuffler: batchSize 5 is larger than the 4 samples/);
    assert.throws(() => data.shuffler([x, y], 0), /data\.shuffler: batchSize must be an integer >= 1/);
    assert.throws(
      () => data.shuffler([x, y], 2)([np.zeros([4, 3]), y], random.key(0)),
      /data\.shuffler: built for x \[4,2\] and y \[4\], called with x \[4,3\] and y \[4\]/,
    );
  });
});
