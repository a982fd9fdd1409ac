import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { findKernel, np, type Tensor, vjp } from "../mod.ts";
import { bind1 } from "../autodiff/core/bind.ts";
import { MATMUL } from "../autodiff/ops/linalg.ts";
import { REDUCE_SUM } from "../autodiff/ops/reduce.ts";
import type { DType } from "../autodiff/dtype.ts";
import { GPU_UNAVAILABLE, on } from "./support/gpu.ts";
import {
  batchLayout,
  matmulSettings,
  planMatmul,
  SIMPLE_MAX_WORK,
  type Tile,
  TILES,
  tileSize,
} from "../gpu/kernels/matmul_plan.ts";

/** Why the device tests are skipped here, or false where a WebGPU device opened. */
const noGpu: string | false = GPU_UNAVAILABLE ?? false;

/** Seeded values: uniforms in [-1, 1) for floats, small integers otherwise. */
function values(size: number, seed: number, dtype: DType): number[] {
  let s = seed >>> 0;
  return Array.from({ length: size }, () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const u = s / 2 ** 32;
    return dtype === "float32"
      ? u * 2 - 1
      : Math.floor(u * (dtype === "uint32" ? 9 : 13)) - (dtype === "uint32" ? 0 : 6);
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Product {
  a: readonly number[];
  b: readonly number[];
  transA?: boolean;
  transB?: boolean;
  dtype?: DType;
  /** Forces a tile and a contraction split. */
  tile?: Tile;
  splits?: number;
}

/** `op(a) @ op(b)` on `backend` from the same seeded data. */
function product(backend: string, p: Product, abs = false): Tensor {
  const dtype = p.dtype ?? "float32";
  return on(backend, () => {
    const prep = (shape: readonly number[], seed: number) => {
      const v = values(size(shape), seed, dtype);
      return np.array(abs ? v.map(Math.abs) : v, { shape: [...shape], dtype });
    };
    const params = { transA: p.transA ?? false, transB: p.transB ?? false };
    return bind1(MATMUL, [prep(p.a, 1), prep(p.b, 2)], params);
  });
}

/** Asserts the webgpu product equals the CPU's: within 1e-5 of `sum |a||b|` per element for float32, exactly otherwise. */
function checkProduct(p: Product): void {
  matmulSettings.forceTile = p.tile;
  matmulSettings.forceSplits = p.splits;
  try {
    const want = product("cpu", p), got = product("webgpu", p);
    assert.deepEqual(got.shape, want.shape);
    assert.equal(got.dtype, want.dtype);
    const w = want.dataSync(), g = got.dataSync();
    const what = JSON.stringify(p);
    if ((p.dtype ?? "float32") !== "float32") {
      assert.deepEqual(Array.from(g), Array.from(w), what);
      return;
    }
    const scale = product("cpu", p, true).dataSync();
    for (let i = 0; i < w.length; i++) {
      const tol = 1e-5 * scale[i] + 1e-30;
      if (!(Math.abs(g[i] - w[i]) <= tol)) assert.fail(`${what}: element ${i}: ${g[i]} vs ${w[i]} (tolerance ${tol})`);
    }
  } finally {
    matmulSettings.forceTile = undefined;
    matmulSettings.forceSplits = undefined;
  }
}

/** Operand shapes of an `m x k @ k x n` product stored as `transA`/`transB` say. */
function stored(m: number, k: number, n: number, transA: boolean, transB: boolean): Pick<Product, "a" | "b"> {
  return { a: transA ? [k, m] : [m, k], b: transB ? [n, k] : [k, n] };
}

const TRANS = [[false, false], [true, false], [false, true], [true, true]] as const;

describe("webgpu matmul planner", () => {
  test("folds a batch over a shared right operand into rows and coalesces broadcast batch axes", () => {
    const fold = batchLayout([5, 8, 3], [3, 4], [5, 8, 4], false);
    assert.deepEqual([fold.m, fold.n, fold.k, fold.count, fold.shape.length], [40, 4, 3, 1, 0]);
    // A transposed left operand has its rows strided: no fold.
    assert.equal(batchLayout([5, 3, 8], [3, 4], [5, 8, 4], true).count, 5);
    const b = batchLayout([2, 1, 4, 3], [5, 3, 2], [2, 5, 4, 2], false);
    assert.deepEqual(b.shape, [2, 5]);
    assert.deepEqual(b.aStrides, [12, 0]);
    assert.deepEqual(b.bStrides, [0, 6]);
    // Contiguous batch axes of both operands merge into one.
    assert.deepEqual(batchLayout([2, 3, 4, 5], [2, 3, 5, 6], [2, 3, 4, 6], false).shape, [6]);
  });

  test("integers, small and vector-shaped products take the simple kernel", () => {
    const layout = (m: number, n: number, k: number) => batchLayout([m, k], [k, n], [m, n], false);
    assert.equal(planMatmul(layout(512, 512, 512), "int32").kind, "simple");
    assert.equal(planMatmul(layout(32, 32, 32), "float32").kind, "simple");
    assert.ok(32 * 32 * 32 <= SIMPLE_MAX_WORK);
    assert.equal(planMatmul(layout(1, 4096, 4096), "float32").kind, "simple");
    assert.equal(planMatmul(layout(4096, 1, 4096), "float32").kind, "simple");
  });

  test("W1's products get full tiles; a deep thin contraction is split", () => {
    const tiled = (aS: number[], bS: number[], out: number[], ta: boolean) => {
      const p = planMatmul(batchLayout(aS, bS, out, ta), "float32");
      assert.equal(p.kind, "tiled");
      return p;
    };
    const fwd = tiled([8000, 4096], [4096, 4096], [8000, 4096], false);
    assert.deepEqual(tileSize(fwd.tile), { bm: 128, bn: 128 });
    assert.equal(fwd.splits, 1);
    assert.deepEqual(tileSize(tiled([8000, 16384], [16384, 16384], [8000, 16384], false).tile), { bm: 128, bn: 128 });
    const dw = tiled([8000, 512], [8000, 512], [512, 512], true);
    assert.ok(dw.splits > 1, `x^T @ g at n = 512: ${JSON.stringify(dw)}`);
    assert.ok(dw.kChunk * dw.splits >= 8000 && dw.kChunk * (dw.splits - 1) < 8000);
    assert.equal(dw.kChunk % dw.tile.bk, 0);
    // Partial sums must fit one storage binding: at most two 512 x 512 slices here.
    const capped = planMatmul(batchLayout([8000, 512], [8000, 512], [512, 512], true), "float32", 2 * 512 * 512 * 4);
    assert.ok(capped.kind === "tiled" && capped.splits <= 2, JSON.stringify(capped));
    // A time step's 16 rows at n = 16384 take the 16-row tile.
    assert.deepEqual(tileSize(tiled([16, 16384], [16384, 16384], [16, 16384], false).tile), { bm: 16, bn: 256 });
  });

  test("a forced tile is used for float32 only, with the split capped by the contraction", () => {
    matmulSettings.forceTile = TILES[0];
    matmulSettings.forceSplits = 64;
    try {
      const l = batchLayout([3, 40], [40, 5], [3, 5], false);
      const p = planMatmul(l, "float32");
      assert.equal(p.kind, "tiled");
      if (p.kind === "tiled") assert.deepEqual([p.splits, p.kChunk], [3, 16]);
      assert.equal(planMatmul(l, "int32").kind, "simple");
    } finally {
      matmulSettings.forceTile = undefined;
      matmulSettings.forceSplits = undefined;
    }
  });
});

/**
 * Tiles for the tests: the generator's code paths (vec4 and scalar loads,
 * scattered and straight copies, 4x4 and 8x8 register blocks, every edge
 * check) with few invocations, because the software adapter (llvmpipe)
 * takes 5-20 s to compile each variant of the production tiles' 256-wide
 * workgroups and about 1 s for these. One test runs a production tile.
 */
const SMALL: Record<string, Tile> = {
  t4x4: { tm: 4, tn: 4, wy: 2, wx: 2, bk: 8 }, // 8 x 8
  t8x8: { tm: 8, tn: 8, wy: 2, wx: 2, bk: 8 }, // 16 x 16
  t4x8: { tm: 4, tn: 8, wy: 4, wx: 1, bk: 4 }, // 16 x 8, one vec4 per row of a contraction step
};

describe("webgpu matmul equals the CPU's", { skip: noGpu }, () => {
  test("small products (simple kernel), every transpose combination, 1-row and 1-column", () => {
    for (const [ta, tb] of TRANS) checkProduct({ ...stored(3, 5, 7, ta, tb), transA: ta, transB: tb });
    checkProduct({ a: [1, 40], b: [40, 33] });
    checkProduct({ a: [33, 40], b: [40, 1] });
    checkProduct({ a: [1, 9], b: [9, 1] });
  });

  test("tiles with vec4 and scalar loads, edges and every transpose combination", () => {
    // [m, k, n]: odd sizes (scalar loads, every check), multiples of 4 (vec4 loads, checks), multiples of the tile.
    const shapes = [[19, 21, 13], [20, 28, 12], [16, 16, 16]];
    for (const [m, k, n] of shapes) {
      for (const [ta, tb] of TRANS) {
        checkProduct({ ...stored(m, k, n, ta, tb), transA: ta, transB: tb, tile: SMALL.t4x4 });
      }
    }
    for (const [m, k, n] of shapes.slice(0, 2)) {
      checkProduct({ ...stored(m, k, n, false, false), tile: SMALL.t8x8 });
      checkProduct({ ...stored(m, k, n, true, true), transA: true, transB: true, tile: SMALL.t8x8 });
      checkProduct({ ...stored(m, k, n, false, true), transB: true, tile: SMALL.t4x8 });
    }
  });

  test("a production tile (128 x 128, 8 x 8 per invocation) on edges", () => {
    checkProduct({ a: [136, 52], b: [52, 132], tile: TILES[0] });
  });

  test("split contractions, including a short last slice", () => {
    checkProduct({ a: [20, 100], b: [100, 12], tile: SMALL.t4x4, splits: 3 });
    checkProduct({ a: [28, 20], b: [28, 12], transA: true, tile: SMALL.t4x4, splits: 4 });
    checkProduct({ a: [2, 19, 21], b: [21, 13], tile: SMALL.t4x4, splits: 2 });
    checkProduct({ a: [3, 21, 19], b: [3, 13, 21], transA: true, transB: true, tile: SMALL.t4x4, splits: 2 });
  });

  test("batched products with broadcast batch axes", () => {
    checkProduct({ a: [2, 1, 4, 3], b: [5, 3, 2] });
    checkProduct({ a: [3, 1, 20, 28], b: [4, 12, 28], transB: true, tile: SMALL.t4x4 });
    checkProduct({ a: [5, 4, 28], b: [28, 12], tile: SMALL.t4x4 }); // folded into 20 rows
    checkProduct({ a: [5, 4, 28], b: [1, 28, 12], tile: SMALL.t4x4 });
    checkProduct({ a: [20, 28], b: [5, 28, 12], tile: SMALL.t4x4 }); // a shared
    checkProduct({ a: [2, 3, 21, 19], b: [3, 13, 21], transA: true, transB: true, tile: SMALL.t4x4 });
  });

  test("int32 and uint32 products are exact", () => {
    checkProduct({ a: [7, 9], b: [9, 5], dtype: "int32" });
    checkProduct({ a: [2, 9, 7], b: [3, 1, 5, 9], transA: true, transB: true, dtype: "int32" });
    checkProduct({ a: [70, 90], b: [90, 65], dtype: "int32" });
    checkProduct({ a: [6, 4], b: [4, 3], dtype: "uint32" });
  });

  test("empty products: an empty contraction gives zeros, an empty output nothing", () => {
    const z = on("webgpu", () => np.matmul(np.ones([3, 0]), np.ones([0, 4])));
    assert.deepEqual(Array.from(z.dataSync()), new Array(12).fill(0));
    matmulSettings.forceTile = SMALL.t4x4;
    try {
      const t = on("webgpu", () => np.matmul(np.ones([3, 0]), np.ones([0, 4])));
      assert.deepEqual(Array.from(t.dataSync()), new Array(12).fill(0));
    } finally {
      matmulSettings.forceTile = undefined;
    }
    assert.deepEqual(on("webgpu", () => np.matmul(np.ones([0, 3]), np.ones([3, 4]))).shape, [0, 4]);
  });
});

describe("webgpu matmul VJPs equal the CPU's", { skip: noGpu }, () => {
  /** Gradients of `sum(op(x) @ op(y) * g)` with respect to x and y on `backend`. */
  function grads(backend: string, p: Product): Float32Array[] {
    return on(backend, () => {
      const x = np.array(values(size(p.a), 1, "float32"), { shape: [...p.a] });
      const y = np.array(values(size(p.b), 2, "float32"), { shape: [...p.b] });
      const params = { transA: p.transA ?? false, transB: p.transB ?? false };
      const [out, back] = vjp((u: Tensor, v: Tensor) => bind1(MATMUL, [u, v], params), x, y);
      const g = np.array(values(out.size, 3, "float32"), { shape: [...out.shape] });
      return (back(g) as Tensor[]).map((t) => t.dataSync() as Float32Array);
    });
  }

  function checkGrads(p: Product): void {
    matmulSettings.forceTile = p.tile;
    try {
      const want = grads("cpu", p), got = grads("webgpu", p);
      want.forEach((w, i) => {
        let scale = 0;
        for (const v of w) scale = Math.max(scale, Math.abs(v));
        for (let j = 0; j < w.length; j++) {
          assert.ok(
            Math.abs(got[i][j] - w[j]) <= 1e-5 * scale,
            `${JSON.stringify(p)} grad ${i}[${j}]: ${got[i][j]} vs ${w[j]}`,
          );
        }
      });
    } finally {
      matmulSettings.forceTile = undefined;
    }
  }

  test("plain and transposed products", () => {
    for (const [ta, tb] of TRANS) {
      checkGrads({ ...stored(6, 5, 7, ta, tb), transA: ta, transB: tb });
      checkGrads({ ...stored(19, 21, 13, ta, tb), transA: ta, transB: tb, tile: SMALL.t4x4 });
    }
    checkGrads({ a: [2, 9, 12], b: [2, 12, 10], tile: SMALL.t8x8 });
  });

  const reduce = noGpu === false && findKernel(REDUCE_SUM, "webgpu") !== undefined;
  test(
    "broadcast batch axes (summed back to each operand's shape)",
    { skip: !reduce && "the webgpu backend has no reduce_sum kernel yet (another kernel family)" },
    () => {
      checkGrads({ a: [3, 1, 6, 5], b: [4, 5, 7] });
      checkGrads({ a: [4, 8, 12], b: [12, 20], tile: SMALL.t4x4 });
    },
  );
});
