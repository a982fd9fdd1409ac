import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { data, type DType, isTensor, np, type Tensor, type TypedArray } from "../mod.ts";

/** The raw bytes of a tensor's elements. */
const bytesOf = (t: Tensor) => {
  const v = t.dataSync();
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
};

/** Deep equality of trees, tensors compared by dtype, shape and bytes, numbers by Object.is. */
function assertSameTree(got: unknown, want: unknown, path = "root"): void {
  if (isTensor(want)) {
    assert.ok(isTensor(got), `${path}: expected a tensor`);
    assert.equal(got.dtype, want.dtype, `${path}: dtype`);
    assert.deepEqual(got.shape, want.shape, `${path}: shape`);
    assert.deepEqual(bytesOf(got), bytesOf(want), `${path}: bytes`);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got) && got.length === want.length, `${path}: array of ${want.length}`);
    want.forEach((w, i) => assertSameTree((got as unknown[])[i], w, `${path}/${i}`));
  } else if (want !== null && typeof want === "object") {
    assert.ok(got !== null && typeof got === "object" && !Array.isArray(got), `${path}: object`);
    assert.deepEqual(Object.keys(got as object), Object.keys(want), `${path}: keys in order`);
    for (const k of Object.keys(want)) {
      assertSameTree((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}/${k}`);
    }
  } else {
    assert.ok(Object.is(got, want), `${path}: ${String(got)} vs ${String(want)}`);
  }
}

/** A tensor holding exactly these bits. */
function fromBits(bits: number[], dtype: "float32" | "float64"): Tensor {
  const words = new Uint32Array(bits);
  const values = dtype === "float32" ? new Float32Array(words.buffer) : new Float64Array(words.buffer);
  return np.fromTypedArray(values, [values.length], dtype);
}

/** A safetensors file built by hand: u64 LE header length, header text, data. */
function craft(
  header: object | string | Uint8Array,
  body: Uint8Array = new Uint8Array(0),
  length?: bigint,
): Uint8Array {
  const text = header instanceof Uint8Array
    ? header
    : new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

/** Parses the header independently of the library. */
function readHeader(
  bytes: Uint8Array,
): { n: number; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe("safetensors checkpoints: round trips", () => {
  test("float32 and float64 bits survive exactly: NaN payloads, -0, infinities, subnormals", () => {
    const a = fromBits([
      0x7fc00000,
      0x7fc00001,
      0xffc12345,
      0x7f800001,
      0x80000000,
      0x00000001,
      0x7f800000,
      0xff800000,
      0x3f800000,
    ], "float32");
    const b = fromBits([
      0,
      0x7ff80000,
      1,
      0x7ff00000,
      0,
      0x80000000,
      1,
      0,
      0xffffffff,
      0x7fefffff,
      0x12345678,
      0xfff9abcd,
    ], "float64");
    const c = np.array([-(2 ** 31), 2 ** 31 - 1, 0, -1], { dtype: "int32" });
    const d = np.array([0, 2 ** 32 - 1, 12345], { dtype: "uint32" });
    const e = np.array([true, false, true]);
    // The tensors themselves must carry the bits, or this test proves nothing.
    assert.deepEqual(Array.from(new Uint32Array(a.dataSync().buffer)).slice(0, 3), [
      0x7fc00000,
      0x7fc00001,
      0xffc12345,
    ]);
    const tree = { a, b, c, d, e };
    assertSameTree(data.fromSafetensors(data.toSafetensors(tree)), tree);
  });

  test("params and optimizer state: Haiku names with '/', numbers, plain values, empty containers", () => {
    const tree = {
      params: {
        "snn/~/linear": { w: np.ones([3, 2]), b: np.zeros([2]) },
        "snn/~/LIF": { beta: np.array([0.9, 0.8], { dtype: "float64" }) },
      },
      opt: [{ count: 3, mu: { w: np.full([3, 2], 0.5) }, nu: null }, {}, []],
      numbers: [NaN, -0, Infinity, -Infinity, 1e-310, 0.1 + 0.2, -(2 ** 53)],
      misc: { flag: true, name: "run 1", missing: undefined, ["__proto__"]: np.array(7), empty: np.zeros([0, 3]) },
    };
    // A key named __proto__ must be an own key, not the prototype.
    Object.defineProperty(tree.misc, "__proto__", {
      value: np.array(7),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const back = data.fromSafetensors(data.toSafetensors(tree));
    assertSameTree(back, tree);
    assert.ok(Object.hasOwn((back as { misc: object }).misc, "__proto__"));
  });

  test("the file layout, read independently: '/'-joined names, sorted, contiguous, 8-byte aligned, raw bytes", () => {
    const w = np.array([[1, 2], [3, 4]]), beta = np.array([0.5], { dtype: "float64" });
    const bytes = data.toSafetensors({ linear: { w }, LIF: { beta } }, { metadata: { epoch: "3" } });
    const { n, header } = readHeader(bytes);
    assert.equal((8 + n) % 8, 0);
    const names = Object.keys(header).filter((k) => k !== "__metadata__");
    assert.deepEqual(names, ["LIF/beta", "linear/w"]);
    assert.deepEqual(header["LIF/beta"], { dtype: "F64", shape: [1], data_offsets: [0, 8] });
    assert.deepEqual(header["linear/w"], { dtype: "F32", shape: [2, 2], data_offsets: [8, 24] });
    assert.equal((header.__metadata__ as unknown as Record<string, string>).epoch, "3");
    assert.equal(bytes.length, 8 + n + 24);
    assert.deepEqual(bytes.subarray(8 + n, 8 + n + 8), bytesOf(beta));
    assert.deepEqual(bytes.subarray(8 + n + 8), bytesOf(w));
    assert.deepEqual(data.decodeSafetensors(bytes).metadata.epoch, "3");
  });

  test("a file written elsewhere loads in Haiku's two-level layout", () => {
    const body = new Uint8Array(28);
    body.set(f32([1, 2, 3, 4]), 0);
    body.set(f32([5, 6]), 16);
    new DataView(body.buffer).setInt32(24, -7, true);
    const bytes = craft({
      __metadata__: { format: "pt" },
      "mlp/~/linear_0/w": { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
      "mlp/~/linear_0/b": { dtype: "F32", shape: [2], data_offsets: [16, 24] },
      step: { dtype: "I32", shape: [], data_offsets: [24, 28] },
    }, body);
    const tree = data.fromSafetensors(bytes) as Record<string, Record<string, Tensor> | Tensor>;
    assert.deepEqual(Object.keys(tree).sort(), ["mlp/~/linear_0", "step"]);
    const layer = tree["mlp/~/linear_0"] as Record<string, Tensor>;
    assert.deepEqual(layer.w.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(layer.b.toArray(), [5, 6]);
    assert.equal((tree.step as Tensor).item(), -7);
    assert.equal(data.decodeSafetensors(bytes).metadata.format, "pt");
  });

  test("random trees of random tensors round trip bit for bit", () => {
    const dtypes: DType[] = ["float32", "float64", "int32", "uint32", "bool"];
    const tensorArb = fc.record({
      dtype: fc.constantFrom(...dtypes),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    }).map(({ dtype, shape, seed }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const words = new Uint32Array(n * (dtype === "float64" ? 2 : 1));
      let s = seed;
      for (let i = 0; i < words.length; i++) words[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const values: TypedArray = dtype === "float32"
        ? new Float32Array(words.buffer)
        : dtype === "float64"
        ? new Float64Array(words.buffer)
        : dtype === "int32"
        ? new Int32Array(words.buffer)
        : dtype === "uint32"
        ? words
        : Uint8Array.from(words, (w) => w & 1);
      return np.fromTypedArray(values, shape, dtype);
    });
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== "__metadata__" && !k.includes("/"));
    const treeArb = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        tensorArb,
        fc.double(),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(key, tie("node"), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(treeArb, (tree) => assertSameTree(data.fromSafetensors(data.toSafetensors(tree as never)), tree)),
      { numRuns: 25 },
    );
  });

  test("saveCheckpoint/loadCheckpoint through a file, leaving no temporary files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spyx-ckpt-"));
    try {
      const path = join(dir, "step_10.safetensors");
      const tree = { params: { linear: { w: np.ones([4, 2]) } }, count: 10 };
      await data.saveCheckpoint(path, tree);
      assertSameTree(await data.loadCheckpoint(path), tree);
      await data.saveCheckpoint(path, { count: 11 }); // overwrite in place
      assertSameTree(await data.loadCheckpoint(path), { count: 11 });
      assert.deepEqual(readdirSync(dir), ["step_10.safetensors"]);
      await assert.rejects(
        data.loadCheckpoint(join(dir, "absent.safetensors")),
        /data\.loadCheckpoint: cannot read .*absent\.safetensors/,
      );
      const broken = join(dir, "broken.safetensors");
      writeFileSync(broken, readFileSync(path).subarray(0, 20));
      await assert.rejects(
        data.loadCheckpoint(broken),
        /data\.loadCheckpoint: .*broken\.safetensors: header length \d+ runs past the end/,
      );
      await assert.rejects(
        data.saveCheckpoint(join(dir, "no", "such", "dir.safetensors"), tree),
        /data\.saveCheckpoint: cannot write/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("safetensors checkpoints: damaged and tampered files", () => {
  const good = () => {
    const body = new Uint8Array(12);
    body.set(f32([1, 2]), 0);
    body.set(f32([3]), 8);
    return body;
  };
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(5), /5 bytes cannot hold the 8-byte header length/],
    [
      "header past the end",
      craft({ a: entry("F32", [2], [0, 8]) }, good()).subarray(0, 30),
      /header length \d+ runs past the end of the 30-byte file \(truncated\?\)/,
    ],
    [
      "header too large",
      craft("{}", new Uint8Array(0), 200_000_000n),
      /header length 200000000 exceeds the limit of 100000000 bytes/,
    ],
    ["header length 2^63", craft("{}", new Uint8Array(0), 2n ** 63n), /exceeds the limit/],
    [
      "truncated data",
      craft({ a: entry("F32", [2], [0, 8]), b: entry("F32", [1], [8, 12]) }, good().subarray(0, 10)),
      /tensor "b" ends at byte 12, past the end of the 10-byte data buffer \(truncated\?\)/,
    ],
    ["bad JSON", craft('{"a": {"dtype": "F32",, }}'), /the header is not valid JSON/],
    ["not an object", craft('[{"a": 1}]'), /the header must be a JSON object starting with "\{"/],
    ["JSON null", craft("null"), /starting with "\{"/],
    [
      "bad UTF-8",
      craft(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), // {"\xff":1}
      /the header is not valid UTF-8/,
    ],
    [
      "offsets outside",
      craft({ a: entry("F32", [2], [0, 8]), b: entry("F32", [1], [100, 104]) }, good()),
      /tensor "b" ends at byte 104, past the end of the 12-byte data buffer/,
    ],
    [
      "overlap",
      craft({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) }, good()),
      /tensors "a" and "b" overlap/,
    ],
    [
      "hole",
      craft({ a: entry("F32", [1], [0, 4]), b: entry("F32", [1], [8, 12]) }, good()),
      /unused bytes 4\.\.7 before "b"/,
    ],
    ["trailing bytes", craft({ a: entry("F32", [2], [0, 8]) }, good()), /4 bytes after the last tensor/],
    [
      "size vs shape",
      craft({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [8, 12]) }, good()),
      /tensor "b" has 4 bytes, but shape \[2\] of F32 needs 8/,
    ],
    [
      "unknown dtype",
      craft({ a: entry("F16", [4], [0, 8]), b: entry("F32", [1], [8, 12]) }, good()),
      /tensor "a" has dtype "F16"; supported: F32, F64, I32, U32, BOOL/,
    ],
    ["prototype dtype", craft({ a: entry("constructor", [2], [0, 8]) }, good()), /dtype "constructor"/],
    [
      "negative shape",
      craft({ a: entry("F32", [-2], [0, 8]) }, good()),
      /tensor "a" has shape \[-2\]; need non-negative integers/,
    ],
    ["fractional shape", craft({ a: entry("F32", [1.5], [0, 8]) }, good()), /need non-negative integers/],
    [
      "reversed offsets",
      craft({ a: entry("F32", [2], [8, 0]) }, good()),
      /data_offsets \[8,0\]; need \[begin, end\], begin <= end/,
    ],
    ["missing offsets", craft({ a: { dtype: "F32", shape: [3] } }, good()), /data_offsets undefined/],
    [
      "metadata not strings",
      craft({ __metadata__: { step: 3 }, a: entry("F32", [3], [0, 12]) }, good()),
      /__metadata__ value of "step" must be a string/,
    ],
    [
      "BOOL byte 2",
      craft({ a: entry("BOOL", [2], [0, 2]) }, new Uint8Array([1, 2])),
      /BOOL tensor "a" holds the byte 2 at 1/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    test(name, () => {
      assert.throws(() => data.fromSafetensors(bytes), (e: Error) => {
        assert.match(e.message, /^data\.fromSafetensors: /);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  test("a tree structure that does not match the tensors", () => {
    const body = f32([1]);
    const meta = (tree: string) => ({ [data.TREE_METADATA_KEY]: tree });
    const one = { a: entry("F32", [1], [0, 4]) };
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta('{"o":[["x",{"t":"b"}]]}'), ...one }, body)),
      /refers to a tensor "b" that the file lacks/,
    );
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta('{"o":[]}'), ...one }, body)),
      /the file holds a tensor "a" that the tree structure lacks/,
    );
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta('[{"t":"a"},{"t":"a"}]'), ...one }, body)),
      /uses the tensor "a" twice/,
    );
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta("{oops"), ...one }, body)),
      /tree structure in __metadata__ is not valid JSON/,
    );
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta('[{"t":"a"},{"n":"1e5"}]'), ...one }, body)),
      /invalid number "1e5"/,
    );
    assert.throws(
      () => data.fromSafetensors(craft({ __metadata__: meta('[{"t":"a"},{"q":1}]'), ...one }, body)),
      /unknown node/,
    );
  });

  test("trees that cannot be stored", () => {
    const t = np.ones([1]);
    assert.throws(
      () => data.toSafetensors({ "a/b": t, a: { b: t } }),
      /data\.toSafetensors: the leaves at \["a\/b"\] and \["a","b"\] both get the name "a\/b"/,
    );
    assert.throws(() => data.toSafetensors({ f: () => 1 }), /data\.toSafetensors: cannot store function/);
    assert.throws(
      () => data.toSafetensors({ m: new Map() }),
      /data\.toSafetensors: cannot store an object \(Map\) at \["m"\]/,
    );
    assert.throws(() => data.toSafetensors({ __metadata__: t }), /cannot be named "__metadata__"/);
    assert.throws(() => data.toSafetensors({ a: t }, { metadata: { "spyx_ts.tree": "{}" } }), /reserved prefix/);
  });
});
