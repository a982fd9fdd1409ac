/**
 * The register-blocked float32 matrix product in WGSL, generated per tile
 * shape, operand layout and edge case.
 *
 * Each workgroup computes a `bm x bn` tile of the output. Per step of `bk`
 * along the contraction it copies the `bm x bk` slice of `op(a)` and the
 * `bk x bn` slice of `op(b)` into workgroup memory, both laid out
 * contraction-major as vec4 rows (`As[kk][r/4]`, `Bs[kk][c/4]`), so that
 * every invocation reads its `tm` rows and `tn` columns at one `kk` as
 * `tm/4 + tn/4` vec4 loads and does `tm * tn / 4` vec4 FMAs. Accumulators
 * are separate named vec4 variables and every register access is unrolled
 * in the generated text: on the H200 a register array indexed by a loop
 * variable went to local memory and ran 25 times slower.
 *
 * An invocation's rows are `tm/4` blocks of 4 consecutive rows, block `b`
 * at `4 * (l.y + b * wy)`; its columns likewise with `l.x` and `wx`. So
 * neighbouring invocations store neighbouring vec4s of the output, and
 * reads of workgroup memory are broadcasts or consecutive vec4s.
 *
 * Transposed operands change only the copy into workgroup memory: it reads
 * global memory along the operand's contiguous axis (as vec4 where that axis
 * is a multiple of 4), and where that axis is the contraction it scatters
 * the four values into four rows of the tile (rows padded by one vec4, which
 * keeps those stores off a single bank).
 *
 * Bounds checks are generated only on the loads and stores of an axis that
 * the tile does not divide; the inner loop never has any.
 *
 * @module
 */
import { type Tile, tileSize } from "./matmul_plan.ts";

/**
 * What one generated kernel is specialised to.
 *
 * @example
 * ```ts
 * import { TILES } from "./matmul_plan.ts";
 * const spec: TiledSpec = { tile: TILES[0], transA: true, transB: false, vecA: true, vecB: true, vecC: true,
 *   checkM: false, checkN: false, checkK: true };
 * ```
 */
export interface TiledSpec {
  readonly tile: Tile;
  readonly transA: boolean;
  readonly transB: boolean;
  /** `a` is read as vec4 along its contiguous axis (that axis is a multiple of 4). */
  readonly vecA: boolean;
  readonly vecB: boolean;
  /** The output is written as vec4 (n is a multiple of 4). */
  readonly vecC: boolean;
  /** Whether rows, columns and the contraction need bounds checks (the tile does not divide them). */
  readonly checkM: boolean;
  readonly checkN: boolean;
  readonly checkK: boolean;
}

/**
 * The cache key of a spec (also the pipeline's label).
 *
 * @example
 * ```ts
 * import { TILES } from "./matmul_plan.ts";
 * tiledKey({ tile: TILES[0], transA: false, transB: true, vecA: true, vecB: true, vecC: true,
 *   checkM: true, checkN: false, checkK: false }); // "matmul:t8x8:16x16:k16:NT:vvv:m"
 * ```
 */
export function tiledKey(s: TiledSpec): string {
  const t = s.tile;
  const flags = (s.checkM ? "m" : "") + (s.checkN ? "n" : "") + (s.checkK ? "k" : "");
  const v = (x: boolean) => (x ? "v" : "s");
  return `matmul:t${t.tm}x${t.tn}:${t.wy}x${t.wx}:k${t.bk}:${s.transA ? "T" : "N"}${s.transB ? "T" : "N"}:${v(s.vecA)}${
    v(s.vecB)
  }${v(s.vecC)}:${flags}`;
}

/**
 * The uniform struct shared by the tiled and simple kernels: sizes, the
 * contraction slice depth, the batch axes (at most 8) with each operand's
 * strides, and the first batch index of this dispatch.
 *
 * @example
 * ```ts
 * const shader = `${MATMUL_UNIFORMS_WGSL}\n@group(0) @binding(3) var<uniform> u: U;`;
 * ```
 */
export const MATMUL_UNIFORMS_WGSL = `struct U {
  M: u32, N: u32, K: u32, kChunk: u32,
  rank: u32, zBase: u32, splits: u32, count: u32,
  shape: array<vec4<u32>, 2>, sa: array<vec4<u32>, 2>, sb: array<vec4<u32>, 2>,
};`;

/**
 * WGSL that sets `aOff`, `bOff` (element offsets of the operands' matrices)
 * from the batch index `bz`, walking the uniform batch axes.
 *
 * @example
 * ```ts
 * const body = `let bz = wg.z; ${BATCH_OFFSETS_WGSL} let x = A[aOff];`;
 * ```
 */
export const BATCH_OFFSETS_WGSL = `var aOff = 0u; var bOff = 0u; var rem = bz;
  for (var dd = 0u; dd < u.rank; dd++) {
    let d = u.rank - 1u - dd;
    let len = u.shape[d / 4u][d % 4u];
    let c = rem % len;
    rem = rem / len;
    aOff += c * u.sa[d / 4u][d % 4u];
    bOff += c * u.sb[d / 4u][d % 4u];
  }`;

const C4 = ["x", "y", "z", "w"];

/** `cond` joined with `&&`, or null when nothing needs checking. */
function all(...conds: (string | false)[]): string | null {
  const c = conds.filter((x): x is string => x !== false);
  return c.length ? c.join(" && ") : null;
}

function guarded(cond: string | null, body: string): string {
  return cond === null ? body : `if (${cond}) { ${body} }`;
}

/**
 * Lines copying one operand's slice into workgroup memory. `rows` is the
 * tile's extent along the operand's free axis (bm or bn), `free` the
 * matching size uniform (M or N) and `check` whether it needs bounds
 * checks; `contiguousK` says whether the operand is stored with the
 * contraction as its last axis. The tile is written as `S[kk * stride + r / 4][r % 4]`.
 */
function copyToTile(o: {
  src: string;
  dst: string;
  off: string;
  rows: number;
  free: string;
  base: string;
  check: boolean;
  checkK: boolean;
  contiguousK: boolean;
  vec: boolean;
  bk: number;
  threads: number;
  stride: number;
}): string[] {
  const L: string[] = [];
  const { bk, threads, rows } = o;
  const kOk = o.checkK ? (x: string) => `${x} < kEnd` : () => false as const;
  const rOk = o.check ? (x: string) => `${x} < u.${o.free}` : () => false as const;
  if (o.contiguousK) {
    // Stored [free, K]: consecutive invocations read along K, each value goes to row kk of the tile.
    const per = o.vec ? bk / 4 : bk;
    const total = rows * per;
    for (let t = 0; t * threads < total; t++) {
      const inRange = (t + 1) * threads > total ? `e < ${total}u` : false;
      const body: string[] = [];
      body.push(`let r = e / ${per}u; let q = e % ${per}u;`);
      body.push(`let gr = ${o.base} + r;`);
      if (o.vec) {
        body.push(`let kq = k0 + 4u * q; var v = vec4<f32>(0.0);`);
        body.push(guarded(all(rOk("gr"), kOk("kq")), `v = ${o.src}[(${o.off} + gr * u.K + kq) / 4u];`));
        for (let c = 0; c < 4; c++) {
          body.push(`${o.dst}[(4u * q + ${c}u) * ${o.stride}u + r / 4u][r % 4u] = v.${C4[c]};`);
        }
      } else {
        body.push(`let kq = k0 + q; var v = 0.0;`);
        body.push(guarded(all(rOk("gr"), kOk("kq")), `v = ${o.src}[${o.off} + gr * u.K + kq];`));
        body.push(`${o.dst}[q * ${o.stride}u + r / 4u][r % 4u] = v;`);
      }
      L.push(`    { let e = tid + ${t * threads}u; ${guarded(inRange || null, body.join(" "))} }`);
    }
  } else {
    // Stored [K, free]: consecutive invocations read along the free axis, straight into row kk of the tile.
    const per = o.vec ? rows / 4 : rows;
    const total = bk * per;
    for (let t = 0; t * threads < total; t++) {
      const inRange = (t + 1) * threads > total ? `e < ${total}u` : false;
      const body: string[] = [];
      body.push(`let kk = e / ${per}u; let q = e % ${per}u; let kq = k0 + kk;`);
      if (o.vec) {
        body.push(`let gr = ${o.base} + 4u * q; var v = vec4<f32>(0.0);`);
        body.push(guarded(all(rOk("gr"), kOk("kq")), `v = ${o.src}[(${o.off} + kq * u.${o.free} + gr) / 4u];`));
        body.push(`${o.dst}[kk * ${o.stride}u + q] = v;`);
      } else {
        body.push(`let gr = ${o.base} + q; var v = 0.0;`);
        body.push(guarded(all(rOk("gr"), kOk("kq")), `v = ${o.src}[${o.off} + kq * u.${o.free} + gr];`));
        body.push(`${o.dst}[kk * ${o.stride}u + q / 4u][q % 4u] = v;`);
      }
      L.push(`    { let e = tid + ${t * threads}u; ${guarded(inRange || null, body.join(" "))} }`);
    }
  }
  return L;
}

/**
 * The WGSL of one tiled kernel. Bindings: `a`, `b`, the output, uniforms
 * ({@link MATMUL_UNIFORMS_WGSL}). Grid: `[ceil(n / bn), ceil(m / bm),
 * batches * splits]`; workgroup `z` computes contraction slice `z % splits`
 * of batch matrix `z / splits` into matrix `z` of the output (which, with
 * more than one slice, is a buffer of partial sums added up afterwards).
 *
 * @example
 * ```ts
 * import { TILES } from "./matmul_plan.ts";
 * const wgsl = tiledWgsl({ tile: TILES[0], transA: false, transB: false, vecA: true, vecB: true, vecC: true,
 *   checkM: false, checkN: false, checkK: false });
 * ```
 */
export function tiledWgsl(s: TiledSpec): string {
  const { tm, tn, wy, wx, bk } = s.tile;
  const { bm, bn } = tileSize(s.tile);
  const threads = wx * wy;
  // A row of the tile whose copy scatters across rows gets one vec4 of padding (see the module doc).
  const strideA = bm / 4 + (s.transA ? 0 : 1);
  const strideB = bn / 4 + (s.transB ? 1 : 0);
  const L: string[] = [];
  const arr = (v: boolean) => (v ? "array<vec4<f32>>" : "array<f32>");
  L.push(MATMUL_UNIFORMS_WGSL);
  L.push(`@group(0) @binding(0) var<storage, read> A: ${arr(s.vecA)};`);
  L.push(`@group(0) @binding(1) var<storage, read> B: ${arr(s.vecB)};`);
  L.push(`@group(0) @binding(2) var<storage, read_write> C: ${arr(s.vecC)};`);
  L.push(`@group(0) @binding(3) var<uniform> u: U;`);
  L.push(`var<workgroup> As: array<vec4<f32>, ${bk * strideA}>;`);
  L.push(`var<workgroup> Bs: array<vec4<f32>, ${bk * strideB}>;`);
  L.push(`@compute @workgroup_size(${wx}, ${wy})`);
  L.push(`fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {`);
  L.push(`  let tid = l.y * ${wx}u + l.x;`);
  L.push(`  let z = wg.z + u.zBase; let split = z % u.splits; let bz = z / u.splits;`);
  L.push(`  ${BATCH_OFFSETS_WGSL}`);
  L.push(`  let r0 = wg.y * ${bm}u; let c0 = wg.x * ${bn}u;`);
  L.push(`  let kStart = split * u.kChunk; let kEnd = min(u.K, kStart + u.kChunk);`);
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn / 4; j++) L.push(`  var acc${i}_${j} = vec4<f32>(0.0);`);
  L.push(`  for (var k0 = kStart; k0 < kEnd; k0 += ${bk}u) {`);
  const common = { bk, threads, checkK: s.checkK };
  L.push(...copyToTile({
    ...common,
    src: "A",
    dst: "As",
    off: "aOff",
    rows: bm,
    free: "M",
    base: "r0",
    check: s.checkM,
    contiguousK: !s.transA,
    vec: s.vecA,
    stride: strideA,
  }));
  L.push(...copyToTile({
    ...common,
    src: "B",
    dst: "Bs",
    off: "bOff",
    rows: bn,
    free: "N",
    base: "c0",
    check: s.checkN,
    contiguousK: s.transB,
    vec: s.vecB,
    stride: strideB,
  }));
  L.push(`    workgroupBarrier();`);
  L.push(`    for (var kk = 0u; kk < ${bk}u; kk++) {`);
  for (let b = 0; b < tm / 4; b++) L.push(`      let a${b} = As[kk * ${strideA}u + l.y + ${b * wy}u];`);
  for (let j = 0; j < tn / 4; j++) L.push(`      let b${j} = Bs[kk * ${strideB}u + l.x + ${j * wx}u];`);
  for (let i = 0; i < tm; i++) {
    for (let j = 0; j < tn / 4; j++) {
      L.push(`      acc${i}_${j} = fma(vec4<f32>(a${i >> 2}.${C4[i & 3]}), b${j}, acc${i}_${j});`);
    }
  }
  L.push(`    }`);
  L.push(`    workgroupBarrier();`);
  L.push(`  }`);
  L.push(`  let cOff = z * u.M * u.N;`);
  for (let i = 0; i < tm; i++) {
    L.push(`  { let row = r0 + 4u * (l.y + ${(i >> 2) * wy}u) + ${i & 3}u;`);
    const rowOk = s.checkM ? "row < u.M" : false;
    for (let j = 0; j < tn / 4; j++) {
      L.push(`    { let col = c0 + 4u * (l.x + ${j * wx}u);`);
      if (s.vecC) {
        L.push(
          `      ${guarded(all(rowOk, s.checkN && "col < u.N"), `C[(cOff + row * u.N + col) / 4u] = acc${i}_${j};`)}`,
        );
      } else {
        for (let c = 0; c < 4; c++) {
          const colOk = s.checkN || c > 0 ? `col + ${c}u < u.N` : false;
          L.push(
            `      ${guarded(all(rowOk, colOk), `C[cOff + row * u.N + col + ${c}u] = acc${i}_${j}.${C4[c]};`)}`,
          );
        }
      }
      L.push(`    }`);
    }
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join("\n");
}
