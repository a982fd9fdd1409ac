/**
 * Scalar expressions: the language in which a recurrent cell's step (a
 * neuron model) and a surrogate derivative are written once. Every backend
 * evaluates the same expression graph: as tensor ops (the per-step path),
 * as generated JavaScript or WebAssembly loops (CPU kernels), as WGSL (GPU
 * kernels); the backward pass is derived from it symbolically
 * (`derive.ts`).
 *
 * Nodes are hash-consed: building the same operation on the same operands
 * twice gives the same node, so common subexpressions are computed once
 * and derivatives that coincide are recognised as equal.
 *
 * Semantics are those of the tensor ops in the cell's float dtype: every
 * operation's result is rounded to the dtype; comparisons give 1 or 0;
 * `spike(u)` is `u > 0 ? 1 : 0` forward and the surrogate `s(u)` backward.
 *
 * @module
 */

/** Operations of one operand. */
export type UnaryExprOp = "neg" | "abs" | "exp" | "log" | "tanh" | "sigmoid" | "sqrt";
/** Operations of two operands (comparisons give 1 or 0). */
export type BinaryExprOp = "add" | "sub" | "mul" | "div" | "max" | "min" | "gt" | "lt" | "ge" | "le";

/** An expression node. Build them with the functions and methods of this module, not directly. */
export type ExprNode =
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "symbol"; readonly name: string }
  | { readonly kind: "unary"; readonly op: UnaryExprOp; readonly a: Expr }
  | { readonly kind: "binary"; readonly op: BinaryExprOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: "select"; readonly cond: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly kind: "spike"; readonly u: Expr };

/** What an operand may be: a node or a constant. */
export type ExprLike = Expr | number;

const table = new Map<string, Expr>();
let nextId = 0;

/** A node of a scalar expression graph, with methods to build on it. */
export class Expr {
  /** Unique id (creation order), used as the hash-consing key and by code generators. */
  readonly id: number;
  private constructor(readonly node: ExprNode) {
    this.id = nextId++;
  }

  /** The unique node for `node` (hash-consed). */
  static of(node: ExprNode): Expr {
    const key = keyOf(node);
    let e = table.get(key);
    if (e === undefined) table.set(key, e = new Expr(node));
    return e;
  }

  /** `this + b`. */
  add(b: ExprLike): Expr {
    return binary("add", this, b);
  }
  /** `this - b`. */
  sub(b: ExprLike): Expr {
    return binary("sub", this, b);
  }
  /** `this * b`. */
  mul(b: ExprLike): Expr {
    return binary("mul", this, b);
  }
  /** `this / b`. */
  div(b: ExprLike): Expr {
    return binary("div", this, b);
  }
  /** `max(this, b)`. */
  max(b: ExprLike): Expr {
    return binary("max", this, b);
  }
  /** `min(this, b)`. */
  min(b: ExprLike): Expr {
    return binary("min", this, b);
  }
  /** `this > b` (1 or 0). */
  gt(b: ExprLike): Expr {
    return binary("gt", this, b);
  }
  /** `this < b` (1 or 0). */
  lt(b: ExprLike): Expr {
    return binary("lt", this, b);
  }
  /** `-this`. */
  neg(): Expr {
    return unary("neg", this);
  }
  /** `|this|`. */
  abs(): Expr {
    return unary("abs", this);
  }
  /** `e^this`. */
  exp(): Expr {
    return unary("exp", this);
  }
  /** `this * this`. */
  square(): Expr {
    return this.mul(this);
  }
  /** `1 / this`. */
  reciprocal(): Expr {
    return constant(1).div(this);
  }
}

function keyOf(n: ExprNode): string {
  switch (n.kind) {
    case "const":
      return `c:${Object.is(n.value, -0) ? "-0" : n.value}`;
    case "symbol":
      return `s:${n.name}`;
    case "unary":
      return `u:${n.op}:${n.a.id}`;
    case "binary":
      return `b:${n.op}:${n.a.id}:${n.b.id}`;
    case "select":
      return `?:${n.cond.id}:${n.a.id}:${n.b.id}`;
    case "spike":
      return `spike:${n.u.id}`;
  }
}

/**
 * A constant.
 *
 * @example
 * ```ts
 * constant(0.5).node; // { kind: "const", value: 0.5 }
 * ```
 */
export function constant(value: number): Expr {
  if (typeof value !== "number") {
    throw new TypeError(`cell expression: a constant must be a number, got ${String(value)}`);
  }
  return Expr.of({ kind: "const", value });
}

/**
 * A named input of an expression (a state part, the cell's input, a
 * parameter, the threshold).
 *
 * @example
 * ```ts
 * symbol("v").add(1);
 * ```
 */
export function symbol(name: string): Expr {
  return Expr.of({ kind: "symbol", name });
}

/**
 * `x` as a node (numbers become constants).
 *
 * @example
 * ```ts
 * lift(2).node.kind; // "const"
 * ```
 */
export function lift(x: ExprLike): Expr {
  return typeof x === "number" ? constant(x) : x;
}

/**
 * An operation of one operand.
 *
 * @example
 * ```ts
 * unary("tanh", symbol("u"));
 * ```
 */
export function unary(op: UnaryExprOp, a: ExprLike): Expr {
  return Expr.of({ kind: "unary", op, a: lift(a) });
}

/**
 * An operation of two operands.
 *
 * @example
 * ```ts
 * binary("mul", symbol("beta"), symbol("v"));
 * ```
 */
export function binary(op: BinaryExprOp, a: ExprLike, b: ExprLike): Expr {
  return Expr.of({ kind: "binary", op, a: lift(a), b: lift(b) });
}

/**
 * `cond != 0 ? a : b`.
 *
 * @example
 * ```ts
 * const u = symbol("u");
 * select(u.abs().lt(1), 0.5, 0); // a boxcar
 * ```
 */
export function select(cond: ExprLike, a: ExprLike, b: ExprLike): Expr {
  return Expr.of({ kind: "select", cond: lift(cond), a: lift(a), b: lift(b) });
}

/**
 * A spike: `u > 0 ? 1 : 0` forward; backward, the cell's surrogate `s(u)`.
 *
 * @example
 * ```ts
 * spike(symbol("v").sub(symbol("thr")));
 * ```
 */
export function spike(u: ExprLike): Expr {
  return Expr.of({ kind: "spike", u: lift(u) });
}

/**
 * The operands of a node.
 *
 * @example
 * ```ts
 * operands(symbol("a").add(1)).length; // 2
 * ```
 */
export function operands(e: Expr): Expr[] {
  const n = e.node;
  switch (n.kind) {
    case "const":
    case "symbol":
      return [];
    case "unary":
      return [n.a];
    case "binary":
      return [n.a, n.b];
    case "select":
      return [n.cond, n.a, n.b];
    case "spike":
      return [n.u];
  }
}

/**
 * Every node reachable from `roots`, operands before users (a topological
 * order, deterministic).
 *
 * @example
 * ```ts
 * const v = symbol("v");
 * topologicalOrder([v.mul(v).add(1)]).length; // 4: v, v*v, 1, v*v + 1
 * ```
 */
export function topologicalOrder(roots: readonly Expr[]): Expr[] {
  const seen = new Set<Expr>();
  const out: Expr[] = [];
  const visit = (e: Expr) => {
    if (seen.has(e)) return;
    seen.add(e);
    for (const o of operands(e)) visit(o);
    out.push(e);
  };
  for (const r of roots) visit(r);
  return out;
}

/**
 * The names of the symbols an expression graph reads.
 *
 * @example
 * ```ts
 * symbolsOf([symbol("beta").mul(symbol("v"))]); // Set { "beta", "v" }
 * ```
 */
export function symbolsOf(roots: readonly Expr[]): Set<string> {
  const names = new Set<string>();
  for (const e of topologicalOrder(roots)) if (e.node.kind === "symbol") names.add(e.node.name);
  return names;
}

/**
 * Evaluates an expression graph on numbers, rounding every result with
 * `round` (`Math.fround` for float32): the reference the kernels are
 * tested against, and how a surrogate's scalar derivative is computed.
 * `surrogate` gives a spike's derivative where a derivative graph asks for
 * one (forward graphs only contain `spike` nodes, evaluated as steps).
 *
 * @example
 * ```ts
 * const v = symbol("v");
 * evaluate([v.mul(2).add(1)], { v: 3 })[0]; // 7
 * ```
 */
export function evaluate(
  roots: readonly Expr[],
  env: Readonly<Record<string, number>>,
  round: (x: number) => number = (x) => x,
): number[] {
  const value = new Map<Expr, number>();
  for (const e of topologicalOrder(roots)) {
    const n = e.node;
    let v: number;
    switch (n.kind) {
      case "const":
        v = round(n.value);
        break;
      case "symbol":
        if (!(n.name in env)) throw new Error(`cell expression: no value for symbol "${n.name}"`);
        v = round(env[n.name]);
        break;
      case "unary":
        v = round(UNARY_SCALAR[n.op](value.get(n.a)!));
        break;
      case "binary":
        v = round(BINARY_SCALAR[n.op](value.get(n.a)!, value.get(n.b)!));
        break;
      case "select":
        v = value.get(n.cond)! !== 0 ? value.get(n.a)! : value.get(n.b)!;
        break;
      case "spike":
        v = value.get(n.u)! > 0 ? 1 : 0;
        break;
    }
    value.set(e, v);
  }
  return roots.map((r) => value.get(r)!);
}

/** Each unary operation on numbers (the semantics every code generator reproduces). */
export const UNARY_SCALAR: Readonly<Record<UnaryExprOp, (a: number) => number>> = {
  neg: (a) => -a,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (a) => (a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a))),
  sqrt: Math.sqrt,
};

/** Each binary operation on numbers (NaN propagates through max and min, as in the tensor ops). */
export const BINARY_SCALAR: Readonly<Record<BinaryExprOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  min: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
};
