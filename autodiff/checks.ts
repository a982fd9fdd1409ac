/**
 * Argument checks shared by every namespace: option names (a misspelt
 * option is an error, never silently ignored), values shown in error
 * messages, and the paths of pytree leaves.
 *
 * @module
 */
import { isTensor } from "./tensor.ts";
import type { TreeDef } from "./tree.ts";

/**
 * A value as an error message shows it: strings quoted, `NaN` and
 * `±Infinity` by name, tensors by dtype and shape, short arrays in full.
 *
 * @example
 * ```ts
 * formatValue("SAME"); // "\"SAME\""
 * formatValue(NaN); // "NaN"
 * formatValue([1, 2]); // "[1, 2]"
 * ```
 */
export function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "symbol") return value.toString();
  if (isTensor(value)) return `a ${value.dtype} tensor of shape [${value.shape}]`;
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(formatValue).join(", ");
    return `[${shown}${value.length > 8 ? `, ... (${value.length} items)` : ""}]`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value as object);
    return keys.length ? `an object with keys ${keys.map((k) => JSON.stringify(k)).join(", ")}` : "an empty object";
  }
  return `an instance of ${proto?.constructor?.name ?? "an unknown class"}`;
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The valid name closest to `name` (case, `_` and `-` ignored first), if any is close. */
function closest(name: string, valid: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const same = valid.find((v) => squash(v) === squash(name));
  if (same) return same;
  let best: string | undefined, bestDistance = Infinity;
  for (const v of valid) {
    const d = editDistance(name.toLowerCase(), v.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Throws unless `options` is undefined or a plain object whose keys are all
 * in `valid`, so that a misspelt option (`{ betaa: 0.9 }`, `{ time_major:
 * false }`) is an error instead of being ignored. The message names the
 * function, every unknown key (with the closest valid name) and the valid
 * ones.
 *
 * @example
 * ```ts
 * checkOptions("LIF", { beta: 0.9 }, ["name", "beta", "threshold", "activation"]); // ok
 * try {
 *   checkOptions("LIF", { betaa: 0.9 }, ["name", "beta", "threshold", "activation"]);
 * } catch (e) {
 *   (e as Error).message; // LIF: unknown option "betaa" (did you mean "beta"?); valid options: name, beta, ...
 * }
 * ```
 */
export function checkOptions(fn: string, options: unknown, valid: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options) || isTensor(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${formatValue(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !valid.includes(k));
  if (unknown.length === 0) return;
  const named = unknown.map((k) => {
    const hint = closest(k, valid);
    return `"${k}"${hint ? ` (did you mean "${hint}"?)` : ""}`;
  });
  const list = valid.length ? valid.join(", ") : "none";
  throw new TypeError(
    `${fn}: unknown option${unknown.length > 1 ? "s" : ""} ${named.join(", ")}; valid options: ${list}`,
  );
}

/**
 * The path of every leaf of a structure, in flattening order (`a`, `b.0`;
 * `<root>` for a bare leaf), for error messages.
 *
 * @example
 * ```ts
 * import { tree } from "./mod.ts";
 * leafPaths(tree.structure({ w: 1, layers: [2, 3] })); // ["layers.0", "layers.1", "w"]
 * ```
 */
export function leafPaths(def: TreeDef, prefix = ""): string[] {
  switch (def.kind) {
    case "leaf":
      return [prefix || "<root>"];
    case "none":
      return [];
    case "array":
      return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${i}` : `${i}`));
    case "object":
      return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${def.keys[i]}` : def.keys[i]));
  }
}
