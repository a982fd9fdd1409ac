/**
 * Reading the process environment where there is one (Deno, Bun, Node),
 * without failing where there is none (a browser) or where it is not
 * permitted (Deno without `--allow-env`).
 *
 * @module
 */

/**
 * The value of the environment variable `name`, or undefined.
 *
 * @example
 * ```ts
 * envVar("SPYX_THREADS"); // "4", or undefined when unset
 * ```
 */
export function envVar(name: string): string | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    const v = g.Deno?.env?.get?.(name) ?? g.process?.env?.[name];
    return v === "" ? undefined : v;
  } catch {
    return undefined;
  }
}
