/**
 * A small HDF5 writer for test files: nested groups of one-dimensional
 * datasets of numbers, fixed-length or variable-length (HDF5 VLEN). h5wasm,
 * which the library reads HDF5 with, cannot write VLEN datasets of numbers,
 * and SHD's layout (`spikes/times`, `spikes/units`) is made of them; h5py
 * wrote the fixtures in `tests/fixtures/`, but tests that need bigger or
 * generated files write them with this.
 *
 * The files use HDF5's original format, the one h5py writes by default:
 * a version 0 superblock, version 1 object headers, groups as symbol tables
 * (a local heap of names, a version 1 B-tree with one symbol node),
 * contiguous dataset storage, and one global heap collection per VLEN
 * dataset for its rows. Offsets and lengths are 8 bytes, little-endian.
 * (Format reference: the HDF5 File Format Specification, version 2.0+.)
 *
 * @module
 */

/** Element types: unsigned/signed integers and IEEE floats (f16 rounds to nearest even). */
export type Hdf5Element = "u8" | "u16" | "u32" | "i32" | "f16" | "f32" | "f64";

/** A one-dimensional dataset of fixed-size numbers. */
export interface Hdf5Dataset {
  type: Hdf5Element;
  values: ArrayLike<number>;
}

/** A one-dimensional dataset whose elements are variable-length arrays of numbers. */
export interface Hdf5VlenDataset {
  type: Hdf5Element;
  rows: readonly ArrayLike<number>[];
}

/** A group: names to datasets or groups. */
export interface Hdf5Group {
  [name: string]: Hdf5Group | Hdf5Dataset | Hdf5VlenDataset;
}

const UNDEFINED = 0xffffffffffffffffn;
/** Entries per symbol-table node is twice this; written into the superblock. */
const GROUP_LEAF_K = 16;
const GROUP_INTERNAL_K = 16;
const MIN_GLOBAL_HEAP = 4096;

const SIZE: Record<Hdf5Element, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f16: 2, f32: 4, f64: 8 };

/** A growing little-endian byte buffer whose positions are file addresses. */
class FileBuffer {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  /** Reserves `size` zero bytes, 8-byte aligned, and returns their address. */
  allocate(size: number): number {
    const at = Math.ceil(this.length / 8) * 8;
    const end = at + size;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.length = end;
    return at;
  }

  view(at: number, size: number): DataView {
    return new DataView(this.bytes.buffer, at, size);
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Sequential little-endian writes into a DataView. */
class Writer {
  at = 0;
  constructor(readonly view: DataView) {}
  u8(v: number): this {
    this.view.setUint8(this.at++, v);
    return this;
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.view.setBigUint64(this.at, typeof v === "bigint" ? v : BigInt(v), true);
    this.at += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    new Uint8Array(this.view.buffer, this.view.byteOffset + this.at, b.length).set(b);
    this.at += b.length;
    return this;
  }
}

/** IEEE half-precision bits of `x`, rounded to nearest even. */
function toHalfBits(x: number): number {
  const f32 = new Float32Array([x]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1), midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  if ((half >>> 10) >= 0x1f) e = 0x1f; // rounded up into infinity
  return sign | (e === 0x1f ? 0x7c00 : half);
}

/** The raw little-endian bytes of `values` as `type`. */
function encodeValues(type: Hdf5Element, values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * SIZE[type]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i], at = i * SIZE[type];
    if (type !== "f16" && type !== "f32" && type !== "f64" && !Number.isInteger(v)) {
      throw new RangeError(`writeHdf5: ${v} is not an integer (type ${type})`);
    }
    if (type === "u8") view.setUint8(at, v);
    else if (type === "u16") view.setUint16(at, v, true);
    else if (type === "u32") view.setUint32(at, v, true);
    else if (type === "i32") view.setInt32(at, v, true);
    else if (type === "f16") view.setUint16(at, toHalfBits(v), true);
    else if (type === "f32") view.setFloat32(at, v, true);
    else view.setFloat64(at, v, true);
  }
  return out;
}

/** The body of a datatype message for a number type (class, bit field, size, properties). */
function numberType(type: Hdf5Element): Uint8Array {
  const size = SIZE[type];
  if (type[0] === "f") {
    // Layout per size: [precision, exponent location, exponent size, mantissa size, bias].
    const [precision, expLoc, expSize, mantSize, bias] = {
      2: [16, 10, 5, 10, 15],
      4: [32, 23, 8, 23, 127],
      8: [64, 52, 11, 52, 1023],
    }[size as 2 | 4 | 8];
    const w = new Writer(new DataView(new ArrayBuffer(20)));
    // Class 1 (float), version 1; bit field: little-endian, mantissa normalized with an implied leading 1, sign bit.
    w.u8(0x11).u8(0x20).u8(precision - 1).u8(0).u32(size);
    w.u16(0).u16(precision).u8(expLoc).u8(expSize).u8(0).u8(mantSize).u32(bias);
    return new Uint8Array(w.view.buffer);
  }
  const w = new Writer(new DataView(new ArrayBuffer(12)));
  // Class 0 (fixed point), version 1; bit 3 of the bit field: signed.
  w.u8(0x10).u8(type === "i32" ? 0x08 : 0).u8(0).u8(0).u32(size).u16(0).u16(size * 8);
  return new Uint8Array(w.view.buffer);
}

/** The body of a datatype message for a variable-length sequence of `type`. */
function vlenType(type: Hdf5Element): Uint8Array {
  const base = numberType(type);
  const out = new Uint8Array(8 + base.length);
  // Class 9 (variable length), version 1; type 0 = sequence; element = uint32 length + heap ID (address, index).
  new Writer(new DataView(out.buffer)).u8(0x19).u8(0).u8(0).u8(0).u32(4 + 8 + 4).bytes(base);
  return out;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** Writes a version 1 object header holding `messages` ([type, body]) and returns its address. */
function writeObjectHeader(file: FileBuffer, messages: [number, Uint8Array][]): number {
  const chunk = messages.reduce((n, [, body]) => n + 8 + pad8(body.length), 0);
  const at = file.allocate(16 + chunk);
  const w = new Writer(file.view(at, 16 + chunk));
  w.u8(1).u8(0).u16(messages.length).u32(1).u32(chunk).u32(0);
  for (const [type, body] of messages) {
    w.u16(type).u16(pad8(body.length)).u8(0).u8(0).u8(0).u8(0).bytes(body);
    w.at += pad8(body.length) - body.length;
  }
  return at;
}

function dataspaceMessage(length: number): Uint8Array {
  const w = new Writer(new DataView(new ArrayBuffer(16)));
  w.u8(1).u8(1).u8(0).u8(0).u32(0).u64(length);
  return new Uint8Array(w.view.buffer);
}

function contiguousLayoutMessage(address: number, size: number): Uint8Array {
  const w = new Writer(new DataView(new ArrayBuffer(18)));
  w.u8(3).u8(1).u64(address).u64(size);
  return new Uint8Array(w.view.buffer);
}

function writeDataset(file: FileBuffer, name: string, dataset: Hdf5Dataset): number {
  if (dataset.values.length === 0) throw new RangeError(`writeHdf5: dataset "${name}" is empty`);
  const raw = encodeValues(dataset.type, dataset.values);
  const data = file.allocate(raw.length);
  new Writer(file.view(data, raw.length)).bytes(raw);
  return writeObjectHeader(file, [
    [0x0001, dataspaceMessage(dataset.values.length)],
    [0x0003, numberType(dataset.type)],
    [0x0008, contiguousLayoutMessage(data, raw.length)],
  ]);
}

/** Writes the rows into a global heap collection, then the dataset's heap IDs. */
function writeVlenDataset(file: FileBuffer, name: string, dataset: Hdf5VlenDataset): number {
  const { rows, type } = dataset;
  if (rows.length === 0) throw new RangeError(`writeHdf5: dataset "${name}" is empty`);
  const objects = rows.map((row) => encodeValues(type, row));
  const nonEmpty = objects.filter((o) => o.length > 0).length;
  if (nonEmpty > 0xffff) throw new RangeError(`writeHdf5: dataset "${name}" has more than 65535 non-empty rows`);
  const used = 16 + objects.reduce((n, o) => n + (o.length > 0 ? 16 + pad8(o.length) : 0), 0);
  // A collection is at least 4 KiB; the rest is one free-space object (index 0), whose size counts its header.
  const size = Math.max(MIN_GLOBAL_HEAP, used + 16);
  const heap = file.allocate(size);
  const h = new Writer(file.view(heap, size));
  h.bytes(new TextEncoder().encode("GCOL")).u8(1).u8(0).u8(0).u8(0).u64(size);
  const ids: number[] = [];
  let index = 0;
  for (const o of objects) {
    if (o.length === 0) {
      ids.push(0);
      continue;
    }
    ids.push(++index);
    h.u16(index).u16(1).u32(0).u64(o.length).bytes(o);
    h.at += pad8(o.length) - o.length;
  }
  const free = size - h.at;
  h.u16(0).u16(0).u32(0).u64(free);

  const elements = file.allocate(16 * rows.length);
  const e = new Writer(file.view(elements, 16 * rows.length));
  rows.forEach((row, i) => {
    // An empty row has no heap object: length 0 and a null heap ID.
    e.u32(row.length).u64(ids[i] === 0 ? 0 : heap).u32(ids[i]);
  });
  return writeObjectHeader(file, [
    [0x0001, dataspaceMessage(rows.length)],
    [0x0003, vlenType(type)],
    [0x0008, contiguousLayoutMessage(elements, 16 * rows.length)],
  ]);
}

/** Where a group's symbol table lives, for its symbol table message and the superblock's cache. */
interface GroupAddresses {
  header: number;
  btree: number;
  heap: number;
}

function isGroup(node: Hdf5Group[string]): node is Hdf5Group {
  return !("type" in node && typeof node.type === "string");
}

function writeGroup(file: FileBuffer, path: string, group: Hdf5Group): GroupAddresses {
  const byteOrder = (a: string, b: string) => {
    const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  // Symbol nodes hold their entries sorted as strcmp sorts the names.
  const names = Object.keys(group).sort(byteOrder);
  if (names.length === 0) throw new RangeError(`writeHdf5: group "${path || "/"}" is empty`);
  if (names.length > 2 * GROUP_LEAF_K) throw new RangeError(`writeHdf5: group "${path}" has over ${2 * GROUP_LEAF_K}`);
  const children = names.map((name) => {
    const node = group[name], child = `${path}/${name}`;
    if (name === "" || name.includes("/") || name.includes("\0")) throw new RangeError(`writeHdf5: bad name "${name}"`);
    if (isGroup(node)) return writeGroup(file, child, node).header;
    return "values" in node ? writeDataset(file, child, node) : writeVlenDataset(file, child, node);
  });

  // Local heap: the empty string at offset 0, then each name, NUL-terminated, 8-byte aligned.
  const encoded = names.map((n) => new TextEncoder().encode(n));
  const offsets: number[] = [];
  let segment = 8;
  for (const n of encoded) {
    offsets.push(segment);
    segment += pad8(n.length + 1);
  }
  const heap = file.allocate(32 + segment);
  const hw = new Writer(file.view(heap, 32 + segment));
  // No free block: the free-list head is 1, HDF5's "end of free list" on disk.
  hw.bytes(new TextEncoder().encode("HEAP")).u8(0).u8(0).u8(0).u8(0).u64(segment).u64(1).u64(heap + 32);
  encoded.forEach((n, i) => {
    hw.at = 32 + offsets[i];
    hw.bytes(n);
  });

  // One symbol node with every entry (object header address, no cached scratch data).
  const snodSize = 8 + 2 * GROUP_LEAF_K * 40;
  const snod = file.allocate(snodSize);
  const sw = new Writer(file.view(snod, snodSize));
  sw.bytes(new TextEncoder().encode("SNOD")).u8(1).u8(0).u16(names.length);
  names.forEach((_, i) => sw.u64(offsets[i]).u64(children[i]).u32(0).u32(0).u64(0).u64(0));

  // A leaf B-tree node with that one child: keys are heap offsets ("" then the last name).
  const btreeSize = 24 + 2 * GROUP_INTERNAL_K * 8 + (2 * GROUP_INTERNAL_K + 1) * 8;
  const btree = file.allocate(btreeSize);
  const bw = new Writer(file.view(btree, btreeSize));
  bw.bytes(new TextEncoder().encode("TREE")).u8(0).u8(0).u16(1).u64(UNDEFINED).u64(UNDEFINED);
  bw.u64(0).u64(snod).u64(offsets[offsets.length - 1]);

  const stab = new Writer(new DataView(new ArrayBuffer(16))).u64(btree).u64(heap);
  const header = writeObjectHeader(file, [[0x0011, new Uint8Array(stab.view.buffer)]]);
  return { header, btree, heap };
}

/**
 * Writes `root` as the bytes of an HDF5 file: each plain object a group,
 * each `{type, values}` a 1-D dataset, each `{type, rows}` a 1-D dataset
 * of variable-length arrays.
 *
 * @example
 * ```ts
 * const bytes = writeHdf5({
 *   labels: { type: "u16", values: [3, 1] },
 *   spikes: {
 *     times: { type: "f16", rows: [[0.1, 0.5], [0.2]] },
 *     units: { type: "u16", rows: [[4, 9], [2]] },
 *   },
 * });
 * ```
 */
export function writeHdf5(root: Hdf5Group): Uint8Array {
  const file = new FileBuffer();
  const superblock = file.allocate(96);
  const rootGroup = writeGroup(file, "", root);
  const w = new Writer(file.view(superblock, 96));
  w.bytes(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
  // Versions (superblock, free space, root entry, reserved, shared header), offset and length sizes.
  w.u8(0).u8(0).u8(0).u8(0).u8(0).u8(8).u8(8).u8(0);
  w.u16(GROUP_LEAF_K).u16(GROUP_INTERNAL_K).u32(0);
  w.u64(0).u64(UNDEFINED).u64(pad8(file.length)).u64(UNDEFINED);
  // The root group's symbol table entry, with its B-tree and heap cached (cache type 1).
  w.u64(0).u64(rootGroup.header).u32(1).u32(0).u64(rootGroup.btree).u64(rootGroup.heap);
  file.allocate(pad8(file.length) - file.length);
  return file.result();
}
