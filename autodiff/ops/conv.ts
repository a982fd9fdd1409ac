/**
 * The general dilated convolution primitive (`jax.lax.conv_general_dilated`):
 * option checks, layouts via dimension numbers, and its differentiation rule.
 *
 * Backends see one canonical layout, `lhs [N, C, ...spatial]`,
 * `rhs [O, C/groups, ...window]`, `out [N, O, ...spatial]`; this file
 * transposes other layouts in and out. Both gradients are again
 * convolutions (JAX's transpose rules), so they run on any backend and can
 * themselves be differentiated:
 * - w.r.t. `lhs`: the cotangent convolved with the spatially flipped kernel
 *   whose in/out features are swapped within each group, with the forward
 *   strides as lhs dilation and the forward lhs dilation as stride;
 * - w.r.t. `rhs`: `lhs` convolved with the cotangent, batch and feature axes
 *   exchanged; feature groups become groups of `(group, batch)` features, so
 *   no batch-group primitive is needed.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchFirst } from "../core/batch.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { promoteTypes } from "../dtype.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { add, astype } from "./elementwise.ts";
import { flip } from "./indexing.ts";
import { moveaxis, reshape, slice, stack, transpose } from "./layout.ts";

/** Options of a general dilated convolution, in canonical layout. */
export interface ConvParams {
  /** One stride per spatial axis. */
  readonly strides: readonly number[];
  /** `[lo, hi]` zero padding per spatial axis (of the dilated input). */
  readonly padding: readonly (readonly [number, number])[];
  /** Input (lhs) dilation per spatial axis (1 = none). */
  readonly lhsDilation: readonly number[];
  /** Kernel (rhs) dilation per spatial axis (1 = none). */
  readonly rhsDilation: readonly number[];
  /** Number of feature groups. */
  readonly featureGroupCount: number;
}

/** Padding of a windowed op: XLA's `"SAME"`/`"VALID"` or `[lo, hi]` per spatial axis. */
export type Padding = "SAME" | "VALID" | readonly (readonly [number, number])[];

/** Options of {@link convGeneralDilated}, named as in `jax.lax.conv_general_dilated`. */
export interface ConvOptions {
  /** Stride per spatial axis (default all 1). */
  windowStrides?: readonly number[];
  /** `"SAME"`, `"VALID"` (the default) or `[lo, hi]` per spatial axis (negative crops). */
  padding?: Padding;
  /** Dilation of the input per spatial axis (default all 1; >1 is a transposed convolution). */
  lhsDilation?: readonly number[];
  /** Dilation of the kernel per spatial axis (default all 1, "atrous" when >1). */
  rhsDilation?: readonly number[];
  /**
   * Layout strings of lhs, rhs and output, e.g. `["NHWC", "HWIO", "NHWC"]`.
   * `N`/`C` mark batch and feature axes of lhs and output, `O`/`I` the
   * output/input features of rhs, any other letters the spatial axes. The
   * order of the spatial letters in the rhs string is the order of the
   * per-axis options. Default `["NC…", "OI…", "NC…"]` for the operands'
   * rank (`["NCHW", "OIHW", "NCHW"]` in 2-d).
   */
  dimensionNumbers?: readonly [string, string, string];
  /** Number of feature groups: `C = I * featureGroupCount`, `O` divisible by it (default 1). */
  featureGroupCount?: number;
}

const OP = "convGeneralDilated";

/** Permutations that take each operand to canonical layout, and canonical output to the requested one. */
interface Layouts {
  readonly lhsPerm: number[];
  readonly rhsPerm: number[];
  readonly outPerm: number[];
}

function parseDimensionNumbers(dn: readonly string[], lhsRank: number, rhsRank: number): Layouts {
  if (!Array.isArray(dn) || dn.length !== 3 || !dn.every((s) => typeof s === "string")) {
    throw new TypeError(`${OP}: dimensionNumbers must be three layout strings, got ${JSON.stringify(dn)}`);
  }
  const [lhsSpec, rhsSpec, outSpec] = dn;
  const check = (spec: string, what: string, a: string, b: string, rank: number) => {
    const letters = [...spec];
    const ok = letters.every((l) => /^[A-Z]$/.test(l)) && new Set(letters).size === letters.length &&
      letters.filter((l) => l === a).length === 1 && letters.filter((l) => l === b).length === 1;
    if (!ok) {
      throw new RangeError(
        `${OP}: bad ${what} layout ${
          JSON.stringify(spec)
        }; expected distinct upper-case letters with one ${a} and one ${b}`,
      );
    }
    if (spec.length !== rank) {
      throw new RangeError(
        `${OP}: ${what} layout ${JSON.stringify(spec)} has ${spec.length} axes but ${what} has rank ${rank}`,
      );
    }
  };
  check(lhsSpec, "lhs", "N", "C", lhsRank);
  check(rhsSpec, "rhs", "O", "I", rhsRank);
  check(outSpec, "output", "N", "C", lhsRank);
  const spatial = [...rhsSpec].filter((l) => l !== "O" && l !== "I");
  const sameSet = (spec: string, pair: string) => {
    const s = [...spec].filter((l) => !pair.includes(l));
    return s.length === spatial.length && s.every((l) => spatial.includes(l));
  };
  if (!sameSet(lhsSpec, "NC") || !sameSet(outSpec, "NC")) {
    throw new RangeError(
      `${OP}: layouts ${JSON.stringify(dn)} do not name the same spatial axes in lhs, rhs and output`,
    );
  }
  const canonical = ["N", "C", ...spatial];
  return {
    lhsPerm: canonical.map((l) => lhsSpec.indexOf(l)),
    rhsPerm: ["O", "I", ...spatial].map((l) => rhsSpec.indexOf(l)),
    outPerm: [...outSpec].map((l) => canonical.indexOf(l)),
  };
}

function positiveInts(v: readonly number[] | undefined, n: number, what: string): number[] {
  const vals = v ?? new Array<number>(n).fill(1);
  if (!Array.isArray(vals) || vals.length !== n || !vals.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new RangeError(
      `${OP}: ${what} must be ${n} positive integers (one per spatial axis), got ${JSON.stringify(v)}`,
    );
  }
  return vals.slice();
}

/** Size of `n` elements with `dilation - 1` holes between neighbours. */
function dilated(n: number, dilation: number): number {
  return n === 0 ? 0 : (n - 1) * dilation + 1;
}

/**
 * `[lo, hi]` per axis for a padding option: XLA's SAME gives
 * `out = ceil(in / stride)` with the total `max((out-1)*stride + window - in, 0)`
 * split with the smaller half first. `windows` are the effective (dilated)
 * window extents.
 *
 * @example
 * ```ts
 * resolvePadding("pool", "SAME", [5], [3], [2]); // [[1, 1]]
 * ```
 */
export function resolvePadding(
  name: string,
  padding: Padding,
  inSizes: readonly number[],
  windows: readonly number[],
  strides: readonly number[],
): [number, number][] {
  if (padding === "VALID") return inSizes.map(() => [0, 0]);
  if (padding === "SAME") {
    return inSizes.map((n, d) => {
      const out = Math.ceil(n / strides[d]);
      const total = Math.max((out - 1) * strides[d] + windows[d] - n, 0);
      const lo = Math.floor(total / 2);
      return [lo, total - lo];
    });
  }
  if (typeof padding === "string") {
    throw new RangeError(
      `${name}: unknown padding ${JSON.stringify(padding)}; expected "SAME", "VALID" or [lo, hi] pairs`,
    );
  }
  if (
    !Array.isArray(padding) || padding.length !== inSizes.length ||
    !padding.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger))
  ) {
    throw new RangeError(
      `${name}: padding must be "SAME", "VALID" or ${inSizes.length} integer [lo, hi] pairs, got ${
        JSON.stringify(padding)
      }`,
    );
  }
  return padding.map(([lo, hi]) => [lo, hi]);
}

/** Output spatial sizes of a canonical convolution (0 where the window does not fit). */
function convOutSpatial(lhsShape: readonly number[], rhsShape: readonly number[], p: ConvParams): number[] {
  return lhsShape.slice(2).map((n, d) => {
    const padded = dilated(n, p.lhsDilation[d]) + p.padding[d][0] + p.padding[d][1];
    const span = padded - dilated(rhsShape[d + 2], p.rhsDilation[d]);
    return span < 0 ? 0 : Math.floor(span / p.strides[d]) + 1;
  });
}

/**
 * Convolution of `lhs [N, C, ...spatial]` with `rhs [O, C/groups, ...window]`
 * giving `[N, O, ...spatial]`.
 */
export const CONV: Primitive<ConvParams> = definePrimitive<ConvParams>({
  name: "conv",
  abstractEval: ([lhs, rhs], p) => [{
    shape: [lhs.shape[0], rhs.shape[0], ...convOutSpatial(lhs.shape, rhs.shape, p)],
    dtype: lhs.dtype,
  }],
  vjp: ([lhs, rhs], _o, p) => convVjp(lhs, rhs, p),
  jvp: ([lhs, rhs], [tl, tr], p) => {
    const out = bind1(CONV, [lhs, rhs], p);
    const a = tl && bind1(CONV, [tl, rhs], p), b = tr && bind1(CONV, [lhs, tr], p);
    return [[out], [a && b ? add(a, b) : a ?? b]];
  },
  batch: ([lhs, rhs], [dl, dr], p, size) => {
    if (dr === null) {
      // Members of the batch are more samples.
      const x = batchFirst(lhs, dl, size);
      const out = bind1(CONV, [reshape(x, [size * x.shape[1], ...x.shape.slice(2)]), rhs], p);
      return [[reshape(out, [size, x.shape[1], ...out.shape.slice(1)])], [0]];
    }
    const w = batchFirst(rhs, dr, size);
    if (p.featureGroupCount === 1) {
      // Members of the batch are feature groups: [N, B*C, ...] with [B*O, C, ...] in B groups.
      const x = dl === null ? lhs : moveaxis(batchFirst(lhs, dl, size), 0, 1);
      const [N] = x.shape;
      const merged = dl === null ? x : reshape(x, [N, size * x.shape[2], ...x.shape.slice(3)]);
      const out = bind1(CONV, [merged, reshape(w, [size * w.shape[1], ...w.shape.slice(2)])], {
        ...p,
        featureGroupCount: dl === null ? 1 : size,
      });
      return [[reshape(out, [N, size, w.shape[1], ...out.shape.slice(2)])], [1]];
    }
    // Grouped kernels per member: one convolution each.
    const x = dl === null ? null : batchFirst(lhs, dl, size);
    const outs = Array.from(
      { length: size },
      (_, b) => bind1(CONV, [x === null ? lhs : member(x, b), member(w, b)], p),
    );
    return [[stack(outs, 0)], [0]];
  },
});

/** Member `b` of a tensor batched along axis 0. */
function member(x: Tensor, b: number): Tensor {
  return reshape(
    slice(x, x.shape.map((_, i) => (i === 0 ? b : 0)), x.shape.map((d, i) => (i === 0 ? b + 1 : d))),
    x.shape.slice(1),
  );
}

function convVjp(lhs: Tensor, rhs: Tensor, params: ConvParams): VjpFn {
  return ([g], [needLhs, needRhs]) => {
    if (!g) return [null, null];
    return [
      needLhs ? convLhsCotangent(g, rhs, lhs.shape, params) : null,
      needRhs ? convRhsCotangent(g, lhs, rhs.shape, params) : null,
    ];
  };
}

/** The convolution primitive in canonical layout. */
function convCanonical(lhs: Tensor, rhs: Tensor, params: ConvParams): Tensor {
  return bind1(CONV, [lhs, rhs], params);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function convLhsCotangent(g: Tensor, rhs: Tensor, lhsShape: readonly number[], p: ConvParams): Tensor {
  const G = p.featureGroupCount;
  const [O, Cg] = rhs.shape;
  const win = rhs.shape.slice(2);
  const sp = range(3, 3 + win.length);
  // [G*Og, Cg, ...] -> [G*Cg, Og, ...]: each group's in/out features swap.
  const grouped = reshape(rhs, [G, O / G, Cg, ...win]);
  const swapped = reshape(transpose(grouped, [0, 2, 1, ...sp]), [G * Cg, O / G, ...win]);
  const kernel = flip(swapped, range(2, 2 + win.length));
  const padding = win.map((k, d): [number, number] => {
    const effK = dilated(k, p.rhsDilation[d]);
    const before = effK - 1 - p.padding[d][0];
    const after = dilated(lhsShape[d + 2], p.lhsDilation[d]) + effK - 1 - dilated(g.shape[d + 2], p.strides[d]) -
      before;
    return [before, after];
  });
  return convCanonical(g, kernel, {
    strides: p.lhsDilation,
    padding,
    lhsDilation: p.strides,
    rhsDilation: p.rhsDilation,
    featureGroupCount: G,
  });
}

function convRhsCotangent(g: Tensor, lhs: Tensor, rhsShape: readonly number[], p: ConvParams): Tensor {
  const G = p.featureGroupCount;
  const [N, C] = lhs.shape;
  const O = g.shape[1], Cg = C / G;
  const inSp = lhs.shape.slice(2), outSp = g.shape.slice(2);
  const sp = range(3, 3 + inSp.length);
  // Batch becomes features and features become batch: lhs' [Cg, G*N, ...],
  // cotangent as a kernel [O, N, ...] whose groups read G*N features.
  const lhsT = reshape(transpose(reshape(lhs, [N, G, Cg, ...inSp]), [2, 1, 0, ...sp]), [Cg, G * N, ...inSp]);
  const gT = reshape(transpose(reshape(g, [N, G, O / G, ...outSp]), [1, 2, 0, ...sp]), [O, N, ...outSp]);
  const padding = inSp.map((n, d): [number, number] => {
    const lo = p.padding[d][0];
    const hi = dilated(outSp[d], p.strides[d]) - dilated(n, p.lhsDilation[d]) +
      dilated(rhsShape[d + 2], p.rhsDilation[d]) - lo - 1;
    return [lo, hi];
  });
  const r = convCanonical(lhsT, gT, {
    strides: p.rhsDilation,
    padding,
    lhsDilation: p.lhsDilation,
    rhsDilation: p.strides,
    featureGroupCount: G,
  });
  return transpose(r, [1, 0, ...range(2, r.ndim)]);
}

/**
 * General dilated convolution, `jax.lax.conv_general_dilated`: N-d windows
 * with strides, padding, input and kernel dilation, feature groups and any
 * layout through `dimensionNumbers`. Strictly a cross-correlation (the
 * kernel is not flipped), as in JAX.
 *
 * As in JAX, `"SAME"` padding is computed from the input and the dilated
 * kernel, and combining it with an lhs dilation > 1 is an error (JAX rejects
 * every padding string there; `"VALID"` is unambiguous, no padding, so it is
 * allowed): give explicit `[lo, hi]` pairs for transposed convolutions.
 * Unlike JAX, a window that does not fit in the padded input (an empty
 * output) is an error too.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * const x = np.ones([8, 28, 28, 1]); // NHWC
 * const w = np.ones([3, 3, 1, 16]); // HWIO
 * const y = np.convGeneralDilated(x, w, {
 *   windowStrides: [2, 2],
 *   padding: "SAME",
 *   dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
 * });
 * y.shape; // [8, 14, 14, 16]
 * ```
 */
export function convGeneralDilated(lhs: TensorLike, rhs: TensorLike, options: ConvOptions = {}): Tensor {
  let x = asTensor(lhs), w = asTensor(rhs);
  const shapes = `lhs [${x.shape}] and rhs [${w.shape}]`;
  if (x.dtype === "bool" || w.dtype === "bool") {
    throw new TypeError(`${OP}: bool operands are not supported (${shapes}); cast them first`);
  }
  if (x.ndim !== w.ndim || x.ndim < 3) {
    throw new RangeError(`${OP}: lhs and rhs must have the same rank >= 3, got ${shapes}`);
  }
  const nd = x.ndim - 2;
  const spatialLetters = "HWDABEFGJKLMPQRSTUVXYZ".slice(0, nd);
  const dn = options.dimensionNumbers ?? ["NC" + spatialLetters, "OI" + spatialLetters, "NC" + spatialLetters];
  const { lhsPerm, rhsPerm, outPerm } = parseDimensionNumbers(dn, x.ndim, w.ndim);
  const dtype = promoteTypes(x.dtype, w.dtype);
  x = transpose(astype(x, dtype), lhsPerm);
  w = transpose(astype(w, dtype), rhsPerm);
  const G = options.featureGroupCount ?? 1;
  if (!Number.isInteger(G) || G < 1) {
    throw new RangeError(`${OP}: featureGroupCount must be a positive integer, got ${G}`);
  }
  const [C, O, I] = [x.shape[1], w.shape[0], w.shape[1]];
  if (C !== I * G || O % G !== 0) {
    throw new RangeError(
      `${OP}: ${shapes} with layouts ${JSON.stringify(dn)}: lhs features ${C} must equal rhs input features ` +
        `${I} * featureGroupCount ${G}, and rhs output features ${O} must be divisible by ${G}`,
    );
  }
  const strides = positiveInts(options.windowStrides, nd, "windowStrides");
  const lhsDilation = positiveInts(options.lhsDilation, nd, "lhsDilation");
  const rhsDilation = positiveInts(options.rhsDilation, nd, "rhsDilation");
  const padOpt = options.padding ?? "VALID";
  if (padOpt === "SAME" && lhsDilation.some((d) => d !== 1)) {
    throw new RangeError(
      `${OP}: padding "SAME" with lhsDilation [${lhsDilation}] is not supported ` +
        `(as in JAX); give explicit [lo, hi] pairs for a transposed convolution`,
    );
  }
  const effWindow = w.shape.slice(2).map((k, d) => dilated(k, rhsDilation[d]));
  const padding = resolvePadding(OP, padOpt, x.shape.slice(2), effWindow, strides);
  const params: ConvParams = { strides, padding, lhsDilation, rhsDilation, featureGroupCount: G };
  const outSpatial = convOutSpatial(x.shape, w.shape, params);
  if (outSpatial.some((n) => n === 0)) {
    throw new RangeError(
      `${OP}: the output would be empty: ${shapes} (layouts ${JSON.stringify(dn)}), dilated window [${effWindow}] ` +
        `does not fit in the dilated input [${x.shape.slice(2).map((n, d) => dilated(n, lhsDilation[d]))}] padded by ${
          JSON.stringify(padding)
        }`,
    );
  }
  return transpose(convCanonical(x, w, params), outPerm);
}
