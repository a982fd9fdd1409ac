/**
 * Test helpers: golden-file loading, error norms and a central-difference
 * gradient oracle. Shared by every test file.
 */
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { np, type Tensor, vjp } from "../../mod.ts";

/** Folder of the independent float64 reference data (beside the checkout). */
export const REFERENCE_DIR = new URL("../../../shared/reference/", import.meta.url);

/** Parses one reference JSON file, e.g. `loadReference("losses.json")`. */
// deno-lint-ignore no-explicit-any
export function loadReference(name: string): any {
  return JSON.parse(readFileSync(new URL(name, REFERENCE_DIR), "utf8"));
}

/** A reference array `{shape, data}` as a tensor. */
export function refTensor(a: { shape: number[]; data: number[] }, dtype: "float32" | "float64" = "float64"): Tensor {
  return np.array(a.data, { shape: a.shape, dtype });
}

/** `||got - want|| / ||want||` (absolute norm when `want` is all zeros). */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, `length ${got.length} vs ${want.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (Number(got[i]) - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Asserts a relative error bound between a tensor and reference values. */
export function assertRelClose(got: Tensor, want: ArrayLike<number>, tol: number, what = "value"): void {
  const e = relError(got.dataSync(), want);
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(3)} exceeds ${tol}`);
}

/** Asserts element-wise `|got - want| <= atol + rtol*|want|`. */
export function assertAllClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  { rtol = 1e-6, atol = 1e-9 } = {},
  what = "value",
): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = Number(want[i]);
    const ok = (Number.isNaN(w) && Number.isNaN(g)) || g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w);
    assert.ok(ok, `${what}[${i}]: got ${g}, want ${w} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Checks reverse-mode gradients of `f` (returning any tensor) against
 * central differences in float64: for a random cotangent `c`, compares
 * `<c, df/dx_i>` from `vjp` with the numeric derivative of `<c, f>` for
 * every element of every argument.
 */
export function checkGradients(
  f: (...args: Tensor[]) => Tensor,
  args: Tensor[],
  { eps = 1e-6, rtol = 1e-5, atol = 1e-7, seed = 1 } = {},
): void {
  const [y, back] = vjp(f, ...args);
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const cData = new Float64Array(y.size).map(() => rand());
  const c = np.array(cData, { shape: y.shape as number[], dtype: "float64" });
  const grads = back(c) as Tensor[];
  const scalar = (xs: Tensor[]) => {
    const out = f(...xs).dataSync();
    let acc = 0;
    for (let i = 0; i < out.length; i++) acc += out[i] * cData[i];
    return acc;
  };
  args.forEach((x, a) => {
    const base = x.dataSync() as Float64Array;
    const analytic = grads[a].dataSync();
    for (let i = 0; i < base.length; i++) {
      const plus = base.slice(), minus = base.slice();
      plus[i] += eps;
      minus[i] -= eps;
      const mk = (d: Float64Array) => np.array(d, { shape: x.shape as number[], dtype: "float64" });
      const xsP = args.map((t, k) => (k === a ? mk(plus) : t));
      const xsM = args.map((t, k) => (k === a ? mk(minus) : t));
      const numeric = (scalar(xsP) - scalar(xsM)) / (2 * eps);
      const got = analytic[i];
      assert.ok(
        Math.abs(got - numeric) <= atol + rtol * Math.max(Math.abs(numeric), 1),
        `gradient of argument ${a} element ${i}: autodiff ${got}, finite difference ${numeric}`,
      );
    }
  });
}
