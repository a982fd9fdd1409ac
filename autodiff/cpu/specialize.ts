/**
 * Hot CPU loops compiled from source text once per element type.
 *
 * V8 and JavaScriptCore record, per function, which typed-array types each
 * element access has seen. A loop shared by every dtype sees up to five; past
 * four, V8 turns each load and store into a generic call. `out[i] = a[i] + b[i]`
 * over 4M float32 took 55 ns per element that way and 0.6 ns in a copy of the
 * loop that only ever saw Float32Array. Writing the copies by hand would mean
 * one loop per op, per operand layout and per dtype; compiling them from one
 * template keeps one source and gives every copy its own, monomorphic feedback.
 *
 * @module
 */

const compiled = new Map<string, unknown>();

/**
 * The function `(...params) => { body }`, compiled once per `key`.
 *
 * `key` must name everything the body depends on, dtype included: it is
 * written into the source, and that is what keeps the copies apart, since
 * V8 hands out one shared function (and its feedback) for equal source text.
 * `body` is built only on the first call for a key, and sees only globals.
 *
 * @example
 * ```ts
 * import { compileLoop } from "./specialize.ts";
 * const neg = compileLoop<(x: Float32Array) => void>(
 *   "neg float32",
 *   ["x"],
 *   () => "for (let i = 0; i < x.length; i++) x[i] = -x[i];",
 * );
 * neg(new Float32Array([1, 2])); // Float32Array [-1, -2]
 * ```
 */
export function compileLoop<F>(key: string, params: readonly string[], body: () => string): F {
  let f = compiled.get(key);
  if (f === undefined) {
    f = new Function(...params, `"use strict";\n// ${key}\n${body()}`);
    compiled.set(key, f);
  }
  return f as F;
}
