/**
 * How the WebGPU backend computes one `matmul`: the batch layout (batch
 * axes coalesced into at most a few strided axes, or folded into the rows
 * when the right operand is shared), and the choice between the simple
 * kernel (one invocation per output) and the register-blocked tiled kernel,
 * with its tile shape and how many slices the contraction is split into.
 *
 * Pure arithmetic on shapes, so that it is tested without a device.
 *
 * @module
 */
import { broadcastStrides, coalesce } from "./indexing.ts";

/**
 * A tile of the register-blocked kernel: a `wy x wx` grid of invocations,
 * each computing `tm x tn` outputs (multiples of 4: vec4 accumulators), so
 * the tile covers `tm * wy` rows and `tn * wx` columns; `bk` is how deep one
 * step of the contraction goes through workgroup memory.
 *
 * @example
 * ```ts
 * const tile: Tile = { tm: 8, tn: 8, wy: 16, wx: 16, bk: 16 }; // 128 x 128, 256 invocations
 * ```
 */
export interface Tile {
  readonly tm: number;
  readonly tn: number;
  readonly wy: number;
  readonly wx: number;
  readonly bk: number;
}

/**
 * Rows and columns a tile covers.
 *
 * @example
 * ```ts
 * tileSize({ tm: 4, tn: 4, wy: 4, wx: 64, bk: 16 }); // { bm: 16, bn: 256 }
 * ```
 */
export function tileSize(t: Tile): { bm: number; bn: number } {
  return { bm: t.tm * t.wy, bn: t.tn * t.wx };
}

/**
 * The tiles the planner chooses among, largest first. 128x128 with 8x8 per
 * invocation and 16-deep contraction steps reaches 28-31 TFLOP/s on the
 * H200 from n = 4096 up (depths 8 and 32 were slower; see
 * bench/results/2026-12-04-gpu-matmul-h200.json); the smaller ones keep a
 * device busy when a product has too few large tiles, and the 16-row and
 * 16-column ones serve products with few rows (a time step's batch) or few
 * columns (a readout).
 *
 * @example
 * ```ts
 * tileSize(TILES[0]); // { bm: 128, bn: 128 }
 * ```
 */
export const TILES: readonly Tile[] = [
  { tm: 8, tn: 8, wy: 16, wx: 16, bk: 16 }, // 128 x 128
  { tm: 4, tn: 8, wy: 16, wx: 16, bk: 16 }, // 64 x 128
  { tm: 8, tn: 4, wy: 16, wx: 16, bk: 16 }, // 128 x 64
  { tm: 4, tn: 4, wy: 16, wx: 16, bk: 16 }, // 64 x 64
  { tm: 4, tn: 4, wy: 4, wx: 64, bk: 16 }, // 16 x 256
  { tm: 4, tn: 4, wy: 64, wx: 4, bk: 16 }, // 256 x 16
];

/**
 * Relative speed of a tile when the device is full, as measured on the
 * H200 at n = 4096 (bench/results/2026-12-04-gpu-matmul-h200.json): 8x8
 * outputs per invocation 28-30 TFLOP/s, 4x8 and 8x4 26-28, a square 4x4
 * tile 21-24, the 16-row and 16-column tiles 11-15 (few outputs per
 * invocation mean more workgroup-memory reads per multiply-add).
 */
function tileSpeed(t: Tile): number {
  const outputs = t.tm * t.tn;
  return outputs >= 64 ? 1 : outputs >= 32 ? 0.9 : t.wx === t.wy ? 0.78 : 0.45;
}

/**
 * Workgroups that keep the device busy in one wave: about two per
 * multiprocessor of a large GPU (the H200 has 132). Fewer tiles than this
 * leave it partly idle, which smaller tiles or a split contraction fix.
 *
 * @example
 * ```ts
 * Math.ceil(4096 / 128) ** 2 >= TARGET_WORKGROUPS; // true: n = 4096 fills the device with 128 x 128 tiles
 * ```
 */
export const TARGET_WORKGROUPS = 264;

/**
 * Below this many multiply-adds the simple kernel is as fast as any (a
 * dispatch costs ~10 µs anyway).
 *
 * @example
 * ```ts
 * 64 * 64 * 64 <= SIMPLE_MAX_WORK; // true
 * ```
 */
export const SIMPLE_MAX_WORK = 1 << 18;

/** A contraction slice is at least this deep, so that the extra pass summing the slices stays small. */
const MIN_SPLIT_DEPTH = 512;

/** Most slices a contraction is split into. */
const MAX_SPLITS = 16;

/**
 * The largest workgroup count per grid dimension WebGPU guarantees.
 *
 * @example
 * ```ts
 * Math.ceil(100_000 / MAX_GROUPS); // 2 dispatches for 100000 batch matrices
 * ```
 */
export const MAX_GROUPS = 65535;

/**
 * The batch axes of a product, coalesced: offsets of each operand per batch index.
 *
 * @example
 * ```ts
 * const layout: BatchLayout = batchLayout([2, 1, 4, 3], [5, 3, 2], [2, 5, 4, 2], false);
 * layout.aStrides; // [12, 0]
 * ```
 */
export interface BatchLayout {
  /** Rows of the output matrices (batch rows folded in, when folded). */
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Output matrices. */
  readonly count: number;
  /** Coalesced batch axes and each operand's element strides along them. */
  readonly shape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/**
 * The batch layout of `op(a) @ op(b)` with output `outShape` (whether `b`
 * is transposed does not change it). A left
 * operand with contiguous batch axes times a shared right matrix is one
 * product over `batch * m` rows (the layouts coincide), which lets the
 * planner use large tiles however small `m` is.
 *
 * @example
 * ```ts
 * batchLayout([5, 8, 3], [3, 4], [5, 8, 4], false); // { m: 40, n: 4, k: 3, count: 1, shape: [], ... }
 * batchLayout([2, 1, 4, 3], [5, 3, 2], [2, 5, 4, 2], false).shape; // [2, 5]
 * ```
 */
export function batchLayout(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
  transA: boolean,
): BatchLayout {
  const m = outShape[outShape.length - 2], n = outShape[outShape.length - 1];
  const k = aShape[aShape.length - (transA ? 2 : 1)];
  const batch = outShape.slice(0, -2);
  const count = batch.reduce((x, y) => x * y, 1);
  const sa = broadcastStrides(aShape.slice(0, -2), batch).map((s) => s * m * k);
  const sb = broadcastStrides(bShape.slice(0, -2), batch).map((s) => s * k * n);
  const c = coalesce(batch, [sa, sb]);
  const [aStrides, bStrides] = c.strides;
  const foldable = !transA && c.shape.length === 1 && aStrides[0] === m * k && bStrides[0] === 0;
  if (foldable) return { m: m * count, n, k, count: 1, shape: [], aStrides: [], bStrides: [] };
  return { m, n, k, count, shape: c.shape, aStrides, bStrides };
}

/**
 * The simple kernel, or the tiled one with a tile and a split of the contraction.
 *
 * @example
 * ```ts
 * const plan: MatmulPlan = { kind: "tiled", tile: TILES[3], splits: 4, kChunk: 2000 };
 * ```
 */
export type MatmulPlan =
  | { readonly kind: "simple" }
  | { readonly kind: "tiled"; readonly tile: Tile; readonly splits: number; readonly kChunk: number };

/**
 * Settings for benchmarks and tests: `forceTile` makes every float32
 * product use that tile (and `forceSplits` that many contraction slices),
 * so that a small test exercises the large-tile path. Leave unset
 * otherwise.
 *
 * @example
 * ```ts
 * matmulSettings.forceTile = TILES[0]; // 128 x 128 everywhere
 * matmulSettings.forceTile = undefined; // back to the planner's choice
 * ```
 */
export const matmulSettings: { forceTile?: Tile; forceSplits?: number } = {};

/** Contraction depth per slice for `splits` slices: a multiple of the tile's depth. */
function chunkFor(k: number, splits: number, bk: number): number {
  return Math.max(bk, Math.ceil(Math.ceil(k / splits) / bk) * bk);
}

/**
 * Chooses how to compute a product of `layout` in `dtype`: integers and
 * small or vector-shaped products take the simple kernel; float32 products
 * the tile and split that maximise an estimate of throughput (a tile's
 * speed times the fraction of its outputs that are inside the matrix times
 * how well its workgroups fill whole waves of {@link TARGET_WORKGROUPS}).
 * A split contraction's partial sums take `maxScratchBytes` at most (the
 * device's largest storage binding).
 *
 * @example
 * ```ts
 * planMatmul({ m: 4096, n: 4096, k: 4096, count: 1, shape: [], aStrides: [], bStrides: [] }, "float32");
 * // { kind: "tiled", tile: { tm: 8, tn: 8, wy: 16, wx: 16, bk: 16 }, splits: 1, kChunk: 4096 }
 * ```
 */
export function planMatmul(layout: BatchLayout, dtype: string, maxScratchBytes = Infinity): MatmulPlan {
  const { m, n, k, count } = layout;
  // A split product's partial sums live in one buffer bound at once: never past the binding limit.
  const scratchFits = (splits: number) => splits === 1 || count * splits * m * n * 4 <= maxScratchBytes;
  if (dtype !== "float32") return { kind: "simple" };
  const forced = matmulSettings.forceTile;
  if (forced !== undefined) {
    const splits = Math.max(1, Math.min(matmulSettings.forceSplits ?? 1, Math.ceil(k / forced.bk) || 1));
    const plan = tiledPlan(forced, splits, k);
    if (fitsGrid(layout, forced, plan.splits) && scratchFits(plan.splits)) return plan;
  }
  if (m === 1 || n === 1 || m * n * k <= SIMPLE_MAX_WORK) return { kind: "simple" };
  let best: MatmulPlan = { kind: "simple" }, bestScore = 0;
  for (const tile of TILES) {
    for (let splits = 1; splits <= MAX_SPLITS; splits *= 2) {
      if (splits > 1 && k / splits < MIN_SPLIT_DEPTH) break;
      if (!fitsGrid(layout, tile, splits) || !scratchFits(splits)) continue;
      const { bm, bn } = tileSize(tile);
      const tilesM = Math.ceil(m / bm), tilesN = Math.ceil(n / bn);
      const groups = tilesM * tilesN * count * splits;
      const inside = (m * n) / (tilesM * bm * tilesN * bn);
      const waves = Math.ceil(groups / TARGET_WORKGROUPS);
      const filled = groups / (waves * TARGET_WORKGROUPS);
      // Each slice's partial result is written and read back once more: at ~20 TFLOP/s and ~4 TB/s that
      // costs about 20 * splits / k of the product's time, plus a second dispatch.
      const splitCost = splits === 1 ? 1 : 0.95 / (1 + (20 * splits) / k);
      const score = tileSpeed(tile) * inside * filled * splitCost;
      if (score > bestScore * 1.0001) {
        bestScore = score;
        best = tiledPlan(tile, splits, k);
      }
    }
  }
  return best;
}

function tiledPlan(tile: Tile, splits: number, k: number): Extract<MatmulPlan, { kind: "tiled" }> {
  const kChunk = chunkFor(k, splits, tile.bk);
  // Rounding the slice depth up can leave trailing slices empty: drop them.
  const used = Math.max(1, Math.ceil(k / kChunk));
  return { kind: "tiled", tile, splits: used, kChunk: splits === 1 ? Math.max(k, 1) : kChunk };
}

function fitsGrid(layout: BatchLayout, tile: Tile, splits: number): boolean {
  const { bm, bn } = tileSize(tile);
  return Math.ceil(layout.n / bn) <= MAX_GROUPS && Math.ceil(layout.m / bm) <= MAX_GROUPS &&
    layout.count * splits < 2 ** 31;
}
