/**
 * `cell`: recurrent cells written once as scalar expressions, the way every
 * neuron model is defined. `defineCell` takes a step written with the
 * expression methods (`v.mul(beta).add(x)`, `spike(u)`, `select(c, a, b)`);
 * `cellSequence` runs it over a sequence as one primitive, with a fused
 * forward and backward kernel generated for the backend (the backward
 * derived symbolically), and the per-step path in ops where needed. A
 * user-defined neuron written this way gets fused kernels on every backend,
 * as a user-defined surrogate written with `axn.surrogateActivation` does.
 *
 * @example
 * ```ts
 * import { axn, cell, np } from "../../mod.ts";
 * // A LIF whose reset is to zero: V' = beta*V*(1 - S) + x.
 * const RESET_LIF = cell.defineCell({
 *   name: "ResetLIF",
 *   state: ["v"],
 *   params: ["beta"],
 *   step: ({ state: { v }, params: { beta }, x, threshold }) => {
 *     const s = cell.spike(v.sub(threshold));
 *     return { next: { v: beta.mul(v).mul(cell.constant(1).sub(s)).add(x) }, output: s };
 *   },
 * });
 * const act = axn.superspike();
 * const [spikes, [v]] = cell.cellSequence(RESET_LIF, {
 *   xs: np.full([4, 1, 2], 0.6), state: [np.zeros([1, 2])], params: [np.array(0.9)], neurons: [2],
 *   surrogate: act.surrogate!.expr, spike: act, threshold: 1,
 * });
 * ```
 *
 * @module
 */
export { Cell, type CellBackward, type CellSpec, defineCell, type StepResult, type StepSymbols } from "./cell.ts";
export {
  binary,
  type BinaryExprOp,
  constant,
  evaluate,
  Expr,
  type ExprLike,
  select,
  spike,
  symbol,
  unary,
  type UnaryExprOp,
} from "./expr.ts";
export type { SurrogateExpr } from "./derive.ts";
export { CELL_SEQUENCE, CELL_SEQUENCE_BACKWARD, type CellCall, cellSequence } from "./sequence.ts";
export { cellStep, evaluateOnTensors } from "./step_ops.ts";
