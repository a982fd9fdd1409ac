/**
 * The WebGPU kernels of the reductions, layout, indexing, window and
 * convolution primitives against the CPU kernels: random shapes and values
 * (seeded, tiny, since a software adapter is slow) are computed on both
 * backends from the same host values and compared, exactly for layout ops
 * and integers, within float32 rounding for float sums. VJPs through the
 * same ops are compared the same way, with cotangent weights made from
 * host values (a device's `sin` or `cos` may differ from the CPU's in the
 * last bit, which is not what these tests are about). Skipped, with the
 * reason, where no WebGPU adapter can be opened.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  bind1,
  findKernel,
  getBackend,
  grad,
  jvp,
  np,
  primitives,
  setBackend,
  type Tensor,
  type TypedArray,
} from "../mod.ts";
import { deviceClient } from "../gpu/backend.ts";
import { rng } from "./support/arbitraries.ts";
import { GPU_UNAVAILABLE } from "./support/gpu.ts";

type DT = "float32" | "int32" | "uint32" | "bool";

const skip = GPU_UNAVAILABLE ?? false;
const RUNS = { numRuns: 6, seed: 20240611 };

/**
 * Runs `f` on the CPU, then on the GPU, from the same host values (each run
 * makes its own tensors), and gives the results' contents; the backend
 * selected before is restored.
 */
function onBoth(f: () => Tensor | Tensor[]): { cpu: TypedArray[]; gpu: TypedArray[] } {
  const before = getBackend().name;
  const run = (name: string) => {
    setBackend(name);
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync());
  };
  try {
    return { cpu: run("cpu"), gpu: run("webgpu") };
  } finally {
    setBackend(before);
  }
}

/** The contents of `f()` computed on the CPU (the scale of a tolerance); the backend selected before is restored. */
function onCpu(f: () => Tensor): TypedArray {
  const before = getBackend().name;
  try {
    setBackend("cpu");
    return f().dataSync();
  } finally {
    setBackend(before);
  }
}

function assertSame(r: { cpu: TypedArray[]; gpu: TypedArray[] }, what: string): void {
  r.cpu.forEach((c, k) => assert.deepEqual(Array.from(r.gpu[k]), Array.from(c), `${what} (output ${k})`));
}

/** |gpu - cpu| <= rtol * scale (elementwise `scale`, default |cpu|) + atol; NaN where the CPU has NaN. */
function assertClose(
  r: { cpu: TypedArray[]; gpu: TypedArray[] },
  what: string,
  rtol: number,
  atol = 0,
  scales?: TypedArray[],
): void {
  r.cpu.forEach((c, k) => {
    const g = r.gpu[k];
    assert.equal(g.length, c.length, `${what}: length`);
    for (let i = 0; i < c.length; i++) {
      if (Number.isNaN(c[i])) {
        assert.ok(Number.isNaN(g[i]), `${what}: [${i}] gpu ${g[i]}, cpu NaN`);
        continue;
      }
      const scale = scales ? Math.abs(scales[k][i]) : Math.abs(c[i]);
      const tol = rtol * scale + atol;
      assert.ok(Math.abs(g[i] - c[i]) <= tol, `${what}: [${i}] gpu ${g[i]}, cpu ${c[i]} (tolerance ${tol})`);
    }
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** `n` seeded values suited to `dtype`: floats in [-2, 2), small integers, or 0/1. */
function values(dtype: DT, n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const u = r();
    if (dtype === "float32") return 4 * u - 2;
    if (dtype === "int32") return Math.floor(19 * u) - 9;
    if (dtype === "uint32") return Math.floor(20 * u);
    return u < 0.5 ? 1 : 0;
  });
}

function tensor(dtype: DT, shape: readonly number[], seed: number, vals?: number[]): Tensor {
  const v = vals ?? values(dtype, size(shape), seed);
  return np.array(dtype === "bool" ? v.map((x) => x !== 0) : v, { shape: shape.slice(), dtype });
}

const shapeArb = (minRank: number, maxRank: number, maxDim: number) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer({ min: 1, max: 2 ** 30 });
const dtypeArb = (...ds: DT[]) => fc.constantFrom(...ds);

/** A random subset of `0..rank-1` (sorted), from `seed`. */
function axesOf(rank: number, seed: number): number[] {
  const r = rng(seed ^ 0x5bd1e995);
  return Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
}

/** A random permutation of `0..n-1`. */
function permutation(n: number, seed: number): number[] {
  const r = rng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const REDUCERS = { sum: np.sum, max: np.max, min: np.min, prod: np.prod };

describe("webgpu reductions equal the cpu's", () => {
  test("sum, max, min, prod over random axes (float32, int32, uint32, bool)", { skip }, () => {
    fc.assert(
      fc.property(
        shapeArb(1, 4, 4),
        seedArb,
        fc.constantFrom("sum", "max", "min", "prod") as fc.Arbitrary<keyof typeof REDUCERS>,
        dtypeArb("float32", "int32", "uint32", "bool"),
        (shape, seed, op, dtype) => {
          if (dtype === "bool" && (op === "sum" || op === "prod")) dtype = "int32";
          // Products stay exact on the CPU's float64 path: factors near 1, or in {-1, 0, 1}.
          const vals = op !== "prod"
            ? undefined
            : values(dtype, size(shape), seed).map((v) => (dtype === "float32" ? 1 + v / 8 : Math.sign(v)));
          const axes = axesOf(shape.length, seed);
          const what = `${op} ${dtype} [${shape}] axes [${axes}]`;
          const r = onBoth(() => REDUCERS[op](tensor(dtype, shape, seed, vals), axes));
          if (dtype !== "float32" || op === "max" || op === "min") assertSame(r, what);
          else if (op === "prod") assertClose(r, what, 1e-5);
          else {
            const scale = onCpu(() => np.sum(np.abs(tensor(dtype, shape, seed)), axes));
            assertClose(r, what, 1e-6, 0, [scale]);
          }
        },
      ),
      RUNS,
    );
  });

  test("long reductions take the workgroup tree (several passes, strided axes, NaN)", { skip }, () => {
    // 70000 elements: 69 chunks of 1024, reduced again by a second tree pass.
    const n = 70000;
    const pos = values("float32", n, 7).map((v) => v + 2.5);
    const sum = onBoth(() => np.sum(np.array(pos, { dtype: "float32" })));
    assertClose(sum, "sum of 70000", 1e-6);
    const ints = values("int32", n, 8);
    assertSame(onBoth(() => np.sum(np.array(ints, { dtype: "int32" }))), "int32 sum of 70000");
    // A leading axis of 300 (strided reads, one tree pass per output).
    const lead = values("float32", 300 * 5, 9);
    assertClose(
      onBoth(() => np.sum(np.array(lead, { shape: [300, 5] }), 0)),
      "sum over axis 0 of [300, 5]",
      1e-6,
      1e-5,
    );
    assertSame(onBoth(() => np.max(np.array(lead, { shape: [300, 5] }), 0)), "max over axis 0 of [300, 5]");
    assertSame(onBoth(() => np.min(np.array(lead, { shape: [5, 300] }), 1)), "min over axis 1 of [5, 300]");
    const withNaN = lead.slice();
    withNaN[777] = NaN;
    assertSame(onBoth(() => np.max(np.array(withNaN))), "max with a NaN");
    assertSame(onBoth(() => np.min(np.array(withNaN, { shape: [3, 500] }), 1)), "min with a NaN per row");
  });

  test("argmax and argmin: first index of ties, NaN wins", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 5), seedArb, dtypeArb("float32", "int32"), (shape, seed, dtype) => {
        const r = rng(seed);
        // Quantised values, so that ties occur; now and then a NaN.
        const vals = values(dtype, size(shape), seed).map((v) =>
          dtype === "int32" ? v % 3 : r() < 0.1 ? NaN : Math.round(v * 2) / 2
        );
        const axis = Math.floor(r() * shape.length);
        for (const op of [np.argmax, np.argmin]) {
          assertSame(onBoth(() => op(tensor(dtype, shape, seed, vals), axis)), `${op.name} [${shape}] axis ${axis}`);
        }
      }),
      RUNS,
    );
  });

  test("VJPs of sum, max, min and prod", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 4), seedArb, (shape, seed) => {
        const axes = axesOf(shape.length, seed);
        const x = values("float32", size(shape), seed).map((v) => 1 + v / 8);
        for (const op of ["sum", "max", "min", "prod"] as const) {
          const r = onBoth(() => {
            const y = REDUCERS[op](tensor("float32", shape, seed, x), axes);
            const w = tensor("float32", y.shape, seed + 1);
            return grad((a: Tensor) => np.sum(np.mul(REDUCERS[op](a, axes), w)))(
              tensor("float32", shape, seed, x),
            );
          });
          assertClose(r, `grad ${op} [${shape}] axes [${axes}]`, 1e-5, 1e-6);
        }
      }),
      RUNS,
    );
  });
});

describe("webgpu layout kernels equal the cpu's", () => {
  test("transpose, broadcast_to, slice, pad (every dtype, exact)", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 4, 4), seedArb, dtypeArb("float32", "int32", "uint32", "bool"), (shape, seed, dtype) => {
        const r = rng(seed);
        const x = () => tensor(dtype, shape, seed);
        const perm = permutation(shape.length, seed);
        assertSame(onBoth(() => np.transpose(x(), perm)), `transpose [${shape}] by [${perm}]`);
        // A target with new leading axes, broadcast from length-1 axes of the source.
        const lead = Math.floor(r() * 3);
        const target = [...Array.from({ length: lead }, () => 1 + Math.floor(r() * 3)), ...shape];
        const src = shape.map((d) => (r() < 0.5 ? 1 : d));
        assertSame(
          onBoth(() => np.broadcastTo(tensor(dtype, src, seed), target)),
          `broadcast [${src}] to [${target}]`,
        );
        const starts = shape.map((d) => Math.floor(r() * d));
        const limits = shape.map((d, i) => starts[i] + Math.floor(r() * (d - starts[i] + 1)));
        const steps = shape.map(() => 1 + Math.floor(r() * 3));
        assertSame(onBoth(() => np.slice(x(), starts, limits, steps)), `slice [${starts}]:[${limits}]:[${steps}]`);
        const pads = shape.map((): [number, number] => [Math.floor(r() * 3), Math.floor(r() * 3)]);
        const value = dtype === "float32" ? -1.25 : dtype === "bool" ? 1 : 7;
        assertSame(onBoth(() => np.pad(x(), pads, value)), `pad [${shape}] by ${JSON.stringify(pads)}`);
      }),
      RUNS,
    );
  });

  test("concatenate of 1 to 12 operands (more than one dispatch's bindings), empty ones included", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 3), seedArb, dtypeArb("float32", "int32", "bool"), (shape, seed, dtype) => {
        const r = rng(seed);
        const axis = Math.floor(r() * shape.length);
        const count = 1 + Math.floor(r() * 12);
        const shapes = Array.from({ length: count }, () => shape.map((d, i) => (i === axis ? Math.floor(r() * 3) : d)));
        assertSame(
          onBoth(() => np.concatenate(shapes.map((s, k) => tensor(dtype, s, seed + k)), axis)),
          `concatenate ${count} along ${axis}`,
        );
      }),
      RUNS,
    );
  });

  test("VJPs of transpose, broadcast_to, slice, pad and concatenate", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(2, 3, 4), seedArb, (shape, seed) => {
        const r = rng(seed);
        const perm = permutation(shape.length, seed);
        const limits = shape.map((d) => 1 + Math.floor(r() * d));
        const f = (a: Tensor) => {
          const t = np.transpose(a, perm);
          const s = np.slice(a, shape.map(() => 0), limits, shape.map(() => 2));
          const p = np.pad(s, shape.map((): [number, number] => [1, 2]), 3);
          const b = np.broadcastTo(np.reshape(a, [1, ...shape]), [2, ...shape]);
          const c = np.concatenate([np.reshape(t, [-1]), np.reshape(p, [-1]), np.reshape(b, [-1])]);
          return np.sum(np.mul(c, tensor("float32", c.shape, seed + 1)));
        };
        assertClose(onBoth(() => grad(f)(tensor("float32", shape, seed))), `layout grads [${shape}]`, 1e-5, 1e-6);
      }),
      RUNS,
    );
  });
});

describe("webgpu gather and scatter_add equal the cpu's", () => {
  test("take with negative and repeated indices, and its VJP (scatter_add)", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 4), seedArb, dtypeArb("float32", "int32", "bool"), (shape, seed, dtype) => {
        const r = rng(seed);
        const axis = Math.floor(r() * shape.length);
        const len = shape[axis];
        const idx = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 2 * len) - len);
        const indices = () => np.array(idx, { dtype: "int32" });
        assertSame(
          onBoth(() => np.take(tensor(dtype, shape, seed), indices(), axis)),
          `take [${idx}] along ${axis} of [${shape}]`,
        );
        const g = onBoth(() =>
          grad((a: Tensor) => {
            const y = np.take(a, indices(), axis);
            return np.sum(np.mul(y, tensor("float32", y.shape, seed + 1)));
          })(tensor("float32", shape, seed))
        );
        assertClose(g, `grad take [${idx}] along ${axis}`, 1e-6, 1e-7);
      }),
      RUNS,
    );
  });

  test("scatter_add of int32 updates; out-of-range indices read 0 and are dropped on the device", { skip }, () => {
    const scatter = primitives().get("scatter_add")!, gather = primitives().get("gather")!;
    const idx = [2, -1, 0, 2, -3];
    const updates = () => np.array(values("int32", 5 * 3, 3), { shape: [5, 3], dtype: "int32" });
    assertSame(
      onBoth(() => bind1(scatter, [updates(), np.array(idx, { dtype: "int32" })], { axis: 0, shape: [4, 3] })),
      "int32 scatter_add",
    );
    const before = getBackend().name;
    try {
      setBackend("webgpu");
      const x = np.array([[1, 2], [3, 4]], { dtype: "float32" });
      const out = bind1(gather, [x, np.array([1, 5, -3], { dtype: "int32" })], { axis: 1 });
      assert.deepEqual(out.toArray(), [[2, 0, 0], [4, 0, 0]]);
      const s = bind1(scatter, [x, np.array([7, 0], { dtype: "int32" })], { axis: 1, shape: [2, 3] });
      assert.deepEqual(s.toArray(), [[2, 0, 0], [4, 0, 0]]);
    } finally {
      setBackend(before);
    }
  });
});

/** A random window geometry over `shape`: extents, strides and one of the three paddings. */
function windowArgs(shape: readonly number[], seed: number) {
  const r = rng(seed);
  const window = shape.map((d) => 1 + Math.floor(r() * Math.min(3, d)));
  const strides = shape.map(() => 1 + Math.floor(r() * 2));
  const kind = r();
  const padding = kind < 0.33
    ? "VALID" as const
    : kind < 0.66
    ? "SAME" as const
    : shape.map((): [number, number] => [Math.floor(r() * 2), Math.floor(r() * 2)]);
  return { window, strides, padding };
}

describe("webgpu window kernels equal the cpu's", () => {
  test("reduce_window sum and max (float32, int32)", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 5), seedArb, dtypeArb("float32", "int32"), (shape, seed, dtype) => {
        const w = windowArgs(shape, seed);
        for (const op of ["sum", "max"] as const) {
          const r = onBoth(() => np.reduceWindow(tensor(dtype, shape, seed), { op, ...w }));
          const what = `${op} ${dtype} [${shape}] ${JSON.stringify(w)}`;
          if (op === "sum" && dtype === "float32") assertClose(r, what, 1e-6, 1e-6 * size(w.window) * 2);
          else assertSame(r, what);
        }
      }),
      RUNS,
    );
  });

  test("VJP (select_and_scatter_max) and JVP (window_select_max) of max windows, ties included", { skip }, () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 5), seedArb, (shape, seed) => {
        const w = windowArgs(shape, seed);
        // Values on a coarse grid, so that windows hold ties and the first-maximum rule matters.
        const x = values("float32", size(shape), seed).map((v) => Math.round(v));
        const pool = (a: Tensor) => np.reduceWindow(a, { op: "max", ...w });
        const g = onBoth(() => {
          const y = pool(tensor("float32", shape, seed, x));
          const cot = tensor("float32", y.shape, seed + 1);
          return grad((a: Tensor) => np.sum(np.mul(pool(a), cot)))(tensor("float32", shape, seed, x));
        });
        assertClose(g, `grad max window [${shape}] ${JSON.stringify(w)}`, 1e-6, 1e-6);
        const t = onBoth(() => jvp(pool, [tensor("float32", shape, seed, x)], [tensor("float32", shape, seed + 2)])[1]);
        assertSame(t, `jvp max window [${shape}] ${JSON.stringify(w)}`);
        const s = onBoth(() =>
          grad((a: Tensor) => np.sum(np.square(np.reduceWindow(a, { op: "sum", ...w }))))(
            tensor("float32", shape, seed),
          )
        );
        assertClose(s, `grad sum window [${shape}] ${JSON.stringify(w)}`, 1e-5, 1e-5);
      }),
      RUNS,
    );
  });
});

describe("webgpu convolution equals the cpu's", () => {
  test("random geometry: strides, padding (negative too), dilations, groups; and its VJPs", { skip }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), seedArb, (nd, seed) => {
        const r = rng(seed);
        const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
        const G = pick(1, 2), N = pick(1, 2), Cg = pick(1, 2), Og = pick(1, 2);
        const spatial = Array.from({ length: nd }, () => pick(3, 6));
        const window = Array.from({ length: nd }, () => pick(1, 3));
        const opts = {
          windowStrides: Array.from({ length: nd }, () => pick(1, 2)),
          padding: Array.from({ length: nd }, (): [number, number] => [pick(-1, 2), pick(-1, 2)]),
          lhsDilation: Array.from({ length: nd }, () => pick(1, 2)),
          rhsDilation: Array.from({ length: nd }, () => pick(1, 2)),
          featureGroupCount: G,
        };
        // Skip geometries whose output is empty (an error by design).
        const fits = spatial.every((n, d) => {
          const padded = (n - 1) * opts.lhsDilation[d] + 1 + opts.padding[d][0] + opts.padding[d][1];
          return padded >= (window[d] - 1) * opts.rhsDilation[d] + 1;
        });
        fc.pre(fits);
        const lhsShape = [N, G * Cg, ...spatial], rhsShape = [G * Og, Cg, ...window];
        const lhs = () => tensor("float32", lhsShape, seed), rhs = () => tensor("float32", rhsShape, seed + 1);
        const what = `conv [${lhsShape}] * [${rhsShape}] ${JSON.stringify(opts)}`;
        const y = onBoth(() => np.convGeneralDilated(lhs(), rhs(), opts));
        const scale = onCpu(() => np.convGeneralDilated(np.abs(lhs()), np.abs(rhs()), opts));
        assertClose(y, what, 1e-6, 0, [scale]);
        const loss = (a: Tensor, b: Tensor) => np.sum(np.square(np.convGeneralDilated(a, b, opts)));
        const g = onBoth(() => grad(loss, { argnums: [0, 1] })(lhs(), rhs()) as Tensor[]);
        assertClose(g, `grads of ${what}`, 1e-5, 1e-5);
      }),
      RUNS,
    );
  });
});

describe("webgpu kernels cover the primitives", () => {
  test("every primitive that computes has a webgpu kernel (views of storage need none)", { skip }, () => {
    const missing = [...primitives().values()]
      .filter((p) => !p.sharesStorage && findKernel(p, "webgpu") === undefined)
      .map((p) => p.name);
    assert.deepEqual(missing, [], "primitives without a webgpu kernel");
  });
});

describe("webgpu device limits", () => {
  test("an operand larger than the device's largest storage binding is an error naming the kernel", { skip }, () => {
    const before = getBackend().name;
    setBackend("webgpu");
    try {
      const n = deviceClient().info.limits.maxStorageBufferBindingSize / 4 + 1024;
      assert.throws(
        () => np.broadcastTo(np.ones([1]), [n]),
        new RegExp(
          `^RangeError: broadcast_to: an operand of ${4 * n} bytes exceeds the device's largest storage binding`,
        ),
      );
    } finally {
      setBackend(before);
    }
  });
});
