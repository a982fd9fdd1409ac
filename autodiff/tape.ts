/**
 * The gradient tape: while a transform such as `grad` runs a function, every
 * op whose inputs depend on the differentiated arguments appends one entry
 * with its vector-Jacobian product. Tapes nest (`grad` of `grad`): the VJP
 * rules are written in ops, so running a backward pass while an outer tape
 * records extends that outer tape.
 *
 * @module
 */
import { currentLevel, maxLevel } from "./core/trace.ts";
import { type DType, isFloat } from "./dtype.ts";
import type { Tensor } from "./tensor.ts";

/**
 * Maps output cotangents to input cotangents (`null` = zero). `needed[i]`
 * says whether the tape wants input `i`'s cotangent, so a rule may skip
 * expensive work (a matmul's input gradient when only the weights train).
 */
export type VjpFn = (cotangents: readonly (Tensor | null)[], needed: readonly boolean[]) => (Tensor | null)[];

/**
 * What the backward pass needs of a tensor without holding its storage:
 * its identity, and the shape and dtype its cotangent must have.
 */
export interface TensorInfo {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * The {@link TensorInfo} of `t`.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * tensorInfo(np.zeros([2])).shape; // [2]
 * ```
 */
export function tensorInfo(t: Tensor): TensorInfo {
  return { id: t.id, shape: t.shape, dtype: t.dtype };
}

/**
 * One recorded op application. It names its inputs and outputs rather than
 * holding them, so that a tensor lives no longer than the user's references
 * and the `vjp` closures that read it.
 */
export interface TapeEntry {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly number[];
  readonly vjp: VjpFn;
}

/**
 * A list of recorded op applications and the tensors it tracks.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const x = np.array([1, 2]);
 * const tape = new Tape();
 * tape.watch([x]);
 * withTape(tape, () => np.exp(x));
 * tape.entries.length; // 1
 * ```
 */
export class Tape {
  /**
   * The transformation level the tape belongs to (see `core/trace.ts`): it
   * records only primitives bound at that level.
   */
  readonly level: number = currentLevel();
  /** Ids of tensors whose cotangents this tape computes. */
  readonly tracked: Set<number> = new Set();
  /** Recorded entries in execution order; the backward pass removes each once it has run. */
  readonly entries: TapeEntry[] = [];
  /** A closed tape records nothing (its backward pass is running or done). */
  closed = false;
  /**
   * True when the backward pass may run later under tapes that are not
   * recording now (the function `vjp` returns, a `scan` step recomputed
   * while its backward pass is recorded), so that it may itself be
   * differentiated. Ops whose VJP is not written in ops (the fused neuron
   * kernels) then keep their inputs for a fallback that is; otherwise the
   * backward pass runs at once, under the same tapes, and they need not.
   */
  backwardLater = false;
  /**
   * When set, inputs tracked by these outer tapes are taken as extra roots
   * of this tape and listed in {@link Tape.captures} (how `scan` finds the
   * values its body closes over).
   */
  captureFrom: readonly Tape[] | null = null;
  /** Tensors captured from outer tapes, in first-use order. */
  readonly captures: Tensor[] = [];

  /** Marks tensors as differentiated arguments. */
  watch(tensors: readonly Tensor[]): void {
    for (const t of tensors) this.tracked.add(t.id);
  }
}

const stack: Tape[] = [];
let paused = 0;

/**
 * Runs `fn` with `tape` as the innermost recording tape. With `exclusive`,
 * the outer tapes record nothing meanwhile (they are still consulted for
 * captures).
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const tape = new Tape();
 * const y = withTape(tape, () => np.add(1, 2)); // nothing watched: nothing recorded
 * ```
 */
export function withTape<R>(tape: Tape, fn: () => R, exclusive = false): R {
  const saved = exclusive ? stack.splice(0, stack.length) : null;
  stack.push(tape);
  try {
    return fn();
  } finally {
    stack.pop();
    if (saved) stack.unshift(...saved);
  }
}

/**
 * The tapes currently recording, outermost first.
 *
 * @example
 * ```ts
 * activeTapes().length; // 0 outside any transform
 * ```
 */
export function activeTapes(): readonly Tape[] {
  return paused > 0 ? [] : stack;
}

/**
 * True when some open tape of `level` tracks one of `inputs` (or captures
 * from outer tapes): whether a primitive bound there will be recorded.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * anyTracked([np.zeros([1])], 0); // false outside any transform
 * ```
 */
export function anyTracked(inputs: readonly Tensor[], level: number): boolean {
  if (paused > 0 || stack.length === 0) return false;
  for (let i = 0; i < inputs.length; i++) if (isTracked(inputs[i], level)) return true;
  return false;
}

/**
 * How many open tapes of `level` track one of `inputs`.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * trackingTapes([np.zeros([1])], 0); // 0 outside any transform
 * ```
 */
export function trackingTapes(inputs: readonly Tensor[], level: number): number {
  if (paused > 0) return 0;
  let n = 0;
  for (const tape of stack) {
    if (tape.closed || tape.level !== level) continue;
    if (inputs.some((t) => tape.tracked.has(t.id))) n++;
  }
  return n;
}

/**
 * The open tapes of `level`.
 *
 * @example
 * ```ts
 * openTapesAt(0).length; // 0 outside any transform
 * ```
 */
export function openTapesAt(level: number): Tape[] {
  if (paused > 0) return [];
  return stack.filter((tape) => !tape.closed && tape.level === level);
}

/**
 * Runs `fn` without recording anything on any tape.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * const y = noGrad(() => np.exp(np.ones([2]))); // recorded on no tape
 * ```
 */
export function noGrad<R>(fn: () => R): R {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}

/**
 * True when some active tape tracks `t`, or will on first use (a tape that
 * captures from outer tapes): whether an op's VJP may be asked for `t`'s
 * cotangent. Known when the op runs, as tapes track only tensors watched up
 * front, ops' outputs and captures.
 *
 * @example
 * ```ts
 * import { np } from "./mod.ts";
 * isTracked(np.zeros([1])); // false outside any transform
 * ```
 */
export function isTracked(t: Tensor, level: number = maxLevel([t])): boolean {
  if (paused > 0) return false;
  for (const tape of stack) {
    if (tape.closed || tape.level !== level) continue;
    if (tape.tracked.has(t.id)) return true;
    if (tape.captureFrom && isFloat(t.dtype) && tape.captureFrom.some((o) => !o.closed && o.tracked.has(t.id))) {
      return true;
    }
  }
  return false;
}

/**
 * Records an op application on every active tape of `level` (by default
 * the highest level among the inputs) that tracks one of its inputs.
 * `bind` calls it for every primitive with a VJP rule; transforms that
 * make their own tape entries (`customVjp`, `scan`) call it directly.
 *
 * @example
 * ```ts
 * import { np, type Tensor } from "./mod.ts";
 * // An identity op whose gradient is doubled.
 * function doubleGrad(x: Tensor): Tensor {
 *   const out = np.add(x, 0);
 *   record([x], [out], ([g]) => [g && np.mul(g, 2)]);
 *   return out;
 * }
 * ```
 */
export function record(
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  vjp: VjpFn,
  level: number = maxLevel(inputs),
): void {
  if (paused > 0 || stack.length === 0) return;
  let entry: TapeEntry | null = null;
  for (const tape of stack) {
    if (tape.closed || tape.level !== level) continue;
    if (tape.captureFrom) captureInputs(tape, inputs);
    let hit = false;
    for (const t of inputs) {
      if (tape.tracked.has(t.id)) {
        hit = true;
        break;
      }
    }
    if (!hit) continue;
    entry ??= { inputs: inputs.map(tensorInfo), outputs: outputs.map((o) => o.id), vjp };
    tape.entries.push(entry);
    for (const o of outputs) if (isFloat(o.dtype)) tape.tracked.add(o.id);
  }
}

function captureInputs(tape: Tape, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (tape.tracked.has(t.id) || !isFloat(t.dtype)) continue;
    for (const outer of tape.captureFrom!) {
      if (!outer.closed && outer.tracked.has(t.id)) {
        tape.tracked.add(t.id);
        tape.captures.push(t);
        break;
      }
    }
  }
}
