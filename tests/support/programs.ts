/**
 * Random compositions of ops for the transformation tests: a small program
 * drawn from a seed (unary math, broadcasting binaries against new
 * arguments, reductions, products, shape ops, indexing, windows, softmax)
 * over float64 arguments, with a pytree output. `smooth` programs avoid
 * kinks (max, where, abs), so that central differences and Hessians apply.
 */
import { np, type Tensor } from "../../mod.ts";
import { numel, randomValues, rng } from "./arbitraries.ts";

/** A drawn program: its arguments' shapes and the function. */
export interface Program {
  /** One line per step, for failure messages. */
  readonly label: string;
  /** Shapes of the arguments (all float64). */
  readonly argShapes: readonly number[][];
  /** The program: arguments to a pytree of tensors (one tensor, an array or an object). */
  readonly run: (...args: Tensor[]) => Tensor | Tensor[] | Record<string, Tensor>;
  /** Whether its output is one scalar (`sum` at the end). */
  readonly scalar: boolean;
}

/** Options of {@link randomProgram}. */
export interface ProgramOptions {
  /** Only smooth ops (no max, where, abs). */
  readonly smooth?: boolean;
  /** Reduce to one scalar at the end. */
  readonly scalar?: boolean;
  /** Most steps. */
  readonly steps?: number;
}

type Step = (vals: Tensor[]) => Tensor;

function intIn(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/**
 * A random program from `seed`. Every step maps the current value (the
 * first argument to begin with) to the next, possibly reading a new
 * argument; shapes stay small (rank <= 3, axes <= 3).
 */
export function randomProgram(seed: number, options: ProgramOptions = {}): Program {
  const r = rng(seed);
  const smooth = options.smooth ?? false;
  const argShapes: number[][] = [];
  const newArg = (shape: number[]) => {
    argShapes.push(shape);
    return argShapes.length - 1;
  };
  let shape = Array.from({ length: intIn(r, 1, 2) }, () => intIn(r, 1, 3));
  newArg(shape);
  const steps: Step[] = [];
  const labels: string[] = [`x0 [${shape}]`];
  const add = (label: string, step: Step, next: number[]) => {
    labels.push(`${label} -> [${next}]`);
    steps.push(step);
    shape = next;
  };
  const nSteps = intIn(r, 2, options.steps ?? 5);
  const unary: [string, (x: Tensor) => Tensor][] = [
    ["sin", np.sin],
    ["tanh", np.tanh],
    ["exp(x/2)", (x) => np.exp(np.mul(x, 0.5))],
    ["square", np.square],
    ["sigmoid", np.sigmoid],
    ["log1p(x^2)", (x) => np.log1p(np.square(x))],
    ["erf", np.erf],
    ["cos", np.cos],
  ];
  for (let i = 0; i < nSteps; i++) {
    const rank = shape.length, size = numel(shape);
    const kind = r();
    if (kind < 0.2) {
      const [name, f] = unary[intIn(r, 0, unary.length - 1)];
      add(name, (v) => f(v[0]), shape);
    } else if (kind < 0.38) {
      // A binary op against a new argument that broadcasts with the value (sometimes widening it).
      const widen = rank < 3 && size < 12 && r() < 0.3;
      const other = widen ? [intIn(r, 2, 3), ...shape] : shape.slice(intIn(r, 0, rank)).map((d) => (r() < 0.3 ? 1 : d));
      const k = newArg(other);
      const out = widen ? other : shape;
      const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
        ["add", np.add],
        ["mul", np.mul],
        ["sub", np.sub],
        ["a / (2 + b^2)", (a, b) => np.div(a, np.add(2, np.square(b)))],
      ];
      const [name, f] = ops[intIn(r, 0, ops.length - 1)];
      add(`${name} x${k} [${other}]`, (v) => f(v[0], v[k]), out);
    } else if (kind < 0.5 && rank >= 1) {
      const axis = intIn(r, 0, rank - 1), keep = r() < 0.5;
      const ops: [string, (x: Tensor, a: number, k: boolean) => Tensor][] = smooth
        ? [["sum", np.sum], ["logsumexp", np.logsumexp], ["mean", np.mean], ["prod", np.prod]]
        : [["sum", np.sum], ["max", np.max], ["min", np.min], ["prod", np.prod], ["logsumexp", np.logsumexp]];
      const [name, f] = ops[intIn(r, 0, ops.length - 1)];
      const next = keep ? shape.map((d, j) => (j === axis ? 1 : d)) : shape.filter((_, j) => j !== axis);
      add(`${name} axis ${axis} keepdims ${keep}`, (v) => f(v[0], axis, keep), next);
    } else if (kind < 0.6 && rank >= 1) {
      const n = intIn(r, 1, 3);
      const k = newArg([shape[rank - 1], n]);
      add(`matmul x${k} [${shape[rank - 1]},${n}]`, (v) => np.matmul(v[0], v[k]), [...shape.slice(0, -1), n]);
    } else if (kind < 0.66 && rank >= 2) {
      const perm = shape.map((_, j) => j).reverse();
      add(`transpose`, (v) => np.transpose(v[0]), perm.map((p) => shape[p]));
    } else if (kind < 0.72) {
      const to = r() < 0.5 ? [size] : [1, ...shape];
      add(`reshape`, (v) => np.reshape(v[0], to), to);
    } else if (kind < 0.78 && rank >= 1 && shape[rank - 1] >= 2) {
      const d = shape[rank - 1];
      const starts = shape.map((_, j) => (j === rank - 1 ? 1 : 0));
      const limits = shape.slice();
      add(`slice last axis 1:`, (v) => np.slice(v[0], starts, limits), [...shape.slice(0, -1), d - 1]);
    } else if (kind < 0.82 && rank >= 1) {
      const widths = shape.map((): [number, number] => [intIn(r, 0, 1), intIn(r, 0, 1)]);
      add(
        `pad ${JSON.stringify(widths)}`,
        (v) => np.pad(v[0], widths),
        shape.map((d, j) => d + widths[j][0] + widths[j][1]),
      );
    } else if (kind < 0.86 && rank >= 1) {
      const axis = intIn(r, 0, rank - 1);
      add(
        `concatenate [x, sin(x)] axis ${axis}`,
        (v) => np.concatenate([v[0], np.sin(v[0])], axis),
        shape.map((d, j) => (j === axis ? 2 * d : d)),
      );
    } else if (kind < 0.9 && rank >= 1) {
      const axis = intIn(r, 0, rank - 1);
      const idx = Array.from({ length: intIn(r, 1, 3) }, () => intIn(r, -shape[axis], shape[axis] - 1));
      add(
        `take ${JSON.stringify(idx)} axis ${axis}`,
        (v) => np.take(v[0], idx, axis),
        shape.map((d, j) => (j === axis ? idx.length : d)),
      );
    } else if (kind < 0.94 && rank >= 1) {
      const axis = intIn(r, 0, rank - 1);
      add(`softmax axis ${axis}`, (v) => np.softmax(v[0], axis), shape);
    } else if (kind < 0.97 && rank >= 1) {
      const window = shape.map((d) => intIn(r, 1, Math.min(2, d)));
      const op = smooth || r() < 0.5 ? "sum" as const : "max" as const;
      const out = shape.map((d, j) => d - window[j] + 1);
      add(`reduceWindow ${op} ${JSON.stringify(window)}`, (v) => np.reduceWindow(v[0], { op, window }), out);
    } else if (!smooth) {
      add(`where(x > 0, x, 0.3 x)`, (v) => np.where(np.greater(v[0], 0), v[0], np.mul(v[0], 0.3)), shape);
    } else {
      add(`x * sin(x)`, (v) => np.mul(v[0], np.sin(v[0])), shape);
    }
  }
  const scalar = options.scalar ?? false;
  const outKind = scalar ? 0 : intIn(r, 0, 2);
  const run = (...args: Tensor[]) => {
    const vals = args.slice();
    for (const step of steps) vals[0] = step(vals);
    const y = vals[0];
    if (scalar) return np.sum(y);
    if (outKind === 0) return y;
    if (outKind === 1) return [y, np.sum(np.square(args[0]))];
    return { y, z: np.tanh(args[argShapes.length - 1]) };
  };
  return { label: labels.join("; "), argShapes, run, scalar };
}

/** Float64 arguments of a program for a seed. */
export function programArgs(p: Program, seed: number): Tensor[] {
  return p.argShapes.map((s, k) => np.array(randomValues(numel(s), seed + k), { shape: s, dtype: "float64" }));
}
