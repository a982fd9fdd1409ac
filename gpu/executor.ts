/**
 * The device side of the WebGPU backend: carries out the commands of
 * `protocol.ts` on a `GPUDevice`. Consecutive dispatches go into one
 * compute pass of one command encoder, submitted at the end of each batch
 * of commands (or before a read), so a training step is a handful of
 * submits rather than one per op. Freed buffers are pooled by size and
 * reused only after the work already encoded has been submitted, since
 * writes into a reused buffer take effect on the queue at once.
 *
 * @module
 */
import type { Command } from "./protocol.ts";

/** Bytes of freed buffers kept for reuse before the oldest are destroyed. */
const POOL_BYTES = 1 << 30;

/** Runs commands on one device. */
export class Executor {
  readonly #device: GPUDevice;
  readonly #buffers = new Map<number, GPUBuffer>();
  readonly #pool = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;
  /** Freed while the current encoder may still use them: pooled after its submit. */
  #pendingFree: GPUBuffer[] = [];
  /** The uniforms of the batch being run (see {@link Executor.run}), and where each dispatch's begin. */
  #arena: GPUBuffer | null = null;
  #arenaOffsets: number[] = [];
  #arenaNext = 0;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #wgsl = new Map<string, string>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** The first error the device reported, with the pipeline that was last dispatched. */
  error: string | null = null;
  #lastPipeline = "";

  constructor(device: GPUDevice) {
    this.#device = device;
    device.addEventListener("uncapturederror", (e) => {
      const message = (e as GPUUncapturedErrorEvent).error?.message ?? String(e);
      this.error ??= `${message} (last kernel: ${this.#lastPipeline || "none"})`;
    });
  }

  /**
   * Carries out `commands` in order; reads among them resolve later. Ends
   * by submitting the encoded work. A command that fails records the error
   * (every later read reports it) and the rest still run, so that buffer
   * ids stay consistent.
   */
  run(
    commands: readonly Command[],
    onRead: (cmd: Extract<Command, { op: "read" }>, read: Promise<ArrayBuffer>) => void,
  ) {
    this.#fillArena(commands);
    for (const c of commands) {
      try {
        this.#run(c, onRead);
      } catch (e) {
        this.error ??= e instanceof Error ? e.message : String(e);
        if (c.op === "read") onRead(c, Promise.reject(new Error(this.error)));
      }
    }
    this.submit();
    this.#arena?.destroy();
    this.#arena = null;
  }

  /**
   * Writes the uniforms of every dispatch in `commands` into one buffer,
   * each at its own aligned offset: a buffer per dispatch cost more than
   * the dispatch itself (~90 us of the ~140 us per dispatch on the
   * software adapter). Filled before any dispatch is encoded, so that the
   * contents do not depend on when the queue runs them.
   */
  #fillArena(commands: readonly Command[]): void {
    const align = this.#device.limits.minUniformBufferOffsetAlignment;
    this.#arenaOffsets = [];
    let size = 0;
    for (const c of commands) {
      if (c.op !== "dispatch" || c.uniforms === undefined) continue;
      this.#arenaOffsets.push(size);
      size += Math.ceil(Math.max(16, c.uniforms.byteLength) / align) * align;
    }
    this.#arenaNext = 0;
    if (size === 0) return;
    this.#arena = this.#device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const bytes = new Uint8Array(this.#arena.getMappedRange());
    let k = 0;
    for (const c of commands) {
      if (c.op === "dispatch" && c.uniforms !== undefined) {
        bytes.set(new Uint8Array(c.uniforms), this.#arenaOffsets[k++]);
      }
    }
    this.#arena.unmap();
  }

  #run(c: Command, onRead: (cmd: Extract<Command, { op: "read" }>, read: Promise<ArrayBuffer>) => void): void {
    {
      switch (c.op) {
        case "create":
          this.#create(c.id, c.bytes, c.data);
          break;
        case "dispatch":
          this.#dispatch(c);
          break;
        case "copy":
          this.#endPass();
          this.#encoderNow().copyBufferToBuffer(
            this.#get(c.src),
            c.srcOffset ?? 0,
            this.#get(c.dst),
            c.dstOffset ?? 0,
            c.bytes,
          );
          break;
        case "free":
          this.#free(c.id);
          break;
        case "read":
          onRead(c, this.#read(c.id, c.bytes));
          break;
      }
    }
  }

  #get(id: number): GPUBuffer {
    const b = this.#buffers.get(id);
    if (b === undefined) throw new Error(`webgpu: internal: no buffer ${id}`);
    return b;
  }

  #create(id: number, bytes: number, data: ArrayBuffer | undefined): void {
    const pooled = this.#pool.get(bytes);
    let buffer = pooled?.pop();
    if (buffer) this.#pooledBytes -= bytes;
    else {
      buffer = this.#device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    // A pooled buffer was freed before the last submit, so the queue runs this write after every use of its old contents.
    if (data !== undefined) this.#device.queue.writeBuffer(buffer, 0, data);
    this.#buffers.set(id, buffer);
  }

  /** Destroys every buffer and the device; the executor is unusable afterwards. */
  destroy(): void {
    for (const b of this.#buffers.values()) b.destroy();
    for (const list of this.#pool.values()) for (const b of list) b.destroy();
    for (const b of this.#pendingFree) b.destroy();
    this.#arena?.destroy();
    this.#buffers.clear();
    this.#pool.clear();
    this.#device.destroy();
  }

  #free(id: number): void {
    const buffer = this.#buffers.get(id);
    if (buffer === undefined) return;
    this.#buffers.delete(id);
    if (this.#encoder !== null) this.#pendingFree.push(buffer);
    else this.#toPool(buffer);
  }

  #toPool(buffer: GPUBuffer): void {
    if (this.#pooledBytes + buffer.size > POOL_BYTES) {
      buffer.destroy();
      return;
    }
    let list = this.#pool.get(buffer.size);
    if (list === undefined) this.#pool.set(buffer.size, list = []);
    list.push(buffer);
    this.#pooledBytes += buffer.size;
  }

  #encoderNow(): GPUCommandEncoder {
    return this.#encoder ??= this.#device.createCommandEncoder();
  }

  #endPass(): void {
    if (this.#pass !== null) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  #pipeline(key: string, wgsl: string | undefined): GPUComputePipeline {
    let p = this.#pipelines.get(key);
    if (p !== undefined) return p;
    const code = wgsl ?? this.#wgsl.get(key);
    if (code === undefined) throw new Error(`webgpu: internal: no WGSL for kernel ${key}`);
    this.#wgsl.set(key, code);
    const module = this.#device.createShaderModule({ code, label: key });
    p = this.#device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: key });
    this.#pipelines.set(key, p);
    return p;
  }

  #dispatch(c: Extract<Command, { op: "dispatch" }>): void {
    this.#lastPipeline = c.pipeline;
    const pipeline = this.#pipeline(c.pipeline, c.wgsl);
    const entries: GPUBindGroupEntry[] = c.buffers.map((id, binding) => ({
      binding,
      resource: { buffer: this.#get(id) },
    }));
    if (c.uniforms !== undefined) {
      const offset = this.#arenaOffsets[this.#arenaNext++];
      const size = Math.ceil(Math.max(16, c.uniforms.byteLength) / 16) * 16;
      entries.push({ binding: c.buffers.length, resource: { buffer: this.#arena!, offset, size } });
    }
    const group = this.#device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (this.#pass === null) this.#pass = this.#encoderNow().beginComputePass();
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(c.workgroups[0], c.workgroups[1], c.workgroups[2]);
  }

  /** Submits the encoded work (if any); buffers freed meanwhile become reusable. */
  submit(): void {
    this.#endPass();
    if (this.#encoder !== null) {
      this.#device.queue.submit([this.#encoder.finish()]);
      this.#encoder = null;
    }
    for (const b of this.#pendingFree) this.#toPool(b);
    this.#pendingFree = [];
  }

  async #read(id: number, bytes: number): Promise<ArrayBuffer> {
    this.submit();
    const staging = this.#device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.#device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.#get(id), 0, staging, 0, bytes);
    this.#device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const data = staging.getMappedRange().slice(0);
      staging.unmap();
      if (this.error !== null) throw new Error(this.error);
      return data;
    } finally {
      staging.destroy();
    }
  }
}

/**
 * Requests an adapter and a device with the adapter's largest buffer and
 * binding limits (kernels bind many buffers and large ones).
 *
 * @example
 * ```ts
 * const { device, info } = await openDevice(navigator.gpu);
 * ```
 */
export async function openDevice(
  gpu: GPU,
): Promise<{ device: GPUDevice; info: { description: string; limits: Record<string, number>; features: string[] } }> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) throw new Error("initWebGPU: no WebGPU adapter is available");
  const lim = adapter.limits;
  const wanted = [
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxStorageBuffersPerShaderStage",
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupSizeY",
    "maxComputeWorkgroupsPerDimension",
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of wanted) requiredLimits[k] = lim[k];
  const device = await adapter.requestDevice({ requiredLimits });
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(" ") ||
    "unknown adapter";
  return { device, info: { description, limits: requiredLimits, features: [...adapter.features].sort() } };
}
