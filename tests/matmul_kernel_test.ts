import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { matmulKernel, type MatmulPath, matmulStatus, sampleDensity } from "../autodiff/cpu/matmul.ts";
import { createMatmulEngine } from "../autodiff/cpu/wasm_matmul.ts";
import { wasmMatmul } from "../autodiff/cpu/wasm_matmul_product.ts";
import { startWorkerPool } from "../autodiff/cpu/matmul_threads.ts";
import { np, setNumThreads } from "../mod.ts";

/** A seeded stream of uniforms in [-1, 1). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** `size` float32 values; a `density` below 1 zeroes the rest (spike-like inputs). */
function randomF32(size: number, seed: number, density = 1, spikes = false): Float32Array {
  const u = uniforms(seed), out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const keep = (u() + 1) / 2 < density;
    out[i] = keep ? (spikes ? 1 : u()) : 0;
  }
  return out;
}

/**
 * The product by definition in float64 over the same float32 inputs, with
 * the scale `||a_i|| * ||b_j||` of every entry: float32 accumulation over
 * `k` terms is exact to about `k * 2^-24` of that scale.
 */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number) {
  const value = new Float64Array(m * n), scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, na = 0, nb = 0;
      for (let p = 0; p < k; p++) {
        s += a[i * k + p] * b[p * n + j];
        na += a[i * k + p] ** 2;
        nb += b[p * n + j] ** 2;
      }
      value[i * n + j] = s;
      scale[i * n + j] = Math.sqrt(na * nb);
    }
  }
  return { value, scale };
}

function assertWithinRounding(
  got: ArrayLike<number>,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  what: string,
) {
  const { value, scale } = reference(a, b, m, k, n);
  for (let i = 0; i < m * n; i++) {
    const err = Math.abs(got[i] - value[i]);
    assert.ok(
      err <= 1e-5 * scale[i] + 1e-30,
      `${what} [${m},${k}]@[${k},${n}] entry (${Math.floor(i / n)}, ${i % n}): got ${got[i]}, want ${value[i]}`,
    );
  }
}

const ODD = [1, 3, 7, 17, 33, 65, 127];

/** The row-major `[cols, rows]` transpose of the row-major `[rows, cols]` matrix `x`. */
function transposeOf(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}
const PATHS: MatmulPath[] = ["auto", "dense", "sparse", "reference"];

describe("float32 matmul kernels", () => {
  test("every path agrees with the float64 definition on odd sizes", () => {
    let seed = 1;
    for (const m of ODD) {
      for (const k of [1, 7, 33, 127]) {
        for (const n of [1, 3, 17, 65]) {
          const a = randomF32(m * k, seed++), b = randomF32(k * n, seed++);
          for (const path of PATHS) {
            const out = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", path);
            assert.ok(out instanceof Float32Array);
            assertWithinRounding(out, a, b, m, k, n, path);
          }
        }
      }
    }
  });

  test("non-square products past the register tile and the cache blocks", () => {
    for (const [m, k, n] of [[127, 513, 33], [200, 65, 129], [5, 1000, 17], [1, 127, 1031]]) {
      const a = randomF32(m * k, m + k), b = randomF32(k * n, n);
      for (const path of ["dense", "sparse"] as const) {
        assertWithinRounding(matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", path), a, b, m, k, n, path);
      }
    }
  });

  test("batch axes broadcast as in numpy", () => {
    const [m, k, n] = [7, 17, 33];
    const a = randomF32(2 * 1 * m * k, 11), b = randomF32(3 * k * n, 12);
    for (const path of ["dense", "sparse", "auto"] as const) {
      const out = matmulKernel(a, [2, 1, m, k], b, [3, k, n], [2, 3, m, n], "float32", path);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          const ai = a.subarray(i * m * k, (i + 1) * m * k), bj = b.subarray(j * k * n, (j + 1) * k * n);
          const o = out.subarray((i * 3 + j) * m * n, (i * 3 + j + 1) * m * n);
          assertWithinRounding(o, ai, bj, m, k, n, `${path} batch (${i}, ${j})`);
        }
      }
    }
  });

  test("the sparse path equals the dense path on spike inputs", () => {
    for (const [m, k, n, density] of [[65, 127, 33, 0.05], [127, 33, 17, 0.3], [33, 700, 20, 0.05], [17, 65, 65, 0]]) {
      const a = randomF32(m * k, m, density, true), b = randomF32(k * n, n);
      const sparse = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", "sparse");
      const dense = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", "dense");
      assertWithinRounding(sparse, a, b, m, k, n, "sparse");
      const { scale } = reference(a, b, m, k, n);
      for (let i = 0; i < m * n; i++) {
        assert.ok(Math.abs(sparse[i] - dense[i]) <= 2e-5 * scale[i] + 1e-30, `entry ${i}: ${sparse[i]} vs ${dense[i]}`);
      }
    }
  });

  test("random shapes and densities (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (m, k, n, density, seed) => {
          const a = randomF32(m * k, seed, density), b = randomF32(k * n, seed + 1);
          for (const path of PATHS) {
            assertWithinRounding(matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", path), a, b, m, k, n, path);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test("worker threads give the single-threaded result bit for bit", async () => {
    const [m, k, n] = [300, 129, 131]; // above the threads' threshold
    const a = randomF32(m * k, 5), b = randomF32(k * n, 6);
    const before = setNumThreads(1);
    try {
      const single = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", "dense");
      setNumThreads(2);
      matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", "dense"); // starts the workers
      for (let t = 0; t < 100 && matmulStatus().readyWorkers < 1; t++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(matmulStatus().readyWorkers, 1, "the worker did not start");
      for (const path of ["dense", "sparse"] as const) {
        const want = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", path === "dense" ? "dense" : "sparse");
        setNumThreads(1);
        const one = matmulKernel(a, [m, k], b, [k, n], [m, n], "float32", path);
        setNumThreads(2);
        assert.deepEqual(want, one, path);
      }
      // The scattering product of a transposed spike matrix (x^T @ g) sums per-unit partials in a fixed order.
      const spikes = randomF32(k * m, 7, 0.05, true), g = randomF32(k * n, 8);
      const scatter = () => matmulKernel(spikes, [k, m], g, [k, n], [m, n], "float32", "sparse", true, false);
      const two = scatter();
      setNumThreads(1);
      const one = scatter();
      setNumThreads(2);
      assert.deepEqual(two, one, "sparse, transposed a");
      assertWithinRounding(one, transposeOf(spikes, k, m), g, m, k, n, "sparse, transposed a");
      assertWithinRounding(single, a, b, m, k, n, "single-threaded");
    } finally {
      setNumThreads(before);
    }
  });

  test("float64 keeps the float64 reference loop", () => {
    const [m, k, n] = [17, 33, 7];
    const u = uniforms(3);
    const a = Float64Array.from({ length: m * k }, u), b = Float64Array.from({ length: k * n }, u);
    const out = matmulKernel(a, [m, k], b, [k, n], [m, n], "float64");
    assert.ok(out instanceof Float64Array);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        assert.ok(Math.abs(out[i * n + j] - s) <= 1e-14 * k, `(${i}, ${j}): ${out[i * n + j]} vs ${s}`);
      }
    }
  });

  test("an empty contraction gives zeros; np.matmul goes through the kernel", () => {
    assert.deepEqual([...matmulKernel(new Float32Array(0), [3, 0], new Float32Array(0), [0, 2], [3, 2], "float32")], [
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    const a = randomF32(65 * 33, 21), b = randomF32(33 * 17, 22);
    const got = np.matmul(np.array(a, { shape: [65, 33] }), np.array(b, { shape: [33, 17] })).dataSync();
    assertWithinRounding(got, a, b, 65, 33, 17, "np.matmul");
  });

  test("density sampling sees the fraction of non-zeros", () => {
    const a = randomF32(100_000, 9, 0.05, true);
    const d = sampleDensity(a, 0, a.length);
    assert.ok(d > 0.02 && d < 0.09, `sampled density ${d}`);
    assert.equal(sampleDensity(new Float32Array(10), 0, 10), 0);
    assert.equal(sampleDensity(new Float32Array(10).fill(2), 0, 10), 1);
  });

  test("transposed operands, stored [k, m] and [n, k], on every path and odd sizes (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom(1, 0.3, 0.05),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1 << 30 }),
        (m, k, n, density, transA, transB, seed) => {
          const a = randomF32(m * k, seed, density), b = randomF32(k * n, seed + 1);
          const storedA = transA ? transposeOf(a, m, k) : a, storedB = transB ? transposeOf(b, k, n) : b;
          const aShape = transA ? [k, m] : [m, k], bShape = transB ? [n, k] : [k, n];
          for (const path of PATHS) {
            const out = matmulKernel(storedA, aShape, storedB, bShape, [m, n], "float32", path, transA, transB);
            assertWithinRounding(out, a, b, m, k, n, `${path} transA=${transA} transB=${transB}`);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test("row and contraction chunks of a small memory budget add up to the whole product", () => {
    // 4 KiB chunks: many row chunks, and contraction chunks whose results accumulate.
    const engine = createMatmulEngine(undefined, { mc: 12, kc: 16, chunkBytes: 4096 });
    for (const [m, k, n] of [[37, 101, 29], [5, 300, 9], [64, 40, 64]]) {
      const a = randomF32(m * k, m * k, 0.5), b = randomF32(k * n, n);
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const storedA = transA ? transposeOf(a, m, k) : a, storedB = transB ? transposeOf(b, k, n) : b;
        for (const sparse of [false, true]) {
          const out = new Float32Array(m * n);
          wasmMatmul(engine, storedA, 0, storedB, 0, out, 0, m, k, n, sparse, false, { a: transA, b: transB });
          assertWithinRounding(out, a, b, m, k, n, `chunked sparse=${sparse} transA=${transA} transB=${transB}`);
        }
      }
    }
    // The memory stays within a few chunks of the budget, not the operands' size.
    assert.ok(engine.memory.buffer.byteLength <= 1 << 20, `memory grew to ${engine.memory.buffer.byteLength} bytes`);
  });

  test("an operand copy that fails mid-job releases the worker; the next product is right", async () => {
    const engine = createMatmulEngine();
    const pool = startWorkerPool(engine, 1);
    if (!pool) return; // no worker threads on this platform
    engine.pool = pool;
    try {
      for (let t = 0; t < 100 && pool.readyCount() < 1; t++) await new Promise((r) => setTimeout(r, 20));
      const [m, k, n] = [320, 64, 24];
      const a = randomF32(m * k, 31, 0.1), b = randomF32(k * n, 32);
      /** Fails on the third unit's copy, after the worker has started on the first ones. */
      class FailingCopy extends Float32Array {
        calls = 0;
        override subarray(begin?: number, end?: number): Float32Array<ArrayBuffer> {
          if (++this.calls === 3) throw new Error("copy failed");
          return new Float32Array(this.buffer, this.byteOffset, this.length).subarray(begin, end);
        }
      }
      const failing = new FailingCopy(a);
      const out = new Float32Array(m * n);
      assert.throws(() => wasmMatmul(engine, failing, 0, b, 0, out, 0, m, k, n, true, true), /copy failed/);
      for (const sparse of [true, false]) {
        const again = new Float32Array(m * n);
        wasmMatmul(engine, a, 0, b, 0, again, 0, m, k, n, sparse, true);
        assertWithinRounding(again, a, b, m, k, n, `after the failure, sparse=${sparse}`);
      }
    } finally {
      pool.terminate();
    }
  });

  test("chunked products on a worker give the serial result bit for bit, job after job", async () => {
    const engine = createMatmulEngine(undefined, { mc: 12, kc: 16, chunkBytes: 8192 });
    const pool = startWorkerPool(engine, 1);
    if (!pool) return; // no worker threads on this platform: nothing to compare
    engine.pool = pool;
    try {
      for (let t = 0; t < 100 && pool.readyCount() < 1; t++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(pool.readyCount(), 1, "the worker did not start");
      const [m, k, n] = [97, 130, 41];
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        for (const sparse of [false, true]) {
          const a = randomF32(m * k, m + k + Number(transA), sparse ? 0.1 : 1), b = randomF32(k * n, n);
          const storedA = transA ? transposeOf(a, m, k) : a, storedB = transB ? transposeOf(b, k, n) : b;
          const run = (parallel: boolean) => {
            const out = new Float32Array(m * n);
            wasmMatmul(engine, storedA, 0, storedB, 0, out, 0, m, k, n, sparse, parallel, { a: transA, b: transB });
            return out;
          };
          const serial = run(false);
          assertWithinRounding(serial, a, b, m, k, n, `serial sparse=${sparse} transA=${transA} transB=${transB}`);
          for (let rep = 0; rep < 5; rep++) {
            assert.deepEqual(run(true), serial, `parallel sparse=${sparse} transA=${transA} transB=${transB}`);
          }
        }
      }
    } finally {
      pool.terminate();
    }
  });
});
