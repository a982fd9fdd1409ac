/**
 * A cell's step in tensor ops: its expressions evaluated on tensors, each
 * operation an op, so that the step runs on every backend and is
 * differentiable to any order. This is the per-step path of a neuron
 * model, the composition of the fused sequence primitive, and the
 * reference the fused kernels are tested against.
 *
 * @module
 */
import type { DType } from "../dtype.ts";
import { full } from "../ops/creation.ts";
import { astype, equal, where } from "../ops/elementwise.ts";
import * as ops from "../ops/elementwise.ts";
import { reshape, transpose } from "../ops/layout.ts";
import { matmul } from "../ops/linalg.ts";
import type { Tensor } from "../tensor.ts";
import { type Cell, FB, THRESHOLD, X } from "./cell.ts";
import type { BinaryExprOp, Expr, UnaryExprOp } from "./expr.ts";

/** What one step reads. */
export interface StepInputs {
  /** State parts before the step, in the cell's order (`[B, N]` or any shape ending in the neurons). */
  readonly state: readonly Tensor[];
  /** Parameters, in the cell's order (broadcast against the state). */
  readonly params: readonly Tensor[];
  /** The step's input. */
  readonly x: Tensor;
  /** Recurrent weights `[G, Ng, Ng]` (block-diagonal groups of neurons), for recurrent cells. */
  readonly w: Tensor | null;
  /** The firing threshold. */
  readonly threshold: number;
  /** The spike function with its surrogate gradient (for spiking cells). */
  readonly spike: ((u: Tensor) => Tensor) | null;
  /** The float dtype every value is computed in. */
  readonly dtype: DType;
}

const UNARY: Record<UnaryExprOp, (a: Tensor) => Tensor> = {
  neg: ops.neg,
  abs: ops.abs,
  exp: ops.exp,
  log: ops.log,
  tanh: ops.tanh,
  sigmoid: ops.sigmoid,
  sqrt: ops.sqrt,
};

const BINARY: Record<BinaryExprOp, (a: Tensor, b: Tensor) => Tensor> = {
  add: ops.add,
  sub: ops.sub,
  mul: ops.mul,
  div: ops.div,
  max: ops.maximum,
  min: ops.minimum,
  gt: ops.greater,
  lt: ops.less,
  ge: ops.greaterEqual,
  le: ops.lessEqual,
};

/**
 * The feedback `S @ w` of spikes `[B, G*Ng]` through block-diagonal
 * weights `[G, Ng, Ng]`.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * groupedFeedback(np.ones([2, 3]), np.reshape(np.eye(3), [1, 3, 3])); // ones [2, 3]
 * ```
 */
export function groupedFeedback(s: Tensor, w: Tensor): Tensor {
  const [G, Ng] = w.shape;
  if (G === 1) return matmul(s, reshape(w, [Ng, Ng]));
  const lead = s.shape.slice(0, -1);
  const grouped = transpose(reshape(s, [-1, G, Ng]), [1, 0, 2]);
  return reshape(transpose(matmul(grouped, w), [1, 0, 2]), [...lead, G * Ng]);
}

/**
 * Evaluates expressions on tensors, one op per node: `symbol(name)` gives
 * each symbol's tensor (asked once, on first use), constants are scalars
 * of `dtype`, comparisons give 0 or 1 in `dtype`, and `spike(u)` is
 * `spike(u)` (the spike function with its surrogate gradient). `values`
 * memoises nodes, and may be shared by several evaluations of one graph.
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * import { symbol } from "./expr.ts";
 * const u = symbol("u");
 * evaluateOnTensors([u.abs().mul(2)], () => np.array([-1, 3]), "float32", null)[0]; // [2, 6]
 * ```
 */
export function evaluateOnTensors(
  roots: readonly Expr[],
  symbol: (name: string) => Tensor,
  dtype: DType,
  spike: ((u: Tensor) => Tensor) | null,
  values: Map<Expr, Tensor> = new Map(),
): Tensor[] {
  const value = (e: Expr): Tensor => {
    let v = values.get(e);
    if (v !== undefined) return v;
    const n = e.node;
    switch (n.kind) {
      case "const":
        v = full([], n.value, { dtype });
        break;
      case "symbol":
        v = symbol(n.name);
        break;
      case "unary":
        v = UNARY[n.op](value(n.a));
        break;
      case "binary": {
        const r = BINARY[n.op](value(n.a), value(n.b));
        v = r.dtype === "bool" ? astype(r, dtype) : r;
        break;
      }
      case "select":
        v = where(equal(value(n.cond), 0), value(n.b), value(n.a));
        break;
      case "spike":
        if (spike === null) throw new Error("cell expression: a spike needs a spike function");
        v = spike(value(n.u));
        break;
    }
    values.set(e, v);
    return v;
  };
  return roots.map(value);
}

/**
 * One step of `cell`: `[output, next state parts]`.
 *
 * @example
 * ```ts
 * import { axn, np } from "../../mod.ts";
 * import { LIF_CELL } from "../../nn/neurons/lif.ts";
 * const [s, [v]] = cellStep(LIF_CELL, {
 *   state: [np.array([1.5])], params: [np.array([0.5])], x: np.array([0.5]), w: null,
 *   threshold: 1, spike: axn.superspike(), dtype: "float32",
 * }); // s = [1], v = [0.25]
 * ```
 */
export function cellStep(cell: Cell, inputs: StepInputs): [Tensor, Tensor[]] {
  const { spec } = cell;
  const symbols = new Map<string, () => Tensor>([
    [X, () => inputs.x],
    [THRESHOLD, () => full([], inputs.threshold, { dtype: inputs.dtype })],
    // The feedback reads the step's spikes: evaluated (once, memoised) through the spike node.
    [FB, () => groupedFeedback(spikes(), inputs.w!)],
  ]);
  spec.state.forEach((n, k) => symbols.set(cell.stateSymbol(n), () => inputs.state[k]));
  spec.params.forEach((n, k) => symbols.set(cell.paramSymbol(n), () => inputs.params[k]));
  const symbol = (name: string) => {
    const get = symbols.get(name);
    if (get === undefined) throw new Error(`${spec.name}: no value for symbol "${name}" in a forward step`);
    return get();
  };
  const memo = new Map<Expr, Tensor>();
  const spikes = () => evaluateOnTensors([cell.spike!], symbol, inputs.dtype, inputs.spike, memo)[0];
  const [output, ...next] = evaluateOnTensors([cell.output, ...cell.next], symbol, inputs.dtype, inputs.spike, memo);
  return [output, next];
}
