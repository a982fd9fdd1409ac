/**
 * The float32 LIF and IF sequence kernels in WebAssembly SIMD
 * (`nn/neurons/lif_wasm.ts`), against two oracles: a scalar loop written
 * here with every float32 operation rounded (`Math.fround`) in the order
 * the kernels document, which they must match bit for bit, for every
 * surrogate they know, with chunks, reverse order and `B * N` not a
 * multiple of 4; and the per-step path on the tape, whose forward they must
 * match bit for bit too. A user's activation that reuses a built-in's name
 * must not get the built-in's formula.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { axn, nn, np, random, type Tensor, valueAndGrad } from "../mod.ts";
import { lifBackwardFloat32, lifForwardFloat32 } from "../nn/neurons/lif_wasm.ts";

const f = Math.fround;

/** Deterministic float32 values in [lo, hi) (mulberry32). */
function uniform(seed: number) {
  let s = seed >>> 0;
  return (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32);
    });
}

interface Sizes {
  T: number;
  B: number;
  N: number;
  reverse: boolean;
  lif: boolean;
}

function forwardReference(z: Sizes, x: Float32Array, v0: Float32Array, beta: Float64Array | null, thr: number) {
  const M = z.B * z.N, thrF = f(thr);
  const v = Float32Array.from(v0), ys = new Float32Array(z.T * M), vs = new Float32Array(z.T * M);
  for (let s = 0; s < z.T; s++) {
    const off = (z.reverse ? z.T - 1 - s : s) * M;
    for (let i = 0; i < M; i++) {
      const vi = v[i], spike = vi > thrF ? 1 : 0;
      vs[off + i] = vi;
      ys[off + i] = spike;
      const b = beta ? f(beta[i % z.N]) : 1;
      v[i] = f(f(f(b * vi) + x[off + i]) - f(spike * thrF));
    }
  }
  return { ys, vs, final: v };
}

/** `s(u)` of each built-in surrogate the kernels know, rounded as they compute it. */
const SURROGATES: Record<string, { make: () => axn.SpikeActivation; s: (u: number) => number }> = {
  superspike: { make: () => axn.superspike(7), s: (u) => f(1 / f(f(1 + f(f(7) * Math.abs(u))) ** 2)) },
  fastSigmoid: { make: () => axn.fastSigmoid(3), s: (u) => f(1 / f(f(1 + f(f(3) * Math.abs(u))) ** 2)) },
  arctan: {
    make: () => axn.arctan(2),
    s: (u) => {
      const a = f(f(2 * Math.PI) * u);
      return f(1 / f(f(1 + f(a * a)) * f(Math.PI)));
    },
  },
  triangular: { make: () => axn.triangular(1.5), s: (u) => Math.max(0, f(1 - Math.abs(f(f(1.5) * u)))) },
  boxcar: { make: () => axn.boxcar(0.8, 0.7), s: (u) => (Math.abs(u) < f(0.4) ? f(0.7) : 0) },
  straightThrough: { make: () => axn.straightThrough(), s: () => 1 },
};

function backwardReference(
  z: Sizes,
  vsIn: Float32Array,
  gys: Float32Array,
  gFinal: Float32Array,
  beta: Float64Array | null,
  thr: number,
  s: (u: number) => number,
) {
  const M = z.B * z.N, thrF = f(thr);
  const lam = Float32Array.from(gFinal), gb = new Float32Array(M), gx = Float32Array.from(vsIn);
  for (let step = z.T - 1; step >= 0; step--) {
    const off = (z.reverse ? z.T - 1 - step : step) * M;
    for (let i = 0; i < M; i++) {
      const vi = vsIn[off + i], l = lam[i];
      const gS = f(gys[off + i] - f(thrF * l));
      gb[i] = f(gb[i] + f(l * vi));
      gx[off + i] = l;
      const b = beta ? f(beta[i % z.N]) : 1;
      lam[i] = f(f(b * l) + f(gS * s(f(vi - thrF))));
    }
  }
  const gBeta = new Float64Array(z.N);
  for (let b = 0; b < z.B; b++) for (let j = 0; j < z.N; j++) gBeta[j] += gb[b * z.N + j];
  return { gx, gState: lam, gBeta };
}

function assertBits(got: Float32Array | Float64Array, want: Float32Array | Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

const SIZES: Sizes[] = [
  { T: 7, B: 3, N: 5, reverse: false, lif: true }, // B * N = 15: lanes past the end
  { T: 9, B: 2, N: 8, reverse: true, lif: true },
  { T: 6, B: 1, N: 3, reverse: false, lif: false },
  // 1100 steps of 1030 floats: more than one 4 MiB chunk, in both orders.
  { T: 1100, B: 2, N: 515, reverse: false, lif: true },
  { T: 1100, B: 2, N: 515, reverse: true, lif: false },
];

describe("float32 LIF/IF kernels match a float32 scalar loop bit for bit", () => {
  for (const z of SIZES) {
    const label = `${z.lif ? "LIF" : "IF"} T=${z.T} B=${z.B} N=${z.N}${z.reverse ? " reverse" : ""}`;
    test(label, () => {
      const M = z.B * z.N, u = uniform(z.T * 31 + z.N);
      const x = u(z.T * M, -0.4, 1.3), v0 = u(M, -0.5, 1.4);
      const beta = z.lif ? Float64Array.from(u(z.N, 0.1, 1)) : null;
      const thr = 0.75;
      const ys = new Float32Array(z.T * M), vs = new Float32Array(z.T * M), final = new Float32Array(M);
      assert.ok(lifForwardFloat32({ ...z, x, v0, beta, threshold: thr, ys, vs, final }), "the kernel must run here");
      const want = forwardReference(z, x, v0, beta, thr);
      assertBits(ys, want.ys, "spikes");
      assertBits(vs, want.vs, "membranes");
      assertBits(final, want.final, "final membrane");
      const rate = ys.reduce((a, b) => a + b, 0) / ys.length;
      assert.ok(rate > 0.05 && rate < 0.95, `firing rate ${rate}`);

      const gys = u(z.T * M, -1, 1), gFinal = u(M, -1, 1);
      for (const [name, { make, s }] of Object.entries(SURROGATES)) {
        const gx = Float32Array.from(vs), gState = new Float32Array(M);
        const gBeta = beta ? new Float64Array(z.N) : null;
        const surrogate = make().surrogate!;
        const ran = lifBackwardFloat32({ ...z, vs: gx, gys, gFinal, beta, threshold: thr, surrogate, gState, gBeta });
        assert.ok(ran, `${name}: the kernel must run here`);
        const g = backwardReference(z, vs, gys, gFinal, beta, thr, s);
        assertBits(gx, g.gx, `${name}: input cotangent`);
        assertBits(gState, g.gState, `${name}: initial-state cotangent`);
        if (gBeta) assertBits(gBeta, g.gBeta, `${name}: decay cotangent`);
      }
    });
  }

  test("surrogates with exp (tanh, sigmoid) are left to the JavaScript loop", () => {
    for (const act of [axn.tanh(), axn.sigmoid()]) {
      const args = {
        T: 2,
        B: 1,
        N: 4,
        reverse: false,
        vs: new Float32Array(8),
        gys: new Float32Array(8),
        gFinal: new Float32Array(4),
        beta: null,
        threshold: 1,
        surrogate: act.surrogate!,
        gState: new Float32Array(4),
        gBeta: null,
      };
      assert.equal(lifBackwardFloat32(args), false);
    }
  });
});

describe("float32 LIF/IF in dynamicUnroll", () => {
  function run(core: () => nn.RNNCore, fused: boolean, x: Tensor, s0: Tensor, cot: Tensor) {
    const net = nn.transform((x: Tensor, s0: Tensor) => nn.dynamicUnroll(core(), x, s0, { fused }));
    const params = net.init(random.key(0), x, s0);
    let out: Tensor | undefined;
    const [, grads] = valueAndGrad((x: Tensor, s0: Tensor) => {
      [out] = net.apply(params, null, x, s0) as [Tensor, Tensor];
      return np.sum(np.mul(out, cot));
    }, { argnums: [0, 1] })(x, s0);
    return { out: out!, grads: grads as Tensor[] };
  }

  const u = uniform(5);
  const x = np.array(u(8 * 3 * 6, -0.4, 1.3), { shape: [8, 3, 6] });
  const s0 = np.array(u(18, -0.5, 1.4), { shape: [3, 6] });
  const cot = np.array(u(8 * 18, -1, 1), { shape: [8, 3, 6] });

  for (
    const [name, make] of [["LIF", () => new nn.LIF([6], { beta: 0.8, threshold: 0.75 })], [
      "IF",
      () => new nn.IF([6], { threshold: 0.75 }),
    ]] as const
  ) {
    test(`${name}: spikes equal the per-step path bit for bit, gradients within float32 rounding`, () => {
      const fused = run(make, true, x, s0, cot), steps = run(make, false, x, s0, cot);
      assertBits(fused.out.dataSync() as Float32Array, steps.out.dataSync() as Float32Array, "spikes");
      for (let k = 0; k < 2; k++) {
        const a = fused.grads[k].dataSync(), b = steps.grads[k].dataSync();
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])));
      }
    });
  }

  test("an activation that reuses a built-in's name keeps its own derivative", () => {
    const impostor = axn.surrogateActivation(
      { name: "superspike", params: { k: 25 }, grad: () => 0.5 },
      (v: Tensor) => np.full(v.shape, 0.5, { dtype: v.dtype }),
    );
    const make = () => new nn.LIF([6], { beta: 0.8, threshold: 0.75, activation: impostor });
    const fused = run(make, true, x, s0, cot), steps = run(make, false, x, s0, cot);
    const a = fused.grads[0].dataSync(), b = steps.grads[0].dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])));
  });
});
