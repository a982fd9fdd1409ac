/**
 * The main thread's side of the device: it queues commands (see
 * `protocol.ts`) and sends them to the executor in batches, when a result
 * is read, when the queue is long, or when the thread is next idle. Two
 * kinds: a worker-owned device, which can also read synchronously (the
 * main thread waits on a shared buffer with `Atomics.wait` while the
 * worker maps the result), and an in-thread one, for a `GPU` object the
 * caller passes (the npm `webgpu` package under Bun and Node), whose reads
 * are asynchronous only.
 *
 * @module
 */
import process from "node:process";
import { Worker } from "node:worker_threads";
import { Executor, openDevice } from "./executor.ts";
import {
  type BufferRef,
  type Command,
  type DeviceInfo,
  READ_HEADER_BYTES,
  ReadStatus,
  type WorkerMessage,
} from "./protocol.ts";

/** Commands queued before a batch is sent without waiting for a read. */
const BATCH = 512;
/** How long a synchronous read waits for the device before it reports a hang. */
const READ_TIMEOUT_MS = 120_000;
/** How long an exiting process waits for the device worker to shut down. */
const CLOSE_TIMEOUT_MS = 5_000;

/** What the backend needs of a device. */
export interface DeviceClient {
  /** The adapter's description, limits and features. */
  readonly info: DeviceInfo;
  /** Whether `readSync` can work here. */
  readonly canReadSync: boolean;
  /** Queues a command; `transfer` lists buffers the command gives away. */
  send(cmd: Command, transfer?: ArrayBuffer[]): void;
  /** Sends the queued commands now. */
  flush(): void;
  /** The contents of a buffer, waiting for the device. */
  readSync(ref: BufferRef): ArrayBuffer;
  /** The contents of a buffer. */
  read(ref: BufferRef): Promise<ArrayBuffer>;
  /** Destroys the device (and its worker); resolves once nothing of it is left running. */
  close(): Promise<void>;
}

/** Queues commands and flushes them in batches; subclasses say how a batch is delivered. */
abstract class Queue {
  #queue: Command[] = [];
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;
  protected closed = false;

  send(cmd: Command, transfer: ArrayBuffer[] = []): void {
    if (this.closed) {
      // Buffers released by the garbage collector after the close have nothing left to free.
      if (cmd.op === "free") return;
      throw new Error(
        `webgpu: the device was closed (by closeWebGPU() or because the process is exiting); cannot run "${cmd.op}"`,
      );
    }
    this.#queue.push(cmd);
    this.#transfer.push(...transfer);
    if (this.#queue.length >= BATCH) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue, transfer = this.#transfer;
    this.#queue = [];
    this.#transfer = [];
    this.deliver(batch, transfer);
  }

  protected abstract deliver(batch: Command[], transfer: ArrayBuffer[]): void;
}

/** A device owned by a worker: synchronous reads wait on a shared buffer. */
export class WorkerDevice extends Queue implements DeviceClient {
  readonly canReadSync = true;
  #nextToken = 1;
  readonly #pending = new Map<number, { resolve: (d: ArrayBuffer) => void; reject: (e: Error) => void }>();
  #exited: Promise<void> | null = null;

  private constructor(private readonly worker: Worker, readonly info: DeviceInfo) {
    super();
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind !== "read") return;
      const p = this.#pending.get(m.token);
      this.#pending.delete(m.token);
      // Idle again: the worker need not keep the process alive.
      if (this.#pending.size === 0) worker.unref();
      if (m.error !== undefined) p?.reject(new Error(`webgpu: ${m.error}`));
      else p?.resolve(m.data!);
    });
    worker.once("exit", () => {
      for (const p of this.#pending.values()) {
        p.reject(new Error("webgpu: the device was closed before a read finished"));
      }
      this.#pending.clear();
    });
    worker.unref();
    // A process must not exit while the worker's device is alive (see
    // worker.ts): when the program is done the worker is asked to shut
    // down and waited for; an explicit exit waits synchronously.
    process.once("beforeExit", () => this.close());
    process.once("exit", () => this.#closeSync());
    // `deno test` dispatches neither of those, only the web events.
    globalThis.addEventListener?.("unload", () => this.#closeSync());
  }

  /** Starts the worker and its device. */
  static async open(): Promise<WorkerDevice> {
    const worker = new Worker(new URL("./worker.ts", import.meta.url));
    const info = await new Promise<DeviceInfo>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        worker.off("message", onMessage);
        if (m.kind === "ready") resolve(m.info);
        else if (m.kind === "failed") reject(new Error(m.error));
      };
      worker.on("message", onMessage);
      worker.once("error", (e: Error) => reject(new Error(`initWebGPU: the device worker failed: ${e.message}`)));
      worker.postMessage({ init: true });
    }).catch((e) => {
      worker.terminate();
      throw e;
    });
    return new WorkerDevice(worker, info);
  }

  protected deliver(batch: Command[], transfer: ArrayBuffer[]): void {
    this.worker.postMessage({ commands: batch }, transfer);
  }

  /** Destroys the device and ends the worker; resolves once the worker thread is gone. */
  close(): Promise<void> {
    if (this.#exited) return this.#exited;
    this.#exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    if (!this.closed) this.#requestClose();
    this.worker.ref();
    return this.#exited;
  }

  #closeSync(): void {
    if (this.closed) return;
    const flag = this.#requestClose();
    Atomics.wait(flag, 0, 0, CLOSE_TIMEOUT_MS);
  }

  #requestClose(): Int32Array {
    this.flush();
    this.closed = true;
    const shared = new SharedArrayBuffer(4);
    this.worker.postMessage({ close: shared });
    return new Int32Array(shared);
  }

  readSync(ref: BufferRef): ArrayBuffer {
    // Room for an error message however small the read.
    const shared = new SharedArrayBuffer(READ_HEADER_BYTES + Math.max(ref.bytes, 4096));
    const status = new Int32Array(shared, 0, 1);
    this.send({ op: "read", id: ref.id, bytes: ref.bytes, token: 0, shared });
    this.flush();
    const woke = Atomics.wait(status, 0, ReadStatus.pending, READ_TIMEOUT_MS);
    if (woke === "timed-out") {
      throw new Error(`webgpu: a read of ${ref.bytes} bytes got no answer in ${READ_TIMEOUT_MS} ms`);
    }
    if (status[0] === ReadStatus.failed) {
      const n = new Int32Array(shared, 4, 1)[0];
      throw new Error(`webgpu: ${new TextDecoder().decode(new Uint8Array(shared, READ_HEADER_BYTES, n).slice())}`);
    }
    const out = new ArrayBuffer(ref.bytes);
    new Uint8Array(out).set(new Uint8Array(shared, READ_HEADER_BYTES, ref.bytes));
    return out;
  }

  read(ref: BufferRef): Promise<ArrayBuffer> {
    const token = this.#nextToken++;
    const done = new Promise<ArrayBuffer>((resolve, reject) => this.#pending.set(token, { resolve, reject }));
    // An answer is awaited: keep the process alive until it comes.
    this.worker.ref();
    this.send({ op: "read", id: ref.id, bytes: ref.bytes, token });
    this.flush();
    return done;
  }
}

/** A device in this thread, for a `GPU` object the caller passes: reads are asynchronous. */
export class LocalDevice extends Queue implements DeviceClient {
  readonly canReadSync = false;
  readonly #reads = new Map<number, Promise<ArrayBuffer>>();
  #nextToken = 1;

  private constructor(private readonly executor: Executor, readonly info: DeviceInfo) {
    super();
  }

  /** Opens a device on `gpu`. */
  static async open(gpu: GPU): Promise<LocalDevice> {
    const { device, info } = await openDevice(gpu);
    return new LocalDevice(new Executor(device), info);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.executor.destroy();
    }
    return Promise.resolve();
  }

  protected deliver(batch: Command[]): void {
    this.executor.run(batch, (cmd, read) => this.#reads.set(cmd.token, read));
  }

  readSync(): ArrayBuffer {
    throw new Error(
      "webgpu: this device cannot read back synchronously (a GPU object was passed to initWebGPU); use await t.data()",
    );
  }

  read(ref: BufferRef): Promise<ArrayBuffer> {
    const token = this.#nextToken++;
    this.send({ op: "read", id: ref.id, bytes: ref.bytes, token });
    this.flush();
    const r = this.#reads.get(token)!;
    this.#reads.delete(token);
    return r.catch((e) => {
      throw new Error(`webgpu: ${e instanceof Error ? e.message : e}`);
    });
  }
}
