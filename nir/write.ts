/**
 * `nir.write`: an in-memory {@link NIRGraph} to the bytes of an HDF5 file in
 * NIR's layout, dataset by dataset as NIR's own writer (`nir.write`, h5py)
 * stores it: strings as variable-length UTF-8 scalars, integers as int64,
 * arrays in their tensor's dtype and shape, `edges` as an `[N, 2]` string
 * dataset. Datasets are not compressed (NIR's writer gzips them; readers do
 * not care).
 *
 * @module
 */
import { isTensor, type Tensor } from "../autodiff/mod.ts";
import { loadH5wasm } from "../data/hdf5.ts";
import { type FieldSpec, type NIRGraph, type NIRMetadata, type NIRNode, NODE_FIELDS } from "./graph.ts";
import { checkGraph, describeValue } from "./validate.ts";

const FN = "nir.write";

/** The NIR version written to `version`: the layout is that of NIR 1.0 (`nir/serialization.py`). */
export const NIR_VERSION = "1.0.7";

type H5Group = {
  create_group(name: string): H5Group;
  create_dataset(args: { name: string; data: unknown; shape?: number[] | null; dtype?: string | null }): unknown;
};

let nextFile = 0;

function writeString(group: H5Group, name: string, value: string): void {
  group.create_dataset({ name, data: value });
}

function writeInts(group: H5Group, name: string, values: readonly number[], scalar: boolean): void {
  group.create_dataset({
    name,
    data: BigInt64Array.from(values.map((v) => BigInt(v))),
    shape: scalar ? [] : [values.length],
  });
}

function writeTensor(group: H5Group, name: string, t: Tensor): void {
  const data = t.dtype === "bool" ? Uint8Array.from(t.dataSync()) : t.dataSync();
  group.create_dataset({ name, data, shape: t.shape.slice() });
}

function writeField(group: H5Group, spec: FieldSpec, value: unknown): void {
  switch (spec.kind) {
    case "array":
      return writeTensor(group, spec.name, value as Tensor);
    case "shape":
      return writeInts(group, spec.name, value as number[], false);
    case "int":
      return writeInts(group, spec.name, [value as number], true);
    case "int2":
      return writeInts(group, spec.name, value as number[], false);
    case "pad1":
    case "pad2":
      if (typeof value === "string") return writeString(group, spec.name, value);
      return typeof value === "number"
        ? writeInts(group, spec.name, [value], true)
        : writeInts(group, spec.name, value as number[], false);
  }
}

function writeMetadata(fn: string, group: H5Group, metadata: NIRMetadata, where: string): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value === "string") writeString(group, key, value);
    else if (typeof value === "number") {
      if (Number.isSafeInteger(value)) writeInts(group, key, [value], true);
      else group.create_dataset({ name: key, data: new Float64Array([value]), shape: [] });
    } else if (Array.isArray(value) && value.every((s) => typeof s === "string")) {
      group.create_dataset({ name: key, data: value, shape: [value.length] });
    } else if (isTensor(value)) writeTensor(group, key, value);
    else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      writeMetadata(fn, group.create_group(key), value as NIRMetadata, `${where}/${key}`);
    } else {
      throw new TypeError(
        `${fn}: metadata "${where}/${key}" must be a string, number, string array, tensor or object, got ${
          describeValue(value)
        }`,
      );
    }
  }
}

function writeNode(fn: string, group: H5Group, node: NIRNode, where: string): void {
  writeString(group, "type", node.type);
  if (node.type === "NIRGraph") {
    const nodes = group.create_group("nodes");
    for (const [name, child] of Object.entries(node.nodes)) {
      writeNode(fn, nodes.create_group(name), child, `${where}/${name}`);
    }
    if (node.edges.length === 0) {
      // What h5py makes of NIR's empty edge list.
      group.create_dataset({ name: "edges", data: new Float64Array(0), shape: [0] });
    } else {
      group.create_dataset({ name: "edges", data: node.edges.flat(), shape: [node.edges.length, 2] });
    }
  } else {
    const record = node as unknown as Record<string, unknown>;
    for (const spec of NODE_FIELDS[node.type]) {
      const value = record[spec.name];
      if (value !== undefined && value !== null) writeField(group, spec, value);
    }
  }
  if (node.metadata && Object.keys(node.metadata).length > 0) {
    writeMetadata(fn, group.create_group("metadata"), node.metadata, `${where}/metadata`);
  }
}

/**
 * Writes a graph as the bytes of a NIR file (HDF5) that NIR's Python
 * reader (`nir.read`) loads: the root holds `version` ({@link NIR_VERSION})
 * and the group `node`. The graph is checked first (node types, required
 * fields, edges naming nodes that exist), so a bad graph gives an error
 * naming the node instead of a file NIR cannot read. Only the fields NIR
 * defines are written. h5wasm is imported on first use.
 *
 * @example
 * ```ts ignore
 * import { nir, np } from "../mod.ts";
 * const bytes = await nir.write({
 *   type: "NIRGraph",
 *   nodes: {
 *     input: { type: "Input", shape: [2] },
 *     scale: { type: "Scale", scale: np.array([1, 2]) },
 *     output: { type: "Output", shape: [2] },
 *   },
 *   edges: [["input", "scale"], ["scale", "output"]],
 * });
 * await Deno.writeFile("scale.nir", bytes);
 * ```
 */
export async function write(graph: NIRGraph): Promise<Uint8Array> {
  checkGraph(FN, graph);
  const { h5wasm, module } = await loadH5wasm(FN);
  const path = `/spyx-ts-nir-${nextFile++}.nir`;
  const file = new h5wasm.File(path, "w");
  let closed = false;
  try {
    writeString(file as unknown as H5Group, "version", NIR_VERSION);
    writeNode(FN, (file as unknown as H5Group).create_group("node"), graph, "node");
    file.close();
    closed = true;
    return module.FS.readFile(path) as Uint8Array;
  } finally {
    if (!closed) {
      try {
        file.close();
      } catch { /* already reported */ }
    }
    try {
      module.FS.unlink(path);
    } catch { /* never created */ }
  }
}
