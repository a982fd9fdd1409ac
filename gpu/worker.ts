/**
 * The worker that owns the GPU device when the backend runs in worker
 * mode (see `protocol.ts`). A `node:worker_threads` worker, which, unlike
 * a web Worker, can be unreferenced, so that it does not keep the process
 * alive once the program is done. It executes command batches in order and
 * answers reads, posting asynchronous ones back and writing synchronous
 * ones into the shared buffer the main thread waits on.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { Executor, openDevice } from "./executor.ts";
import { type Command, READ_HEADER_BYTES, ReadStatus, type WorkerMessage } from "./protocol.ts";

let executor: Executor | null = null;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function answer(cmd: Extract<Command, { op: "read" }>, read: Promise<ArrayBuffer>): void {
  read.then(
    (data) => {
      if (cmd.shared) {
        const status = new Int32Array(cmd.shared, 0, 1);
        new Uint8Array(cmd.shared, READ_HEADER_BYTES, data.byteLength).set(new Uint8Array(data));
        Atomics.store(status, 0, ReadStatus.done);
        Atomics.notify(status, 0);
      } else {
        post({ kind: "read", token: cmd.token, data }, [data]);
      }
    },
    (e) => {
      const error = e instanceof Error ? e.message : String(e);
      if (cmd.shared) {
        const status = new Int32Array(cmd.shared, 0, 1);
        const bytes = new TextEncoder().encode(error).slice(0, cmd.shared.byteLength - READ_HEADER_BYTES);
        new Uint8Array(cmd.shared, READ_HEADER_BYTES, bytes.length).set(bytes);
        new Int32Array(cmd.shared, 4, 1)[0] = bytes.length;
        Atomics.store(status, 0, ReadStatus.failed);
        Atomics.notify(status, 0);
      } else {
        post({ kind: "read", token: cmd.token, error });
      }
    },
  );
}

parentPort!.on("message", async (msg: { init: true } | { commands: Command[] } | { close: SharedArrayBuffer }) => {
  if ("close" in msg) {
    // The thread must be gone before the process exits: a wgpu instance
    // still alive in it while the process runs its exit handlers (Mesa's
    // EGL among them) crashes the process now and then.
    executor?.destroy();
    executor = null;
    const flag = new Int32Array(msg.close, 0, 1);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    (globalThis as unknown as { close(): void }).close();
    return;
  }
  if ("init" in msg) {
    try {
      const { device, info } = await openDevice(navigator.gpu);
      executor = new Executor(device);
      post({ kind: "ready", info });
    } catch (err) {
      post({ kind: "failed", error: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  executor!.run(msg.commands, answer);
});
