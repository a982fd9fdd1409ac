/**
 * One exercise per primitive: how to make each declared primitive run
 * through its public op (or, for the primitives that only rules bind,
 * through the rule that binds it), with random shapes, broadcasts,
 * axes and values. `tests/transforms_jvp_test.ts` runs every
 * differentiable one under `jvp` against central differences, and
 * `tests/transforms_vmap_test.ts` runs every one under `vmap` against a
 * loop; both check that the table covers every primitive of
 * `primitives()`, so a new primitive without an exercise fails them.
 */
import type fc from "fast-check";
import { jvp, nn, np, optim, random, stopGradient, type Tensor, tree, vjp } from "../../mod.ts";
import { alias, checkValues } from "../../autodiff/ops/identity.ts";
import { awayFromZero, distinctValues, numel, randomValues, rng, seedArb, shapeArb } from "./arbitraries.ts";

/** One exercise of a primitive. */
export interface PrimitiveCase {
  /** What runs, for failure messages. */
  readonly label: string;
  /** The arguments for a seed: the same shapes and dtypes for every seed, different values. */
  readonly gen: (seed: number) => Tensor[];
  /** A fresh function of the arguments (fresh because some hold a pullback, which runs once). */
  readonly make: () => (...args: Tensor[]) => unknown;
  /** Which arguments take tangents under `jvp` (default: the float ones). */
  readonly tangents?: readonly boolean[];
  /**
   * The JVP's oracle: central differences (default), or the VJP where the
   * function's outputs are spikes (their surrogate derivative is not the
   * step's zero derivative that differences see).
   */
  readonly oracle?: "fd" | "vjp";
  /** Tolerances where float32 is involved (default: float64 ones). */
  readonly tol?: { readonly eps: number; readonly rtol: number; readonly atol: number };
}

const F32_TOL = { eps: 1e-3, rtol: 2e-3, atol: 2e-4 };

function f64(values: readonly number[], shape: readonly number[]): Tensor {
  return np.array(values.slice(), { shape: shape.slice(), dtype: "float64" });
}

function int32(values: readonly number[], shape: readonly number[]): Tensor {
  return np.array(values.slice(), { shape: shape.slice(), dtype: "int32" });
}

function bool(values: readonly boolean[], shape: readonly number[]): Tensor {
  return np.array(values.slice(), { shape: shape.slice(), dtype: "bool" });
}

/** Integers in `[lo, hi]` drawn from `r`. */
function intIn(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A case built from a random structure (shapes, axes, options) drawn from a seed. */
function structured(build: (r: () => number) => PrimitiveCase): fc.Arbitrary<PrimitiveCase> {
  return seedArb.map((s) => build(rng(s)));
}

function shapeOf(r: () => number, minRank: number, maxRank: number, maxDim = 3): number[] {
  return Array.from({ length: intIn(r, minRank, maxRank) }, () => intIn(r, 1, maxDim));
}

/** Two or three shapes that broadcast to one output shape (leading axes dropped, some axes set to 1). */
function broadcastShapes(r: () => number, count: number, maxRank = 3): number[][] {
  const out = shapeOf(r, 0, maxRank);
  return Array.from({ length: count }, () => {
    const drop = Math.floor(r() * (out.length + 1) * 0.6);
    return out.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
  });
}

/** A unary op on float64 values in `[lo, hi)` (or away from zero). */
function unaryCase(
  label: string,
  op: (x: Tensor) => Tensor,
  values: (n: number, seed: number) => number[],
): fc.Arbitrary<PrimitiveCase> {
  return shapeArb(0, 3).map((shape) => ({
    label: `${label} [${shape}]`,
    gen: (seed) => [f64(values(numel(shape), seed), shape)],
    make: () => op,
  }));
}

const uniformIn = (lo: number, hi: number) => (n: number, seed: number) => randomValues(n, seed, lo, hi);

/** A broadcasting binary op; `values` gives the operands' values for their sizes. */
function binaryCase(
  label: string,
  op: (a: Tensor, b: Tensor) => Tensor,
  values: (na: number, nb: number, seed: number) => [number[], number[]],
): fc.Arbitrary<PrimitiveCase> {
  return structured((r) => {
    const [sa, sb] = broadcastShapes(r, 2);
    return {
      label: `${label} [${sa}] [${sb}]`,
      gen: (seed) => {
        const [a, b] = values(numel(sa), numel(sb), seed);
        return [f64(a, sa), f64(b, sb)];
      },
      make: () => op,
    };
  });
}

const independent = (lo: number, hi: number, lo2 = lo, hi2 = hi) => (na: number, nb: number, seed: number) =>
  [randomValues(na, seed, lo, hi), randomValues(nb, seed + 7919, lo2, hi2)] as [number[], number[]];

/** Values of both operands distinct from each other (no ties for max/min). */
const distinctPair = (na: number, nb: number, seed: number): [number[], number[]] => {
  const v = distinctValues(na + nb, seed);
  return [v.slice(0, na), v.slice(na)];
};

/** Small integers, so that comparisons meet equal operands. */
const smallInts = (na: number, nb: number, seed: number): [number[], number[]] => {
  const r = rng(seed);
  return [Array.from({ length: na }, () => intIn(r, -1, 1)), Array.from({ length: nb }, () => intIn(r, -1, 1))];
};

/** A random axis argument of rank `nd`: all axes (undefined), one (maybe negative) or several (an array). */
function axisArg(r: () => number, nd: number): number | number[] | undefined {
  const mode = r();
  if (mode < 0.2 || nd === 0) return undefined;
  const signed = (a: number) => (r() < 0.5 ? a - nd : a);
  if (mode < 0.55) return signed(intIn(r, 0, nd - 1));
  return Array.from({ length: nd }, (_, i) => i).filter(() => r() < 0.5).map(signed).reverse();
}

function reductionCase(
  label: string,
  op: (x: Tensor, axis: number | number[] | undefined, keepdims: boolean) => Tensor,
  values: (n: number, seed: number) => number[],
): fc.Arbitrary<PrimitiveCase> {
  return structured((r) => {
    const shape = shapeOf(r, 1, 3);
    let axis = axisArg(r, shape.length);
    if (Array.isArray(axis) && axis.length === 0) axis = undefined;
    const keepdims = r() < 0.4;
    return {
      label: `${label} [${shape}] axis ${JSON.stringify(axis)} keepdims ${keepdims}`,
      gen: (seed) => [f64(values(numel(shape), seed), shape)],
      make: () => (x) => op(x, axis, keepdims),
    };
  });
}

/** Values in [-1.5, 1.5] with some exact zeros (products' derivatives at zeros). */
function withZeros(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() < 0.15 ? 0 : -1.5 + 3 * r()));
}

/** A shape of the same size as `shape` that differs from it. */
function otherShape(r: () => number, shape: readonly number[]): number[] {
  let size = numel(shape);
  const out: number[] = [];
  while (size > 1) {
    const divisors = Array.from({ length: size }, (_, i) => i + 1).filter((d) => d > 1 && size % d === 0);
    const d = divisors[intIn(r, 0, divisors.length - 1)];
    out.push(d);
    size /= d;
    if (r() < 0.3) out.push(1);
  }
  if (out.length === shape.length && out.every((d, i) => d === shape[i])) out.unshift(1);
  if (out.length > 0 && r() < 0.3) out[intIn(r, 0, out.length - 1)] = -1;
  return out;
}

/** A convolution's operands and options (see `convGeneralDilated`). */
function convCase(r: () => number): PrimitiveCase {
  const nd = intIn(r, 1, 2);
  const G = intIn(r, 1, 2), Cg = intIn(r, 1, 2), Og = intIn(r, 1, 2), N = intIn(r, 1, 2);
  const kernel = Array.from({ length: nd }, () => intIn(r, 1, 3));
  const rhsDilation = kernel.map(() => intIn(r, 1, 2));
  const lhsDilation = kernel.map(() => (r() < 0.25 ? 2 : 1));
  const strides = kernel.map(() => intIn(r, 1, 2));
  const effK = kernel.map((k, d) => (k - 1) * rhsDilation[d] + 1);
  const mode = r();
  const explicit = kernel.map((): [number, number] => [intIn(r, 0, 1), intIn(r, 0, 1)]);
  const padding = mode < 0.3 ? "VALID" : mode < 0.55 && lhsDilation.every((d) => d === 1) ? "SAME" : explicit;
  // Big enough that the dilated window fits the dilated input without padding.
  const spatial = effK.map((k, d) => Math.ceil((k - 1) / lhsDilation[d]) + 1 + intIn(r, 0, 2));
  const channelsLast = r() < 0.5;
  const letters = "HW".slice(0, nd);
  const dn: [string, string, string] = channelsLast
    ? [`N${letters}C`, `${letters}IO`, `N${letters}C`]
    : [`NC${letters}`, `OI${letters}`, `NC${letters}`];
  const lhsShape = channelsLast ? [N, ...spatial, G * Cg] : [N, G * Cg, ...spatial];
  const rhsShape = channelsLast ? [...kernel, Cg, G * Og] : [G * Og, Cg, ...kernel];
  const options = {
    windowStrides: strides,
    padding,
    lhsDilation,
    rhsDilation,
    dimensionNumbers: dn,
    featureGroupCount: G,
  } as const;
  return {
    label: `conv lhs [${lhsShape}] rhs [${rhsShape}] ${JSON.stringify(options)}`,
    gen: (seed) => [
      f64(randomValues(numel(lhsShape), seed), lhsShape),
      f64(randomValues(numel(rhsShape), seed + 1), rhsShape),
    ],
    make: () => (lhs, rhs) => np.convGeneralDilated(lhs, rhs, options),
  };
}

/** Options of a windowed reduction over `shape`. */
function windowOptions(r: () => number, shape: readonly number[]) {
  const window = shape.map((d) => intIn(r, 1, Math.min(3, d)));
  const strides = shape.map(() => intIn(r, 1, 2));
  const mode = r();
  const padding = mode < 0.4
    ? "VALID" as const
    : mode < 0.7
    ? "SAME" as const
    : shape.map((): [number, number] => [intIn(r, 0, 1), intIn(r, 0, 1)]);
  return { window, strides, padding };
}

function windowCase(op: "sum" | "max", r: () => number): PrimitiveCase {
  const shape = shapeOf(r, 1, 3, 4);
  const o = windowOptions(r, shape);
  return {
    label: `reduceWindow ${op} [${shape}] ${JSON.stringify(o)}`,
    gen: (seed) => [f64(op === "max" ? distinctValues(numel(shape), seed) : randomValues(numel(shape), seed), shape)],
    make: () => (x) => np.reduceWindow(x, { op, ...o }),
  };
}

/** A neuron layer over a sequence: `[ys, final state]` from `(xs, state, ...param leaves)`. */
function cellCase(r: () => number): PrimitiveCase {
  const names = Object.keys(nn.NEURON_MODELS) as (keyof typeof nn.NEURON_MODELS)[];
  const model = names[intIn(r, 0, names.length - 1)];
  const Model = nn.NEURON_MODELS[model];
  const spiking = Model.cell.spiking;
  const T = intIn(r, 1, 4), B = intIn(r, 1, 2), N = intIn(r, 1, 3);
  const parts = Model.cell.spec.state.length;
  const reverse = r() < 0.3;
  const net = nn.transform((xs: Tensor, s0: Tensor) => {
    const core = new Model([N], spiking ? { threshold: 0.8 } : {});
    return core.callSequence(xs, s0, { reverse });
  });
  const xs0 = np.zeros([T, B, N], { dtype: "float64" }), s00 = np.zeros([B, N * parts], { dtype: "float64" });
  const [leaves0, def] = tree.flatten(net.init(random.key(0), xs0, s00) as unknown as tree.PyTree);
  const shapes = (leaves0 as Tensor[]).map((l) => l.shape.slice());
  // Recurrent weights are the 2-d leaves; decays are per neuron.
  const isW = shapes.map((s) => s.length === 2);
  return {
    label: `${model}.callSequence T=${T} B=${B} N=${N} reverse=${reverse}`,
    gen: (seed) => [
      f64(randomValues(T * B * N, seed, -0.3, 1.2), [T, B, N]),
      f64(randomValues(B * N * parts, seed + 1, -0.4, 0.7), [B, N * parts]),
      ...shapes.map((s, k) => f64(randomValues(numel(s), seed + 2 + k, isW[k] ? -0.6 : 0.2, isW[k] ? 0.6 : 0.9), s)),
    ],
    make: () => (xs, s0, ...leaves) => net.apply(tree.unflatten(def, leaves) as never, null, xs, s0),
    oracle: spiking ? "vjp" : "fd",
  };
}

/** The pullback of a neuron layer (bound to fixed primals), as a function of the outputs' cotangents. */
function cellBackwardCase(r: () => number): PrimitiveCase {
  const c = cellCase(r);
  const primals = c.gen(4242);
  const [out] = vjp(c.make() as never, ...primals) as unknown as [Tensor[]];
  const [ys, final] = out;
  return {
    label: `pullback of ${c.label}`,
    gen: (seed) => [
      f64(randomValues(ys.size, seed), ys.shape),
      f64(randomValues(final.size, seed + 1), final.shape),
    ],
    make: () => {
      // Made before any transformation runs, so that the backward primitive meets the tracers.
      const [, back] = vjp(c.make() as never, ...primals);
      return (gys, gFinal) => back([gys, gFinal]);
    },
  };
}

const adamOpt = optim.adam(0.1);

/**
 * The exercise of each primitive, by name. Pullbacks made inside a case
 * run their primitives' transposes (`scatter_add`, `select_and_scatter_max`),
 * a JVP inside a case the forward derivative of max windows
 * (`window_select_max`).
 */
export const PRIMITIVE_CASES: Readonly<Record<string, fc.Arbitrary<PrimitiveCase>>> = {
  alias: unaryCase("alias", (x) => alias(x), uniformIn(-1, 1)),
  stop_gradient: unaryCase("x + stopGradient(x^2)", (x) => np.add(x, stopGradient(np.mul(x, x))), uniformIn(-1, 1)),
  check_values: unaryCase(
    "checkValues",
    (x) => checkValues(x, { min: -1, max: 1, integer: false, what: "test" }),
    uniformIn(-1, 1),
  ),
  reduce_sum: reductionCase("sum", np.sum, uniformIn(-1, 1)),
  reduce_max: reductionCase("max", np.max, distinctValues),
  reduce_min: reductionCase("min", np.min, distinctValues),
  reduce_prod: reductionCase("prod", np.prod, withZeros),
  argmax: reductionCase("argmax", (x, a, k) => np.argmax(x, typeof a === "number" ? a : undefined, k), distinctValues),
  argmin: reductionCase("argmin", (x, a, k) => np.argmin(x, typeof a === "number" ? a : undefined, k), distinctValues),
  reshape: structured((r) => {
    const shape = shapeOf(r, 0, 3);
    const to = otherShape(r, shape);
    return {
      label: `reshape [${shape}] -> [${to}]`,
      gen: (seed) => [f64(randomValues(numel(shape), seed), shape)],
      make: () => (x) => np.reshape(x, to),
    };
  }),
  transpose: structured((r) => {
    const shape = shapeOf(r, 2, 3);
    const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
    if (perm.every((p, i) => p === i)) [perm[0], perm[1]] = [perm[1], perm[0]];
    const reversed = r() < 0.2;
    return {
      label: `transpose [${shape}] ${reversed ? "reversed" : `[${perm}]`}`,
      gen: (seed) => [f64(randomValues(numel(shape), seed), shape)],
      make: () => (x) => (reversed ? np.transpose(x) : np.transpose(x, perm)),
    };
  }),
  broadcast_to: structured((r) => {
    let out = shapeOf(r, 1, 3);
    const drop = intIn(r, 0, out.length);
    const from = out.slice(drop).map((d) => (r() < 0.4 ? 1 : d));
    if (numel(from) === numel(out)) out = [2, ...out];
    return {
      label: `broadcastTo [${from}] -> [${out}]`,
      gen: (seed) => [f64(randomValues(numel(from), seed), from)],
      make: () => (x) => np.broadcastTo(x, out),
    };
  }),
  slice: structured((r) => {
    const shape = shapeOf(r, 1, 3, 4);
    const a = intIn(r, 0, shape.length - 1);
    shape[a] = Math.max(2, shape[a]);
    const starts = shape.map((d) => intIn(r, 0, d - 1));
    const limits = shape.map((d, i) => intIn(r, starts[i] + 1, d));
    const strides = shape.map(() => intIn(r, 1, 2));
    if (starts[a] === 0 && limits[a] === shape[a] && strides[a] === 1) starts[a] = 1;
    return {
      label: `slice [${shape}] ${starts}:${limits}:${strides}`,
      gen: (seed) => [f64(randomValues(numel(shape), seed), shape)],
      make: () => (x) => np.slice(x, starts, limits, strides),
    };
  }),
  pad: structured((r) => {
    const shape = shapeOf(r, 1, 3);
    const widths = shape.map((d): [number, number] => {
      const lo = intIn(r, -1, 2), hi = intIn(r, -1, 2);
      return Math.max(0, -lo) + Math.max(0, -hi) > d ? [lo, 1] : [lo, hi];
    });
    const a = intIn(r, 0, shape.length - 1);
    widths[a] = [widths[a][0], Math.max(1, widths[a][1])];
    const value = r() < 0.5 ? 0 : -1.5;
    return {
      label: `pad [${shape}] ${JSON.stringify(widths)} value ${value}`,
      gen: (seed) => [f64(randomValues(numel(shape), seed), shape)],
      make: () => (x) => np.pad(x, widths, value),
    };
  }),
  concatenate: structured((r) => {
    const shape = shapeOf(r, 1, 3);
    const axis = intIn(r, 0, shape.length - 1);
    const shapes = Array.from({ length: intIn(r, 2, 3) }, () => shape.map((d, i) => (i === axis ? intIn(r, 1, 3) : d)));
    const signed = r() < 0.5 ? axis - shape.length : axis;
    return {
      label: `concatenate ${shapes.map((s) => `[${s}]`).join(" ")} axis ${signed}`,
      gen: (seed) => shapes.map((s, k) => f64(randomValues(numel(s), seed + k), s)),
      make: () => (...xs) => np.concatenate(xs, signed),
    };
  }),
  neg: unaryCase("neg", np.neg, uniformIn(-2, 2)),
  exp: unaryCase("exp", np.exp, uniformIn(-2, 2)),
  log: unaryCase("log", np.log, uniformIn(0.2, 3)),
  log1p: unaryCase("log1p", np.log1p, uniformIn(-0.6, 2)),
  expm1: unaryCase("expm1", np.expm1, uniformIn(-2, 2)),
  sqrt: unaryCase("sqrt", np.sqrt, uniformIn(0.2, 3)),
  tanh: unaryCase("tanh", np.tanh, uniformIn(-2, 2)),
  sigmoid: unaryCase("sigmoid", np.sigmoid, uniformIn(-4, 4)),
  abs: unaryCase("abs", np.abs, (n, seed) => awayFromZero(n, seed, 0.05, 2)),
  sign: unaryCase("sign", np.sign, (n, seed) => randomValues(n, seed, -2, 2).map((v, i) => (i % 5 === 0 ? 0 : v))),
  floor: unaryCase("floor", np.floor, uniformIn(-3, 3)),
  ceil: unaryCase("ceil", np.ceil, uniformIn(-3, 3)),
  round: unaryCase("round", np.round, (n, seed) => randomValues(n, seed, -3, 3).map((v, i) => (i % 4 ? v : 0.5))),
  sin: unaryCase("sin", np.sin, uniformIn(-3, 3)),
  cos: unaryCase("cos", np.cos, uniformIn(-3, 3)),
  erf: unaryCase("erf", np.erf, uniformIn(-2, 2)),
  erfinv: unaryCase("erfinv", np.erfinv, uniformIn(-0.9, 0.9)),
  logicalNot: shapeArb(0, 3).map((shape) => ({
    label: `logicalNot [${shape}]`,
    gen: (seed) => [bool(randomValues(numel(shape), seed).map((v) => v > 0), shape)],
    make: () => np.logicalNot,
  })),
  equal: binaryCase("equal", np.equal, smallInts),
  notEqual: binaryCase("notEqual", np.notEqual, smallInts),
  greater: binaryCase("greater", np.greater, smallInts),
  greaterEqual: binaryCase("greaterEqual", np.greaterEqual, smallInts),
  less: binaryCase("less", np.less, smallInts),
  lessEqual: binaryCase("lessEqual", np.lessEqual, smallInts),
  logicalAnd: binaryCase(
    "logicalAnd (of a > 0, b > 0)",
    (a, b) => np.logicalAnd(np.greater(a, 0), np.greater(b, 0)),
    smallInts,
  ),
  logicalOr: binaryCase(
    "logicalOr (of a > 0, b > 0)",
    (a, b) => np.logicalOr(np.greater(a, 0), np.greater(b, 0)),
    smallInts,
  ),
  cast: structured((r) => {
    const shape = shapeOf(r, 0, 3);
    const mode = r();
    if (mode < 0.25) {
      return {
        label: `astype float64 -> int32 [${shape}] (zero tangent)`,
        gen: (seed) => [f64(randomValues(numel(shape), seed, -3, 3), shape)],
        make: () => (x) => [np.astype(x, "int32"), np.mul(x, 2)],
      };
    }
    const down = mode < 0.6;
    // float32 values on a 2^-10 grid, so that central differences in float32 are exact steps.
    const grid = (n: number, seed: number) => randomValues(n, seed, -1.5, 1.5).map((v) => Math.round(v * 1024) / 1024);
    return down
      ? {
        label: `astype float64 -> float32 [${shape}]`,
        gen: (seed) => [f64(randomValues(numel(shape), seed), shape)],
        make: () => (x) => np.astype(x, "float32"),
        tol: F32_TOL,
      }
      : {
        label: `sin(astype float32 -> float64) [${shape}]`,
        gen: (seed) => [np.array(grid(numel(shape), seed), { shape, dtype: "float32" })],
        make: () => (x) => np.sin(np.astype(x, "float64")),
        tol: F32_TOL,
      };
  }),
  add: binaryCase("add", np.add, independent(-1, 1)),
  sub: binaryCase("sub", np.sub, independent(-1, 1)),
  mul: binaryCase("mul", np.mul, independent(-1, 1)),
  div: binaryCase("div", np.div, (na, nb, seed) => [randomValues(na, seed), awayFromZero(nb, seed + 1, 0.3, 2)]),
  pow: binaryCase("pow", np.pow, independent(0.3, 2, -2, 2)),
  maximum: binaryCase("maximum", np.maximum, distinctPair),
  minimum: binaryCase("minimum", np.minimum, distinctPair),
  mod: binaryCase("mod", np.mod, (na, nb, seed) => {
    // x = c * (k + f) with f in [0.1, 0.9] and y = ±c: x / y is away from the integers where mod jumps,
    // whichever x broadcasting pairs with whichever y.
    const r = rng(seed);
    const c = 0.5 + r();
    const x = Array.from({ length: na }, () => c * (intIn(r, -2, 2) + 0.1 + 0.8 * r()));
    return [x, Array.from({ length: nb }, () => (r() < 0.5 ? -c : c))];
  }),
  where: structured((r) => {
    const [sc, sx, sy] = broadcastShapes(r, 3);
    return {
      label: `where [${sc}] [${sx}] [${sy}]`,
      gen: (seed) => [
        bool(randomValues(numel(sc), seed).map((v) => v > 0), sc),
        f64(randomValues(numel(sx), seed + 1), sx),
        f64(randomValues(numel(sy), seed + 2), sy),
      ],
      make: () => np.where,
    };
  }),
  matmul: structured((r) => {
    const [m, k, n] = [intIn(r, 1, 3), intIn(r, 1, 3), intIn(r, 1, 3)];
    const [ba, bb] = broadcastShapes(r, 2, 2);
    const vecA = r() < 0.15, vecB = r() < 0.15;
    const sa = vecA ? [k] : [...ba, m, k], sb = vecB ? [k] : [...bb, k, n];
    return {
      label: `matmul [${sa}] [${sb}]`,
      gen: (seed) => [f64(randomValues(numel(sa), seed), sa), f64(randomValues(numel(sb), seed + 1), sb)],
      make: () => np.matmul,
    };
  }),
  cell_sequence: structured(cellCase),
  cell_sequence_backward: structured(cellBackwardCase),
  gather: structured((r) => {
    const shape = shapeOf(r, 1, 3);
    const flat = r() < 0.2;
    const axis = flat ? undefined : intIn(r, -shape.length, shape.length - 1);
    const len = flat ? numel(shape) : shape[axis! < 0 ? axis! + shape.length : axis!];
    const idxShape = shapeOf(r, 0, 2);
    return {
      label: `take [${shape}] indices [${idxShape}] axis ${axis}`,
      gen: (seed) => {
        const q = rng(seed + 3);
        return [
          f64(randomValues(numel(shape), seed), shape),
          int32(Array.from({ length: numel(idxShape) }, () => intIn(q, -len, len - 1)), idxShape),
        ];
      },
      make: () => (x, idx) => np.take(x, idx, axis),
    };
  }),
  scatter_add: structured((r) => {
    const shape = shapeOf(r, 1, 3);
    const axis = intIn(r, 0, shape.length - 1);
    const idxShape = shapeOf(r, 1, 2);
    const uShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
    return {
      label: `scatter_add: pullback of take [${shape}] indices [${idxShape}] axis ${axis}`,
      gen: (seed) => {
        const q = rng(seed + 3);
        return [
          f64(randomValues(numel(uShape), seed), uShape),
          int32(Array.from({ length: numel(idxShape) }, () => intIn(q, -shape[axis], shape[axis] - 1)), idxShape),
        ];
      },
      make: () => (u, idx) => vjp((x: Tensor) => np.take(x, idx, axis), np.zeros(shape, { dtype: "float64" }))[1](u)[0],
    };
  }),
  conv: structured(convCase),
  reduce_window_sum: structured((r) => windowCase("sum", r)),
  reduce_window_max: structured((r) => windowCase("max", r)),
  select_and_scatter_max: structured((r) => {
    const w = windowCase("max", r);
    const x0 = w.gen(1)[0];
    const outShape = (w.make()(x0) as Tensor).shape;
    return {
      label: `select_and_scatter_max: pullback of ${w.label}`,
      gen: (seed) => [w.gen(seed)[0], f64(randomValues(numel(outShape), seed + 5), outShape)],
      make: () => (x, g) => vjp(w.make() as (x: Tensor) => Tensor, x)[1](g)[0],
    };
  }),
  window_select_max: structured((r) => {
    const w = windowCase("max", r);
    return {
      label: `window_select_max: JVP of ${w.label}`,
      gen: (seed) => {
        const [x] = w.gen(seed);
        return [x, f64(randomValues(x.size, seed + 5), x.shape)];
      },
      make: () => (x, t) => jvp(w.make() as (x: Tensor) => Tensor, [x], [t])[1],
    };
  }),
  random_bits: structured((r) => {
    const shape = shapeOf(r, 0, 2);
    return { label: `random.bits [${shape}]`, gen: (s) => [random.key(s)], make: () => (k) => random.bits(k, shape) };
  }),
  random_split: structured((r) => {
    const n = intIn(r, 1, 3);
    return { label: `random.split ${n}`, gen: (s) => [random.key(s)], make: () => (k) => random.split(k, n) };
  }),
  random_fold_in: structured((r) => {
    const data = intIn(r, 0, 1000);
    return { label: `random.foldIn ${data}`, gen: (s) => [random.key(s)], make: () => (k) => random.foldIn(k, data) };
  }),
  random_unit: structured((r) => {
    const shape = shapeOf(r, 0, 2);
    const dtype = r() < 0.5 ? "float32" as const : "float64" as const;
    return {
      label: `random.uniform [${shape}] ${dtype}`,
      gen: (s) => [random.key(s)],
      make: () => (k) => random.uniform(k, shape, { dtype, minval: -1, maxval: 2 }),
    };
  }),
  random_randint: structured((r) => {
    const shape = shapeOf(r, 0, 2);
    return {
      label: `random.randint [${shape}]`,
      gen: (s) => [random.key(s)],
      make: () => (k) => random.randint(k, shape, -3, 7),
    };
  }),
  random_permutation: structured((r) => {
    const n = intIn(r, 1, 5);
    return {
      label: `random.permutation ${n}`,
      gen: (s) => [random.key(s)],
      make: () => (k) => random.permutation(k, n),
    };
  }),
  random_choice_weighted: structured((r) => {
    const n = intIn(r, 1, 4), replace = r() < 0.5;
    const count = replace ? intIn(r, 1, 4) : intIn(r, 1, n);
    return {
      label: `random.choice ${n} [${count}] weighted, replace ${replace}`,
      gen: (s) => [random.key(s), f64(randomValues(n, s + 1, 0.1, 1), [n])],
      make: () => (k, p) => random.choice(k, n, [count], { p, replace }),
    };
  }),
  adam_update: structured((r) => {
    const shape = shapeOf(r, 0, 2);
    const base = adamOpt.init({ w: np.zeros(shape, { dtype: "float64" }) }) as unknown[];
    return {
      label: `optim.adam update [${shape}]`,
      gen: (seed) => [
        f64(randomValues(numel(shape), seed), shape),
        f64(randomValues(numel(shape), seed + 1), shape),
        f64(randomValues(numel(shape), seed + 2, 0.1, 1), shape),
      ],
      make: () => (g, m, v) => {
        const state = [{ count: 2, mu: { w: m }, nu: { w: v } }, base[1]];
        const [u, next] = adamOpt.update({ w: g }, state as never) as unknown as [
          { w: Tensor },
          { mu: { w: Tensor }; nu: { w: Tensor } }[],
        ];
        return [u.w, next[0].mu.w, next[0].nu.w];
      },
    };
  }),
};
