/**
 * Generates the WebAssembly SIMD kernels of the float32 matrix product.
 *
 * The dense path is the classic packed GEMM (Goto/BLIS): `packB` lays `b`
 * out as panels of `NR` columns, `packA` lays a block of `a` out as panels
 * of `MR` rows, and `gemm` runs an `MR x NR` register-blocked micro-kernel
 * over a block: `MR * NR / 4` f32x4 accumulators stay in registers while
 * the contraction index streams through both panels. With V8 (16 xmm
 * registers, one kept as scratch) the 4 x 8 tile with separate multiply and
 * add, or 6 x 8 with fused multiply-add, is the largest that avoids
 * spilling.
 *
 * The sparse path serves spike inputs: `sparse` gathers the non-zeros of
 * one row of `a` and accumulates only their rows of `b`, 32, 16 or 4
 * columns at a time, so its cost is proportional to the number of spikes;
 * `sparseT` does the same for a transposed `a` (the weight gradient
 * `x^T @ g`) by scattering rows of `b` into the rows of `c`.
 *
 * @module
 */
import {
  assembleModule,
  bump,
  countDown,
  FunctionBody,
  type MemoryImport,
  Op,
  SimdOp,
  ValType,
} from "./wasm_assembler.ts";

/** Shape of the register tile of the dense micro-kernel. */
export interface TileShape {
  /** Rows of `a` per micro-kernel call. */
  mr: number;
  /** Columns of `b` per micro-kernel call, a multiple of 4. */
  nr: number;
  /** Use `f32x4.relaxed_madd` (fused multiply-add where the CPU has it). */
  fma: boolean;
}

const { i32, f32, v128 } = ValType;

/**
 * `packA(src, ldaBytes, rows, kc, dst, panels)`: rows `[0, rows)` and
 * columns `[0, kc)` of the row-major `src` into `panels` panels of `mr`
 * rows, each stored column by column (`kc * mr` floats); rows past `rows`
 * are zero.
 */
function packA(mr: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32], []);
  const [src, lda, rows, kc, dst, panels] = [0, 1, 2, 3, 4, 5];
  const row = f.local(i32), from = f.local(i32), to = f.local(i32), p = f.local(i32), q = f.local(i32);
  f.i32Const(0).set(row);
  f.get(panels).set(q);
  countDown(f, q, () => {
    for (let r = 0; r < mr; r++) {
      f.get(dst).i32Const(r * 4).op(Op.i32Add).set(to);
      f.get(kc).set(p);
      f.get(row).get(rows).op(Op.i32LtU).begin(Op.if);
      f.get(src).get(row).get(lda).op(Op.i32Mul).op(Op.i32Add).set(from);
      countDown(f, p, () => {
        f.get(to).get(from).mem(Op.f32Load, 2, 0).mem(Op.f32Store, 2, 0);
        bump(f, from, 4);
        bump(f, to, mr * 4);
      });
      f.op(Op.else);
      countDown(f, p, () => {
        f.get(to).f32Const(0).mem(Op.f32Store, 2, 0);
        bump(f, to, mr * 4);
      });
      f.op(Op.end);
      bump(f, row, 1);
    }
    bump(f, dst, () => f.get(kc).i32Const(mr * 4).op(Op.i32Mul));
  });
  return f;
}

/**
 * `packAT(src, ldaBytes, rows, kc, dst, panels)`: the same panels as
 * `packA` for the transpose of the row-major `src`: row `i` of the block is
 * column `i` of `src`, so every step of the contraction reads `mr`
 * neighbouring floats of one row of `src` (columns past `rows` are zero).
 * The weight gradient `x^T @ g` packs `x` this way, without a transposed copy.
 */
function packAT(mr: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32], []);
  const [src, lda, rows, kc, dst, panels] = [0, 1, 2, 3, 4, 5];
  const col = f.local(i32), from = f.local(i32), to = f.local(i32), p = f.local(i32), q = f.local(i32);
  f.i32Const(0).set(col);
  f.get(dst).set(to);
  f.get(panels).set(q);
  countDown(f, q, () => {
    f.get(src).get(col).i32Const(2).op(Op.i32Shl).op(Op.i32Add).set(from);
    f.get(kc).set(p);
    f.get(rows).get(col).i32Const(mr).op(Op.i32Add).op(Op.i32GeU).begin(Op.if);
    countDown(f, p, () => {
      for (let r = 0; r < mr; r++) f.get(to).get(from).mem(Op.f32Load, 2, r * 4).mem(Op.f32Store, 2, r * 4);
      bump(f, from, () => f.get(lda));
      bump(f, to, mr * 4);
    });
    f.op(Op.else);
    countDown(f, p, () => {
      for (let r = 0; r < mr; r++) {
        f.get(to);
        f.get(col).i32Const(r).op(Op.i32Add).get(rows).op(Op.i32LtU).op(Op.if, f32);
        f.get(from).mem(Op.f32Load, 2, r * 4);
        f.op(Op.else).f32Const(0).op(Op.end);
        f.mem(Op.f32Store, 2, r * 4);
      }
      bump(f, from, () => f.get(lda));
      bump(f, to, mr * 4);
    });
    f.op(Op.end);
    bump(f, col, mr);
  });
  return f;
}

/**
 * `packB(src, ldbBytes, cols, k, dst, panels)`: the row-major `k x cols`
 * matrix `src` into `panels` panels of `nr` columns (`k * nr` floats
 * each); columns past `cols` are zero.
 */
function packB(nr: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32], []);
  const [src, ldb, cols, k, dst, panels] = [0, 1, 2, 3, 4, 5];
  const left = f.local(i32), from = f.local(i32), p = f.local(i32), q = f.local(i32);
  f.get(cols).set(left);
  f.get(panels).set(q);
  countDown(f, q, () => {
    f.get(src).set(from);
    f.get(k).set(p);
    f.get(left).i32Const(nr).op(Op.i32GeU).begin(Op.if);
    countDown(f, p, () => {
      for (let v = 0; v < nr / 4; v++) {
        f.get(dst).get(from).simdMem(SimdOp.v128Load, 2, v * 16).simdMem(SimdOp.v128Store, 2, v * 16);
      }
      bump(f, from, () => f.get(ldb));
      bump(f, dst, nr * 4);
    });
    f.op(Op.else);
    countDown(f, p, () => {
      for (let c = 0; c < nr; c++) {
        f.get(dst);
        f.i32Const(c).get(left).op(Op.i32LtU).op(Op.if, f32);
        f.get(from).mem(Op.f32Load, 2, c * 4);
        f.op(Op.else).f32Const(0).op(Op.end);
        f.mem(Op.f32Store, 2, c * 4);
      }
      bump(f, from, () => f.get(ldb));
      bump(f, dst, nr * 4);
    });
    f.op(Op.end);
    bump(f, src, nr * 4);
    bump(f, left, -nr);
  });
  return f;
}

/**
 * `gemm(kc, pa, pb, pbStride, c, ldcBytes, mPanels, nPanels, accumulate)`:
 * `C[mPanels*mr, nPanels*nr] (+)= A @ B` for packed `A` (`mPanels` panels
 * of `kc * mr`) and packed `B` (`nPanels` panels, `pbStride` bytes apart,
 * `kc * nr` used from each). Panels of `B` are the outer loop so that one
 * stays in L1 while the panels of `A` stream from L2.
 */
function gemm({ mr, nr, fma }: TileShape): FunctionBody {
  const nv = nr / 4;
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32], []);
  const [kc, pa, pb, pbStride, c, ldc, mPanels, nPanels, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const jr = f.local(i32), ir = f.local(i32), aPtr = f.local(i32), bPtr = f.local(i32), p = f.local(i32);
  const aPanel = f.local(i32), cTile = f.local(i32), cCol = f.local(i32);
  const rowPtr = Array.from({ length: mr }, () => f.local(i32));
  const acc = Array.from({ length: mr * nv }, () => f.local(v128));
  const bv = Array.from({ length: nv }, () => f.local(v128));
  const s = f.local(v128);

  f.get(c).set(cCol);
  f.get(nPanels).set(jr);
  countDown(f, jr, () => {
    f.get(pa).set(aPanel);
    f.get(cCol).set(cTile);
    f.get(mPanels).set(ir);
    countDown(f, ir, () => {
      for (let r = 0; r < mr; r++) {
        f.get(cTile);
        if (r > 0) f.get(ldc).i32Const(r).op(Op.i32Mul).op(Op.i32Add);
        f.set(rowPtr[r]);
      }
      f.get(accumulate).begin(Op.if);
      for (let r = 0; r < mr; r++) {
        for (let v = 0; v < nv; v++) f.get(rowPtr[r]).simdMem(SimdOp.v128Load, 2, v * 16).set(acc[r * nv + v]);
      }
      f.op(Op.else);
      for (const a of acc) f.v128Zero().set(a);
      f.op(Op.end);
      f.get(aPanel).set(aPtr);
      f.get(pb).set(bPtr);
      f.get(kc).set(p);
      countDown(f, p, () => {
        for (let v = 0; v < nv; v++) f.get(bPtr).simdMem(SimdOp.v128Load, 2, v * 16).set(bv[v]);
        for (let r = 0; r < mr; r++) {
          f.get(aPtr).simdMem(SimdOp.v128Load32Splat, 2, r * 4).set(s);
          for (let v = 0; v < nv; v++) {
            const a = acc[r * nv + v];
            if (fma) f.get(s).get(bv[v]).get(a).simd(SimdOp.f32x4RelaxedMadd).set(a);
            else f.get(a).get(s).get(bv[v]).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add).set(a);
          }
        }
        bump(f, aPtr, mr * 4);
        bump(f, bPtr, nr * 4);
      });
      for (let r = 0; r < mr; r++) {
        for (let v = 0; v < nv; v++) f.get(rowPtr[r]).get(acc[r * nv + v]).simdMem(SimdOp.v128Store, 2, v * 16);
      }
      bump(f, aPanel, () => f.get(kc).i32Const(mr * 4).op(Op.i32Mul));
      bump(f, cTile, () => f.get(ldc).i32Const(mr).op(Op.i32Mul));
    });
    bump(f, pb, () => f.get(pbStride));
    bump(f, cCol, nr * 4);
  });
  return f;
}

/** Sparse-path column chunk widths, in f32x4 vectors, widest first. */
const SPARSE_CHUNKS = [8, 4, 1];

/** Locals of {@link gatherRow}. */
interface GatherLocals {
  aPtr: number;
  idx: number;
  p: number;
  mask: number;
  lane: number;
  wrVal: number;
  wrOff: number;
  x: number;
}

/**
 * Emits: gather the non-zeros of the `len` floats at `row` into `vals`
 * (their values) and `offs` (their index times `strideBytes`), leaving the
 * count in `nnz`. Sixteen at a time, then four: a block of zero bits costs
 * one test.
 */
function gatherRow(
  f: FunctionBody,
  l: GatherLocals,
  row: number,
  len: number,
  strideBytes: number,
  vals: number,
  offs: number,
  nnz: number,
): void {
  f.get(row).set(l.aPtr);
  f.i32Const(0).set(l.idx);
  f.get(vals).set(l.wrVal);
  f.get(offs).set(l.wrOff);
  const group = () => {
    f.get(l.aPtr).simdMem(SimdOp.v128Load, 2, 0).v128Zero().simd(SimdOp.f32x4Ne).simd(SimdOp.i32x4Bitmask).set(l.mask);
    f.begin(Op.block).begin(Op.loop);
    f.get(l.mask).op(Op.i32Eqz).op(Op.brIf, 1);
    f.get(l.mask).op(Op.i32Ctz).set(l.lane);
    f.get(l.wrVal).get(l.aPtr).get(l.lane).i32Const(2).op(Op.i32Shl).op(Op.i32Add).mem(Op.f32Load, 2, 0);
    f.mem(Op.f32Store, 2, 0);
    f.get(l.wrOff).get(l.idx).get(l.lane).op(Op.i32Add).get(strideBytes).op(Op.i32Mul).mem(Op.i32Store, 2, 0);
    bump(f, l.wrVal, 4);
    bump(f, l.wrOff, 4);
    f.get(l.mask).get(l.mask).i32Const(1).op(Op.i32Sub).op(Op.i32And).set(l.mask);
    f.op(Op.br, 0).op(Op.end).op(Op.end);
    bump(f, l.aPtr, 16);
    bump(f, l.idx, 4);
  };
  // Blocks of 16: at spike densities most blocks are all zero bits, skipped after one test.
  f.get(len).i32Const(4).op(Op.i32ShrU).set(l.p);
  countDown(f, l.p, () => {
    f.get(l.aPtr).simdMem(SimdOp.v128Load, 2, 0);
    for (const at of [16, 32, 48]) f.get(l.aPtr).simdMem(SimdOp.v128Load, 2, at).simd(SimdOp.v128Or);
    f.simd(SimdOp.v128AnyTrue).begin(Op.if);
    for (let g = 0; g < 4; g++) group();
    f.op(Op.else);
    bump(f, l.aPtr, 64);
    bump(f, l.idx, 16);
    f.op(Op.end);
  });
  f.get(len).i32Const(2).op(Op.i32ShrU).i32Const(3).op(Op.i32And).set(l.p);
  countDown(f, l.p, group);
  f.get(len).i32Const(3).op(Op.i32And).set(l.p);
  countDown(f, l.p, () => {
    f.get(l.aPtr).mem(Op.f32Load, 2, 0).tee(l.x).f32Const(0).op(Op.f32Ne).begin(Op.if);
    f.get(l.wrVal).get(l.x).mem(Op.f32Store, 2, 0);
    f.get(l.wrOff).get(l.idx).get(strideBytes).op(Op.i32Mul).mem(Op.i32Store, 2, 0);
    bump(f, l.wrVal, 4);
    bump(f, l.wrOff, 4);
    f.op(Op.end);
    bump(f, l.aPtr, 4);
    bump(f, l.idx, 1);
  });
  f.get(l.wrVal).get(vals).op(Op.i32Sub).i32Const(2).op(Op.i32ShrU).set(nnz);
}

function gatherLocals(f: FunctionBody): GatherLocals {
  return {
    aPtr: f.local(i32),
    idx: f.local(i32),
    p: f.local(i32),
    mask: f.local(i32),
    lane: f.local(i32),
    wrVal: f.local(i32),
    wrOff: f.local(i32),
    x: f.local(f32),
  };
}

/** `acc = s * x + acc` (fused where `fma`), leaving the result on the stack; `x` is pushed by `pushX`. */
function madd(f: FunctionBody, fma: boolean, s: number, pushX: () => void, pushAcc: () => void): void {
  if (fma) {
    f.get(s);
    pushX();
    pushAcc();
    f.simd(SimdOp.f32x4RelaxedMadd);
  } else {
    pushAcc();
    f.get(s);
    pushX();
    f.simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add);
  }
}

/**
 * The two sparse kernels, one row of `a` at a time: gather its non-zeros
 * (values in `scratch`, then their byte offsets, `8 * len` bytes), then
 * sweep the columns 32, 16 or 4 at a time.
 *
 * `sparse(a, ldaBytes, rows, k, b, ldbBytes, c, ldcBytes, nVec, scratch)`:
 * `c[rows, 4*nVec] = a[rows, k] @ b[k, 4*nVec]`: the non-zeros select rows
 * of `b`, accumulated in registers into the row of `c`.
 *
 * `sparseT(a, ldaBytes, rows, m, b, ldbBytes, c, ldcBytes, nVec, scratch)`
 * (`transposed`): `c[m, 4*nVec] += a[rows, m]^T @ b[rows, 4*nVec]` by
 * scattering: the row of `b` stays in registers and the non-zeros select
 * the rows of `c` it is added to. `a` is read the way it is stored, so a
 * transposed spike matrix (the weight gradient `x^T @ g`) costs its
 * non-zeros, never a transposed copy.
 */
function sparseKernel(fma: boolean, transposed: boolean): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32], []);
  const [a, lda, rows, len, b, ldb, c, ldc, nVec, scratch] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const row = f.local(i32), nnz = f.local(i32), vals = f.local(i32), offs = f.local(i32);
  const left = f.local(i32), col = f.local(i32), t = f.local(i32), rdVal = f.local(i32), rdOff = f.local(i32);
  // The row (of `b`, or of `c` when scattering) that the current non-zero selects.
  const selected = f.local(i32), s = f.local(v128);
  // Accumulators of the row of `c`, or the chunk of the row of `b` when scattering.
  const vec = Array.from({ length: SPARSE_CHUNKS[0] }, () => f.local(v128));
  const g = gatherLocals(f);

  f.get(scratch).set(vals);
  f.get(scratch).get(len).i32Const(4).op(Op.i32Mul).op(Op.i32Add).set(offs);
  f.get(rows).set(row);
  countDown(f, row, () => {
    gatherRow(f, g, a, len, transposed ? ldc : ldb, vals, offs, nnz);
    f.get(nVec).set(left);
    f.i32Const(0).set(col);
    for (const width of SPARSE_CHUNKS) {
      f.begin(Op.block).begin(Op.loop);
      f.get(left).i32Const(width).op(Op.i32LtU).op(Op.brIf, 1);
      for (let v = 0; v < width; v++) {
        if (transposed) f.get(b).get(col).op(Op.i32Add).simdMem(SimdOp.v128Load, 2, v * 16).set(vec[v]);
        else f.v128Zero().set(vec[v]);
      }
      f.get(vals).set(rdVal);
      f.get(offs).set(rdOff);
      f.get(nnz).set(t);
      countDown(f, t, () => {
        f.get(rdVal).simdMem(SimdOp.v128Load32Splat, 2, 0).set(s);
        f.get(transposed ? c : b).get(col).op(Op.i32Add).get(rdOff).mem(Op.i32Load, 2, 0).op(Op.i32Add).set(selected);
        for (let v = 0; v < width; v++) {
          const load = () => f.get(selected).simdMem(SimdOp.v128Load, 2, v * 16);
          if (transposed) {
            f.get(selected);
            madd(f, fma, s, () => f.get(vec[v]), load);
            f.simdMem(SimdOp.v128Store, 2, v * 16);
          } else {
            madd(f, fma, s, load, () => f.get(vec[v]));
            f.set(vec[v]);
          }
        }
        bump(f, rdVal, 4);
        bump(f, rdOff, 4);
      });
      if (!transposed) {
        for (let v = 0; v < width; v++) {
          f.get(c).get(col).op(Op.i32Add).get(vec[v]).simdMem(SimdOp.v128Store, 2, v * 16);
        }
      }
      bump(f, col, width * 16);
      bump(f, left, -width);
      f.op(Op.br, 0).op(Op.end).op(Op.end);
    }
    bump(f, a, () => f.get(lda));
    // The next row of `a` pairs with the next row of `c`, or of `b` when scattering.
    if (transposed) bump(f, b, () => f.get(ldb));
    else bump(f, c, () => f.get(ldc));
  });
  return f;
}

/**
 * `addInto(dst, src, vecs)`: `dst[i] += src[i]` for `vecs` f32x4 vectors
 * (summing the scattering kernel's partial results, in order).
 */
function addInto(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32], []);
  const [dst, src, vecs] = [0, 1, 2];
  countDown(f, vecs, () => {
    f.get(dst).get(dst).simdMem(SimdOp.v128Load, 4, 0).get(src).simdMem(SimdOp.v128Load, 4, 0);
    f.simd(SimdOp.f32x4Add).simdMem(SimdOp.v128Store, 4, 0);
    bump(f, dst, 16);
    bump(f, src, 16);
  });
  return f;
}

/**
 * The kernel module's bytes: exports `packA`, `packAT`, `packB`, `gemm`, `sparse`, `sparseT` and `addInto`
 * over the imported memory `env.memory`.
 *
 * @example
 * ```ts
 * const bytes = matmulModuleBytes({ mr: 4, nr: 8, fma: false }, { initial: 1, maximum: 16, shared: false });
 * WebAssembly.validate(bytes); // true
 * ```
 */
export function matmulModuleBytes(tile: TileShape, memory: MemoryImport): Uint8Array<ArrayBuffer> {
  if (tile.nr % 4 !== 0 || tile.mr < 1 || tile.nr < 4) {
    throw new RangeError(`matmulModuleBytes: tile ${tile.mr}x${tile.nr} must have mr >= 1 and nr a multiple of 4`);
  }
  return assembleModule(memory, [
    { name: "packA", body: packA(tile.mr) },
    { name: "packAT", body: packAT(tile.mr) },
    { name: "packB", body: packB(tile.nr) },
    { name: "gemm", body: gemm(tile) },
    { name: "sparse", body: sparseKernel(tile.fma, false) },
    { name: "sparseT", body: sparseKernel(tile.fma, true) },
    { name: "addInto", body: addInto() },
  ]);
}
