/**
 * A small WebAssembly binary writer: just enough of the format (types,
 * one imported memory, functions, exports, SIMD and atomic opcodes) to emit
 * the matrix kernels of {@link ./wasm_matmul.ts} and the cell kernels of
 * {@link ./cell_wasm.ts} at run time, so that no
 * external compiler or prebuilt binary is needed.
 *
 * @module
 */

/** Value type codes of the binary format. */
export const ValType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;

/** A value type code (`ValType.i32`, `ValType.f32` or `ValType.v128`). */
export type ValTypeCode = typeof ValType[keyof typeof ValType];

/** Single-byte opcodes used by the kernels. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Store: 0x36,
  f32Store: 0x38,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  f32Ne: 0x5c,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Ctz: 0x68,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
} as const;

/** SIMD opcodes (after the 0xfd prefix) used by the kernels. */
export const SimdOp = {
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f32x4Splat: 0x13,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Bitselect: 0x52,
  v128AnyTrue: 0x53,
  i32x4Bitmask: 0xa4,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4RelaxedMadd: 0x105,
} as const;

/** Unsigned LEB128 bytes of `n`. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 bytes of a 32-bit integer `n`. */
function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * Body of one function, written instruction by instruction. Locals are
 * numbered after the parameters; `local(type)` declares a new one.
 *
 * @example
 * ```ts
 * const f = new FunctionBody([ValType.i32], []);
 * f.get(0).i32Const(1).op(Op.i32Add).set(0);
 * ```
 */
export class FunctionBody {
  readonly bytes: number[] = [];
  private readonly localTypes: ValTypeCode[] = [];

  constructor(readonly params: ValTypeCode[], readonly results: ValTypeCode[]) {}

  /** Declares a local of the given type and returns its index. */
  local(type: ValTypeCode): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Appends raw opcode bytes. */
  op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  /** `local.get i`. */
  get(i: number): this {
    return this.op(Op.localGet, ...uleb(i));
  }

  /** `local.set i`. */
  set(i: number): this {
    return this.op(Op.localSet, ...uleb(i));
  }

  /** `local.tee i`. */
  tee(i: number): this {
    return this.op(Op.localTee, ...uleb(i));
  }

  /** `i32.const n`. */
  i32Const(n: number): this {
    return this.op(Op.i32Const, ...sleb(n));
  }

  /** `f32.const x`. */
  f32Const(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return this.op(Op.f32Const, ...b);
  }

  /** A memory instruction with its `align` (log2 bytes) and byte `offset` immediate. */
  mem(opcode: number, align: number, offset: number): this {
    return this.op(opcode, ...uleb(align), ...uleb(offset));
  }

  /** A SIMD instruction (0xfd prefix) without immediates. */
  simd(opcode: number): this {
    return this.op(0xfd, ...uleb(opcode));
  }

  /** A SIMD memory instruction with `align` (log2 bytes) and byte `offset`. */
  simdMem(opcode: number, align: number, offset: number): this {
    return this.op(0xfd, ...uleb(opcode), ...uleb(align), ...uleb(offset));
  }

  /** `v128.const` of four zero lanes. */
  v128Zero(): this {
    return this.op(0xfd, ...uleb(SimdOp.v128Const), ...new Array(16).fill(0));
  }

  /** Starts a `block`/`loop`/`if` without results. */
  begin(opcode: number): this {
    return this.op(opcode, 0x40);
  }

  /** The encoded body: local declarations, code and the final `end`. */
  encode(): number[] {
    const groups: [number, ValTypeCode][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...uleb(groups.length)];
    for (const [count, t] of groups) body.push(...uleb(count), t);
    body.push(...this.bytes, Op.end);
    return [...uleb(body.length), ...body];
  }
}

/** A function to place in the module under an export name. */
export interface ExportedFunction {
  name: string;
  body: FunctionBody;
}

/** Memory limits of the imported memory `env.memory`, in 64 KiB pages. */
export interface MemoryImport {
  initial: number;
  maximum: number;
  shared: boolean;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

/**
 * Encodes a module that imports one memory (`env.memory`) and exports the
 * given functions.
 *
 * @example
 * ```ts
 * const f = new FunctionBody([ValType.i32], [ValType.i32]);
 * f.get(0).i32Const(1).op(Op.i32Add);
 * const bytes = assembleModule({ initial: 1, maximum: 1, shared: false }, [{ name: "inc", body: f }]);
 * WebAssembly.validate(bytes); // true
 * ```
 */
export function assembleModule(memory: MemoryImport, functions: ExportedFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((
    { body },
  ) => [0x60, ...vector(body.params.map((t) => [t])), ...vector(body.results.map((t) => [t]))]);
  const limits = memory.shared ? [0x03, ...uleb(memory.initial), ...uleb(memory.maximum)] : [
    0x01,
    ...uleb(memory.initial),
    ...uleb(memory.maximum),
  ];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, ...limits]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.body.encode()))),
  ];
  return new Uint8Array(bytes);
}

/**
 * Emits `while (counter != 0) { body; counter-- }` for an i32 local
 * `counter` that may start at 0.
 *
 * @example
 * ```ts
 * const f = new FunctionBody([ValType.i32], []);
 * countDown(f, 0, () => bump(f, 0, 0));
 * ```
 */
export function countDown(f: FunctionBody, counter: number, body: () => void): void {
  f.begin(Op.block).get(counter).op(Op.i32Eqz).op(Op.brIf, 0);
  f.begin(Op.loop);
  body();
  f.get(counter).i32Const(1).op(Op.i32Sub).tee(counter).op(Op.brIf, 0);
  f.op(Op.end).op(Op.end);
}

/**
 * Emits `x += delta` on an i32 local (`delta` a constant, or code that
 * pushes it).
 *
 * @example
 * ```ts
 * const f = new FunctionBody([ValType.i32], []);
 * bump(f, 0, 16);
 * ```
 */
export function bump(f: FunctionBody, x: number, delta: number | (() => void)): void {
  f.get(x);
  if (typeof delta === "number") f.i32Const(delta);
  else delta();
  f.op(Op.i32Add).set(x);
}
