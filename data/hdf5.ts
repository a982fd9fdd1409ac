/**
 * The little HDF5 reading that the dataset loaders need, on top of the npm
 * package `h5wasm` (HDF5 compiled to WebAssembly, wasm embedded in its
 * JavaScript), imported lazily. Files are copied into h5wasm's in-memory
 * file system, so this works the same under Deno, Bun and browsers.
 *
 * @module
 */
import { H5WASM, installHint, packageSpecifier } from "./npm_packages.ts";

type H5wasm = typeof import("npm:h5wasm@0.10.3").default;
type H5Module = Awaited<H5wasm["ready"]>;

/** An open, read-only HDF5 file; call {@link Hdf5File.close} when done. */
export interface Hdf5File {
  /** h5wasm's file object. */
  readonly file: InstanceType<H5wasm["File"]>;
  /** h5wasm's module (heap, malloc, low-level calls). */
  readonly module: H5Module;
  /** HDF5's innermost complaint since the file was opened, for error messages ("" if none). */
  reason(): string;
  /** Closes the file, removes its in-memory copy and restores HDF5's error printing. */
  close(): void;
}

// deno-lint-ignore no-explicit-any
type EmscriptenFS = any;

/**
 * Points the WebAssembly side's stderr (where HDF5 prints its error stack)
 * at an in-memory file until the returned function is called, so that a
 * corrupt file yields one clear JavaScript error instead of a screenful of
 * diagnostics. Does nothing if the file system lacks the needed calls.
 */
function captureStderr(fs: EmscriptenFS, path: string): { text(): string; restore(): void } {
  const saved = fs?.streams?.[2];
  if (!saved || typeof fs.close !== "function" || typeof fs.open !== "function") {
    return { text: () => "", restore: () => {} };
  }
  fs.close(saved);
  const sink = fs.open(path, "w");
  if (sink.fd !== 2) {
    fs.close(sink);
    fs.open(saved.path, "w");
    return { text: () => "", restore: () => {} };
  }
  return {
    text: () => {
      try {
        return fs.readFile(path, { encoding: "utf8" }) as string;
      } catch {
        return "";
      }
    },
    restore: () => {
      fs.close(sink);
      fs.open(saved.path, "w");
      try {
        fs.unlink(path);
      } catch { /* already gone */ }
    },
  };
}

/** The last (innermost) "in f(): message" line of an HDF5 error stack. */
function innermostReason(stack: string): string {
  const lines = stack.split("\n").map((l) => l.match(/ in ([\w]+\(\)): (.*)$/)).filter((m) => m !== null);
  const last = lines[lines.length - 1];
  return last ? `${last[2]} (${last[1]})` : "";
}

let h5wasmPromise: Promise<{ h5wasm: H5wasm; module: H5Module }> | null = null;
let nextFile = 0;

/**
 * Imports h5wasm once (on first use) and waits for its WebAssembly module;
 * `fn` names the caller in the error when the package is missing. Writers
 * (`nir.write`) use it directly; readers go through {@link openHdf5}.
 *
 * @example
 * ```ts ignore
 * const { h5wasm, module } = await loadH5wasm("nir.write");
 * ```
 */
export async function loadH5wasm(fn: string): Promise<{ h5wasm: H5wasm; module: H5Module }> {
  h5wasmPromise ??= (async () => {
    // Not a literal specifier: Deno needs the npm: form outside a checkout, Bun the bare name (npm_packages.ts).
    const h5wasm = ((await import(packageSpecifier(H5WASM))) as { default: H5wasm }).default;
    return { h5wasm, module: await h5wasm.ready };
  })();
  try {
    return await h5wasmPromise;
  } catch (e) {
    h5wasmPromise = null;
    throw new Error(
      `${fn}: cannot load the npm package "${H5WASM.name}" (install it with \`${installHint(H5WASM)}\`): ${
        (e as Error).message
      }`,
    );
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function readUint(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
  return v;
}

/**
 * Checks the HDF5 signature and, from the superblock, that the file is as
 * long as it says it is, so that the commonest damage (a truncated copy)
 * gets a clear message before HDF5 itself is involved; then that no global
 * heap collection would send HDF5's loader into an endless loop.
 *
 * @example
 * ```ts
 * try {
 *   checkHdf5Bytes("data.loadShd", "x.h5", new Uint8Array(8));
 * } catch (e) {
 *   (e as Error).message; // "data.loadShd: x.h5 is not an HDF5 file (...)"
 * }
 * ```
 */
export function checkHdf5Bytes(fn: string, name: string, bytes: Uint8Array): void {
  let base = -1;
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) {
      base = at;
      break;
    }
  }
  if (base < 0) {
    throw new Error(`${fn}: ${name} is not an HDF5 file (no HDF5 signature found in ${bytes.length} bytes)`);
  }
  const version = bytes[base + 8];
  let offsets: number, lengths: number, eofAt: number;
  if (version === 0 || version === 1) {
    [offsets, lengths] = [bytes[base + 13], bytes[base + 14]];
    eofAt = base + (version === 0 ? 24 : 28) + 2 * offsets;
  } else if (version === 2 || version === 3) {
    [offsets, lengths] = [bytes[base + 9], bytes[base + 10]];
    eofAt = base + 12 + 2 * offsets;
  } else {
    return; // Newer superblocks: leave the checks to HDF5.
  }
  if (![2, 4, 8].includes(offsets) || eofAt + offsets > bytes.length) {
    throw new Error(`${fn}: ${name} is truncated or corrupt: its HDF5 superblock is incomplete`);
  }
  const baseAddress = readUint(bytes, eofAt - 2 * offsets, offsets);
  const eof = readUint(bytes, eofAt, offsets);
  if (base + baseAddress + eof > bytes.length) {
    throw new Error(
      `${fn}: ${name} is truncated: it has ${bytes.length} bytes, its HDF5 superblock says ${base + baseAddress + eof}`,
    );
  }
  if ([2, 4, 8].includes(lengths)) checkGlobalHeaps(fn, name, bytes, lengths);
}

/**
 * Walks every global heap collection (`GCOL`, where HDF5 keeps
 * variable-length strings and arrays) the way HDF5's loader does, and
 * throws on an object whose size would stop that walk from advancing or
 * run past the collection: HDF5 1.14 (h5wasm, h5py alike) loops forever on
 * a free-space object of size 0, which one corrupt size field upstream
 * produces.
 */
function checkGlobalHeaps(fn: string, name: string, bytes: Uint8Array, lengths: number): void {
  const objectHeader = 8 + lengths; // index (2), references (2), reserved (4), size
  for (let at = bytes.indexOf(0x47); at >= 0; at = bytes.indexOf(0x47, at + 1)) {
    const isCollection = bytes[at + 1] === 0x43 && bytes[at + 2] === 0x4f && bytes[at + 3] === 0x4c &&
      bytes[at + 4] === 1 && bytes[at + 5] === 0 && bytes[at + 6] === 0 && bytes[at + 7] === 0 &&
      at + 8 + lengths <= bytes.length;
    if (!isCollection) continue;
    const end = at + readUint(bytes, at + 8, lengths);
    const corrupt = (why: string) => new Error(`${fn}: ${name} is corrupt: HDF5 global heap at byte ${at}: ${why}`);
    if (end < at + 8 + lengths || end > bytes.length) throw corrupt(`its size runs past the file`);
    for (let p = at + 8 + lengths; p + objectHeader <= end;) {
      const index = readUint(bytes, p, 2), size = readUint(bytes, p + 8, lengths);
      // Objects are padded to 8 bytes; the free-space object (index 0) counts its own header.
      const need = index > 0 ? objectHeader + Math.ceil(size / 8) * 8 : size;
      if (need <= 0 || p + need > end) throw corrupt(`object ${index} at byte ${p} claims ${size} bytes`);
      p += need;
    }
  }
}

/**
 * Opens HDF5 bytes read-only with h5wasm after {@link checkHdf5Bytes}.
 *
 * @example
 * ```ts ignore
 * const h5 = await openHdf5("data.loadShd", "shd.h5", bytes);
 * try { h5.file.keys(); } finally { h5.close(); }
 * ```
 */
export async function openHdf5(fn: string, name: string, bytes: Uint8Array): Promise<Hdf5File> {
  checkHdf5Bytes(fn, name, bytes);
  const { h5wasm, module } = await loadH5wasm(fn);
  const id = nextFile++;
  const path = `/spyx-ts-${id}.h5`;
  module.FS.writeFile(path, bytes);
  const stderr = captureStderr(module.FS, `/spyx-ts-${id}.err`);
  const reason = () => innermostReason(stderr.text());
  const release = () => {
    stderr.restore();
    module.FS.unlink(path);
  };
  let file: InstanceType<H5wasm["File"]>;
  try {
    file = new h5wasm.File(path, "r");
  } catch (e) {
    const why = reason() || (e as Error).message;
    release();
    throw new Error(`${fn}: HDF5 cannot open ${name}: ${why}`);
  }
  if (file.file_id < 0n) {
    const why = reason() || "corrupt file?";
    release();
    throw new Error(`${fn}: HDF5 cannot open ${name}: ${why}`);
  }
  return {
    file,
    module,
    reason,
    close() {
      try {
        file.close();
      } finally {
        release();
      }
    },
  };
}

/** An HDF5 dataset's element type, as h5wasm reports it. */
interface ElementType {
  type: number;
  size: number;
  signed: boolean;
}

/** IEEE half precision to number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** A reader of one element of `t` at a byte offset of a DataView. */
function elementReader(t: ElementType): ((view: DataView, at: number) => number) | null {
  // h5wasm reads into a little-endian copy of the file type, whatever the file's order.
  const le = true;
  if (t.type === 1) {
    if (t.size === 2) return (v, at) => halfToNumber(v.getUint16(at, le));
    if (t.size === 4) return (v, at) => v.getFloat32(at, le);
    if (t.size === 8) return (v, at) => v.getFloat64(at, le);
  } else if (t.type === 0) {
    if (t.size === 1) return t.signed ? (v, at) => v.getInt8(at) : (v, at) => v.getUint8(at);
    if (t.size === 2) return t.signed ? (v, at) => v.getInt16(at, le) : (v, at) => v.getUint16(at, le);
    if (t.size === 4) return t.signed ? (v, at) => v.getInt32(at, le) : (v, at) => v.getUint32(at, le);
    if (t.size === 8) {
      return t.signed ? (v, at) => Number(v.getBigInt64(at, le)) : (v, at) => Number(v.getBigUint64(at, le));
    }
  }
  return null;
}

/** Shape and element type of a 1-D dataset, or an error naming what is wrong. */
function describeDataset(
  fn: string,
  name: string,
  h5: Hdf5File,
  path: string,
): { length: number; metadata: ElementType & { vlen_type?: ElementType } } {
  const parts = path.split("/");
  let here = "";
  for (const part of parts) {
    const group = here === "" ? h5.file : h5.file.get(here);
    // deno-lint-ignore no-explicit-any
    const keys: string[] = (group as any)?.keys?.() ?? [];
    if (!keys.includes(part)) {
      throw new Error(
        `${fn}: ${name} has no dataset "${path}" (no "${part}" in ${
          here === "" ? "the root group" : `"${here}"`
        }; found ${keys.length ? keys.map((k) => `"${k}"`).join(", ") : "nothing"})`,
      );
    }
    here = here === "" ? part : `${here}/${part}`;
  }
  const dataset = h5.file.get(path);
  if (!(dataset instanceof Object) || !("metadata" in dataset)) {
    throw new Error(`${fn}: ${name}: "${path}" is not a dataset`);
  }
  const metadata = (dataset as { metadata: ElementType & { shape: number[] | null; vlen_type?: ElementType } })
    .metadata;
  if (!metadata.shape || metadata.shape.length !== 1) {
    throw new Error(`${fn}: ${name}: "${path}" must be one-dimensional, got shape [${metadata.shape ?? ""}]`);
  }
  return { length: metadata.shape[0], metadata };
}

/**
 * Reads a 1-D integer dataset as numbers.
 *
 * @example
 * ```ts ignore
 * const labels = readIntegerDataset("data.loadShd", "shd.h5", h5, "labels");
 * ```
 */
export function readIntegerDataset(fn: string, name: string, h5: Hdf5File, path: string): Float64Array {
  const { length, metadata } = describeDataset(fn, name, h5, path);
  const read = metadata.type === 0 ? elementReader(metadata) : null;
  if (!read) throw new Error(`${fn}: ${name}: "${path}" must hold integers (HDF5 class ${metadata.type})`);
  return readRows(fn, name, h5, path, 0, length, metadata.size, (view, at) => read(view, at));
}

function readRows(
  fn: string,
  name: string,
  h5: Hdf5File,
  path: string,
  start: number,
  count: number,
  rowBytes: number,
  decode: (view: DataView, at: number) => number,
  reclaim = false,
): Float64Array {
  const m = h5.module;
  const out = new Float64Array(count);
  if (count === 0) return out;
  const ptr = m._malloc(count * rowBytes);
  if (ptr === 0) throw new Error(`${fn}: ${name}: out of WebAssembly memory reading "${path}"`);
  try {
    const status = m.get_dataset_data(h5.file.file_id, path, [BigInt(count)], [BigInt(start)], [1n], BigInt(ptr));
    if (status < 0) throw new Error(`${fn}: ${name}: HDF5 cannot read "${path}": ${h5.reason() || "corrupt file?"}`);
    const view = new DataView(m.HEAPU8.buffer);
    for (let i = 0; i < count; i++) out[i] = decode(view, ptr + i * rowBytes);
  } finally {
    if (reclaim) m.reclaim_vlen_memory_count(h5.file.file_id, path, "", BigInt(ptr), [BigInt(count)]);
    m._free(ptr);
  }
  return out;
}

/**
 * Reads rows `[start, start + count)` of a 1-D dataset of variable-length
 * numeric arrays (HDF5 VLEN of int or float, float16 included), handing
 * each row to `visit` as a fresh array; works in chunks to bound memory.
 *
 * @example
 * ```ts ignore
 * readVlenRows("data.loadShd", "shd.h5", h5, "spikes/times", 0, 10, (i, row) => console.log(i, row.length));
 * ```
 */
export function readVlenRows(
  fn: string,
  name: string,
  h5: Hdf5File,
  path: string,
  start: number,
  count: number,
  visit: (row: number, values: Float64Array) => void,
): number {
  const { length, metadata } = describeDataset(fn, name, h5, path);
  const VLEN = 9;
  const read = metadata.type === VLEN && metadata.vlen_type ? elementReader(metadata.vlen_type) : null;
  if (!read) {
    throw new Error(
      `${fn}: ${name}: "${path}" must hold variable-length arrays of numbers (HDF5 class ${metadata.type})`,
    );
  }
  if (start + count > length) {
    throw new RangeError(`${fn}: ${name}: rows ${start}..${start + count - 1} requested, "${path}" has ${length}`);
  }
  const size = metadata.vlen_type!.size;
  const m = h5.module;
  const CHUNK = 256;
  for (let first = start; first < start + count; first += CHUNK) {
    const n = Math.min(CHUNK, start + count - first);
    const ptr = m._malloc(n * 8);
    if (ptr === 0) throw new Error(`${fn}: ${name}: out of WebAssembly memory reading "${path}"`);
    let filled = false;
    try {
      const status = m.get_dataset_data(h5.file.file_id, path, [BigInt(n)], [BigInt(first)], [1n], BigInt(ptr));
      if (status < 0) throw new Error(`${fn}: ${name}: HDF5 cannot read "${path}": ${h5.reason() || "corrupt file?"}`);
      filled = true;
      // hvl_t in wasm32: a 4-byte length, then a 4-byte pointer.
      const view = new DataView(m.HEAPU8.buffer);
      for (let i = 0; i < n; i++) {
        const len = view.getUint32(ptr + 8 * i, true), data = view.getUint32(ptr + 8 * i + 4, true);
        if (len > 0 && data + len * size > m.HEAPU8.length) {
          throw new Error(`${fn}: ${name}: row ${first + i} of "${path}" points outside memory (corrupt file?)`);
        }
        const values = new Float64Array(len);
        for (let j = 0; j < len; j++) values[j] = read(view, data + j * size);
        visit(first + i, values);
      }
    } finally {
      if (filled) m.reclaim_vlen_memory_count(h5.file.file_id, path, "", BigInt(ptr), [BigInt(n)]);
      m._free(ptr);
    }
  }
  return length;
}

/**
 * The length of a 1-D dataset (throws naming the path when it is missing).
 *
 * @example
 * ```ts ignore
 * datasetLength("data.loadShd", "shd.h5", h5, "labels"); // 8156
 * ```
 */
export function datasetLength(fn: string, name: string, h5: Hdf5File, path: string): number {
  return describeDataset(fn, name, h5, path).length;
}

/**
 * The class of the numbers in a 1-D dataset of variable-length arrays:
 * `"integer"`, `"float"`, or null when it holds something else (which
 * {@link readVlenRows} rejects), so that a loader can refuse, before
 * reading, integers where it expects times in seconds and the reverse.
 *
 * @example
 * ```ts ignore
 * vlenElementClass("data.loadShd", "shd.h5", h5, "spikes/times"); // "float"
 * ```
 */
export function vlenElementClass(fn: string, name: string, h5: Hdf5File, path: string): "integer" | "float" | null {
  const { metadata } = describeDataset(fn, name, h5, path);
  const element = metadata.type === 9 ? metadata.vlen_type : undefined;
  if (!element || !elementReader(element)) return null;
  return element.type === 0 ? "integer" : "float";
}
