/**
 * `closeWebGPU`: the device and its worker are gone once it resolves, and
 * every later use says so instead of hanging. A child process runs it
 * (`support/close_device_child.ts`), since a closed device stays closed
 * for the process; it must also exit cleanly after the close. Deno only:
 * there the device lives in a worker; skipped where no adapter opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const isDeno = "deno" in process.versions;
const script = fileURLToPath(new URL("./support/close_device_child.ts", import.meta.url));

describe("closeWebGPU", { skip: isDeno ? false : "the worker-owned device is Deno's (navigator.gpu)" }, () => {
  test("after the close, ops, reads and a new initWebGPU fail with errors that say the device was closed", (t) => {
    const r = spawnSync(process.execPath, ["run", "-A", script], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `the child failed:\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "");
    if (result.skipped) {
      t.skip(result.skipped);
      return;
    }
    assert.deepEqual(result.before, [1, 4, 9]);
    assert.match(result.opAfter, /webgpu: the device was closed .*cannot run "/);
    assert.match(result.readAfter, /webgpu: the device was closed/);
    assert.match(result.reopen, /initWebGPU: the device was closed by closeWebGPU\(\)/);
  });
});
