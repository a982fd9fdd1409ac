/**
 * Function transforms of reverse-mode autodiff: `vjp`, `grad`,
 * `valueAndGrad` and `customVjp`, over pytrees of tensors. They compose
 * with `jvp` and `vmap` (`core/`): a tape belongs to the transformation
 * level current when it is made, and `customVjp` hands its rule to the
 * interpreter of its inputs (see `custom_vjp.ts`).
 *
 * @module
 */
import { checkOptions, formatValue, leafPaths } from "./checks.ts";
import { liftToCurrentLevel } from "./core/trace.ts";
import { isFloat } from "./dtype.ts";
import { add, astype } from "./ops/elementwise.ts";
import { full, onesLike, zerosLike } from "./ops/creation.ts";
import { alias } from "./ops/identity.ts";
import { Tape, type TapeEntry, type TensorInfo, tensorInfo, withTape } from "./tape.ts";
import { isTensor, type Tensor } from "./tensor.ts";
import { flatten, type PyTree, unflatten } from "./tree.ts";

export { alias, stopGradient } from "./ops/identity.ts";
export { customVjp } from "./custom_vjp.ts";

/**
 * Runs the backward pass of `tape` from `outputs` seeded with `cotangents`
 * and returns the accumulated cotangent of every tracked tensor by id.
 * Each entry leaves the tape once it has run, and each cotangent leaves the
 * result once the entry that produced its tensor has consumed it, so memory
 * shrinks as the pass goes (the entry's closure, and what it holds, can be
 * collected unless an outer tape recorded the same op).
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * import { Tape, withTape } from "./tape.ts";
 * const x = np.array([3]);
 * const tape = new Tape();
 * tape.watch([x]);
 * const y = withTape(tape, () => np.mul(x, x));
 * backpropagate(tape, [y], [np.ones([1])]).get(x.id); // [6]
 * ```
 */
export function backpropagate(
  tape: Tape,
  outputs: readonly { readonly id: number }[],
  cotangents: readonly (Tensor | null)[],
): Map<number, Tensor> {
  tape.closed = true;
  const grads = new Map<number, Tensor>();
  const accumulate = (id: number, g: Tensor) => {
    const prev = grads.get(id);
    grads.set(id, prev ? add(prev, g) : g);
  };
  outputs.forEach((o, i) => {
    const g = cotangents[i];
    if (g && tape.tracked.has(o.id)) accumulate(o.id, g);
  });
  for (let entry = tape.entries.pop(); entry !== undefined; entry = tape.entries.pop()) {
    backpropagateEntry(tape, entry, grads, accumulate);
  }
  return grads;
}

/**
 * Runs one entry's VJP: takes its outputs' cotangents out of `grads` and
 * accumulates its inputs'. A function of its own so that nothing of one
 * entry (its cotangents) stays reachable from the loop while the next runs.
 */
function backpropagateEntry(
  tape: Tape,
  entry: TapeEntry,
  grads: Map<number, Tensor>,
  accumulate: (id: number, g: Tensor) => void,
): void {
  let any = false;
  const cts = entry.outputs.map((id) => {
    const g = grads.get(id) ?? null;
    if (g) any = true;
    return g;
  });
  if (!any) return;
  for (const id of entry.outputs) grads.delete(id);
  const inCts = entry.vjp(cts, entry.inputs.map((inp) => tape.tracked.has(inp.id)));
  entry.inputs.forEach((inp, i) => {
    const g = inCts[i];
    if (g && tape.tracked.has(inp.id)) {
      if (g.dtype !== inp.dtype || g.shape.length !== inp.shape.length || g.shape.some((d, k) => d !== inp.shape[k])) {
        throw new Error(`internal: cotangent [${g.shape}] ${g.dtype} does not match input [${inp.shape}] ${inp.dtype}`);
      }
      accumulate(inp.id, g);
    }
  });
}

/** The result of {@link vjp}: the output and a function from output cotangents to input cotangents. */
export type VjpResult<O> = [O, (cotangent: PyTree<Tensor>) => PyTree<Tensor>[]];

/**
 * Evaluates `f(...primals)` and returns its output with a function that maps
 * a cotangent of the output (same pytree structure) to cotangents of every
 * primal argument.
 *
 * @example
 * ```ts
 * import { np, type Tensor } from "./mod.ts";
 * const [y, back] = vjp((x: Tensor) => np.mul(x, x), np.array([3])); // y = [9]
 * back(np.array([1]))[0]; // [6]
 * ```
 */
// deno-lint-ignore no-explicit-any
export function vjp<O extends PyTree<Tensor>>(f: (...args: any[]) => O, ...primals: PyTree[]): VjpResult<O> {
  return traced(f, primals, true);
}

/** {@link vjp}, saying whether the caller may run the backward function later (see {@link Tape.backwardLater}). */
// deno-lint-ignore no-explicit-any
function traced<O extends PyTree<Tensor>>(f: (...args: any[]) => O, primals: PyTree[], later: boolean): VjpResult<O> {
  const tape = new Tape();
  tape.backwardLater = later;
  const defs = primals.map((p) => flatten(p));
  const aliased = defs.map(([ls]) => ls.map((l) => (isTensor(l) ? liftToCurrentLevel(alias(l)) : l)));
  for (const ls of aliased) tape.watch(ls.filter(isTensor).filter((t) => isFloat(t.dtype)));
  const args = defs.map(([, def], i) => unflatten(def, aliased[i]));
  const out = withTape(tape, () => f(...args));
  const [outLeaves, outDef] = flatten(out);
  // Only what the backward function checks and seeds: the outputs' storage is the caller's to keep or drop.
  const outInfo: TensorInfo[] = outLeaves.map((l, i) => {
    if (!isTensor(l)) throw new TypeError(`vjp: output leaf ${i} is ${typeof l}, not a Tensor`);
    return tensorInfo(l);
  });
  let used = false;
  const back = (cotangent: PyTree<Tensor>): PyTree<Tensor>[] => {
    if (used) throw new Error("vjp: the backward function can be called only once");
    used = true;
    const [ctLeaves, ctDef] = flatten(cotangent);
    if (JSON.stringify(ctDef) !== JSON.stringify(outDef)) {
      throw new TypeError("vjp: cotangent structure does not match the output structure");
    }
    ctLeaves.forEach((c, i) => {
      const o = outInfo[i];
      if (!isTensor(c) || c.shape.join() !== o.shape.join()) {
        throw new TypeError(
          `vjp: cotangent ${i} must be a Tensor of shape [${o.shape}], got ${isTensor(c) ? `[${c.shape}]` : typeof c}`,
        );
      }
    });
    // A cotangent of another float dtype is converted (a float32 seed for a float64 output, say).
    const seeds = (ctLeaves as Tensor[]).map((
      c,
      i,
    ) => (c.dtype === outInfo[i].dtype ? c : astype(c, outInfo[i].dtype)));
    const grads = backpropagate(tape, outInfo, seeds);
    return defs.map(([, def], i) =>
      unflatten(
        def,
        aliased[i].map((l) => (isTensor(l) ? grads.get(l.id) ?? zerosLike(l) : l)),
      ) as PyTree<Tensor>
    );
  };
  return [out, back];
}

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0). An array gives an array of gradients. */
  argnums?: number | readonly number[];
  /** `f` returns `[value, aux]`; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

function checkGradOptions(op: string, options: GradOptions): void {
  checkOptions(op, options, ["argnums", "hasAux"]);
  const { argnums = 0, hasAux = false } = options;
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  if (
    !Array.isArray(nums) || nums.length === 0 || new Set(nums).size !== nums.length ||
    !nums.every((n) => Number.isInteger(n) && n >= 0)
  ) {
    throw new TypeError(
      `${op}: argnums must be a non-negative integer or a non-empty array of distinct ones, got ${
        formatValue(argnums)
      }`,
    );
  }
  if (typeof hasAux !== "boolean") throw new TypeError(`${op}: hasAux must be a boolean, got ${formatValue(hasAux)}`);
}

/**
 * A differentiated argument with its JS-number leaves made float32 scalar
 * tensors (differentiated, as JAX converts Python floats); any other leaf
 * that is not a tensor is an error naming the argument and the leaf.
 */
function differentiableArgument(op: string, argnum: number, arg: PyTree): PyTree {
  const [leaves, def] = flatten(arg);
  if (leaves.every(isTensor)) return arg;
  const paths = leafPaths(def);
  return unflatten(
    def,
    leaves.map((l, i) => {
      if (isTensor(l)) return l;
      if (typeof l === "number") return full([], l, { dtype: "float32" });
      const where = paths[i] === "<root>" ? "" : ` at ${paths[i]}`;
      throw new TypeError(
        `${op}: argument ${argnum} is differentiated, but its leaf${where} is ${formatValue(l)}: ` +
          `leaves must be float Tensors (or numbers, taken as float32 scalars)`,
      );
    }),
  );
}

function checkScalar(op: string, v: unknown): Tensor {
  if (!isTensor(v) || v.size !== 1 || !isFloat(v.dtype)) {
    const desc = isTensor(v) ? `shape [${v.shape}] ${v.dtype}` : typeof v;
    throw new TypeError(`${op}: the function must return a float scalar tensor, got ${desc}`);
  }
  return v;
}

/**
 * `valueAndGrad(f)(...args)` returns `[value, grads]` (with `hasAux`,
 * `[[value, aux], grads]`); `grads` has the structure of the differentiated
 * argument(s). A JS number among the differentiated leaves is taken as a
 * float32 scalar and gets a float32 scalar Tensor as its gradient; any
 * other non-tensor leaf there (a string, a boolean) is an error.
 *
 * @example
 * ```ts
 * import { np, type Tensor } from "./mod.ts";
 * const params = { w: np.array([1, 2]) }, x = np.array([3, 4]);
 * const loss = (p: { w: Tensor }, x: Tensor) => np.sum(np.square(np.mul(p.w, x)));
 * const [value, g] = valueAndGrad(loss)(params, x); // 73, { w: [18, 64] }
 * const [, [gp, gx]] = valueAndGrad(loss, { argnums: [0, 1] })(params, x);
 * ```
 */
export function valueAndGrad(
  // deno-lint-ignore no-explicit-any
  f: (...args: any[]) => any,
  options: GradOptions = {},
  // deno-lint-ignore no-explicit-any
): (...args: any[]) => [any, any] {
  checkGradOptions("valueAndGrad", options);
  const { argnums = 0, hasAux = false } = options;
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  // deno-lint-ignore no-explicit-any
  return (...args: any[]) => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new RangeError(`grad: argnums ${n} is out of range for ${args.length} arguments`);
      }
    }
    let aux: unknown;
    let value: Tensor | undefined;
    // The backward function runs right away, under the tapes that record the forward pass.
    const [, back] = traced(
      (...diffArgs: PyTree[]) => {
        const full = args.slice();
        nums.forEach((n, i) => (full[n] = diffArgs[i]));
        const r = f(...full);
        if (hasAux) {
          if (!Array.isArray(r) || r.length !== 2) {
            throw new TypeError("grad: with hasAux the function must return [value, aux]");
          }
          aux = r[1];
          value = checkScalar("grad", r[0]);
        } else {
          value = checkScalar("grad", r);
        }
        return value;
      },
      nums.map((n) => differentiableArgument("grad", n, args[n])),
      false,
    );
    const grads = back(onesLike(value!));
    const g = typeof argnums === "number" ? grads[0] : grads;
    return [hasAux ? [value, aux] : value, g];
  };
}

/**
 * `grad(f)(...args)` returns the gradient of the scalar `f` with respect to
 * the first argument (or `argnums`); with `hasAux`, `[grads, aux]`. Number
 * leaves are differentiated as float32 scalars: `grad((x) => np.mul(x, x))(3)`
 * is a float32 scalar Tensor holding 6.
 *
 * @example
 * ```ts
 * import { np, type Tensor } from "./mod.ts";
 * const df = grad((x: Tensor) => np.sum(np.square(x)));
 * df(np.array([1, 2])); // [2, 4]
 * ```
 */
// deno-lint-ignore no-explicit-any
export function grad(f: (...args: any[]) => any, options: GradOptions = {}): (...args: any[]) => any {
  checkGradOptions("grad", options);
  const vg = valueAndGrad(f, options);
  // deno-lint-ignore no-explicit-any
  return (...args: any[]) => {
    const [v, g] = vg(...args);
    return options.hasAux ? [g, v[1]] : g;
  };
}
