/**
 * What a WebGPU kernel uses: output buffers, one call to dispatch a
 * generated WGSL compute shader, and the registration of kernels for the
 * backend. A kernel runs synchronously from the op layer's point of view:
 * it queues its dispatches and returns its outputs' handles; the device
 * runs the work when a result is needed.
 *
 * Shader convention: the buffers of a dispatch are bound at
 * `@group(0) @binding(0..)` in the order given (inputs `var<storage, read>`,
 * outputs `var<storage, read_write>`), the uniforms (if any) at the next
 * binding as `var<uniform>`; the entry point is `main`. Output buffers are
 * uninitialised: a kernel writes every element of its outputs.
 *
 * @module
 */
import type { DataHandle, KernelTensor } from "../autodiff/backend.ts";
import { type Kernel, registerKernel } from "../autodiff/core/kernels.ts";
import type { Aval } from "../autodiff/core/primitive.ts";
import type { DType } from "../autodiff/dtype.ts";
import { checkDeviceDType, deviceClient, type GpuHandle, newBuffer, WEBGPU } from "./backend.ts";

/** The handle of a kernel operand. */
export function handleOf(x: KernelTensor): GpuHandle {
  return x.handle as GpuHandle;
}

/**
 * An output buffer for `aval` (uninitialised).
 *
 * @example
 * ```ts
 * const out = outputFor({ shape: [4, 4], dtype: "float32" });
 * ```
 */
export function outputFor(aval: Aval): GpuHandle {
  return newBuffer(aval.shape.reduce((a, b) => a * b, 1));
}

const sentShaders = new Set<string>();

/**
 * Queues one compute dispatch. `key` names the shader (and caches its
 * pipeline); `wgsl` builds the shader's text the first time the key is
 * seen. `uniforms` are 32-bit words (use a `Uint32Array` over the same
 * buffer to mix `u32` and `f32` fields).
 *
 * @example
 * ```ts
 * const out = outputFor({ shape: [64], dtype: "float32" });
 * dispatch("fill_one", () => `@group(0) @binding(0) var<storage, read_write> y: array<f32>;
 * @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { y[g.x] = 1.0; }`,
 *   [out], null, [1, 1, 1]);
 * ```
 */
export function dispatch(
  key: string,
  wgsl: () => string,
  buffers: readonly GpuHandle[],
  uniforms: Uint32Array | Int32Array | Float32Array | null,
  workgroups: readonly [number, number, number],
): void {
  for (const b of buffers) checkBindingSize(`webgpu kernel ${key}`, b.bytes);
  const first = !sentShaders.has(key);
  if (first) sentShaders.add(key);
  const u = uniforms === null ? undefined : uniforms.slice().buffer;
  if (workgroups.some((w) => w === 0)) return;
  deviceClient().send(
    {
      op: "dispatch",
      pipeline: key,
      wgsl: first ? wgsl() : undefined,
      buffers: buffers.map((b) => b.id),
      uniforms: u,
      workgroups,
    },
    u ? [u] : [],
  );
}

/** Throws where `bytes` exceed what one storage binding of the device may hold. */
function checkBindingSize(who: string, bytes: number): void {
  const { limits, description } = deviceClient().info;
  const limit = limits.maxStorageBufferBindingSize;
  if (limit !== undefined && bytes > limit) {
    throw new RangeError(
      `${who}: an operand of ${bytes} bytes exceeds the device's largest storage binding ` +
        `(maxStorageBufferBindingSize ${limit} bytes on ${description}); keep it on the cpu backend or split it`,
    );
  }
}

/** Invocations per workgroup of the element-wise kernels. */
export const WORKGROUP = 256;

/**
 * A grid of `[x, y, 1]` workgroups of {@link WORKGROUP} invocations covering
 * `n` elements (two dimensions past 65535 workgroups), and the index
 * expression a shader uses for invocation `g`: `g.x + g.y * stride`.
 *
 * @example
 * ```ts
 * grid(1000); // { workgroups: [4, 1, 1], stride: 1024 }
 * ```
 */
export function grid(n: number): { workgroups: [number, number, number]; stride: number } {
  const groups = Math.max(1, Math.ceil(n / WORKGROUP));
  const x = Math.min(groups, 65535);
  const y = Math.ceil(groups / x);
  return { workgroups: [x, y, 1], stride: x * WORKGROUP };
}

/**
 * The WGSL scalar type of a dtype on the device (bool is `u32`).
 *
 * @example
 * ```ts
 * wgslType("int32"); // "i32"
 * ```
 */
export function wgslType(dtype: DType): "f32" | "i32" | "u32" {
  checkDeviceDType("webgpu kernel", dtype);
  return dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "u32";
}

/**
 * Registers `kernel` as the WebGPU implementation of the primitive named
 * `name`. Operands and outputs of a dtype the device lacks (float64) are
 * an error naming the primitive, before the kernel runs.
 *
 * @example
 * ```ts
 * registerGpuKernel<null>("neg", ([x], _p, [aval]) => {
 *   const out = outputFor(aval);
 *   const n = aval.shape.reduce((a, b) => a * b, 1);
 *   const { workgroups, stride } = grid(n);
 *   dispatch("neg:f32", () => `@group(0) @binding(0) var<storage, read> x: array<f32>;
 * @group(0) @binding(1) var<storage, read_write> y: array<f32>;
 * @group(0) @binding(2) var<uniform> u: vec4u;
 * @compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3u) {
 *   let i = g.x + g.y * u.y; if (i < u.x) { y[i] = -x[i]; } }`,
 *     [handleOf(x), out], new Uint32Array([n, stride, 0, 0]), workgroups);
 *   return [out];
 * });
 * ```
 */
export function registerGpuKernel<P>(name: string, kernel: Kernel<P>): void {
  registerKernel<P>(name, WEBGPU, (inputs, params, avals): DataHandle[] => {
    for (const x of inputs) checkDeviceDType(name, x.dtype);
    for (const a of avals) checkDeviceDType(name, a.dtype);
    const sizes = [...inputs.map((x) => x.shape), ...avals.map((a) => a.shape)].map((s) =>
      4 * s.reduce((a, b) => a * b, 1)
    );
    checkBindingSize(name, Math.max(0, ...sizes));
    return kernel(inputs, params, avals);
  });
}
