/**
 * The safetensors file format (Hugging Face): an 8-byte little-endian
 * header length `N`, `N` bytes of JSON header, then the raw tensor bytes.
 * Encoding and strictly validating decoding of flat name → tensor maps.
 *
 * @module
 */
import type { DType, TypedArray } from "../autodiff/dtype.ts";
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import { isTensor, type Tensor } from "../autodiff/tensor.ts";
import { describe } from "./checks.ts";

/** The safetensors dtypes we read and write, and their tensor dtypes. */
const TO_SAFETENSORS: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  uint32: "U32",
  bool: "BOOL",
};
const FROM_SAFETENSORS: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: "float32", bytes: 4 },
  F64: { dtype: "float64", bytes: 8 },
  I32: { dtype: "int32", bytes: 4 },
  U32: { dtype: "uint32", bytes: 4 },
  BOOL: { dtype: "bool", bytes: 1 },
};

/** The reference implementation refuses headers larger than this. */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndian(fn: string): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error(`${fn}: big-endian hosts are not supported`);
}

/** A decoded safetensors file. */
export interface SafetensorsContent {
  /** The tensors by name, in file order of their data. */
  tensors: Map<string, Tensor>;
  /** The string → string `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

/**
 * Writes tensors and string metadata as safetensors bytes. Tensors are laid
 * out in the given order without gaps; the header is padded with spaces so
 * that the data starts 8-byte aligned, as the reference writer does.
 * Supported dtypes: float32 (F32), float64 (F64), int32 (I32), uint32 (U32)
 * and bool (BOOL, one byte 0/1).
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const bytes = encodeSafetensors(new Map([["w", np.ones([2, 3])]]), { step: "10" });
 * decodeSafetensors(bytes).tensors.get("w")!.shape; // [2, 3]
 * ```
 */
export function encodeSafetensors(
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const fn = "encodeSafetensors";
  requireLittleEndian(fn);
  // deno-lint-ignore no-explicit-any
  const header: Record<string, any> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") {
      throw new TypeError(`${fn}: metadata value of "${k}" must be a string, got ${describe(v)}`);
    }
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new RangeError(`${fn}: "__metadata__" is reserved and cannot name a tensor`);
    if (!isTensor(t)) throw new TypeError(`${fn}: "${name}" must be a Tensor, got ${describe(t)}`);
    const values = t.dataSync();
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    header[name] = {
      dtype: TO_SAFETENSORS[t.dtype],
      shape: t.shape.slice(),
      data_offsets: [offset, offset + raw.length],
    };
    chunks.push(raw);
    offset += raw.length;
  }
  let json = JSON.stringify(header);
  const utf8 = new TextEncoder();
  let headerBytes = utf8.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    json += " ".repeat(pad);
    headerBytes = utf8.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads safetensors bytes, validating everything a damaged or tampered file
 * could get wrong before any tensor is built: the header length (at most
 * {@link MAX_HEADER_BYTES} and within the file), UTF-8 JSON starting with
 * `{`, string-only `__metadata__`, known dtypes, non-negative integer
 * shapes, `data_offsets` that lie in the data buffer, match `shape × dtype
 * size`, and tile the buffer exactly (no overlaps, holes or trailing
 * bytes), and BOOL bytes that are 0 or 1. Errors name the offending tensor.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const bytes = encodeSafetensors(new Map([["b", np.zeros([3])]]));
 * decodeSafetensors(bytes).tensors.get("b")!.toArray(); // [0, 0, 0]
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContent {
  const fn = "decodeSafetensors";
  requireLittleEndian(fn);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}: expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) throw new Error(`${fn}: ${bytes.length} bytes cannot hold the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${fn}: header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new Error(`${fn}: header length ${n} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new Error(`${fn}: the header is not valid UTF-8`);
  }
  if (!text.startsWith("{")) throw new Error(`${fn}: the header must be a JSON object starting with "{"`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fn}: the header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error(`${fn}: the header must be a JSON object`);
  }
  const dataLength = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null || typeof info !== "object" || Array.isArray(info)) {
        throw new Error(`${fn}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") throw new Error(`${fn}: __metadata__ value of "${k}" must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(checkEntry(fn, name, info, dataLength));
  }
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < expected) {
      throw new Error(`${fn}: tensors "${previous!.name}" and "${e.name}" overlap in the data buffer`);
    }
    if (e.begin > expected) {
      throw new Error(`${fn}: the data buffer has unused bytes ${expected}..${e.begin - 1} before "${e.name}"`);
    }
    expected = e.end;
    previous = e;
  }
  if (expected !== dataLength) {
    throw new Error(`${fn}: the data buffer has ${dataLength - expected} bytes after the last tensor`);
  }
  const tensors = new Map<string, Tensor>();
  const base = 8 + n;
  for (const e of sorted) {
    // A copy (Node's Buffer#slice would alias), aligned for the typed array.
    const raw = new Uint8Array(bytes.subarray(base + e.begin, base + e.end));
    let values: TypedArray;
    switch (e.dtype) {
      case "float32":
        values = new Float32Array(raw.buffer);
        break;
      case "float64":
        values = new Float64Array(raw.buffer);
        break;
      case "int32":
        values = new Int32Array(raw.buffer);
        break;
      case "uint32":
        values = new Uint32Array(raw.buffer);
        break;
      case "bool":
        for (let i = 0; i < raw.length; i++) {
          if (raw[i] > 1) throw new Error(`${fn}: BOOL tensor "${e.name}" holds the byte ${raw[i]} at ${i}`);
        }
        values = raw;
        break;
    }
    tensors.set(e.name, fromTypedArray(values, e.shape, e.dtype));
  }
  return { tensors, metadata };
}

function checkEntry(fn: string, name: string, info: unknown, dataLength: number): Entry {
  if (info === null || typeof info !== "object" || Array.isArray(info)) {
    throw new Error(`${fn}: the header entry of "${name}" must be an object`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const known = typeof dtype === "string" ? FROM_SAFETENSORS[dtype] : undefined;
  if (!known || !Object.hasOwn(FROM_SAFETENSORS, dtype as string)) {
    throw new Error(
      `${fn}: tensor "${name}" has dtype ${JSON.stringify(dtype)}; supported: ${
        Object.keys(FROM_SAFETENSORS).join(", ")
      }`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${fn}: tensor "${name}" has shape ${JSON.stringify(shape)}; need non-negative integers`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new Error(
      `${fn}: tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; need [begin, end], begin <= end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new Error(
      `${fn}: tensor "${name}" ends at byte ${end}, past the end of the ${dataLength}-byte data buffer (truncated?)`,
    );
  }
  const elements = shape.reduce((a: number, b: number) => a * b, 1);
  if (end - begin !== elements * known.bytes) {
    throw new Error(
      `${fn}: tensor "${name}" has ${end - begin} bytes, but shape [${shape}] of ${dtype} needs ${
        elements * known.bytes
      }`,
    );
  }
  return { name, dtype: known.dtype, shape: shape as number[], begin, end };
}
