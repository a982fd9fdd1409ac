/**
 * The WebGPU kernels of the random primitives against the CPU's: bits,
 * split, foldIn, uniform, bernoulli, randint (small spans, spans above
 * 2^16, the full 2^32), permutation (one and two shuffle rounds), choice
 * with replacement and with weights (inverse CDF, Gumbel top-k) are equal
 * bit for bit, for single keys and for batches of keys (how `vmap` calls
 * them); normal samples agree within 3 ulp, most of them exactly (the
 * device's `erfinv` is a float32 polynomial as the shader compiler builds
 * it). Samplers whose ops need another kernel family on the device
 * (bernoulli's broadcast of a tensor `p`) are noted, not compared, until
 * that family exists. Skipped, with the reason, where no WebGPU device
 * opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { np, random, type Tensor } from "../mod.ts";
import { bind1 } from "../autodiff/core/bind.ts";
import {
  RANDOM_BITS,
  RANDOM_CHOICE_WEIGHTED,
  RANDOM_FOLD_IN,
  RANDOM_PERMUTATION,
  RANDOM_RANDINT,
  RANDOM_SPLIT,
  RANDOM_UNIT,
} from "../autodiff/random/primitives.ts";
import { GPU_UNAVAILABLE, on, ulpDistance, uniformValues } from "./support/gpu.ts";

const skip = GPU_UNAVAILABLE ?? false;

/** A key on the current backend from its two words. */
function rawKey(k0: number, k1: number): Tensor {
  return np.array([k0, k1], { dtype: "uint32" });
}

/** Three keys `[3, 2]`: the words of key(0), key(42) and two large words. */
function keyBatch(): Tensor {
  return np.array(new Uint32Array([0, 0, 0, 42, 0x9e3779b9, 0xdeadbeef]), { shape: [3, 2], dtype: "uint32" });
}

/** A missing webgpu kernel of another family (layout, gather): the message, else null. */
function otherFamilyMissing(e: unknown): string | null {
  const message = e instanceof Error ? e.message : String(e);
  return /no kernel on backend "webgpu"/.test(message) && !message.startsWith("random_") ? message : null;
}

/** `fn`'s result on the CPU and on the GPU as host arrays; null where the GPU lacks another family's kernel. */
function both(fn: () => Tensor): { cpu: ArrayLike<number>; gpu: ArrayLike<number> } | null {
  const read = (backend: string) => on(backend, () => fn().dataSync());
  let gpu: ArrayLike<number>;
  try {
    gpu = read("webgpu");
  } catch (e) {
    if (otherFamilyMissing(e) === null) throw e;
    return null;
  }
  return { cpu: read("cpu"), gpu };
}

/** Equal bit for bit (typed arrays of the same kind and contents); noted, not compared, where another family's kernel is missing. */
function assertSame(fn: () => Tensor, what: string): void {
  const r = both(fn);
  if (r === null) {
    console.log(`gpu_random_test: ${what}: not compared, a webgpu kernel of another family is missing`);
    return;
  }
  assert.equal(r.gpu.constructor, r.cpu.constructor, `${what}: array type`);
  assert.deepEqual(r.gpu, r.cpu, what);
}

describe("webgpu random samplers equal the CPU's bit for bit", () => {
  test("bits: odd and even counts, a batch of keys", { skip }, () => {
    assertSame(() => random.bits(random.key(0), [7]), "bits [7]");
    assertSame(() => random.bits(random.key(3), [4, 5]), "bits [4, 5]");
    assertSame(() => random.bits(rawKey(0xffffffff, 0x12345678), [1]), "bits [1]");
    assertSame(() => bind1(RANDOM_BITS, [keyBatch()], { shape: [1000] }), "bits of 3 keys");
  });

  test("split and foldIn", { skip }, () => {
    assertSame(() => bind1(RANDOM_SPLIT, [random.key(0)], { count: 2 }), "split(key(0))");
    assertSame(() => bind1(RANDOM_SPLIT, [keyBatch()], { count: 5 }), "split of 3 keys into 5");
    assertSame(() => random.foldIn(random.key(0), 42), "foldIn(key(0), 42)");
    assertSame(() => random.foldIn(rawKey(7, 0xfffffff0), -3), "foldIn of a negative integer");
    assertSame(() => bind1(RANDOM_FOLD_IN, [keyBatch()], { data: 2 ** 32 - 1 }), "foldIn of 3 keys");
  });

  test("uniform and bernoulli", { skip }, () => {
    assertSame(() => random.uniform(random.key(0), [257]), "uniform [0, 1)");
    assertSame(() => random.uniform(random.key(1), [5, 7], { minval: -3, maxval: 2.5 }), "uniform [-3, 2.5)");
    assertSame(() => bind1(RANDOM_UNIT, [keyBatch()], { shape: [33], dtype: "float32" }), "unit floats of 3 keys");
    assertSame(() => random.bernoulli(random.key(2), 0.3, [100]), "bernoulli(0.3)");
    assertSame(
      () => random.bernoulli(random.key(3), np.array([0.1, 0.5, 0.9], { dtype: "float32" }), [4, 3]),
      "bernoulli with a tensor p",
    );
  });

  test("randint: small spans, spans above 2^16, the full 32 bits", { skip }, () => {
    assertSame(() => random.randint(random.key(0), [50], 0, 10), "randint [0, 10)");
    assertSame(() => random.randint(random.key(1), [50], -7, 3), "randint [-7, 3)");
    assertSame(() => random.randint(random.key(2), [51], 0, 100_000), "randint [0, 100000)");
    assertSame(() => random.randint(random.key(3), [51], -2_000_000_000, 2_000_000_000), "randint, span 4e9");
    assertSame(() => random.randint(random.key(4), [9], -(2 ** 31), 2 ** 31), "randint, all of int32");
    assertSame(
      () => random.randint(random.key(5), [9], 0, 2 ** 32, { dtype: "uint32" }),
      "randint, all of uint32",
    );
    assertSame(() => random.randint(random.key(6), [9], 2 ** 31, 2 ** 32 - 5, { dtype: "uint32" }), "uint32 high");
    assertSame(
      () => bind1(RANDOM_RANDINT, [keyBatch()], { shape: [17], dtype: "int32", minval: 0, maxval: 70_000 }),
      "randint of 3 keys",
    );
  });

  test("permutation: one round, two rounds (n > 1625), a batch of keys", { skip }, () => {
    for (const n of [0, 1, 2, 10, 513, 1000]) assertSame(() => random.permutation(random.key(n), n), `n = ${n}`);
    assertSame(() => random.permutation(random.key(7), 3000), "n = 3000 (two rounds)");
    assertSame(() => bind1(RANDOM_PERMUTATION, [keyBatch()], { n: 600 }), "600 for 3 keys");
  });

  test("choice: with replacement, with weights (inverse CDF and Gumbel top-k)", { skip }, () => {
    assertSame(() => random.choice(random.key(0), 7, [40]), "uniform with replacement");
    const p = [0.1, 0.2, 0.7, 0, 1.5, 0.25];
    assertSame(() => random.choice(random.key(1), 6, [50], { p }), "weighted with replacement");
    assertSame(() => random.choice(random.key(2), 6, [4], { p, replace: false }), "weighted without replacement");
    assertSame(() => random.choice(random.key(3), 6, [5], { p, replace: false }), "every positive weight");
    const u = uniformValues(11);
    const weights = (n: number) => np.array(u(3 * n, 0, 1), { shape: [3, n], dtype: "float32" });
    const w = on("cpu", () => weights(700).dataSync() as Float32Array);
    const onDevice = () => np.array(w, { shape: [3, 700], dtype: "float32" });
    assertSame(
      () => bind1(RANDOM_CHOICE_WEIGHTED, [keyBatch(), onDevice()], { count: 300, replace: true }),
      "700 weights, 3 keys, with replacement",
    );
    assertSame(
      () => bind1(RANDOM_CHOICE_WEIGHTED, [keyBatch(), onDevice()], { count: 300, replace: false }),
      "700 weights, 3 keys, without replacement",
    );
  });
});

describe("webgpu normal samples", () => {
  // sqrt(2) * erfinv(u): the unit floats are equal, erfinv's float32 polynomial is compiled by the shader compiler
  // (which may fuse or reorder its steps) and its log1p is accurate to an ulp, not correctly rounded; the product
  // by sqrt(2) stretches a 2-ulp difference of erfinv to 3 ulp of the result.
  test("within 3 ulp of the CPU's, most of them equal", { skip }, () => {
    const r = both(() => random.normal(random.key(0), [4000]))!;
    let worst = 0, equal = 0;
    for (let i = 0; i < r.cpu.length; i++) {
      const d = ulpDistance(r.gpu[i], r.cpu[i]);
      worst = Math.max(worst, d);
      if (d === 0) equal++;
    }
    assert.ok(worst <= 3, `normal: ${worst} ulp apart`);
    assert.ok(equal >= 0.9 * r.cpu.length, `normal: only ${equal} of ${r.cpu.length} equal`);
  });
});
