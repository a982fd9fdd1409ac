import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad, np, type Tensor } from "../mod.ts";
import { assertAllClose, checkGradients } from "./support/numeric.ts";

type Pads = [number, number][];
interface Geometry {
  strides: number[];
  padding: "SAME" | "VALID" | Pads;
  lhsDilation: number[];
  rhsDilation: number[];
  groups: number;
}

/** Deterministic values in [-1, 1) from a seed (mulberry32). */
function values(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return new Float64Array(n).map(() => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

function flatIndex(spec: string, shape: readonly number[], at: Record<string, number>): number {
  let i = 0;
  for (let d = 0; d < spec.length; d++) i = i * shape[d] + at[spec[d]];
  return i;
}

/**
 * Direct evaluation of the definition in float64, in the given layouts:
 * out[n, o, y] = sum over c in o's group and window points k of
 * lhs[n, c, x] * rhs[o, c, k], where x*lhsDilation = y*stride + k*rhsDilation - lo.
 */
function referenceConv(
  lhs: Float64Array,
  lhsShape: number[],
  rhs: Float64Array,
  rhsShape: number[],
  [lhsSpec, rhsSpec, outSpec]: string[],
  geo: Geometry,
): { shape: number[]; data: Float64Array } {
  const spatial = [...rhsSpec].filter((l) => l !== "O" && l !== "I");
  const size = (spec: string, shape: number[], l: string) => shape[spec.indexOf(l)];
  const N = size(lhsSpec, lhsShape, "N"), O = size(rhsSpec, rhsShape, "O"), Cg = size(rhsSpec, rhsShape, "I");
  const Og = O / geo.groups;
  const inSz = spatial.map((l) => size(lhsSpec, lhsShape, l));
  const kSz = spatial.map((l) => size(rhsSpec, rhsShape, l));
  const pads: Pads = geo.padding === "VALID" ? spatial.map(() => [0, 0]) : geo.padding === "SAME"
    ? inSz.map((n, i) => {
      const out = Math.ceil(n / geo.strides[i]);
      const total = Math.max(0, (out - 1) * geo.strides[i] + (kSz[i] - 1) * geo.rhsDilation[i] + 1 - n);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    })
    : geo.padding;
  const outSz = inSz.map((n, i) => {
    const padded = (n - 1) * geo.lhsDilation[i] + 1 + pads[i][0] + pads[i][1];
    return Math.floor((padded - ((kSz[i] - 1) * geo.rhsDilation[i] + 1)) / geo.strides[i]) + 1;
  });
  const outShape = [...outSpec].map((l) => (l === "N" ? N : l === "C" ? O : outSz[spatial.indexOf(l)]));
  if (outSz.some((n) => n <= 0)) return { shape: outShape, data: new Float64Array(0) };
  const data = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const nWin = kSz.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < data.length; flat++) {
    const at: Record<string, number> = {};
    let r = flat;
    for (let d = outSpec.length - 1; d >= 0; d--) {
      at[outSpec[d]] = r % outShape[d];
      r = Math.floor(r / outShape[d]);
    }
    const n = at.N, o = at.C, g = Math.floor(o / Og);
    let acc = 0;
    for (let c = 0; c < Cg; c++) {
      for (let w = 0; w < nWin; w++) {
        const lhsAt: Record<string, number> = { N: n, C: g * Cg + c };
        const rhsAt: Record<string, number> = { O: o, I: c };
        let rw = w, ok = true;
        for (let i = spatial.length - 1; i >= 0; i--) {
          const k = rw % kSz[i];
          rw = Math.floor(rw / kSz[i]);
          const q = at[spatial[i]] * geo.strides[i] + k * geo.rhsDilation[i] - pads[i][0];
          const x = q / geo.lhsDilation[i];
          if (q < 0 || !Number.isInteger(x) || x >= inSz[i]) ok = false;
          lhsAt[spatial[i]] = x;
          rhsAt[spatial[i]] = k;
        }
        if (ok) acc += lhs[flatIndex(lhsSpec, lhsShape, lhsAt)] * rhs[flatIndex(rhsSpec, rhsShape, rhsAt)];
      }
    }
    data[flat] = acc;
  }
  return { shape: outShape, data };
}

const LAYOUTS: Record<number, string[][]> = {
  1: [["NCH", "OIH", "NCH"], ["NWC", "WIO", "NWC"], ["NWC", "OIW", "NCW"]],
  2: [["NCHW", "OIHW", "NCHW"], ["NHWC", "HWIO", "NHWC"], ["NHWC", "OIHW", "NCHW"], ["WCNH", "HIWO", "HNWC"]],
  3: [["NCDHW", "OIDHW", "NCDHW"], ["NDHWC", "DHWIO", "NDHWC"]],
};

interface Case {
  layout: string[];
  lhsShape: number[];
  rhsShape: number[];
  geo: Geometry;
  seed: number;
}

/** Random small `nd`-d convolutions: strides/dilations 1-2, every padding kind, 1-2 groups, all layouts. */
function caseArb(nd: number, maxSpatial: number): fc.Arbitrary<Case> {
  return fc.constant(nd).chain((nd) => {
    const perAxis = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: nd, maxLength: nd });
    return fc.record({
      layout: fc.constantFrom(...LAYOUTS[nd]),
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      cg: fc.integer({ min: 1, max: 2 }),
      og: fc.integer({ min: 1, max: 2 }),
      inSz: perAxis(1, maxSpatial),
      kSz: perAxis(1, 3),
      strides: perAxis(1, 2),
      lhsDilation: perAxis(1, 2),
      rhsDilation: perAxis(1, 2),
      padKind: fc.constantFrom("VALID", "SAME", "explicit"),
      pads: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), {
        minLength: nd,
        maxLength: nd,
      }),
      seed: fc.integer({ min: 1, max: 1e9 }),
    }).map((r) => {
      const [lhsSpec, rhsSpec] = r.layout;
      const spatial = [...rhsSpec].filter((l) => l !== "O" && l !== "I");
      const sizeOf = (l: string, i: number) =>
        l === "N" ? r.n : l === "C" ? r.cg * r.groups : l === "O" ? r.og * r.groups : l === "I" ? r.cg : i;
      const explicit = r.padKind === "explicit";
      return {
        layout: r.layout,
        lhsShape: [...lhsSpec].map((l) => sizeOf(l, r.inSz[spatial.indexOf(l)])),
        rhsShape: [...rhsSpec].map((l) => sizeOf(l, r.kSz[spatial.indexOf(l)])),
        geo: {
          strides: r.strides,
          padding: explicit ? r.pads : r.padKind as "SAME" | "VALID",
          // JAX rejects string padding with lhs dilation.
          lhsDilation: explicit ? r.lhsDilation : r.lhsDilation.map(() => 1),
          rhsDilation: r.rhsDilation,
          groups: r.groups,
        },
        seed: r.seed,
      };
    });
  });
}

function run(lhs: Tensor, rhs: Tensor, c: Case): Tensor {
  return np.convGeneralDilated(lhs, rhs, {
    windowStrides: c.geo.strides,
    padding: c.geo.padding,
    lhsDilation: c.geo.lhsDilation,
    rhsDilation: c.geo.rhsDilation,
    dimensionNumbers: c.layout as [string, string, string],
    featureGroupCount: c.geo.groups,
  });
}

function operands(c: Case, dtype: "float32" | "float64" = "float64") {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const lhs = values(size(c.lhsShape), c.seed), rhs = values(size(c.rhsShape), c.seed + 7);
  return {
    lhs,
    rhs,
    lhsT: np.array(lhs, { shape: c.lhsShape, dtype }),
    rhsT: np.array(rhs, { shape: c.rhsShape, dtype }),
  };
}

describe("convGeneralDilated forward", () => {
  for (const [nd, maxSpatial] of [[1, 8], [2, 6], [3, 4]]) {
    test(`${nd}-d matches direct evaluation of the definition (float64, random geometry and layouts)`, () => {
      fc.assert(
        fc.property(caseArb(nd, maxSpatial), (c) => {
          const { lhs, rhs, lhsT, rhsT } = operands(c);
          const want = referenceConv(lhs, c.lhsShape, rhs, c.rhsShape, c.layout, c.geo);
          fc.pre(want.data.length > 0);
          const got = run(lhsT, rhsT, c);
          assert.deepEqual(got.shape, want.shape);
          assertAllClose(got.dataSync(), want.data, { rtol: 1e-12, atol: 1e-12 });
        }),
        { numRuns: 30 },
      );
    });
  }

  test("float32 agrees with the float64 definition", () => {
    fc.assert(
      fc.property(caseArb(2, 5), (c) => {
        const { lhs, rhs, lhsT, rhsT } = operands(c, "float32");
        const want = referenceConv(lhs, c.lhsShape, rhs, c.rhsShape, c.layout, c.geo);
        fc.pre(want.data.length > 0);
        const got = run(lhsT, rhsT, c);
        assert.equal(got.dtype, "float32");
        assertAllClose(got.dataSync(), want.data, { rtol: 1e-5, atol: 1e-5 });
      }),
      { numRuns: 15 },
    );
  });

  const conv1d = (x: number[], w: number[], opts = {}) =>
    np.convGeneralDilated(np.array([[x]], { dtype: "float64" }), np.array([[w]], { dtype: "float64" }), opts);

  test("closed forms in 1-d: VALID, SAME (odd and even totals), strides, dilations", () => {
    assert.deepEqual(conv1d([1, 2, 3, 4], [1, 1]).toArray(), [[[3, 5, 7]]]);
    // in 5, window 3, stride 2: out 3, total pad 2 -> (1, 1)
    assert.deepEqual(conv1d([1, 2, 3, 4, 5], [1, 1, 1], { padding: "SAME", windowStrides: [2] }).toArray(), [[[
      3,
      9,
      9,
    ]]]);
    // in 4, window 2, stride 1: total pad 1 -> (0, 1), the smaller half first
    assert.deepEqual(conv1d([1, 2, 3, 4], [1, 1], { padding: "SAME" }).toArray(), [[[3, 5, 7, 4]]]);
    // kernel dilation 2: x[i] - x[i + 2]
    assert.deepEqual(conv1d([1, 2, 4, 8, 16], [1, -1], { rhsDilation: [2] }).toArray(), [[[-3, -6, -12]]]);
    // SAME with a dilated kernel uses the dilated extent 3: pads (1, 1)
    assert.deepEqual(conv1d([1, 2, 3], [1, 1], { rhsDilation: [2], padding: "SAME" }).toArray(), [[[2, 4, 2]]]);
    // lhs dilation (transposed convolution): [1, 0, 2], padded to [0, 1, 0, 2, 0]
    assert.deepEqual(conv1d([1, 2], [1], { lhsDilation: [2] }).toArray(), [[[1, 0, 2]]]);
    assert.deepEqual(conv1d([1, 2], [1, 1], { lhsDilation: [2], padding: [[1, 1]] }).toArray(), [[[1, 1, 2, 2]]]);
    // negative padding crops
    assert.deepEqual(conv1d([1, 2, 3, 4], [1], { padding: [[-1, -2]] }).toArray(), [[[2]]]);
  });

  test("closed forms in 2-d and 3-d, NCHW and NHWC, depthwise groups", () => {
    const x = np.reshape(np.arange(16, undefined, 1, { dtype: "float64" }), [1, 1, 4, 4]);
    const sums = np.convGeneralDilated(x, np.ones([1, 1, 2, 2], { dtype: "float64" }));
    assert.deepEqual(sums.toArray(), [[[[10, 14, 18], [26, 30, 34], [42, 46, 50]]]]);
    const nhwc = np.convGeneralDilated(np.reshape(x, [1, 4, 4, 1]), np.ones([2, 2, 1, 1], { dtype: "float64" }), {
      dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
      windowStrides: [2, 2],
    });
    assert.deepEqual(nhwc.toArray(), [[[[10], [18]], [[42], [50]]]]);
    // Depthwise: each channel scaled by its own 1x1 kernel.
    const two = np.array([[[[1, 2]], [[3, 4]]]], { dtype: "float64" }); // [1, 2, 1, 2]
    const dw = np.convGeneralDilated(two, np.array([2, 10], { shape: [2, 1, 1, 1], dtype: "float64" }), {
      featureGroupCount: 2,
    });
    assert.deepEqual(dw.toArray(), [[[[2, 4]], [[30, 40]]]]);
    // Channel mixing without groups: out = x0 + x1.
    const mix = np.convGeneralDilated(two, np.ones([1, 2, 1, 1], { dtype: "float64" }));
    assert.deepEqual(mix.toArray(), [[[[4, 6]]]]);
    const cube = np.convGeneralDilated(np.ones([1, 1, 3, 3, 3]), np.ones([1, 1, 2, 2, 2]));
    assert.deepEqual(cube.shape, [1, 1, 2, 2, 2]);
    assert.ok([...cube.dataSync()].every((v) => v === 8));
  });
});

describe("convGeneralDilated gradients", () => {
  for (const [nd, maxSpatial] of [[1, 6], [2, 4]]) {
    test(`${nd}-d: match central differences (random geometry, layouts, groups)`, () => {
      fc.assert(
        fc.property(caseArb(nd, maxSpatial), (c) => {
          const { lhs, rhs, lhsT, rhsT } = operands(c);
          fc.pre(referenceConv(lhs, c.lhsShape, rhs, c.rhsShape, c.layout, c.geo).data.length > 0);
          checkGradients((a, b) => run(a, b, c), [lhsT, rhsT], { seed: c.seed });
        }),
        { numRuns: 30 },
      );
    });
  }

  test("3-d: match central differences (strided, dilated, grouped)", () => {
    const c: Case = {
      layout: ["NDHWC", "DHWIO", "NDHWC"],
      lhsShape: [1, 3, 4, 2, 2],
      rhsShape: [2, 2, 1, 1, 2],
      geo: {
        strides: [2, 1, 1],
        padding: [[1, 0], [0, 1], [-1, 1]],
        lhsDilation: [1, 2, 1],
        rhsDilation: [1, 2, 1],
        groups: 2,
      },
      seed: 5,
    };
    const { lhsT, rhsT } = operands(c);
    checkGradients((a, b) => run(a, b, c), [lhsT, rhsT]);
  });

  test("closed form: d/dx and d/dw of sum(conv(x, w)) in 1-d", () => {
    const x = np.array([[[1, 2, 3, 4]]], { dtype: "float64" });
    const w = np.array([[[1, 1]]], { dtype: "float64" });
    const [gx, gw] = grad((a: Tensor, b: Tensor) => np.sum(np.convGeneralDilated(a, b)), { argnums: [0, 1] })(
      x,
      w,
    ) as Tensor[];
    assert.deepEqual(gx.toArray(), [[[1, 2, 2, 1]]]);
    assert.deepEqual(gw.toArray(), [[[6, 9]]]);
  });

  test("the gradient is itself differentiable (second order)", () => {
    const c: Case = {
      layout: ["NHWC", "HWIO", "NHWC"],
      lhsShape: [1, 4, 3, 2],
      rhsShape: [2, 2, 1, 4],
      geo: { strides: [2, 1], padding: "SAME", lhsDilation: [1, 1], rhsDilation: [1, 2], groups: 2 },
      seed: 11,
    };
    const { lhsT, rhsT } = operands(c);
    const inner = (a: Tensor, b: Tensor) => np.sum(np.sin(run(a, b, c)));
    checkGradients(
      (a, b) =>
        grad(inner, { argnums: [0, 1] })(a, b).reduce(
          (acc: Tensor, g: Tensor) => np.add(acc, np.sum(np.square(g))),
          np.zeros([], { dtype: "float64" }),
        ),
      [lhsT, rhsT],
    );
  });
});

describe("convGeneralDilated errors", () => {
  const x = np.ones([1, 3, 4, 4]);
  const throwsNamed = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e.message.startsWith("convGeneralDilated") && pattern.test(e.message));

  test("rank and channel mismatches name the shapes", () => {
    throwsNamed(() => np.convGeneralDilated(np.ones([1, 1, 4]), np.ones([1, 1, 2, 2])), /\[1,1,4\].*\[1,1,2,2\]/);
    throwsNamed(() => np.convGeneralDilated(np.ones([2, 4]), np.ones([2, 4])), /rank/);
    throwsNamed(() => np.convGeneralDilated(x, np.ones([2, 2, 3, 3])), /features 3 .*2 \* featureGroupCount 1/);
    throwsNamed(() => np.convGeneralDilated(x, np.ones([2, 1, 3, 3]), { featureGroupCount: 3 }), /divisible by 3/);
    throwsNamed(() => np.convGeneralDilated(x, np.ones([3, 1, 3, 3]), { featureGroupCount: 0 }), /featureGroupCount/);
  });

  test("bad layout strings", () => {
    const w = np.ones([2, 3, 3, 3]);
    const bad = (dn: string[], pattern: RegExp) =>
      throwsNamed(() => np.convGeneralDilated(x, w, { dimensionNumbers: dn as [string, string, string] }), pattern);
    bad(["NCHW", "OIHW", "NCHX"], /spatial/);
    bad(["NCHH", "OIHW", "NCHW"], /bad lhs layout "NCHH"/);
    bad(["NCHW", "OIHW", "NHW"], /output layout "NHW"/);
    bad(["NCHW", "OXHW", "NCHW"], /bad rhs layout "OXHW"/);
    bad(["nchw", "OIHW", "NCHW"], /bad lhs layout/);
  });

  test("bad strides, dilations, padding and empty outputs", () => {
    const w = np.ones([2, 3, 3, 3]);
    throwsNamed(() => np.convGeneralDilated(x, w, { windowStrides: [0, 1] }), /windowStrides .*\[0,1\]/);
    throwsNamed(() => np.convGeneralDilated(x, w, { windowStrides: [-1, 1] }), /windowStrides/);
    throwsNamed(() => np.convGeneralDilated(x, w, { windowStrides: [1] }), /windowStrides/);
    throwsNamed(() => np.convGeneralDilated(x, w, { rhsDilation: [1, 0] }), /rhsDilation/);
    throwsNamed(() => np.convGeneralDilated(x, w, { padding: "FULL" as "SAME" }), /unknown padding "FULL"/);
    throwsNamed(() => np.convGeneralDilated(x, w, { padding: [[1, 1]] }), /padding/);
    throwsNamed(() => np.convGeneralDilated(x, w, { padding: "SAME", lhsDilation: [2, 1] }), /lhsDilation/);
    throwsNamed(() => np.convGeneralDilated(x, np.ones([2, 3, 5, 5])), /empty.*\[5,5\]/);
    throwsNamed(() => np.convGeneralDilated(x, w, { rhsDilation: [2, 2] }), /empty/);
    throwsNamed(() => np.convGeneralDilated(np.ones([1, 1, 3], { dtype: "bool" }), np.ones([1, 1, 1])), /bool/);
  });
});
