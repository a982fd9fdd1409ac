/**
 * `check_values` on the device. A kernel cannot throw, so the check runs
 * where the values are (no read of its own) and its verdict comes back
 * with the next read: each check records, in its slot of a small device
 * buffer, the first flat index that fails and the value there; every read
 * of the backend copies the slots of the checks issued since the last read
 * behind its data, in the same readback, and throws the CPU's error for
 * the first failed check (suffixed with where it was found). Training
 * loops read their loss at least every few steps, so bad input still stops
 * them, with the same message, a few steps later at most.
 *
 * @module
 */
import type { CheckValuesParams } from "../autodiff/ops/identity.ts";
import type { DType } from "../autodiff/dtype.ts";
import { deviceClient, type GpuHandle, newBuffer, type ReadPlan, setReadPlanner, webgpuBackend } from "./backend.ts";
import { dispatch, grid, handleOf, registerGpuKernel, wgslType, WORKGROUP } from "./dispatch.ts";

/** Checks issued between two reads before their verdicts are fetched on their own. */
const SLOTS = 1024;
/** A slot: the first failing flat index (all ones: none) and the raw bits of the value there. */
const SLOT_WORDS = 2;
const NONE = 0xffffffff;

interface PendingCheck extends CheckValuesParams {
  readonly dtype: DType;
}

let slots: GpuHandle | null = null;
let pending: PendingCheck[] = [];
/** A failure found by a background read, thrown by the next read (see {@link fetchVerdicts}). */
let deferred: Error | null = null;

function freshSlots(): GpuHandle {
  const data = new Uint32Array(SLOTS * SLOT_WORDS).fill(NONE);
  return newBuffer(data.length, data.buffer);
}

function decode(bits: number, dtype: DType): number {
  const word = new Uint32Array([bits]);
  if (dtype === "float32") return new Float32Array(word.buffer)[0];
  if (dtype === "int32") return new Int32Array(word.buffer)[0];
  return bits;
}

/** The error for the first failed check among `checks`, whose slots are `words`. */
function verdict(checks: readonly PendingCheck[], words: Uint32Array): Error | null {
  for (let s = 0; s < checks.length; s++) {
    const index = words[s * SLOT_WORDS];
    if (index === NONE) continue;
    const { min, max, integer, what, dtype } = checks[s];
    const v = decode(words[s * SLOT_WORDS + 1], dtype);
    const want = integer ? `be integers in [${min}, ${max}]` : `lie in [${min}, ${max}]`;
    return new RangeError(
      `${what} must ${want}, got ${Number.isNaN(v) ? "NaN" : v} at flat index ${index} ` +
        `(checked on the webgpu device, reported at the first read after the check)`,
    );
  }
  return null;
}

/** Takes the pending checks and their slots: later checks start a new slot buffer. */
function takePending(): { checks: PendingCheck[]; slots: GpuHandle } | null {
  if (pending.length === 0 || slots === null) return null;
  const taken = { checks: pending, slots };
  pending = [];
  slots = null;
  return taken;
}

function throwDeferred(): void {
  const e = deferred;
  deferred = null;
  if (e !== null) throw e;
}

/**
 * Reads the verdicts of the pending checks by themselves, when the slots
 * run out: at once where the device reads synchronously (a failure is
 * thrown by the check that ran out of slots), else in the background (a
 * failure is thrown by a later read).
 */
function fetchVerdicts(): void {
  const taken = takePending()!;
  const bytes = taken.checks.length * SLOT_WORDS * 4;
  const c = deviceClient();
  if (c.canReadSync) {
    try {
      const failed = verdict(taken.checks, new Uint32Array(c.readSync({ id: taken.slots.id, bytes })));
      if (failed !== null) throw failed;
    } finally {
      webgpuBackend.dispose(taken.slots);
    }
    return;
  }
  c.read({ id: taken.slots.id, bytes }).then(
    (data) => deferred ??= verdict(taken.checks, new Uint32Array(data)),
    (e) => deferred ??= e instanceof Error ? e : new Error(String(e)),
  ).finally(() => webgpuBackend.dispose(taken.slots));
}

setReadPlanner((target: GpuHandle): ReadPlan => {
  throwDeferred();
  const taken = takePending();
  if (taken === null) return { handle: target, finish: (data) => (throwDeferred(), data), release: () => {} };
  // One readback: the target's bytes, then the slots of the checks since the last read.
  const slotBytes = taken.checks.length * SLOT_WORDS * 4;
  const combined = newBuffer((target.bytes + slotBytes) / 4);
  const c = deviceClient();
  c.send({ op: "copy", src: target.id, dst: combined.id, bytes: target.bytes });
  c.send({ op: "copy", src: taken.slots.id, dst: combined.id, bytes: slotBytes, dstOffset: target.bytes });
  webgpuBackend.dispose(taken.slots);
  return {
    handle: combined,
    finish(data) {
      const failed = verdict(taken.checks, new Uint32Array(data, target.bytes, taken.checks.length * SLOT_WORDS));
      if (failed !== null) throw failed;
      throwDeferred();
      return data;
    },
    release: () => webgpuBackend.dispose(combined),
  };
});

/** The check: failing elements race for the slot's smallest index. */
function checkWgsl(t: "f32" | "i32" | "u32", integer: boolean): string {
  const bad = t === "f32" ? `!(v >= u.lo && v <= u.hi)${integer ? " || floor(v) != v" : ""}` : "v < u.lo || v > u.hi";
  return `
struct U { n: u32, stride: u32, slot: u32, pad0: u32, lo: ${t}, hi: ${t}, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> slots: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * u.stride;
  if (i >= u.n) { return; }
  let v = x[i];
  if (${bad}) { atomicMin(&slots[${SLOT_WORDS}u * u.slot], i); }
}`;
}

/** After the check: the value at the failing index, for the message. */
const VALUE_WGSL = `
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> slots: array<u32>;
@group(0) @binding(2) var<uniform> slot: vec4<u32>;
@compute @workgroup_size(1)
fn main() {
  let i = slots[${SLOT_WORDS}u * slot.x];
  if (i != ${NONE}u) { slots[${SLOT_WORDS}u * slot.x + 1u] = x[i]; }
}`;

/** The bounds as the kernel compares them: floats as given, integers rounded inward and saturated. */
function bounds(dtype: DType, min: number, max: number): ArrayBuffer {
  const b = new ArrayBuffer(8);
  if (dtype === "float32") new Float32Array(b).set([min, max]);
  else {
    const [lo, hi] = dtype === "int32" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
    const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
    const words = [clamp(Math.ceil(min)), clamp(Math.floor(max))];
    // An empty range (min above max after rounding) fails every element.
    if (Math.ceil(min) > Math.floor(max) || Math.ceil(min) > hi || Math.floor(max) < lo) words.splice(0, 2, hi, lo);
    if (dtype === "int32") new Int32Array(b).set(words);
    else new Uint32Array(b).set(words);
  }
  return b;
}

registerGpuKernel<CheckValuesParams>("check_values", ([x], params) => {
  if (pending.length === SLOTS) fetchVerdicts();
  slots ??= freshSlots();
  const slot = pending.length;
  pending.push({ ...params, dtype: x.dtype });
  const n = x.shape.reduce((a, b) => a * b, 1);
  const t = wgslType(x.dtype);
  const integer = params.integer && t === "f32";
  const { workgroups, stride } = grid(n);
  const u = new Uint32Array(8);
  u.set([n, stride, slot, 0]);
  u.set(new Uint32Array(bounds(x.dtype, params.min, params.max)), 4);
  dispatch(`check_values:${t}:${integer}`, () => checkWgsl(t, integer), [handleOf(x), slots], u, workgroups);
  dispatch("check_values:value", () => VALUE_WGSL, [handleOf(x), slots], new Uint32Array([slot, 0, 0, 0]), [1, 1, 1]);
  return [x.handle];
});
