/**
 * The in-thread WebGPU device, for a `GPU` object passed to
 * `initWebGPU({ gpu })`: under Deno with `navigator.gpu` passed that way,
 * under Bun with the npm `webgpu` package (Dawn). A child process runs one
 * fused LIF layer forward and backward on it and on the CPU
 * (`support/local_device_smoke.ts`): the spikes must be equal, the input
 * gradient equal within float32 tolerance, and a synchronous read must
 * fail with the message that says to await `data()`. Skipped, with the
 * reason, where the runtime has no adapter (Dawn needs a Vulkan driver or
 * an OpenGL ES display; the CI machines have neither).
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const isBun = "bun" in process.versions;
const script = fileURLToPath(new URL("./support/local_device_smoke.ts", import.meta.url));
const [args, source] = isBun
  ? [[script, "npm"], "Bun with the npm webgpu package"]
  : [["run", "-A", script, "navigator"], "Deno with navigator.gpu passed to initWebGPU"];

describe("the in-thread webgpu device (initWebGPU({ gpu }))", () => {
  test(`one fused LIF layer, forward and backward, equals the CPU's (${source})`, (t) => {
    const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000 });
    const line = r.stdout.trim().split("\n").at(-1) ?? "";
    assert.equal(r.status, 0, `the child failed:\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(line);
    if (result.skipped) {
      // Bun does not print a skip's reason.
      console.log(`skipped: ${source}: ${result.skipped}`);
      t.skip(`${source}: ${result.skipped}`);
      return;
    }
    assert.equal(result.spikesEqual, true, "spikes equal the CPU's");
    assert.ok(result.spikeCount > 0, "the layer spikes");
    assert.ok(result.dxMaxRelDiff <= 1e-5, `input gradient within 1e-5 of the CPU's, got ${result.dxMaxRelDiff}`);
    assert.match(result.syncRead, /cannot read back synchronously.*await t\.data\(\)/);
  });
});
