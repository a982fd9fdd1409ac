/**
 * Cells: an element-wise recurrent step written once as expressions
 * (`expr.ts`), from which every path is derived. A neuron model is a cell:
 * its state parts (`v`, or `v` and `a`), its parameters (`beta`, ...), its
 * step from the old state, the input `x` (and, for a recurrent cell, the
 * feedback `fb = S @ w` of its spikes) to the new state and the output.
 * `defineCell` checks the step and works out what its backward pass needs:
 * the cotangent of every symbol, derived symbolically for each surrogate,
 * and which values of the forward pass it reads (its residuals).
 *
 * @module
 */
import { derive, type SurrogateExpr } from "./derive.ts";
import { type Expr, type ExprLike, lift, symbol, symbolsOf, topologicalOrder } from "./expr.ts";

/** The symbols a cell's step is written with. */
export interface StepSymbols {
  /** The state before the step, by part name. */
  readonly state: Readonly<Record<string, Expr>>;
  /** The parameters (one value per neuron), by name. */
  readonly params: Readonly<Record<string, Expr>>;
  /** The input of this step. */
  readonly x: Expr;
  /** The recurrent feedback `S @ w` of this step's spikes (recurrent cells only). */
  readonly fb: Expr;
  /** The firing threshold (a constant of the call). */
  readonly threshold: Expr;
}

/** What a cell's step returns: the next value of each state part, and the output. */
export interface StepResult {
  readonly next: Readonly<Record<string, ExprLike>>;
  readonly output: ExprLike;
}

/** A cell's description (see {@link defineCell}). */
export interface CellSpec {
  /** The cell's name (a neuron model's class name), used in errors and kernel caches. */
  readonly name: string;
  /** Names of the state parts, in their packed order (`["v"]`, `["v", "a"]`). */
  readonly state: readonly string[];
  /** Names of the learnable parameters, one value per neuron each. */
  readonly params: readonly string[];
  /** Whether the step reads `fb`, the feedback `S @ w` of its own spikes through weights `w`. */
  readonly recurrent?: boolean;
  /** The step, written once with the given symbols. */
  step(symbols: StepSymbols): StepResult;
}

/** The backward pass of a cell for one surrogate: the cotangent expressions. */
export interface CellBackward {
  /** Cotangent of each state part before the step (the carried cotangent, in state order). */
  readonly state: readonly (Expr | null)[];
  /** Cotangent of the input. */
  readonly x: Expr | null;
  /** Cotangent of the feedback (recurrent cells). */
  readonly fb: Expr | null;
  /** Cotangent of each parameter, in parameter order. */
  readonly params: readonly (Expr | null)[];
  /** Names of the forward values the expressions read per step (state parts, `x`, `fb`). */
  readonly residuals: readonly string[];
}

/** Symbol names used by the derived expressions besides the cell's own. */
export const GY = "@gy", GSFB = "@gsfb", THRESHOLD = "@thr", X = "@x", FB = "@fb";

/** The carried cotangent of state part `name`. */
export function lambdaOf(name: string): string {
  return `@lam_${name}`;
}

/** A defined cell. */
export class Cell {
  /** The description it was defined from. */
  readonly spec: CellSpec;
  /** The next value of each state part, in state order. */
  readonly next: readonly Expr[];
  /** The output. */
  readonly output: Expr;
  /** The spike node of a recurrent cell (its feedback's source). */
  readonly spike: Expr | null;
  readonly #backward = new Map<number, CellBackward>();

  constructor(spec: CellSpec) {
    this.spec = spec;
    const sym = (prefix: string) => (n: string) => [n, symbol(`${prefix}${n}`)] as const;
    const result = spec.step({
      state: Object.fromEntries(spec.state.map(sym("state:"))),
      params: Object.fromEntries(spec.params.map(sym("param:"))),
      x: symbol(X),
      fb: symbol(FB),
      threshold: symbol(THRESHOLD),
    });
    const missing = spec.state.filter((n) => !(n in result.next));
    if (missing.length > 0) throw new Error(`${spec.name}: the step gives no next value for state [${missing}]`);
    this.next = spec.state.map((n) => lift(result.next[n]));
    this.output = lift(result.output);
    const spikes = topologicalOrder([this.output, ...this.next]).filter((e) => e.node.kind === "spike");
    for (const s of spikes) {
      const reads = symbolsOf([s]);
      if (reads.has(X) || reads.has(FB)) {
        throw new Error(`${spec.name}: a spike may read only the state, parameters and threshold, not x or fb`);
      }
    }
    if (spec.recurrent && spikes.length !== 1) {
      throw new Error(`${spec.name}: a recurrent cell needs exactly one spike (its feedback), found ${spikes.length}`);
    }
    if (!spec.recurrent && symbolsOf([this.output, ...this.next]).has(FB)) {
      throw new Error(`${spec.name}: the step reads fb but the cell is not recurrent`);
    }
    this.spike = spec.recurrent ? spikes[0] : null;
  }

  /** The name of the symbol of state part `name`. */
  stateSymbol(name: string): string {
    return `state:${name}`;
  }

  /** The name of the symbol of parameter `name`. */
  paramSymbol(name: string): string {
    return `param:${name}`;
  }

  /** Whether the step contains spikes (else a surrogate is never read). */
  get spiking(): boolean {
    return topologicalOrder([this.output, ...this.next]).some((e) => e.node.kind === "spike");
  }

  /**
   * The backward pass for a surrogate (`null` for a cell without spikes),
   * derived once per distinct surrogate formula (cached by the identity of
   * its hash-consed expression).
   */
  backward(surrogate: SurrogateExpr | null): CellBackward {
    if (surrogate === null && this.spiking) throw new Error(`${this.spec.name}: a spiking cell needs a surrogate`);
    const key = surrogate === null ? -1 : surrogate(symbol("@u")).id;
    let b = this.#backward.get(key);
    if (b === undefined) this.#backward.set(key, b = this.derive(surrogate ?? noSurrogate));
    return b;
  }

  private derive(surrogate: SurrogateExpr): CellBackward {
    const { state, params } = this.spec;
    const stateNames = state.map((n) => this.stateSymbol(n));
    const paramNames = params.map((n) => this.paramSymbol(n));
    const wrt = [...stateNames, X, FB, ...paramNames];
    const seeds = [symbol(GY), ...state.map((n) => symbol(lambdaOf(n)))];
    const adj = derive([this.output, ...this.next], seeds, wrt, {
      surrogate,
      spikeCotangent: this.spec.recurrent ? symbol(GSFB) : undefined,
    });
    const exprs = {
      state: stateNames.map((n) => adj.get(n)!),
      x: adj.get(X)!,
      fb: adj.get(FB)!,
      params: paramNames.map((n) => adj.get(n)!),
    };
    const all = [...exprs.state, exprs.x, exprs.fb, ...exprs.params].filter((e): e is Expr => e !== null);
    // A recurrent cell's weight gradient reads the spikes too.
    if (this.spike) all.push(this.spike);
    const reads = symbolsOf(all);
    const residuals = [...stateNames.filter((n) => reads.has(n)), ...[X, FB].filter((n) => reads.has(n))];
    return { ...exprs, residuals };
  }
}

function noSurrogate(): never {
  throw new Error("cell: a step without spikes has no surrogate");
}

/**
 * Defines a cell from its description (see the module doc), checking that
 * the step gives every state part a next value, that spikes read only the
 * state, and that only a recurrent cell reads `fb`.
 *
 * @example
 * ```ts
 * import { spike } from "./expr.ts";
 * const LIF = defineCell({
 *   name: "LIF",
 *   state: ["v"],
 *   params: ["beta"],
 *   step: ({ state: { v }, params: { beta }, x, threshold }: StepSymbols) => {
 *     const s = spike(v.sub(threshold));
 *     return { next: { v: beta.mul(v).add(x).sub(s.mul(threshold)) }, output: s };
 *   },
 * });
 * ```
 */
export function defineCell(spec: CellSpec): Cell {
  return new Cell(spec);
}
