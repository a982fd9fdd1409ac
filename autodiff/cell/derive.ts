/**
 * Symbolic reverse-mode differentiation of expression graphs: from the
 * roots of a cell's step and a cotangent expression for each root, the
 * expression of the cotangent of every symbol. A `spike` node's derivative
 * is the surrogate `s(u)` the cell is called with.
 *
 * @module
 */
import { constant, type Expr, operands, select, topologicalOrder } from "./expr.ts";

/** A surrogate derivative as an expression of the spike's argument `u`. */
export type SurrogateExpr = (u: Expr) => Expr;

/** Options of {@link derive}. */
export interface DeriveOptions {
  /** The derivative of `spike(u)` with respect to `u`. */
  readonly surrogate: SurrogateExpr;
  /** An extra cotangent added to every spike node's (how a recurrent cell's feedback reaches its spikes). */
  readonly spikeCotangent?: Expr;
}

function sum(a: Expr | undefined, b: Expr): Expr {
  return a === undefined ? b : a.add(b);
}

/**
 * The cotangent of each symbol in `wrt` (`null` where it has none), given
 * the cotangent `seeds[i]` of each `roots[i]`.
 *
 * @example
 * ```ts
 * import { constant, symbol } from "./expr.ts";
 * const [v, g] = [symbol("v"), symbol("g")];
 * derive([v.mul(v)], [g], ["v"], { surrogate: () => constant(1) }).get("v"); // g*v + g*v
 * ```
 */
export function derive(
  roots: readonly Expr[],
  seeds: readonly Expr[],
  wrt: readonly string[],
  options: DeriveOptions,
): Map<string, Expr | null> {
  const adjoint = new Map<Expr, Expr>();
  roots.forEach((r, i) => adjoint.set(r, sum(adjoint.get(r), seeds[i])));
  const order = topologicalOrder(roots);
  for (let k = order.length - 1; k >= 0; k--) {
    const e = order[k];
    let g = adjoint.get(e);
    if (e.node.kind === "spike" && options.spikeCotangent !== undefined) g = sum(g, options.spikeCotangent);
    if (g === undefined) continue;
    const parts = localCotangents(e, g, options.surrogate);
    operands(e).forEach((o, i) => {
      const c = parts[i];
      if (c !== null) adjoint.set(o, sum(adjoint.get(o), c));
    });
  }
  const out = new Map<string, Expr | null>();
  for (const name of wrt) {
    const node = order.find((e) => e.node.kind === "symbol" && e.node.name === name);
    out.set(name, node === undefined ? null : adjoint.get(node) ?? null);
  }
  return out;
}

/** The cotangent of each operand of `e` given `e`'s cotangent `g` (`null`: zero). */
function localCotangents(e: Expr, g: Expr, surrogate: SurrogateExpr): (Expr | null)[] {
  const n = e.node;
  switch (n.kind) {
    case "const":
    case "symbol":
      return [];
    case "spike":
      return [g.mul(surrogate(n.u))];
    case "select":
      return [null, select(n.cond, g, 0), select(n.cond, 0, g)];
    case "unary": {
      const a = n.a;
      switch (n.op) {
        case "neg":
          return [g.neg()];
        case "abs":
          return [select(a.gt(0), g, select(a.lt(0), g.neg(), 0))];
        case "exp":
          return [g.mul(e)];
        case "log":
          return [g.div(a)];
        case "tanh":
          return [g.mul(constant(1).sub(e.mul(e)))];
        case "sigmoid":
          return [g.mul(e.mul(constant(1).sub(e)))];
        case "sqrt":
          return [g.mul(0.5).div(e)];
      }
      break;
    }
    case "binary": {
      const { a, b } = n;
      switch (n.op) {
        case "add":
          return [g, g];
        case "sub":
          return [g, g.neg()];
        case "mul":
          return [g.mul(b), g.mul(a)];
        case "div":
          return [g.div(b), g.mul(e).div(b).neg()];
        case "max":
          return [tieSplit(g, a.gt(b), a.lt(b)), tieSplit(g, a.lt(b), a.gt(b))];
        case "min":
          return [tieSplit(g, a.lt(b), a.gt(b)), tieSplit(g, a.gt(b), a.lt(b))];
        case "gt":
        case "lt":
        case "ge":
        case "le":
          return [null, null];
      }
    }
  }
  throw new Error(`cell expression: no derivative for ${JSON.stringify(n)}`);
}

/** `g` where this operand wins, half of it at a tie (as the tensor ops split ties). */
function tieSplit(g: Expr, wins: Expr, loses: Expr): Expr {
  return select(wins, g, select(loses, 0, g.mul(0.5)));
}
