import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { np, random } from "../mod.ts";
import { threefry2x32 } from "../autodiff/threefry.ts";
import { erf, erfinv } from "../autodiff/random.ts";
import { loadReference } from "./support/numeric.ts";

const ref = loadReference("random.json");

describe("known answers", () => {
  test("threefry2x32 matches Random123's vectors", () => {
    for (const c of ref.threefry2x32) {
      const x0 = new Uint32Array([c.counter[0]]), x1 = new Uint32Array([c.counter[1]]);
      threefry2x32(c.key[0], c.key[1], x0, x1);
      assert.deepEqual([x0[0], x1[0]], c.out);
    }
  });
  test("key, split, bits and normal of key(0) match JAX", () => {
    const k = random.key(0);
    assert.deepEqual(Array.from(random.keyData(k)), ref.jax_legacy.key0);
    assert.deepEqual(random.split(k, 2).map((s) => Array.from(random.keyData(s))), ref.jax_legacy.split_key0_2);
    assert.deepEqual(Array.from(random.bits(k, [4]).dataSync()), ref.jax_legacy.bits_key0_shape4_uint32);
    const n = random.normal(k, [4]).dataSync();
    ref.jax_legacy.normal_key0_shape4_float32.forEach((want: number, i: number) => {
      assert.ok(Math.abs(n[i] - want) <= ref.jax_legacy.normal_tolerance, `normal[${i}] ${n[i]} vs ${want}`);
    });
  });
  test("bits of an odd count are a prefix of the padded even count", () => {
    const k = random.key(9);
    const five = random.bits(k, [5]).dataSync();
    assert.equal(five.length, 5);
    assert.deepEqual(Array.from(random.bits(k, [5]).dataSync()), Array.from(five));
  });
  test("seeds wider than 32 bits and negative seeds use both words", () => {
    assert.deepEqual(Array.from(random.keyData(random.key(2 ** 32 + 5))), [1, 5]);
    assert.deepEqual(Array.from(random.keyData(random.key(-1))), [0xffffffff, 0xffffffff]);
  });
});

describe("special functions", () => {
  test("erf matches its series at known points and erfinv inverts it", () => {
    assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
    assert.ok(Math.abs(erf(2) - 0.9953222650189527) < 1e-15);
    for (const y of [-0.999, -0.5, -1e-3, 0, 0.3, 0.9, 0.99999]) {
      assert.ok(Math.abs(erf(erfinv(y, true)) - y) < 1e-14, `erf(erfinv(${y}))`);
      assert.ok(Math.abs(erf(erfinv(y)) - y) < 1e-6, `single-precision erfinv(${y})`);
    }
  });
});

describe("distributions", () => {
  const k = random.key(1234);
  test("same key, same numbers; different keys differ", () => {
    assert.deepEqual(random.uniform(k, [8]).toArray(), random.uniform(k, [8]).toArray());
    assert.notDeepEqual(random.uniform(k, [8]).toArray(), random.uniform(random.foldIn(k, 1), [8]).toArray());
  });
  test("uniform moments and bounds", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const u = random.uniform(k, [20000], { minval: -2, maxval: 3, dtype });
      assert.equal(u.dtype, dtype);
      assert.ok(np.min(u).item() >= -2 && np.max(u).item() < 3);
      assert.ok(Math.abs(np.mean(u).item() - 0.5) < 0.05);
      assert.ok(Math.abs(np.var(u).item() - 25 / 12) < 0.08);
    }
  });
  test("normal and truncated normal moments", () => {
    const n = random.normal(k, [20000], { dtype: "float64" });
    assert.ok(Math.abs(np.mean(n).item()) < 0.03 && Math.abs(np.std(n).item() - 1) < 0.03);
    const t = random.truncatedNormal(k, -2, 2, [20000]);
    assert.ok(np.min(t).item() > -2 && np.max(t).item() < 2);
    // The standard normal truncated at ±2 has standard deviation 0.8796.
    assert.ok(Math.abs(np.std(t).item() - 0.8796) < 0.02);
  });
  test("bernoulli rate, tensor p and shape", () => {
    const b = random.bernoulli(k, 0.3, [20000]);
    assert.equal(b.dtype, "bool");
    assert.ok(Math.abs(np.mean(b).item() - 0.3) < 0.02);
    const p = np.array([0, 1]);
    assert.deepEqual(random.bernoulli(k, p, [3, 2]).toArray(), [[false, true], [false, true], [false, true]]);
  });
  test("randint covers its range uniformly", () => {
    const r = random.randint(k, [10000], -3, 4).dataSync();
    const counts = new Array(7).fill(0);
    for (const v of r) counts[v + 3]++;
    for (const c of counts) assert.ok(Math.abs(c / 10000 - 1 / 7) < 0.02);
  });
  test("permutation and choice", () => {
    const p = random.permutation(k, 50).dataSync();
    assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    const x = np.reshape(np.arange(12), [6, 2]);
    const px = random.permutation(k, x).toArray() as number[][];
    assert.deepEqual(px.map((r) => r[0] / 2).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    const c = random.choice(k, 10, [6], { replace: false }).dataSync();
    assert.equal(new Set(c).size, 6);
    const w = random.choice(k, 3, [3000], { p: [0, 0.25, 0.75] }).dataSync();
    assert.ok(!Array.from(w).includes(0));
    assert.ok(Math.abs(Array.from(w).filter((v) => v === 2).length / 3000 - 0.75) < 0.04);
  });
});

describe("errors", () => {
  test("bad keys, shapes and ranges", () => {
    assert.throws(() => random.split(np.zeros([2])), /random\.split: expected a key/);
    assert.throws(() => random.uniform(random.key(0), [2], { minval: 1, maxval: 1 }), /random\.uniform: need finite/);
    assert.throws(() => random.normal(random.key(0), [2], { dtype: "int32" }), /random\.normal: dtype/);
    assert.throws(() => random.randint(random.key(0), [2], 5, 5), /random\.randint/);
    assert.throws(() => random.choice(random.key(0), 3, [4], { replace: false }), /without replacement/);
    assert.throws(() => random.key(1.5), /random\.key/);
    assert.throws(() => random.bernoulli(random.key(0), np.ones([3]), [2]), /does not broadcast/);
  });
});
