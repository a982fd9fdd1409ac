/**
 * The interface every backend implements: storage plus one kernel per
 * primitive. The op layer (`autodiff/ops/`) checks shapes and dtypes,
 * records gradients and calls these kernels, so a new backend only has to
 * implement this interface to run every op, `grad` included.
 *
 * Data lives behind an opaque {@link DataHandle}: the CPU backend uses a
 * typed array, a GPU backend a device buffer. Reading back may be
 * asynchronous ({@link Backend.read}); `readSync` may throw on backends that
 * cannot block.
 *
 * Kernels receive operands whose shapes and dtypes the op layer has already
 * validated (and, for binary ops, cast to a common dtype); they never see JS
 * numbers or pytrees.
 *
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts";
import type { Shape } from "./shape.ts";

/** Backend-owned storage of one tensor's elements. */
export type DataHandle = unknown;

/** What a kernel gets for each operand. */
export interface KernelTensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly handle: DataHandle;
}

/** Element-wise functions of one operand. */
export type UnaryOp =
  | "neg"
  | "exp"
  | "log"
  | "log1p"
  | "expm1"
  | "sqrt"
  | "tanh"
  | "sigmoid"
  | "abs"
  | "sign"
  | "floor"
  | "ceil"
  | "round"
  | "sin"
  | "cos"
  | "logicalNot";

/** Element-wise functions of two broadcast operands of one dtype. */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "mod"
  | "equal"
  | "notEqual"
  | "greater"
  | "greaterEqual"
  | "less"
  | "lessEqual"
  | "logicalAnd"
  | "logicalOr";

/** Reductions over a set of axes. */
export type ReduceOp = "sum" | "max" | "min" | "prod";

/** Options of a general dilated convolution, in canonical layout. */
export interface ConvParams {
  /** One stride per spatial axis. */
  readonly strides: readonly number[];
  /** `[lo, hi]` zero padding per spatial axis (of the dilated input). */
  readonly padding: readonly (readonly [number, number])[];
  /** Input (lhs) dilation per spatial axis (1 = none). */
  readonly lhsDilation: readonly number[];
  /** Kernel (rhs) dilation per spatial axis (1 = none). */
  readonly rhsDilation: readonly number[];
  /** Number of feature groups. */
  readonly featureGroupCount: number;
}

/** Options of a windowed reduction over every axis. */
export interface WindowParams {
  readonly window: readonly number[];
  readonly strides: readonly number[];
  readonly padding: readonly (readonly [number, number])[];
}

/** A compute backend: storage and the kernels of every primitive. */
export interface Backend {
  /** Name used by {@link setBackend}. */
  readonly name: string;
  /** Copies host values into backend storage. */
  upload(values: TypedArray, dtype: DType): DataHandle;
  /** Reads values synchronously (may throw on asynchronous backends). */
  readSync(x: KernelTensor): TypedArray;
  /** Reads values back to the host. */
  read(x: KernelTensor): Promise<TypedArray>;
  /** Releases storage early (storage is otherwise garbage-collected). */
  dispose(handle: DataHandle): void;

  unary(op: UnaryOp, x: KernelTensor): DataHandle;
  /** `a` and `b` share a dtype; the result has `outShape` and is bool for comparisons. */
  binary(op: BinaryOp, a: KernelTensor, b: KernelTensor, outShape: Shape): DataHandle;
  /** `cond` is bool; `a`, `b` share a dtype; all broadcast to `outShape`. */
  where(cond: KernelTensor, a: KernelTensor, b: KernelTensor, outShape: Shape): DataHandle;
  cast(x: KernelTensor, dtype: DType): DataHandle;
  /** Reduces `axes` (sorted, distinct) away; the result drops those axes. */
  reduce(op: ReduceOp, x: KernelTensor, axes: readonly number[]): DataHandle;
  /** Index (int32) of the first maximum/minimum along `axis`, which is dropped. */
  argReduce(op: "argmax" | "argmin", x: KernelTensor, axis: number): DataHandle;
  transpose(x: KernelTensor, perm: readonly number[]): DataHandle;
  broadcastTo(x: KernelTensor, shape: Shape): DataHandle;
  /** Strided slice: element `i` of axis `d` is `starts[d] + i*steps[d]`, `sizes[d]` of them. */
  slice(
    x: KernelTensor,
    starts: readonly number[],
    sizes: readonly number[],
    steps: readonly number[],
  ): DataHandle;
  /** Constant padding, `[lo, hi]` per axis (non-negative). */
  pad(x: KernelTensor, pads: readonly (readonly [number, number])[], value: number): DataHandle;
  concatenate(xs: readonly KernelTensor[], axis: number): DataHandle;
  /** `out[..., i, ...] = x[..., indices[i], ...]` along `axis` (indices int32, in range, flattened). */
  gather(x: KernelTensor, indices: KernelTensor, axis: number): DataHandle;
  /** Adjoint of `gather`: sums `updates` into zeros of `outShape` along `axis`. */
  scatterAdd(
    updates: KernelTensor,
    indices: KernelTensor,
    axis: number,
    outShape: Shape,
  ): DataHandle;
  /**
   * `op(a) @ op(b)` with broadcast batch axes, `[...batch, m, k] @ [...batch, k, n]`;
   * `outShape` given. With `transA`, `a` is stored `[...batch, k, m]` and
   * `op(a)` is its transpose over the last two axes; likewise `transB`.
   */
  matmul(a: KernelTensor, b: KernelTensor, outShape: Shape, transA?: boolean, transB?: boolean): DataHandle;
  /** Convolution of `lhs [N, C, ...spatial]` with `rhs [O, C/groups, ...window]`. */
  conv(lhs: KernelTensor, rhs: KernelTensor, params: ConvParams, outShape: Shape): DataHandle;
  /** Windowed sum or max over every axis, padding with 0 (sum) or -inf (max). */
  reduceWindow(
    op: "sum" | "max",
    x: KernelTensor,
    params: WindowParams,
    outShape: Shape,
  ): DataHandle;
  /**
   * Adjoint of a max window: routes each `cot` element to the first
   * maximum of its window in `x` (XLA's select-and-scatter).
   */
  selectAndScatterMax(x: KernelTensor, cot: KernelTensor, params: WindowParams): DataHandle;
}

const backends = new Map<string, Backend>();
let current: Backend | undefined;

/**
 * Makes a backend available under its name; the first one registered becomes
 * the current one.
 *
 * @example
 * ```ts
 * registerBackend(myBackend);
 * ```
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
  if (!current) current = backend;
}

/**
 * Selects the backend that new tensors and ops use.
 *
 * @example
 * ```ts
 * setBackend("cpu");
 * ```
 */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new Error(
      `setBackend: no backend named ${JSON.stringify(name)}; registered: ${[...backends.keys()].join(", ")}`,
    );
  }
  current = b;
}

/**
 * The backend new tensors are created on.
 *
 * @example
 * ```ts
 * getBackend().name; // "cpu"
 * ```
 */
export function getBackend(): Backend {
  if (!current) throw new Error("getBackend: no backend registered");
  return current;
}

/**
 * Looks up a registered backend by name.
 *
 * @example
 * ```ts
 * findBackend("cpu")?.name; // "cpu"
 * ```
 */
export function findBackend(name: string): Backend | undefined {
  return backends.get(name);
}
