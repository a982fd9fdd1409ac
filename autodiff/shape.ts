/**
 * Shape arithmetic shared by every op: sizes, strides, numpy broadcasting
 * and axis normalisation. Errors name the op that asked.
 *
 * @module
 */

/** A tensor shape: one non-negative integer per axis. */
export type Shape = readonly number[];

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a shape, in elements.
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Throws unless `shape` is an array of non-negative integers.
 *
 * @example
 * ```ts
 * checkShape("np.zeros", [2, 3]);
 * ```
 */
export function checkShape(op: string, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new TypeError(
      `${op}: invalid shape ${JSON.stringify(shape)}; expected an array of non-negative integers`,
    );
  }
  return shape.slice();
}

/**
 * The numpy broadcast of two shapes.
 *
 * @example
 * ```ts
 * broadcastShapes("add", [3, 1], [4]); // [3, 4]
 * ```
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes [${a}] and [${b}] cannot be broadcast together (axis ${i - n}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Maps a possibly negative axis into `[0, ndim)`.
 *
 * @example
 * ```ts
 * normalizeAxis("sum", -1, 3); // 2
 * ```
 */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(
      `${op}: axis ${axis} is out of bounds for an array of rank ${ndim}`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalises an axis argument (`undefined` = all axes) into a sorted list
 * of distinct non-negative axes.
 *
 * @example
 * ```ts
 * normalizeAxes("sum", [-1, 0], 3); // [0, 2]
 * ```
 */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined | null,
  ndim: number,
): number[] {
  if (axis === undefined || axis === null) {
    return Array.from({ length: ndim }, (_, i) => i);
  }
  const list = typeof axis === "number" ? [axis] : axis;
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) {
    throw new RangeError(`${op}: repeated axis in [${list}]`);
  }
  return out.sort((x, y) => x - y);
}

/**
 * True when two shapes are equal.
 *
 * @example
 * ```ts
 * shapesEqual([2, 3], [2, 3]); // true
 * ```
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
