/**
 * Data augmentation: random shifts.
 *
 * @module
 */
import { roll } from "../autodiff/ops/indexing.ts";
import { randint } from "../autodiff/random/discrete.ts";
import type { PRNGKey } from "../autodiff/random/keys.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { checkInt, describe, normalizeAxisFor } from "./checks.ts";

/** An augmentation made by {@link shiftAugment}. */
export type ShiftAugmentation = (data: Tensor, key: PRNGKey) => Tensor;

/**
 * spyx's `shift_augment`: returns a function that rolls `data` (with
 * wrap-around, `np.roll`) along each of `axes` by a random shift. As in
 * spyx, the shifts are drawn once per call, one per axis, as
 * `random.randint(key, [axes.length], -maxShift, maxShift)` (so in
 * `[-maxShift, maxShift - 1]`, upper bound excluded) and apply to the
 * whole batch alike: every sample moves by the same amount. To shift
 * samples independently, call it per sample with split keys.
 *
 * @param maxShift the largest shift magnitude, a positive integer (default 10)
 * @param axes the axes to roll, negative counting from the end (default `[-1]`)
 *
 * @example
 * ```ts
 * import { data, np, random } from "../mod.ts";
 * const augment = data.shiftAugment(3);
 * const x = np.reshape(np.arange(2 * 8, { dtype: "float32" }), [2, 8]);
 * augment(x, random.key(0)).shape; // [2, 8]
 * ```
 */
export function shiftAugment(maxShift = 10, axes: readonly number[] = [-1]): ShiftAugmentation {
  const fn = "data.shiftAugment";
  checkInt(fn, "maxShift", maxShift);
  if (!Array.isArray(axes) || axes.length === 0) {
    throw new TypeError(`${fn}: axes must be a non-empty array of integers, got ${describe(axes)}`);
  }
  for (const a of axes) {
    if (!Number.isInteger(a)) throw new TypeError(`${fn}: axes must be integers, got [${axes}]`);
  }
  const axisList = axes.slice();
  return (data: Tensor, key: PRNGKey): Tensor => {
    if (!isTensor(data)) throw new TypeError(`${fn}: data must be a Tensor, got ${describe(data)}`);
    const resolved = axisList.map((a) => normalizeAxisFor(fn, a, data.ndim));
    const shifts = Array.from(randint(key, [resolved.length], -maxShift, maxShift).dataSync());
    return roll(data, shifts, resolved);
  };
}
