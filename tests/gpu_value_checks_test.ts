/**
 * `check_values` on the WebGPU backend: a kernel cannot throw, so a failed
 * check is reported by the next read (synchronous or not) with the CPU's
 * message; the first failing flat index and its value are the ones the
 * CPU names; checks that pass cost no read of their own; more checks than
 * the device's slots between two reads are still all reported. The CPU
 * kernel, which throws at once, is the oracle. Skipped, with the reason,
 * where no WebGPU device opens.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { np, type Tensor } from "../mod.ts";
import { checkValues } from "../autodiff/ops/identity.ts";
import { GPU_UNAVAILABLE, on } from "./support/gpu.ts";

const skip = GPU_UNAVAILABLE ?? false;

/** The CPU's error for the same check, as the oracle of the device's. */
function cpuError(values: number[], dtype: "float32" | "int32" | "uint32", p: Parameters<typeof checkValues>[1]) {
  try {
    on("cpu", () => checkValues(np.array(values, { dtype }), p));
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

const gpuTensor = (values: number[], dtype: "float32" | "int32" | "uint32" = "float32"): Tensor =>
  on("webgpu", () => np.array(values, { dtype }));

describe("check_values on webgpu", { skip }, () => {
  test("a failed check is thrown by the next synchronous read, with the CPU's message", () => {
    const cases: [number[], "float32" | "int32" | "uint32", Parameters<typeof checkValues>[1]][] = [
      [[0.5, 1.5, 2, -1], "float32", { min: 0, max: 1, integer: false, what: "f: p" }],
      [[0.25, NaN, 3], "float32", { min: 0, max: 1, integer: false, what: "f: p" }],
      [[1, 2.5, 3], "float32", { min: 0, max: 9, integer: true, what: "f: labels" }],
      [[3, -7, 12, 2], "int32", { min: 0, max: 9, integer: true, what: "f: labels" }],
      [[5, 4_000_000_000], "uint32", { min: 0, max: 2 ** 31 - 1, integer: true, what: "f: index" }],
    ];
    for (const [values, dtype, p] of cases) {
      const want = cpuError(values, dtype, p);
      assert.ok(want !== null, `the CPU rejects ${values}`);
      const checked = checkValues(gpuTensor(values, dtype), p); // no throw yet: the device has not answered
      assert.throws(() => checked.dataSync(), (e: Error) => {
        assert.ok(e instanceof RangeError);
        assert.ok(e.message.startsWith(want!), `${e.message}\n  should start with\n${want}`);
        return true;
      });
    }
  });

  test("checks that pass change nothing, and a failure is reported once", () => {
    const x = gpuTensor([0, 0.5, 1]);
    assert.deepEqual(Array.from(checkValues(x, { min: 0, max: 1, integer: false, what: "f: p" }).dataSync()), [
      0,
      0.5,
      1,
    ]);
    const bad = checkValues(gpuTensor([2]), { min: 0, max: 1, integer: false, what: "f: p" });
    assert.throws(() => bad.dataSync(), /f: p must lie in \[0, 1\], got 2 at flat index 0/);
    // Reported: the next read of anything succeeds.
    assert.deepEqual(Array.from(gpuTensor([7]).dataSync()), [7]);
  });

  test("an asynchronous read reports a failed check too", async () => {
    const bad = checkValues(gpuTensor([0.1, -0.5]), { min: 0, max: 1, integer: false, what: "f: p" });
    await assert.rejects(() => bad.data(), /f: p must lie in \[0, 1\], got -0\.5 at flat index 1/);
  });

  test("more checks between two reads than the device has slots: every failure still surfaces", () => {
    const p = { min: 0, max: 1, integer: false, what: "f: p" };
    const x = gpuTensor([0.5]);
    for (let i = 0; i < 1500; i++) checkValues(x, p);
    checkValues(gpuTensor([0.5, 3]), p);
    assert.throws(() => gpuTensor([1]).dataSync(), /f: p must lie in \[0, 1\], got 3 at flat index 1/);
    // A failure among the first slots' checks is not lost when the slots run out.
    assert.throws(() => {
      checkValues(gpuTensor([-2]), p);
      for (let i = 0; i < 1500; i++) checkValues(x, p);
      gpuTensor([1]).dataSync();
    }, /f: p must lie in \[0, 1\], got -2 at flat index 0/);
    assert.deepEqual(Array.from(gpuTensor([1]).dataSync()), [1]);
  });

  test("an empty range fails every element; an empty tensor passes", () => {
    const want = cpuError([0], "int32", { min: 0.2, max: 0.8, integer: true, what: "f: k" });
    assert.throws(
      () => checkValues(gpuTensor([0], "int32"), { min: 0.2, max: 0.8, integer: true, what: "f: k" }).dataSync(),
      (e: Error) => e.message.startsWith(want!),
    );
    assert.equal(checkValues(gpuTensor([]), { min: 0, max: 1, integer: false, what: "f: p" }).dataSync().length, 0);
  });
});
