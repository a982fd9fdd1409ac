/**
 * `scan`, like `jax.lax.scan`: a loop over the leading axis of `xs` that
 * threads a carry. Under a gradient transform the loop is one tape entry:
 * the forward pass keeps only the carry at every step, and the backward pass
 * recomputes each step from its saved carry (rematerialisation), so memory
 * grows with `T × carry`, not with everything the body computes.
 *
 * Under `jvp` or `vmap` the loop runs as it is written, each step's
 * primitives transformed and recorded one by one (the rematerialising
 * entry belongs to plain evaluation, whose tapes it addresses by identity).
 *
 * @module
 */
import { atLevel, currentLevel, maxLevel } from "./core/trace.ts";
import { isFloat } from "./dtype.ts";
import { zeros, zerosLike } from "./ops/creation.ts";
import { add } from "./ops/elementwise.ts";
import { reshape, slice, stack } from "./ops/layout.ts";
import { activeTapes, noGrad, record, Tape, type TensorInfo, tensorInfo, type VjpFn, withTape } from "./tape.ts";
import { isTensor, type Tensor } from "./tensor.ts";
import { alias } from "./ops/identity.ts";
import { backpropagate } from "./transforms.ts";
import { flatten, type PyTree, type TreeDef, unflatten } from "./tree.ts";

/** Options of {@link scan}. */
export interface ScanOptions {
  /** Iterate from the last element to the first (outputs stay in input order). */
  reverse?: boolean;
  /** Number of steps when `xs` is `null`. */
  length?: number;
}

function tensorLeaves(op: string, what: string, tree: PyTree): [Tensor[], TreeDef] {
  const [ls, def] = flatten(tree);
  ls.forEach((l, i) => {
    if (!isTensor(l)) throw new TypeError(`${op}: leaf ${i} of ${what} is ${typeof l}, not a Tensor`);
  });
  return [ls as Tensor[], def];
}

/** Row `t` of every leaf, off the tape. */
function rowsAt(xLeaves: readonly Tensor[], t: number): Tensor[] {
  return noGrad(() => xLeaves.map((x) => row(x, t)));
}

type StepRunner = (c: Tensor[], xt: Tensor[]) => { ncLeaves: Tensor[]; yLeaves: Tensor[]; yDef: TreeDef };

/** One step of the body on leaves, with the carry's structure checked. */
function stepRunner<C, X, Y>(f: (carry: C, x: X) => [C, Y], carryDef: TreeDef, xDef: TreeDef): StepRunner {
  return (c, xt) => {
    const [nc, y] = f(unflatten(carryDef, c) as C, unflatten(xDef, xt) as X);
    const [ncLeaves, ncDef] = tensorLeaves("scan", "the returned carry", nc as PyTree);
    if (JSON.stringify(ncDef) !== JSON.stringify(carryDef)) {
      throw new TypeError("scan: the body must return a carry with the structure of init");
    }
    ncLeaves.forEach((l, i) => {
      if (l.shape.join() !== c[i].shape.join() || l.dtype !== c[i].dtype) {
        throw new TypeError(
          `scan: carry leaf ${i} changed from [${c[i].shape}] ${c[i].dtype} to [${l.shape}] ${l.dtype}`,
        );
      }
    });
    const [yLeaves, yDef] = tensorLeaves("scan", "the output y", y as PyTree);
    return { ncLeaves, yLeaves, yDef };
  };
}

/** What the backward pass of a scan reads: the saved carries, the inputs and the captures, never the outputs. */
interface ScanResiduals {
  runStep: StepRunner;
  carries: Tensor[][];
  xLeaves: Tensor[];
  captures: Tensor[];
  order: number[];
  carryInfo: TensorInfo[];
}

/**
 * The VJP of a scan: steps backwards, recomputing each step from its saved
 * carry under a tape of its own. Built apart from {@link scan} so that it
 * holds only {@link ScanResiduals} (a closure inside `scan` would keep the
 * per-step and stacked outputs alive through `scan`'s scope).
 */
function scanVjp(r: ScanResiduals): VjpFn {
  const { runStep, carries, xLeaves, captures, order, carryInfo } = r;
  const nc = carryInfo.length;
  return (cts) => {
    // Steps are recomputed off the outer tapes; when those record this backward pass, each step's is recorded too.
    const recorded = activeTapes().some((t) => !t.closed);
    // What the cotangents go through must then be recorded too: the outer tapes differentiate with respect to them.
    const onTapes = <T>(f: () => T): T => (recorded ? f() : noGrad(f));
    // The saved carries came from steps no outer tape saw; recorded, they are recomputed where the tapes see how
    // they depend on the initial carry, the inputs and the captures.
    const saved = recorded ? recomputeCarries(runStep, carries, xLeaves, order) : carries;
    let ctCarry = carryInfo.map((c, i) => cts[i] ?? zeros(c.shape, { dtype: c.dtype }));
    const ctYs = cts.slice(nc);
    const ctX: (Tensor | null)[][] = xLeaves.map(() => new Array(order.length).fill(null));
    const ctCaptures: (Tensor | null)[] = captures.map(() => null);
    for (let s = order.length - 1; s >= 0; s--) {
      const t = order[s];
      const c = saved[s].map(alias);
      const xt = rowsAt(xLeaves, t).map(alias);
      // The step is recomputed on plain values: its tape belongs to their level, also where this backward pass
      // runs under a transformation (a vmap of the pullback, as in jacrev), whose tracers then come in as seeds.
      const tape = atLevel(maxLevel([...c, ...xt, ...captures]), () => new Tape());
      tape.backwardLater = recorded;
      tape.watch([...c, ...xt.filter((x) => isFloat(x.dtype)), ...captures]);
      const step = withTape(tape, () => runStep(c, xt), !recorded);
      const seeds = [...ctCarry, ...step.yLeaves.map((_, k) => ctYs[k] && onTapes(() => row(ctYs[k]!, t)))];
      const grads = backpropagate(tape, [...step.ncLeaves, ...step.yLeaves], seeds);
      ctCarry = c.map((ci) => grads.get(ci.id) ?? zerosLike(ci));
      xt.forEach((x, k) => (ctX[k][t] = grads.get(x.id) ?? null));
      captures.forEach((cap, k) => {
        const g = grads.get(cap.id);
        if (g) ctCaptures[k] = ctCaptures[k] ? onTapes(() => add(ctCaptures[k]!, g)) : g;
      });
    }
    const xCts = xLeaves.map((x, k) =>
      ctX[k].some((g) => g) ? stack(ctX[k].map((g) => g ?? zerosLike(row(x, 0))), 0) : null
    );
    return [...ctCarry, ...xCts, ...ctCaptures];
  };
}

/** The carry before every step, recomputed from the first on the active tapes. */
function recomputeCarries(runStep: StepRunner, carries: Tensor[][], xLeaves: Tensor[], order: number[]): Tensor[][] {
  const out = [carries[0]];
  for (let s = 0; s + 1 < order.length; s++) out.push(runStep(out[s], rowsAt(xLeaves, order[s])).ncLeaves);
  return out;
}

function row(x: Tensor, t: number): Tensor {
  return reshape(
    slice(x, x.shape.map((_, i) => (i === 0 ? t : 0)), x.shape.map((d, i) => (i === 0 ? t + 1 : d))),
    x.shape.slice(1),
  );
}

/**
 * Scans `f(carry, x) -> [carry, y]` over the leading axis of `xs` and
 * returns `[finalCarry, ys]` with the `y`s stacked along a new leading axis.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const [total, partial] = scan((c, x) => [np.add(c, x), np.add(c, x)], np.zeros([]), np.arange(4));
 * // total = 6, partial = [0, 1, 3, 6]
 * ```
 */
export function scan<C extends PyTree<Tensor>, X extends PyTree<Tensor> | null, Y extends PyTree<Tensor>>(
  f: (carry: C, x: X) => [C, Y],
  init: C,
  xs: X,
  options: ScanOptions = {},
): [C, Y] {
  const [xLeaves, xDef] = xs === null ? [[], flatten(null)[1]] as [Tensor[], TreeDef] : tensorLeaves("scan", "xs", xs);
  const length = options.length ?? xLeaves[0]?.shape[0];
  if (length === undefined) throw new RangeError("scan: give xs or options.length");
  for (const x of xLeaves) {
    if (x.ndim === 0 || x.shape[0] !== length) {
      throw new RangeError(`scan: every leaf of xs needs leading axis ${length}, got shape [${x.shape}]`);
    }
  }
  const [initLeaves, carryDef] = tensorLeaves("scan", "init", init);
  const order = Array.from({ length }, (_, i) => (options.reverse ? length - 1 - i : i));
  const runStep = stepRunner(f, carryDef, xDef);
  if (currentLevel() > 0 || maxLevel([...initLeaves, ...xLeaves]) > 0) {
    return plainScan(runStep, initLeaves, xLeaves, order, carryDef) as [C, Y];
  }

  const outer = activeTapes().filter((tape) => !tape.closed);
  const differentiating = outer.length > 0;
  const capture = new Tape();
  capture.captureFrom = outer;
  const carries: Tensor[][] = [];
  let carry = initLeaves;
  const ys: Tensor[][] = new Array(length);
  let yDef: TreeDef | null = null;
  for (const t of order) {
    const xt = rowsAt(xLeaves, t);
    carries.push(carry);
    const step = differentiating
      ? withTape(capture, () => {
        capture.watch([...carry, ...xt]);
        const r = runStep(carry, xt);
        capture.entries.length = 0;
        // A closed-over tensor returned as is went through no op, so record() never saw it.
        for (const l of [...r.ncLeaves, ...r.yLeaves]) {
          if (!capture.tracked.has(l.id) && isFloat(l.dtype) && outer.some((o) => o.tracked.has(l.id))) {
            capture.tracked.add(l.id);
            capture.captures.push(l);
          }
        }
        return r;
      }, true)
      : runStep(carry, xt);
    carry = step.ncLeaves;
    ys[t] = step.yLeaves;
    yDef = step.yDef;
  }
  if (yDef === null) {
    throw new RangeError("scan: zero-length scans are not supported (cannot infer the output structure)");
  }
  const stacked = noGrad(() => ys[0].map((_, k) => stack(ys.map((y) => y[k]), 0)));
  const finalCarry = noGrad(() => carry.map((c) => alias(c)));
  if (differentiating) {
    const captures = capture.captures.slice();
    record(
      [...initLeaves, ...xLeaves, ...captures],
      [...finalCarry, ...stacked],
      scanVjp({ runStep, carries, xLeaves, captures, order, carryInfo: finalCarry.map(tensorInfo) }),
    );
  }
  return [unflatten(carryDef, finalCarry) as C, unflatten(yDef, stacked) as Y];
}

/** The loop as written, every step's ops on whatever transforms and tapes are active. */
function plainScan(
  runStep: StepRunner,
  init: Tensor[],
  xLeaves: Tensor[],
  order: number[],
  carryDef: TreeDef,
): [PyTree, PyTree] {
  let carry = init;
  const ys: Tensor[][] = new Array(order.length);
  let yDef: TreeDef | null = null;
  for (const t of order) {
    const step = runStep(carry, xLeaves.map((x) => row(x, t)));
    carry = step.ncLeaves;
    ys[t] = step.yLeaves;
    yDef = step.yDef;
  }
  if (yDef === null) {
    throw new RangeError("scan: zero-length scans are not supported (cannot infer the output structure)");
  }
  const stacked = ys[0].map((_, k) => stack(ys.map((y) => y[k]), 0));
  return [unflatten(carryDef, carry), unflatten(yDef, stacked)];
}
