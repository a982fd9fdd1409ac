/**
 * Child process of `tests/gpu_close_test.ts`: opens the WebGPU device in
 * its worker, computes on it, closes it with `closeWebGPU`, then tries to
 * use it again, and prints one JSON line: the value computed before the
 * close, the errors of an op, of a read and of a second `initWebGPU` after
 * it; or `{ "skipped": why }` where no adapter is found.
 *
 *   deno run -A tests/support/close_device_child.ts
 */
import { closeWebGPU, initWebGPU, np, setBackend } from "../../mod.ts";

const message = async (f: () => unknown): Promise<string | null> => {
  try {
    await f();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

if (typeof navigator === "undefined" || !navigator.gpu) {
  console.log(JSON.stringify({ skipped: "navigator.gpu is absent" }));
} else {
  const opened = await message(() => initWebGPU());
  if (opened !== null) console.log(JSON.stringify({ skipped: `initWebGPU rejected (${opened})` }));
  else {
    setBackend("webgpu");
    const x = np.array([1, 2, 3]);
    const before = Array.from(await np.mul(x, x).data());
    await closeWebGPU();
    await closeWebGPU(); // a second close does nothing
    const opAfter = await message(() => np.add(x, x));
    const readAfter = await message(() => x.data());
    const reopen = await message(() => initWebGPU());
    console.log(JSON.stringify({ before, opAfter, readAfter, reopen }));
  }
}
