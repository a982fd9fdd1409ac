/**
 * Matrix products: the batched `matmul` primitive and `dot`, `einsum` built
 * on it.
 *
 * @module
 */
import { bind1 } from "../core/bind.ts";
import { batchAligned, batchFirst } from "../core/batch.ts";
import { definePrimitive, type Primitive } from "../core/primitive.ts";
import { broadcastShapes } from "../shape.ts";
import type { VjpFn } from "../tape.ts";
import type { Tensor } from "../tensor.ts";
import { asTensor, type TensorLike } from "./creation.ts";
import { add, coerce, mul } from "./elementwise.ts";
import { broadcastTo, expandDims, reshape, squeeze, transpose } from "./layout.ts";
import { sum, sumToShape } from "./reduce.ts";

/** Parameters of {@link MATMUL}: whether each operand is stored transposed over its last two axes. */
export interface MatmulParams {
  readonly transA: boolean;
  readonly transB: boolean;
}

/**
 * `op(a) @ op(b)` over broadcast batch axes, `[...batch, m, k] @
 * [...batch, k, n]`; with `transA` the operand `a` is stored
 * `[...batch, k, m]`, likewise `transB`. Its VJP is four such products, so
 * gradients never materialise a transpose.
 */
export const MATMUL: Primitive<MatmulParams> = definePrimitive<MatmulParams>({
  name: "matmul",
  abstractEval: ([a, b], { transA, transB }) => {
    const m = a.shape[a.shape.length - (transA ? 1 : 2)];
    const n = b.shape[b.shape.length - (transB ? 2 : 1)];
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ shape: [...batch, m, n], dtype: a.dtype }];
  },
  vjp: ([x, y], _o, p) => matmulVjp(x, y, p),
  jvp: ([x, y], [tx, ty], p) => {
    const out = bind1(MATMUL, [x, y], p);
    const dx = tx && bind1(MATMUL, [tx, y], p), dy = ty && bind1(MATMUL, [x, ty], p);
    return [[out], [dx && dy ? add(dx, dy) : dx ?? dy]];
  },
  batch: ([a, b], [da, db], p, size) => {
    // A batched left operand times a shared matrix is one product over the merged rows.
    if (db === null && b.ndim === 2 && !p.transA && a.ndim === 3) {
      const first = batchFirst(a, da, size);
      const [, m, k] = first.shape;
      const out = bind1(MATMUL, [reshape(first, [size * m, k]), b], p);
      return [[reshape(out, [size, m, out.shape[1]])], [0]];
    }
    const rank = Math.max(a.ndim - (da === null ? 0 : 1), b.ndim - (db === null ? 0 : 1));
    return [[bind1(MATMUL, [batchAligned(a, da, rank), batchAligned(b, db, rank)], p)], [0]];
  },
});

function matmulVjp(x: Tensor, y: Tensor, { transA: transX, transB: transY }: MatmulParams): VjpFn {
  return ([g], [needX, needY]) => {
    if (!g) return [null, null];
    const dx = needX ? (transX ? product(y, g, transY, true) : product(g, y, false, !transY)) : null;
    const dy = needY ? (transY ? product(g, x, true, transX) : product(x, g, !transX, false)) : null;
    return [dx && sumToShape(dx, x.shape), dy && sumToShape(dy, y.shape)];
  };
}

/**
 * Matrix product with numpy semantics: 1-d operands are promoted to a row
 * (left) or column (right) and the added axis removed; leading axes are
 * batch axes and broadcast.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.matmul(np.ones([8, 3]), np.ones([3, 5])).shape; // [8, 5]  ([B, in] @ [in, out])
 * np.matmul(np.ones([2, 1, 4, 3]), np.ones([5, 3, 2])).shape; // [2, 5, 4, 2]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = coerce(a, b);
  if (x.ndim === 0 || y.ndim === 0) {
    throw new RangeError(`matmul: operands must have at least one axis, got shapes [${x.shape}] and [${y.shape}]`);
  }
  const vecA = x.ndim === 1, vecB = y.ndim === 1;
  if (vecA) x = expandDims(x, 0);
  if (vecB) y = expandDims(y, -1);
  const k = x.shape[x.ndim - 1];
  if (y.shape[y.ndim - 2] !== k) {
    throw new RangeError(
      `matmul: shapes [${asTensor(a).shape}] and [${
        asTensor(b).shape
      }] are incompatible on the contracted axis (${k} vs ${y.shape[y.ndim - 2]})`,
    );
  }
  try {
    broadcastShapes("matmul", x.shape.slice(0, -2), y.shape.slice(0, -2));
  } catch {
    throw new RangeError(
      `matmul: batch axes of shapes [${asTensor(a).shape}] and [${asTensor(b).shape}] cannot be broadcast together`,
    );
  }
  let out = product(x, y, false, false);
  if (vecA) out = squeeze(out, -2);
  if (vecB) out = squeeze(out, -1);
  return out;
}

/** `op(x) @ op(y)` (shapes checked by the caller). */
function product(x: Tensor, y: Tensor, transA: boolean, transB: boolean): Tensor {
  return bind1(MATMUL, [x, y], { transA, transB });
}

/**
 * `jnp.dot`: products of scalars, vectors (inner product) and matrices.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * np.dot(np.array([1, 2]), np.array([3, 4])); // 11
 * ```
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = coerce(a, b);
  if (x.ndim === 0 || y.ndim === 0) return mul(x, y);
  const k = x.shape[x.ndim - 1], kb = y.shape[Math.max(0, y.ndim - 2)];
  if (k !== kb) {
    throw new RangeError(
      `dot: shapes [${x.shape}] and [${y.shape}] are incompatible on the contracted axis (${k} vs ${kb})`,
    );
  }
  if (y.ndim <= 2) return matmul(x, y);
  // N-d: contract the last axis of a with the second-to-last of b.
  const yMoved = transpose(y, [
    ...Array.from({ length: y.ndim }, (_, i) => i).filter((i) => i !== y.ndim - 2),
    y.ndim - 2,
  ]);
  const flatB = reshape(yMoved, [-1, y.shape[y.ndim - 2]]);
  const r = matmul(x, transpose(flatB));
  return reshape(r, [...x.shape.slice(0, -1), ...y.shape.slice(0, -2), y.shape[y.ndim - 1]]);
}

/**
 * Einstein summation over one or two operands, as `jnp.einsum` without
 * ellipses: `"ij,jk->ik"`, `"bti,ih->bth"`, `"ij->ji"`, `"i,i->"`, and the
 * implicit form (`"ij,jk"`: labels seen once, sorted). Labels are letters;
 * a label repeated within one operand (`"ii->i"`) is not supported. Size-1
 * axes broadcast against the other operand. Implemented as sums,
 * transposes, reshapes and one batched `matmul`, so gradients come free.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const x = np.ones([2, 3, 4]), w = np.ones([4, 5]);
 * np.einsum("btn,nm->btm", x, w).shape; // [2, 3, 5]
 * ```
 */
export function einsum(subscripts: string, ...operands: TensorLike[]): Tensor {
  const spec = subscripts.replace(/\s+/g, "");
  const parts = spec.split("->");
  if (parts.length > 2 || !/^[a-zA-Z]*(,[a-zA-Z]*)*$/.test(parts[0]) || !/^[a-zA-Z]*$/.test(parts[1] ?? "")) {
    throw new RangeError(`einsum: cannot parse "${subscripts}" (labels are letters; ellipses are not supported)`);
  }
  const [lhs, rhsGiven] = parts;
  const inputs = lhs.split(",");
  if (inputs.length !== operands.length || inputs.length < 1 || inputs.length > 2) {
    throw new RangeError(
      `einsum: "${subscripts}" names ${inputs.length} operands, got ${operands.length} (1 or 2 supported)`,
    );
  }
  let ts = operands.map((o) => asTensor(o));
  const sizes = new Map<string, number>();
  inputs.forEach((labels, k) => {
    if (labels.length !== ts[k].ndim) {
      throw new RangeError(`einsum: operand ${k} has shape [${ts[k].shape}] but subscripts "${labels}"`);
    }
    if (new Set(labels).size !== labels.length) {
      throw new RangeError(`einsum: repeated label within "${labels}" is not supported`);
    }
    [...labels].forEach((l, i) => {
      const d = ts[k].shape[i];
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) {
        throw new RangeError(
          `einsum: label ${l} has sizes ${prev} and ${d} in "${subscripts}" with shapes ${
            ts.map((t) => `[${t.shape}]`).join(", ")
          }`,
        );
      }
      sizes.set(l, prev === undefined || prev === 1 ? d : prev);
    });
  });
  // Broadcast size-1 axes up front, so that every label has one size below.
  ts = ts.map((t, k) => broadcastTo(t, [...inputs[k]].map((l) => sizes.get(l)!)));
  const counts = new Map<string, number>();
  for (const l of inputs.join("")) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out = rhsGiven ?? [...counts.keys()].filter((l) => counts.get(l) === 1).sort().join("");
  if (new Set(out).size !== out.length) throw new RangeError(`einsum: repeated output label in "${subscripts}"`);
  for (const l of out) if (!sizes.has(l)) throw new RangeError(`einsum: output label ${l} is not in the inputs`);
  if (ts.length === 1) {
    const labels = inputs[0];
    const summed = [...labels].flatMap((l, i) => (out.includes(l) ? [] : [i]));
    const reduced = sum(ts[0], summed);
    const rest = [...labels].filter((l) => out.includes(l));
    return transpose(reduced, [...out].map((l) => rest.indexOf(l)));
  }
  const [la, lb] = inputs;
  const batch = [...out].filter((l) => la.includes(l) && lb.includes(l));
  const contract = [...la].filter((l) => lb.includes(l) && !out.includes(l));
  const freeA = [...la].filter((l) => !lb.includes(l) && out.includes(l));
  const freeB = [...lb].filter((l) => !la.includes(l) && out.includes(l));
  // Labels only in one operand and not in the output are summed first.
  let [a, b] = coerce(ts[0], ts[1]);
  const dropA = [...la].flatMap((l, i) => (!lb.includes(l) && !out.includes(l) ? [i] : []));
  const dropB = [...lb].flatMap((l, i) => (!la.includes(l) && !out.includes(l) ? [i] : []));
  const keptA = [...la].filter((_, i) => !dropA.includes(i));
  const keptB = [...lb].filter((_, i) => !dropB.includes(i));
  if (dropA.length) a = sum(a, dropA);
  if (dropB.length) b = sum(b, dropB);
  const order = (kept: string[], groups: string[][]) => groups.flat().map((l) => kept.indexOf(l));
  const size = (ls: string[]) => ls.reduce((n, l) => n * sizes.get(l)!, 1);
  const batchShape = batch.map((l) => sizes.get(l)!);
  const a3 = reshape(transpose(a, order(keptA, [batch, freeA, contract])), [
    ...batchShape,
    size(freeA),
    size(contract),
  ]);
  const b3 = reshape(transpose(b, order(keptB, [batch, contract, freeB])), [
    ...batchShape,
    size(contract),
    size(freeB),
  ]);
  const full = reshape(matmul(a3, b3), [
    ...batchShape,
    ...freeA.map((l) => sizes.get(l)!),
    ...freeB.map((l) => sizes.get(l)!),
  ]);
  const have = [...batch, ...freeA, ...freeB];
  return transpose(full, [...out].map((l) => have.indexOf(l)));
}
