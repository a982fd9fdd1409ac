/**
 * nir.read / nir.write against NIR's HDF5 layout: files written by other
 * tools (../shared/nir), the layout of our own files dataset by dataset
 * (inspected with h5wasm directly, against NIR's dataclass fields), h5py's
 * (and NIR's own reader's, when installed) view of them, and bad files.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm";
import { nir, np, type Tensor } from "../mod.ts";

const NIR_DIR = new URL("../../shared/nir/", import.meta.url);
const sharedFile = (name: string) => fileURLToPath(new URL(name, NIR_DIR));

type H5File = InstanceType<typeof h5wasm.File>;
// deno-lint-ignore no-explicit-any
type H5Any = any;

/** Opens bytes with h5wasm's high-level API, runs `fn`, cleans up. */
async function withH5<R>(bytes: Uint8Array, fn: (f: H5File) => R): Promise<R> {
  const module = await h5wasm.ready;
  const path = `/nir-test-${Math.random().toString(36).slice(2)}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, "r");
  try {
    return fn(f);
  } finally {
    f.close();
    module.FS.unlink(path);
  }
}

/** Writes an HDF5 file with h5wasm directly (an independent writer for the reader's tests). */
async function rawFile(build: (f: H5File) => void): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const path = `/nir-raw-${Math.random().toString(36).slice(2)}.h5`;
  const f = new h5wasm.File(path, "w");
  build(f);
  f.close();
  const bytes = module.FS.readFile(path) as Uint8Array;
  module.FS.unlink(path);
  return bytes;
}

const int64 = (values: number[], scalar = false) => ({
  data: BigInt64Array.from(values.map(BigInt)),
  shape: scalar ? [] : [values.length],
});

/** A minimal NIR file `input -> lif -> output`, with `edit` to break it. */
function tinyLifFile(edit: { type?: string; dropTau?: boolean; edges?: string[] } = {}): Promise<Uint8Array> {
  return rawFile((f) => {
    f.create_dataset({ name: "version", data: "1.0.0" });
    const node = f.create_group("node") as H5Any;
    node.create_dataset({ name: "type", data: "NIRGraph" });
    const edges = edit.edges ?? ["input", "lif", "lif", "output"];
    node.create_dataset({ name: "edges", data: edges, shape: [edges.length / 2, 2] });
    const nodes = node.create_group("nodes");
    for (const io of ["Input", "Output"]) {
      const g = nodes.create_group(io.toLowerCase());
      g.create_dataset({ name: "type", data: io });
      g.create_dataset({ name: "shape", ...int64([2]) });
    }
    const lif = nodes.create_group("lif");
    lif.create_dataset({ name: "type", data: edit.type ?? "LIF" });
    if (!edit.dropTau) lif.create_dataset({ name: "tau", data: new Float32Array([0.01, 0.02]) });
    for (const [k, v] of [["r", 1], ["v_leak", 0], ["v_threshold", 1]] as const) {
      lif.create_dataset({ name: k, data: new Float32Array([v, v]) });
    }
  });
}

/** Every dataset under `node` of an h5wasm file: path -> its value as h5wasm reads it. */
function allDatasets(f: H5File): Map<string, { value: unknown; shape: number[]; dtype: string }> {
  const out = new Map<string, { value: unknown; shape: number[]; dtype: string }>();
  const walk = (path: string) => {
    const obj = f.get(path) as H5Any;
    if (obj?.constructor?.name === "Group" || typeof obj?.keys === "function") {
      for (const k of obj.keys()) walk(`${path}/${k}`);
    } else out.set(path, { value: obj.value, shape: obj.shape, dtype: obj.dtype });
  };
  walk("node");
  return out;
}

/** The reader's value at a dataset path of the graph (`node/nodes/<n>/<field>`, nested through subgraphs). */
function fieldAt(graph: nir.NIRGraph, path: string): unknown {
  const parts = path.split("/").slice(1);
  let here: H5Any = graph;
  while (parts.length > 1) {
    const [group, name] = parts.splice(0, 2);
    assert.equal(group, "nodes", `unexpected path ${path}`);
    here = here.nodes[name];
  }
  return here[parts[0]];
}

function numbers(v: unknown): number[] {
  if (typeof v === "bigint") return [Number(v)];
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.map(Number);
  return Array.from(v as ArrayLike<number | bigint>, Number);
}

describe("nir.read: files written by other tools", () => {
  test("lif_norse.nir (Norse): structure and every stored value as h5wasm reads it", async () => {
    const bytes = readFileSync(sharedFile("lif_norse.nir"));
    const graph = await nir.read(sharedFile("lif_norse.nir"));
    assert.equal(graph.version, "0.1.1");
    assert.deepEqual(graph.edges, [["input", "0"], ["0", "1"], ["1", "output"]]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(graph.nodes).map(([k, n]) => [k, n.type])),
      { "0": "Affine", "1": "LIF", input: "Input", output: "Output" },
    );
    const lif = graph.nodes["1"] as nir.NIRLIF;
    assert.equal(lif.tau.dtype, "float32");
    assert.equal(lif.v_reset, undefined, "Norse 0.1.1 wrote no v_reset");
    await withH5(bytes, (f) => {
      for (const [path, { value, shape }] of allDatasets(f)) {
        if (path.endsWith("/type") || path.endsWith("/edges")) continue;
        const mine = fieldAt(graph, path);
        if (mine && typeof mine === "object" && "shape" in (mine as object) && !Array.isArray(mine)) {
          assert.deepEqual((mine as Tensor).shape, shape, path);
          assert.deepEqual(Array.from((mine as Tensor).dataSync()), numbers(value), path);
        } else assert.deepEqual(numbers(mine), numbers(value), path);
      }
    });
  });

  test("scnn_mnist.nir (the NIR paper's CNN): every field of every node as h5wasm reads it", async () => {
    const bytes = readFileSync(sharedFile("scnn_mnist.nir"));
    const graph = await nir.read(bytes);
    assert.equal(graph.version, "0.2.0");
    assert.equal(Object.keys(graph.nodes).length, 15);
    assert.equal(graph.edges.length, 14);
    const conv = graph.nodes["0"] as nir.NIRConv2d;
    assert.deepEqual([conv.stride, conv.padding, conv.dilation, conv.groups], [[2, 2], [1, 1], [1, 1], 1]);
    assert.deepEqual(conv.input_shape, [34, 34]);
    assert.deepEqual(conv.weight.shape, [16, 2, 5, 5]);
    assert.deepEqual(graph.nodes["8"], { type: "Flatten", start_dim: 0, end_dim: -1, input_type: [8, 4, 4] });
    let checked = 0;
    await withH5(bytes, (f) => {
      for (const [path, { value, shape }] of allDatasets(f)) {
        if (path.endsWith("/type")) {
          assert.equal(fieldAt(graph, path), value, path);
        } else if (path.endsWith("/edges")) {
          assert.deepEqual(graph.edges.flat(), value, path);
        } else {
          const mine = fieldAt(graph, path);
          if (mine !== null && typeof mine === "object" && !Array.isArray(mine)) {
            assert.deepEqual((mine as Tensor).shape, shape, path);
            assert.deepEqual(Array.from((mine as Tensor).dataSync()), numbers(value), path);
          } else assert.deepEqual(numbers(mine), numbers(value), path);
        }
        checked++;
      }
    });
    assert.ok(checked > 50, `checked ${checked} datasets`);
  });
});

/** One node of every type NIR defines, plus a nested graph and metadata. */
function everyNodeGraph(): nir.NIRGraph {
  const v = (xs: number[], shape = [xs.length]) => np.array(xs, { shape, dtype: "float32" });
  return {
    type: "NIRGraph",
    metadata: { author: "spyx-ts test", steps: 3, gain: np.array([0.5, 2]) },
    nodes: {
      input: { type: "Input", shape: [2, 4, 4] },
      conv: {
        type: "Conv2d",
        input_shape: [4, 4],
        weight: np.ones([3, 2, 3, 3]),
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        bias: v([0, 0.5, 1]),
      },
      pool: { type: "SumPool2d", kernel_size: [2, 2], stride: [2, 2], padding: [0, 0] },
      avg: { type: "AvgPool2d", kernel_size: [1, 1], stride: [1, 1], padding: [0, 0] },
      flat: { type: "Flatten", start_dim: 0, end_dim: -1, input_type: [3, 2, 2] },
      affine: { type: "Affine", weight: np.ones([4, 12]), bias: v([1, 2, 3, 4]), metadata: { note: "dense" } },
      lin: { type: "Linear", weight: np.eye(4) },
      scale: { type: "Scale", scale: v([1, 2, 3, 4]) },
      lif: {
        type: "LIF",
        tau: v([1, 1, 1, 1]),
        r: v([1, 1, 1, 1]),
        v_leak: v([0, 0, 0, 0]),
        v_threshold: v([1, 1, 1, 1]),
        v_reset: v([0, 0, 0, 0]),
      },
      cuba: {
        type: "CubaLIF",
        tau_syn: v([1, 1, 1, 1]),
        tau_mem: v([2, 2, 2, 2]),
        r: v([1, 1, 1, 1]),
        v_leak: v([0, 0, 0, 0]),
        v_threshold: v([1, 1, 1, 1]),
        v_reset: v([0, 0, 0, 0]),
        w_in: v([1, 1, 1, 1]),
      },
      li: { type: "LI", tau: v([1, 1, 1, 1]), r: v([1, 1, 1, 1]), v_leak: v([0, 0, 0, 0]) },
      ifn: { type: "IF", r: v([1, 1, 1, 1]), v_threshold: v([1, 1, 1, 1]), v_reset: v([0, 0, 0, 0]) },
      integ: { type: "I", r: v([1, 1, 1, 1]) },
      thr: { type: "Threshold", threshold: v([0.5, 0.5, 0.5, 0.5]) },
      delay: { type: "Delay", delay: v([0, 0.1, 0.2, 0.3]) },
      cubali: { type: "CubaLI", tau_syn: v([1]), tau_mem: v([1]), r: v([1]), v_leak: v([0]), w_in: v([1]) },
      conv1: {
        type: "Conv1d",
        input_shape: 4,
        weight: np.ones([1, 1, 2]),
        stride: 1,
        padding: "same",
        dilation: 1,
        groups: 1,
        bias: v([0]),
      },
      rnn: {
        type: "NIRGraph",
        nodes: {
          input: { type: "Input", shape: [4] },
          lif: {
            type: "LIF",
            tau: v([1, 1, 1, 1]),
            r: v([1, 1, 1, 1]),
            v_leak: v([0, 0, 0, 0]),
            v_threshold: v([1, 1, 1, 1]),
            v_reset: v([0, 0, 0, 0]),
          },
          w_rec: { type: "Linear", weight: np.eye(4, { dtype: "float64" }) },
          output: { type: "Output", shape: [4] },
        },
        edges: [["input", "lif"], ["lif", "w_rec"], ["w_rec", "lif"], ["lif", "output"]],
      },
      output: { type: "Output", shape: [4] },
    },
    edges: [
      ["input", "conv"],
      ["conv", "pool"],
      ["pool", "avg"],
      ["avg", "flat"],
      ["flat", "affine"],
      ["affine", "lin"],
      ["lin", "scale"],
      ["scale", "rnn"],
      ["rnn", "output"],
    ],
  };
}

// NIR's dataclass fields per node type (nir/ir/*.py, NIR 1.0), which its writer stores one dataset each.
const NIR_FIELDS: Record<string, string[]> = {
  Input: ["shape"],
  Output: ["shape"],
  Affine: ["weight", "bias"],
  Linear: ["weight"],
  Scale: ["scale"],
  LIF: ["tau", "r", "v_leak", "v_threshold", "v_reset"],
  CubaLIF: ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"],
  CubaLI: ["tau_syn", "tau_mem", "r", "v_leak", "w_in"],
  LI: ["tau", "r", "v_leak"],
  IF: ["r", "v_threshold", "v_reset"],
  I: ["r"],
  Threshold: ["threshold"],
  Conv1d: ["input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"],
  Conv2d: ["input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"],
  SumPool2d: ["kernel_size", "stride", "padding"],
  AvgPool2d: ["kernel_size", "stride", "padding"],
  Flatten: ["start_dim", "end_dim", "input_type"],
  Delay: ["delay"],
  NIRGraph: ["nodes", "edges"],
};
const INT_FIELDS = new Set([
  "shape",
  "input_shape",
  "stride",
  "dilation",
  "groups",
  "kernel_size",
  "start_dim",
  "end_dim",
  "input_type",
]);

describe("nir.write: NIR's layout", () => {
  test("field by field: names, dtypes and shapes as NIR's writer (h5py) stores them", async () => {
    const graph = everyNodeGraph();
    const bytes = await nir.write(graph);
    await withH5(bytes, (f) => {
      assert.deepEqual((f.keys() as string[]).sort(), ["node", "version"]);
      const version = f.get("version") as H5Any;
      assert.equal(version.value, nir.NIR_VERSION);
      assert.deepEqual(version.shape, []);
      const checkNode = (path: string, node: nir.NIRNode) => {
        const group = f.get(path) as H5Any;
        const type = group.get("type");
        assert.equal(type.value, node.type, `${path}/type`);
        assert.deepEqual(type.shape, [], `${path}/type is a scalar`);
        assert.equal(type.metadata.vlen, true, `${path}/type is a variable-length string, as h5py writes str`);
        const want = [...NIR_FIELDS[node.type], "type", ...(node.metadata ? ["metadata"] : [])].sort();
        assert.deepEqual((group.keys() as string[]).sort(), want, `${path}: datasets`);
        if (node.type === "NIRGraph") {
          const edges = group.get("edges");
          assert.deepEqual(edges.shape, [node.edges.length, 2]);
          assert.deepEqual(edges.value, node.edges.flat());
          for (const [name, child] of Object.entries(node.nodes)) checkNode(`${path}/nodes/${name}`, child);
          return;
        }
        for (const field of NIR_FIELDS[node.type]) {
          const d = group.get(field);
          const mine: unknown = (node as unknown as Record<string, unknown>)[field];
          if (typeof mine === "string") {
            assert.equal(d.value, mine, `${path}/${field}`);
          } else if (INT_FIELDS.has(field) || (field === "padding" && typeof mine !== "string")) {
            assert.equal(d.dtype, "<q", `${path}/${field} is int64`);
            assert.deepEqual(d.shape, typeof mine === "number" ? [] : [(mine as number[]).length], `${path}/${field}`);
            assert.deepEqual(numbers(d.value), numbers(mine), `${path}/${field}`);
          } else {
            const t = mine as Tensor;
            assert.equal(d.dtype, t.dtype === "float64" ? "<d" : "<f", `${path}/${field} dtype`);
            assert.deepEqual(d.shape, t.shape, `${path}/${field} shape`);
            assert.deepEqual(Array.from(d.value as Float32Array), Array.from(t.dataSync()), `${path}/${field}`);
          }
        }
      };
      checkNode("node", graph);
      const meta = f.get("node/metadata") as H5Any;
      assert.equal(meta.get("author").value, "spyx-ts test");
      assert.equal(Number(meta.get("steps").value), 3);
    });
  });

  test("write then read gives back every field", async () => {
    const graph = everyNodeGraph();
    const back = await nir.read(await nir.write(graph));
    assert.equal(back.version, nir.NIR_VERSION);
    const same = (a: unknown, b: unknown, where: string) => {
      if (a !== null && typeof a === "object" && "dataSync" in (a as object)) {
        const [x, y] = [a as Tensor, b as Tensor];
        assert.deepEqual([y.shape, y.dtype], [x.shape, x.dtype], where);
        assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()), where);
      } else if (a !== null && typeof a === "object" && !Array.isArray(a)) {
        assert.deepEqual(Object.keys(b as object).sort(), Object.keys(a as object).sort(), where);
        for (const k of Object.keys(a as object)) same((a as H5Any)[k], (b as H5Any)[k], `${where}.${k}`);
      } else assert.deepEqual(b, a, where);
    };
    same({ ...graph, version: nir.NIR_VERSION }, back, "graph");
  });

  test("h5py, and NIR's own reader when installed, load a written file", async (t) => {
    const python = pythonWithH5py();
    if (!python) {
      console.log("nir_file_test: skipped: no python3 with h5py (apt-get install python3-h5py to run it)");
      t.skip("no python3 with h5py");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "spyx-nir-"));
    try {
      const file = join(dir, "every.nir");
      writeFileSync(file, await nir.write(everyNodeGraph()));
      const script = `
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f["version"][()].decode() == sys.argv[2]
    assert f["node/type"][()] == b"NIRGraph"
    edges = [(a.decode(), b.decode()) for a, b in f["node/edges"][()]]
    assert edges[0] == ("input", "conv"), edges
    conv = f["node/nodes/conv"]
    assert conv["weight"].shape == (3, 2, 3, 3) and conv["weight"].dtype == "float32"
    assert conv["groups"][()] == 1 and conv["groups"].dtype == "int64"
    assert list(conv["stride"][()]) == [1, 1]
    assert f["node/nodes/conv1/padding"][()] == b"same"
    assert f["node/nodes/rnn/nodes/w_rec/weight"].dtype == "float64"
try:
    import nir
    nir.read
except (ImportError, AttributeError):
    print("h5py ok; NIR's Python package not installed")
    sys.exit(0)
g = nir.read(sys.argv[1])
assert type(g.nodes["rnn"]).__name__ == "NIRGraph"
assert type(g.nodes["cuba"]).__name__ == "CubaLIF"
assert list(g.nodes["output"].output_type["output"]) == [4]
print("h5py ok; nir.read ok")
`;
      // Run from the temporary folder: in the checkout, "import nir" would find our own nir/ folder.
      const run = spawnSync(python, ["-c", script, file, nir.NIR_VERSION], { encoding: "utf8", cwd: dir });
      assert.equal(run.status, 0, `python failed:\n${run.stdout}\n${run.stderr}`);
      console.log(`nir_file_test: ${run.stdout.trim()}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function pythonWithH5py(): string | null {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", "import h5py"], { encoding: "utf8" });
    if (r.status === 0) return python;
  }
  return null;
}

describe("nir.read / nir.write: bad input is a clear error", () => {
  const rejects = (p: Promise<unknown>, pattern: RegExp) => assert.rejects(p, pattern);

  test("bytes that are not HDF5", async () => {
    await rejects(nir.read(new TextEncoder().encode("this is not a NIR file at all")), /nir\.read: .*not an HDF5 file/);
    await rejects(nir.read(new Uint8Array(0)), /nir\.read: .*not an HDF5 file/);
  });

  test("a truncated file", async () => {
    const bytes = readFileSync(sharedFile("lif_norse.nir"));
    await rejects(nir.read(bytes.subarray(0, Math.floor(bytes.length / 2))), /nir\.read: .*truncated/);
    await rejects(nir.read(bytes.subarray(0, 20)), /nir\.read: .*(truncated|HDF5)/);
  });

  test("a corrupt global heap that makes HDF5 itself loop forever", async () => {
    // One size byte of the heap object holding "NIRGraph" (found by fuzzing): HDF5 1.14's loader,
    // in h5wasm and h5py alike, then walks onto a free-space object of size 0 and never returns.
    const bytes = Uint8Array.from(readFileSync(sharedFile("lif_norse.nir")));
    assert.equal(String.fromCharCode(...bytes.subarray(0x848, 0x850)), "NIRGraph");
    bytes[0x859] = 3;
    await rejects(
      nir.read(bytes),
      /nir\.read: .* is corrupt: HDF5 global heap at byte 2064: object 0 at byte \d+ claims 0 bytes/,
    );
  });

  test("an HDF5 file that is not in NIR's layout", async () => {
    const bytes = await rawFile((f) => f.create_dataset({ name: "x", data: new Float32Array([1]) }));
    await rejects(nir.read(bytes), /nir\.read: .*lacks the group "node"/);
  });

  test("a node without a field NIR requires", async () => {
    await rejects(
      nir.read(await tinyLifFile({ dropTau: true })),
      /node "node\/nodes\/lif" \(LIF\) lacks the field "tau"/,
    );
  });

  test("an unknown node type is named", async () => {
    await rejects(nir.read(await tinyLifFile({ type: "Sigmoid" })), /has type "Sigmoid"/);
  });

  test("an edge naming a missing node", async () => {
    const file = await tinyLifFile({ edges: ["input", "lif", "lif", "ghost"] });
    await rejects(nir.read(file), /edge \["lif","ghost"\] names node "ghost", which is not in the graph/);
  });

  test("a path that does not exist, and a source of the wrong type", async () => {
    await rejects(nir.read("/nonexistent/graph.nir"), /nir\.read: cannot read \/nonexistent\/graph\.nir/);
    await rejects(nir.read(42 as unknown as string), /nir\.read: source must be a Uint8Array or a file path/);
  });

  test("write refuses graphs NIR could not read back", async () => {
    const good = everyNodeGraph();
    await rejects(
      nir.write({ ...good, nodes: { ...good.nodes, odd: { type: "Sigmoid" } as unknown as nir.NIRNode } }),
      /nir\.write: node "odd" has type "Sigmoid", which is not a NIR node type/,
    );
    const { tau: _, ...noTau } = good.nodes.lif as nir.NIRLIF;
    await rejects(
      nir.write({ ...good, nodes: { ...good.nodes, lif: noTau as unknown as nir.NIRNode } }),
      /nir\.write: node "lif" \(LIF\) lacks the field "tau"/,
    );
    await rejects(nir.write({ ...good, edges: [["input", "nowhere"]] }), /names node "nowhere"/);
    await rejects(
      nir.write({
        ...good,
        nodes: { ...good.nodes, lin: { type: "Linear", weight: [[1]] } as unknown as nir.NIRNode },
      }),
      /node "lin" \(Linear\): field "weight" must be a float32 or float64 tensor/,
    );
  });
});
