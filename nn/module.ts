/**
 * Haiku's programming model: modules read parameters and state by name
 * inside a function, and `transform` turns that impure function into a pure
 * pair `init` / `apply`.
 *
 * While a transformed function runs, a frame holds the parameters (created
 * in `init`, read in `apply`), the state, a random-key sequence and the
 * counters that give each module a unique name (`linear`, `linear_1`, ...).
 * Module methods `call` and `initialState` run inside their module's scope,
 * so `getParameter` files each parameter under the module's name:
 * params are `{moduleName: {paramName: Tensor}}`, nested modules are keyed
 * `outer/~/inner`, and parameters created outside any module live under
 * `"~"`.
 *
 * @module
 */
import { checkOptions, formatValue } from "../autodiff/checks.ts";
import type { DType } from "../autodiff/dtype.ts";
import { random } from "../autodiff/mod.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { isTensor } from "../autodiff/tensor.ts";

/** Parameters or state: `{moduleName: {name: Tensor}}`. */
export type Params = Record<string, Record<string, Tensor>>;

/** A random key (a uint32 tensor of shape [2]). */
export type PRNGKey = Tensor;

/** An initializer: builds a tensor of `shape` and `dtype` (it may call {@link nextRngKey}). */
export type Initializer = (shape: readonly number[], dtype: DType) => Tensor;

class Frame {
  readonly params: Params;
  readonly state: Params;
  /** Each state value as first created (what `init` returns, as Haiku's `collect_initial_state`). */
  readonly initialState: Params = {};
  readonly initializing: boolean;
  readonly scopes: string[] = [];
  readonly counters = new Map<string, Map<string, number>>();
  #key: PRNGKey | null;

  constructor(params: Params, state: Params, key: PRNGKey | null, initializing: boolean) {
    this.params = params;
    this.state = state;
    this.initializing = initializing;
    this.#key = key;
  }

  nextKey(): PRNGKey {
    if (this.#key === null) {
      throw new Error(
        "nextRngKey: no random key: pass a key to apply (not null), or do not call nextRngKey / dropout in apply",
      );
    }
    const [next, sub] = random.split(this.#key);
    this.#key = next;
    return sub;
  }

  /** The key that the next {@link nextKey} splits (null when apply got none). */
  get key(): PRNGKey | null {
    return this.#key;
  }

  set key(k: PRNGKey | null) {
    this.#key = k;
  }

  /** The module whose method is running, or "~" outside any module. */
  get scope(): string {
    return this.scopes[this.scopes.length - 1] ?? "~";
  }

  uniqueName(base: string): string {
    const parent = this.scopes[this.scopes.length - 1] ?? "";
    let used = this.counters.get(parent);
    if (!used) this.counters.set(parent, used = new Map());
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    const local = n === 0 ? base : `${base}_${n}`;
    return parent ? `${parent}/~/${local}` : local;
  }
}

const frames: Frame[] = [];
/** The objects made by transformWithState (so withoutApplyRng knows which apply to wrap). */
const stateful = new WeakSet<object>();

function currentFrame(op: string): Frame {
  const f = frames[frames.length - 1];
  if (!f) {
    throw new Error(
      `${op}: must be called inside a function transformed with nn.transform or nn.transformWithState`,
    );
  }
  return f;
}

function runInFrame<R>(frame: Frame, fn: () => R): R {
  frames.push(frame);
  try {
    return fn();
  } finally {
    frames.pop();
  }
}

function checkKey(op: string, key: unknown, allowNull: boolean): PRNGKey | null {
  if (key === null || key === undefined) {
    if (allowNull) return null;
    throw new TypeError(`${op}: a random key is required`);
  }
  if (!isTensor(key) || key.dtype !== "uint32" || key.shape.join() !== "2") {
    throw new TypeError(
      `${op}: expected a random key (uint32 tensor of shape [2]) as the first argument, got ${
        isTensor(key) ? `[${key.shape}] ${key.dtype}` : typeof key
      }`,
    );
  }
  return key;
}

function copyParams(p: Params): Params {
  const out: Params = {};
  for (const [m, inner] of Object.entries(p)) out[m] = { ...inner };
  return out;
}

/** The part of a transformed function's frame that a loop threads through its steps. */
export interface FrameCarry {
  /** The state, `{moduleName: {name: Tensor}}`. */
  state: Params;
  /** The random key (null when apply got none). */
  key: PRNGKey | null;
}

function replaceContents(target: Params, source: Params): void {
  for (const k of Object.keys(target)) delete target[k];
  for (const [m, inner] of Object.entries(source)) target[m] = { ...inner };
}

/**
 * A handle on the frame of the running transformed function, for loops such
 * as `dynamicUnroll` whose body `scan` may run again during the backward
 * pass, after the transformed function has returned. {@link FrameHandle.run}
 * re-enters the frame with an explicit state and key (threaded through the
 * loop's carry, as `hk.scan` does) and leaves the frame as it found it, so
 * a recomputed step neither misses its parameters nor counts its state
 * twice.
 *
 * @example
 * ```ts
 * import { np, random } from "../mod.ts";
 * import { captureFrame, getState, setState, transformWithState } from "./module.ts";
 * const f = transformWithState(() => {
 *   const frame = captureFrame()!;
 *   const step = () => setState("n", np.add(getState("n", [], { init: () => np.zeros([]) }), 1));
 *   const [, after] = frame.run(frame.carry(), step); // the frame's own state is untouched
 *   frame.commit(after); // now it holds n = 1
 * });
 * f.apply({}, {}, null)[1]; // { "~": { n: 1 } }
 * ```
 */
export interface FrameHandle {
  /** The frame's current state and key. */
  carry(): FrameCarry;
  /** Runs `fn` in the frame with `carry` installed; returns its result and the carry it leaves. */
  run<R>(carry: FrameCarry, fn: () => R): [R, FrameCarry];
  /** Makes `carry` the frame's state and key (after a loop's last step). */
  commit(carry: FrameCarry): void;
}

/**
 * A {@link FrameHandle} on the running transformed function, or null
 * outside one.
 *
 * @example
 * ```ts
 * import { captureFrame, transform } from "./module.ts";
 * transform(() => captureFrame() !== null).apply({}, null); // true
 * captureFrame(); // null
 * ```
 */
export function captureFrame(): FrameHandle | null {
  const frame = frames[frames.length - 1];
  if (!frame) return null;
  const scopes = frame.scopes.slice();
  const carry = (): FrameCarry => ({ state: copyParams(frame.state), key: frame.key });
  return {
    carry,
    run<R>(c: FrameCarry, fn: () => R): [R, FrameCarry] {
      const saved = { state: copyParams(frame.state), key: frame.key, scopes: frame.scopes.splice(0) };
      replaceContents(frame.state, c.state);
      frame.key = c.key;
      frame.scopes.push(...scopes);
      frames.push(frame);
      try {
        const out = fn();
        return [out, carry()];
      } finally {
        frames.pop();
        replaceContents(frame.state, saved.state);
        frame.key = saved.key;
        frame.scopes.splice(0, frame.scopes.length, ...saved.scopes);
      }
    },
    commit(c: FrameCarry): void {
      replaceContents(frame.state, c.state);
      frame.key = c.key;
    },
  };
}

/** Options of {@link getParameter} and {@link getState}. */
export interface ParameterOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Initializer used by `init` (required when the value does not exist yet). */
  init?: Initializer;
}

/**
 * Throws unless `init` is undefined or a function (an {@link Initializer}),
 * so that `{ wInit: 0.1 }` fails where it is given, not at the first `init`.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * checkInitializer("Linear", "wInit", nn.initializers.constant(0)); // ok
 * ```
 */
export function checkInitializer(op: string, name: string, init: unknown): void {
  if (init !== undefined && typeof init !== "function") {
    throw new TypeError(
      `${op}: ${name} must be an initializer (shape, dtype) => Tensor, such as nn.initializers.constant(0), got ${
        formatValue(init)
      }`,
    );
  }
}

function checkLookup(op: string, name: unknown, shape: unknown, options: ParameterOptions): void {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`${op}: name must be a non-empty string, got ${formatValue(name)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${op}: shape of ${name} must be an array of non-negative integers, got ${formatValue(shape)}`);
  }
  checkOptions(op, options, ["dtype", "init"]);
  checkInitializer(op, `the init of ${name}`, options?.init);
}

function lookup(
  op: string,
  store: Params,
  frame: Frame,
  name: string,
  shape: readonly number[],
  options: ParameterOptions,
  what: string,
): Tensor {
  const scope = frame.scope;
  const existing = store[scope]?.[name];
  if (existing) {
    if (existing.shape.join() !== shape.join()) {
      throw new RangeError(
        `${op}: ${what} ${scope}/${name} has shape [${existing.shape}] but [${shape}] was requested`,
      );
    }
    return existing;
  }
  if (!frame.initializing && what === "parameter") {
    const known = Object.entries(store).flatMap(([m, ps]) => Object.keys(ps).map((p) => `${m}/${p}`));
    throw new Error(`${op}: parameter ${scope}/${name} not found in params (have: ${known.join(", ") || "none"})`);
  }
  if (!options.init) throw new TypeError(`${op}: ${what} ${scope}/${name} does not exist and no init was given`);
  const value = options.init(shape, options.dtype ?? "float32");
  if (value.shape.join() !== shape.join()) {
    throw new RangeError(`${op}: the init of ${scope}/${name} returned shape [${value.shape}], expected [${shape}]`);
  }
  (store[scope] ??= {})[name] = value;
  if (what === "state") (frame.initialState[scope] ??= {})[name] = value;
  return value;
}

/**
 * Reads (in `apply`) or creates (in `init`) a parameter of the current
 * module.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const affine = nn.transform((x: Tensor) => {
 *   const w = nn.getParameter("w", [x.shape[1], 3], { init: nn.initializers.truncatedNormal(0.1) });
 *   return np.matmul(x, w);
 * });
 * affine.init(random.key(0), np.ones([2, 4]))["~"].w.shape; // [4, 3]
 * ```
 */
export function getParameter(name: string, shape: readonly number[], options: ParameterOptions = {}): Tensor {
  checkLookup("getParameter", name, shape, options);
  const frame = currentFrame("getParameter");
  return lookup("getParameter", frame.params, frame, name, shape, options, "parameter");
}

/**
 * Reads a state value of the current module (created with `init` the first
 * time, in `init` or `apply`). Only under {@link transformWithState}.
 *
 * @example
 * ```ts
 * import { nn, np, random } from "../mod.ts";
 * const counter = nn.transformWithState(() => {
 *   const count = nn.getState("count", [], { init: nn.initializers.constant(0) });
 *   nn.setState("count", np.add(count, 1));
 * });
 * const { state } = counter.init(random.key(0)); // count 0
 * ```
 */
export function getState(name: string, shape: readonly number[], options: ParameterOptions = {}): Tensor {
  checkLookup("getState", name, shape, options);
  const frame = currentFrame("getState");
  return lookup("getState", frame.state, frame, name, shape, options, "state");
}

/**
 * Writes a state value of the current module.
 *
 * @example
 * ```ts
 * import { nn, np } from "../mod.ts";
 * const counter = nn.transformWithState(() => {
 *   nn.setState("count", np.add(nn.getState("count", [], { init: nn.initializers.constant(0) }), 1));
 * });
 * const [, state] = counter.apply({}, {}, null); // count 1
 * ```
 */
export function setState(name: string, value: Tensor): void {
  const frame = currentFrame("setState");
  if (!frame.state[frame.scope]?.[name]) (frame.initialState[frame.scope] ??= {})[name] = value;
  (frame.state[frame.scope] ??= {})[name] = value;
}

/**
 * A fresh random key from the key passed to `init` / `apply`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const noisy = nn.transform((x: Tensor) => np.add(x, random.normal(nn.nextRngKey(), x.shape)));
 * noisy.apply({}, random.key(1), np.zeros([3]));
 * ```
 */
export function nextRngKey(): PRNGKey {
  return currentFrame("nextRngKey").nextKey();
}

/**
 * True while the `init` of a transformed function runs.
 *
 * @example
 * ```ts
 * import { nn } from "../mod.ts";
 * const f = nn.transform(() => nn.isInitializing());
 * f.apply({}, null); // false
 * ```
 */
export function isInitializing(): boolean {
  return currentFrame("isInitializing").initializing;
}

/** Options accepted by every module constructor. */
export interface ModuleOptions {
  /** Explicit module name (made unique within its scope all the same). */
  name?: string;
}

/**
 * Base class of modules. A subclass passes its default name (Haiku uses the
 * snake-cased class name, spyx's neurons their class name) and implements
 * `call`; `call` and `initialState` run in the module's scope.
 *
 * @example
 * ```ts
 * import { nn, np, type Tensor } from "../mod.ts";
 * class Scale extends nn.Module {
 *   constructor(options: nn.ModuleOptions = {}) { super(options, "scale"); }
 *   call(x: Tensor): Tensor { return np.mul(x, nn.getParameter("s", [], { init: nn.initializers.constant(2) })); }
 * }
 * ```
 */
export abstract class Module {
  /** Unique, fully qualified name (the params key). */
  readonly name: string;

  constructor(options: ModuleOptions, defaultName: string) {
    const cls = new.target.name || "Module";
    if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
      throw new TypeError(`${cls}: options must be an object, got ${formatValue(options)}`);
    }
    const base = options?.name ?? defaultName;
    if (typeof base !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(base)) {
      throw new TypeError(
        `${cls}: invalid module name ${formatValue(base)} (letters, digits and _, not starting with a digit)`,
      );
    }
    this.name = currentFrame(`${defaultName} (module construction)`).uniqueName(base);
    for (const method of ["call", "initialState"] as const) {
      // deno-lint-ignore no-explicit-any
      const self = this as any;
      const raw = self[method];
      if (typeof raw === "function") {
        // deno-lint-ignore no-explicit-any
        self[method] = (...args: any[]) => this.inScope(() => raw.apply(this, args));
      }
    }
  }

  /** Runs `fn` with this module as the current scope. */
  protected inScope<R>(fn: () => R): R {
    const frame = currentFrame(this.name);
    // As in Haiku, submodule numbering restarts in every method call, so a
    // submodule built inside `call` gets the same name (and parameters) on
    // every call, e.g. at every step of an unrolled core.
    const counters = frame.counters.get(this.name);
    frame.counters.delete(this.name);
    frame.scopes.push(this.name);
    try {
      return fn();
    } finally {
      frame.scopes.pop();
      if (counters) frame.counters.set(this.name, counters);
      else frame.counters.delete(this.name);
    }
  }

  /** Applies the module. */
  // deno-lint-ignore no-explicit-any
  abstract call(...args: any[]): any;
}

/** What {@link transform} returns. */
export interface Transformed<A extends unknown[], O> {
  /** Runs the function once, creating and returning its parameters. */
  init(key: PRNGKey, ...args: A): Params;
  /** Runs the function with the given parameters. */
  apply(params: Params, key: PRNGKey | null, ...args: A): O;
}

/** What {@link transformWithState} returns. */
export interface TransformedWithState<A extends unknown[], O> {
  init(key: PRNGKey, ...args: A): { params: Params; state: Params };
  apply(params: Params, state: Params, key: PRNGKey | null, ...args: A): [O, Params];
}

/**
 * Turns a function that uses modules into a pure `{init, apply}` pair.
 * Parameters without a type annotation are Tensors
 * (`nn.transform((x) => new nn.Linear(3).call(x))` type-checks as spyx
 * code reads).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Linear(10).call(x));
 * const x = np.ones([2, 4]);
 * const params = net.init(random.key(0), x);
 * const y = net.apply(params, null, x); // [2, 10]
 * ```
 */
export function transform<A extends unknown[] = Tensor[], O = unknown>(fn: (...args: A) => O): Transformed<A, O> {
  const t = transformWithState(fn);
  return {
    init: (key, ...args) => {
      const { params, state } = t.init(key, ...args);
      if (Object.keys(state).length > 0) {
        throw new Error(
          `transform: the function uses state (${Object.keys(state).join(", ")}); use nn.transformWithState`,
        );
      }
      return params;
    },
    apply: (params, key, ...args) => {
      const [out, state] = t.apply(params, {}, key, ...args);
      if (Object.keys(state).length > 0) {
        throw new Error("transform: the function uses state; use nn.transformWithState");
      }
      return out;
    },
  };
}

/**
 * Like {@link transform} for functions that also read and write state.
 * As in Haiku, `init` returns each state value as its initializer made it
 * (before any `setState` of that run), and `apply` returns the state as the
 * function left it.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.transformWithState((x: Tensor) => new nn.ActivityRegularization().call(x));
 * const x = np.array([[0, 1, 1]]);
 * const { params, state } = net.init(random.key(0), x); // spike_count zeros
 * const [y, newState] = net.apply(params, state, null, x); // spike_count [[0, 1, 1]]
 * ```
 */
export function transformWithState<A extends unknown[] = Tensor[], O = unknown>(
  fn: (...args: A) => O,
): TransformedWithState<A, O> {
  const transformed: TransformedWithState<A, O> = {
    init: (key, ...args) => {
      const frame = new Frame({}, {}, checkKey("init", key, false), true);
      runInFrame(frame, () => fn(...args));
      return { params: frame.params, state: frame.initialState };
    },
    apply: (params, state, key, ...args) => {
      if (params === null || typeof params !== "object") {
        throw new TypeError(`apply: params must be an object of modules, got ${params}`);
      }
      const frame = new Frame(params, copyParams(state ?? {}), checkKey("apply", key, true), false);
      const out = runInFrame(frame, () => fn(...args));
      return [out, frame.state];
    },
  };
  stateful.add(transformed);
  return transformed;
}

/**
 * Drops the key argument of `apply` (for functions that draw no random
 * numbers when applied).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../mod.ts";
 * const net = nn.withoutApplyRng(nn.transform((x: Tensor) => new nn.Linear(2).call(x)));
 * const x = np.ones([1, 3]);
 * net.apply(net.init(random.key(0), x), x);
 * ```
 */
export function withoutApplyRng<A extends unknown[], O>(
  t: Transformed<A, O>,
): { init: Transformed<A, O>["init"]; apply: (params: Params, ...args: A) => O };
export function withoutApplyRng<A extends unknown[], O>(
  t: TransformedWithState<A, O>,
): { init: TransformedWithState<A, O>["init"]; apply: (params: Params, state: Params, ...args: A) => [O, Params] };
export function withoutApplyRng<A extends unknown[], O>(
  t: Transformed<A, O> | TransformedWithState<A, O>,
  // deno-lint-ignore no-explicit-any
): any {
  if (stateful.has(t)) {
    const s = t as TransformedWithState<A, O>;
    return {
      init: s.init,
      apply: (params: Params, state: Params, ...args: A) => s.apply(params, state, null, ...args),
    };
  }
  const p = t as Transformed<A, O>;
  return { init: p.init, apply: (params: Params, ...args: A) => p.apply(params, null, ...args) };
}
