/**
 * Reading HDF5 groups and whole datasets of an open file with h5wasm's
 * low-level calls, checking every status: h5wasm's `Dataset.value` ignores
 * a failed read and decodes whatever the buffer held (and frees the
 * "strings" it finds there), which a corrupt file must not reach.
 *
 * @module
 */
import type { Hdf5File } from "../data/hdf5.ts";

/** A dataset's contents: numbers (int or float classes) or strings, row-major, with its shape. */
export type DatasetValue =
  | { kind: "float"; shape: number[]; values: Float32Array | Float64Array }
  | { kind: "int"; shape: number[]; values: Float64Array }
  | { kind: "string"; shape: number[]; values: string[] };

/** Where a read happens, for error messages: the calling function and the file's name. */
export interface ReadContext {
  fn: string;
  name: string;
  h5: Hdf5File;
}

/** Datasets larger than this are refused (a corrupt header can claim any size). */
const MAX_DATASET_BYTES = 2 ** 30;
/** Longest variable-length string decoded (a corrupt pointer must not scan the whole heap). */
const MAX_STRING_BYTES = 1 << 16;

const H5T_INTEGER = 0, H5T_FLOAT = 1, H5T_STRING = 3;

function fail(ctx: ReadContext, path: string, why: string): Error {
  return new Error(`${ctx.fn}: ${ctx.name}: HDF5 cannot read "${path}": ${why}`);
}

/**
 * What `path` is: `"group"`, `"dataset"` or `"other"` (links to elsewhere,
 * named datatypes). The path must exist (list the parent first).
 *
 * @example
 * ```ts ignore
 * objectKind(ctx, "node/nodes"); // "group"
 * ```
 */
export function objectKind(ctx: ReadContext, path: string): "group" | "dataset" | "other" {
  const m = ctx.h5.module;
  let t: number;
  try {
    t = m.get_type(ctx.h5.file.file_id, path);
  } catch (e) {
    throw fail(ctx, path, (e as Error).message);
  }
  return t === m.H5O_TYPE_GROUP ? "group" : t === m.H5O_TYPE_DATASET ? "dataset" : "other";
}

/**
 * The names in a group (`""` is the root group), in HDF5's order.
 *
 * @example
 * ```ts ignore
 * groupKeys(ctx, ""); // ["node", "version"]
 * ```
 */
export function groupKeys(ctx: ReadContext, path: string): string[] {
  try {
    const names = ctx.h5.module.get_names(ctx.h5.file.file_id, path === "" ? "/" : path, false);
    if (!Array.isArray(names)) throw new Error("no list of names");
    return names;
  } catch (e) {
    throw fail(ctx, path === "" ? "/" : path, ctx.h5.reason() || (e as Error).message);
  }
}

function decodeNumbers(view: DataView, ptr: number, n: number, cls: number, size: number, signed: boolean) {
  const le = true; // h5wasm reads into a little-endian memory type whatever the file's order
  if (cls === H5T_FLOAT) {
    if (size === 8) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(ptr + 8 * i, le);
      return out;
    }
    // float16 values are exact in float32.
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = size === 4 ? view.getFloat32(ptr + 4 * i, le) : halfToNumber(view.getUint16(ptr + 2 * i, le));
    }
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0, at = ptr; i < n; i++, at += size) {
    out[i] = size === 1
      ? (signed ? view.getInt8(at) : view.getUint8(at))
      : size === 2
      ? (signed ? view.getInt16(at, le) : view.getUint16(at, le))
      : size === 4
      ? (signed ? view.getInt32(at, le) : view.getUint32(at, le))
      : Number(signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le));
  }
  return out;
}

/** IEEE half precision to number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function decodeString(heap: Uint8Array, from: number, length: number, utf8: boolean): string {
  let end = from;
  while (end < from + length && end < heap.length && heap[end] !== 0) end++;
  return new TextDecoder(utf8 ? "utf-8" : "latin1").decode(heap.subarray(from, end));
}

/**
 * Reads a whole dataset: integers (any size, signedness) and floats
 * (16, 32, 64 bits; float16 widened to float32) as numbers, fixed or
 * variable-length strings as strings. Other classes are an error.
 *
 * @example
 * ```ts ignore
 * readDataset(ctx, "node/nodes/lif/tau"); // { kind: "float", shape: [3], values: Float32Array(3) }
 * ```
 */
export function readDataset(ctx: ReadContext, path: string): DatasetValue {
  const m = ctx.h5.module, fileId = ctx.h5.file.file_id;
  let meta: { type: number; size: number; signed: boolean; shape: number[] | null; vlen: boolean; cset?: number };
  try {
    meta = m.get_dataset_metadata(fileId, path);
  } catch (e) {
    throw fail(ctx, path, ctx.h5.reason() || (e as Error).message);
  }
  if (!meta || !Array.isArray(meta.shape)) throw fail(ctx, path, "it has no dataspace (an empty dataset)");
  const shape = meta.shape.map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const { type: cls, size } = meta;
  const numeric = (cls === H5T_INTEGER && [1, 2, 4, 8].includes(size)) ||
    (cls === H5T_FLOAT && [2, 4, 8].includes(size));
  if (!numeric && cls !== H5T_STRING) {
    throw fail(ctx, path, `its element type (HDF5 class ${cls}, ${size} bytes) is neither a number nor a string`);
  }
  const vlenString = cls === H5T_STRING && meta.vlen;
  const bytes = n * (vlenString ? 4 : size);
  if (!Number.isSafeInteger(bytes) || bytes > MAX_DATASET_BYTES) {
    throw fail(ctx, path, `it claims ${n} elements of ${size} bytes (corrupt header?)`);
  }
  const ptr = m._malloc(Math.max(bytes, 1));
  if (ptr === 0) throw fail(ctx, path, `out of WebAssembly memory for ${bytes} bytes`);
  let filled = false;
  try {
    const status = m.get_dataset_data(fileId, path, null, null, null, BigInt(ptr));
    if (status < 0) throw fail(ctx, path, ctx.h5.reason() || "corrupt file?");
    filled = true;
    const heap = m.HEAPU8, view = new DataView(heap.buffer);
    if (numeric) {
      const values = decodeNumbers(view, ptr, n, cls, size, meta.signed);
      return cls === H5T_FLOAT
        ? { kind: "float", shape, values }
        : { kind: "int", shape, values: values as Float64Array };
    }
    const utf8 = meta.cset === 1;
    const values: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (vlenString) {
        const at = view.getUint32(ptr + 4 * i, true);
        values[i] = at === 0 ? "" : decodeString(heap, at, MAX_STRING_BYTES, utf8);
      } else {
        values[i] = decodeString(heap, ptr + i * size, size, utf8);
      }
    }
    return { kind: "string", shape, values };
  } finally {
    if (filled && vlenString) m.reclaim_vlen_memory(fileId, path, "", BigInt(ptr));
    m._free(ptr);
  }
}
