/**
 * What a run ran on, for its record: the library's version, the runtime
 * and its version, the tensor backend, the matrix product's threads and
 * kernel, and the machine.
 *
 * One fact here decides whether two runtimes give the same numbers: the
 * CPU matrix product uses WebAssembly's relaxed multiply-add where the
 * engine has it, and engines may round it fused or unfused (V8 fuses it
 * on an x86-64 CPU with FMA3, JavaScriptCore, Bun's engine, does not).
 * {@link fusedMultiplyAdd} asks the engine which it does.
 *
 * @module
 */
import { cpus, totalmem } from "node:os";
import process from "node:process";
import { getBackend } from "../../mod.ts";
import { matmulStatus } from "../../autodiff/cpu/matmul.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The environment a run (or one session of it) ran in. */
export interface Environment {
  library: { name: string; version: string };
  runtime: { name: string; version: string };
  /** The tensor backend (`getBackend().name`). */
  backend: string;
  /** Threads the CPU matrix product may use, the caller included. */
  threads: number;
  matmul: {
    /** Whether the WebAssembly SIMD kernels run (else plain loops). */
    wasm: boolean;
    /** Their register tile, e.g. "6x8 fma". */
    tile: string;
    /** Whether the engine fuses relaxed multiply-adds (null: it has none); results differ between the two. */
    fusedMultiplyAdd: boolean | null;
  };
  platform: { os: string; arch: string; cpu: string; cores: number; memoryGiB: number };
}

/**
 * A module exporting `f(a, b, c) = lane 0 of f32x4.relaxed_madd(splat a,
 * splat b, splat c)`, written out byte by byte.
 */
const RELAXED_MADD_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d], // type: (f32, f32, f32) -> f32
  ...[0x03, 0x02, 0x01, 0x00], // one function of that type
  ...[0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00], // exported as "f"
  ...[0x0a, 0x16, 0x01, 0x14, 0x00], // code: one body of 20 bytes, no locals
  ...[0x20, 0x00, 0xfd, 0x13, 0x20, 0x01, 0xfd, 0x13, 0x20, 0x02, 0xfd, 0x13], // splat each argument
  ...[0xfd, 0x85, 0x02, 0xfd, 0x1f, 0x00, 0x0b], // relaxed_madd, extract lane 0, end
]);

/**
 * Whether this engine rounds WebAssembly's relaxed multiply-add fused
 * (one rounding) or unfused (two); null if it has no relaxed SIMD. With
 * `a = b = 1 + 2^-12` and `c = -(1 + 2^-11)`, `a·b + c` is `2^-24` exactly,
 * while rounding `a·b` first gives 0.
 *
 * @example
 * ```ts
 * fusedMultiplyAdd(); // true under Deno on an x86-64 CPU with FMA3
 * ```
 */
export function fusedMultiplyAdd(): boolean | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_MADD_PROBE));
    const f = instance.exports.f as (a: number, b: number, c: number) => number;
    const x = 1 + 2 ** -12;
    return f(x, x, -(1 + 2 ** -11)) !== 0;
  } catch {
    return null;
  }
}

function runtime(): { name: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { name: "deno", version: g.Deno.version.deno };
  if (g.Bun) return { name: "bun", version: g.Bun.version };
  if (process.versions?.node) return { name: "node", version: process.versions.node };
  return { name: "unknown", version: "" };
}

/**
 * Describes the environment now (call it after the first matrix product
 * if the threads' readiness matters; the fields above do not depend on it).
 *
 * @example
 * ```ts
 * const env = describeEnvironment();
 * env.runtime; // { name: "deno", version: "2.9.6" }
 * ```
 */
export function describeEnvironment(): Environment {
  const status = matmulStatus();
  const cpuList = cpus();
  return {
    library: { name: denoJson.name, version: denoJson.version },
    runtime: runtime(),
    backend: getBackend().name,
    threads: status.threads,
    matmul: { wasm: status.wasm, tile: status.tile, fusedMultiplyAdd: status.wasm ? fusedMultiplyAdd() : null },
    platform: {
      os: process.platform,
      arch: process.arch,
      cpu: cpuList[0]?.model?.trim() ?? "unknown",
      cores: cpuList.length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
  };
}
