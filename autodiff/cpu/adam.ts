/**
 * The CPU kernel of Adam's fused leaf update (`optim/adam_update.ts`): one
 * compiled pass over the three arrays, every operation rounded to the
 * dtype in the order of the ops it replaces.
 *
 * @module
 */
import type { DataHandle } from "../backend.ts";
import { allocate, type TypedArray } from "../dtype.ts";
import type { AdamUpdateParams } from "../../optim/adam_update.ts";
import { cpuData, registerCpuKernel } from "./backend.ts";
import { compileLoop } from "./specialize.ts";

/** One pass of Adam's leaf update over arrays: `(g, m, v, out, m1, v1, b1, nb1, b2, nb2, c1, c2, eps, epsRoot)`. */
type AdamLoop = (g: TypedArray, m: TypedArray, v: TypedArray, ...rest: (TypedArray | number)[]) => void;

function adamLoop(dtype: "float32" | "float64"): AdamLoop {
  // Each operation rounded to the dtype, in the ops' order.
  const r = (x: string) => (dtype === "float32" ? `Math.fround(${x})` : `(${x})`);
  return compileLoop<AdamLoop>(
    `adam ${dtype}`,
    ["g", "m", "v", "out", "m1", "v1", "b1", "nb1", "b2", "nb2", "c1", "c2", "eps", "epsRoot"],
    () =>
      `for (let i = 0; i < g.length; i++) {
  const gi = g[i];
  const mi = ${r(`${r("m[i] * b1")} + ${r("gi * nb1")}`)};
  const vi = ${r(`${r("v[i] * b2")} + ${r(`${r("gi * gi")} * nb2`)}`)};
  const vHat = epsRoot === 0 ? ${r("vi * c2")} : ${r(`${r("vi * c2")} + epsRoot`)};
  out[i] = ${r("mi * c1")} / ${r(`${r("Math.sqrt(vHat)")} + eps`)};
  m1[i] = mi;
  v1[i] = vi;
}`,
  );
}

registerCpuKernel<AdamUpdateParams>("adam_update", ([g, m, v], k): DataHandle[] => {
  const dtype = g.dtype as "float32" | "float64", n = cpuData(g).length;
  const fr = dtype === "float32" ? Math.fround : (x: number) => x;
  const out = allocate(dtype, n), m1 = allocate(dtype, n), v1 = allocate(dtype, n);
  // The scalars as the ops see them: weakly typed, so converted to the leaves' dtype first.
  adamLoop(dtype)(
    cpuData(g),
    cpuData(m),
    cpuData(v),
    out,
    m1,
    v1,
    fr(k.b1),
    fr(1 - k.b1),
    fr(k.b2),
    fr(1 - k.b2),
    fr(k.c1),
    fr(k.c2),
    fr(k.eps),
    fr(k.epsRoot),
  );
  return [out, m1, v1];
});
