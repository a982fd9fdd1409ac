/**
 * The hook through which W4 measures the MNIST example itself: when
 * `examples/mnist_step.ts` exists and exports
 * `makeMnistTrainStep({ batch, steps, hidden })` returning a function that
 * runs one training step (encode a batch, value and gradient, optimizer
 * update), W4 times that function; otherwise W4 times a replica of the
 * example's loop body (see `ours.ts`).
 *
 * @module
 */
import { existsSync } from "node:fs";
import type { W4Params } from "./spec.ts";

/** What `examples/mnist_step.ts` is expected to export. */
export interface MnistStepModule {
  makeMnistTrainStep(
    options: { batch: number; steps: number; hidden: number },
  ): (() => unknown) | Promise<() => unknown>;
}

/**
 * The example's training step for W4's sizes, or null when the example does
 * not provide a builder.
 *
 * @example
 * ```ts
 * const step = await mnistStepFromExample({ kind: "W4", B: 16, T: 5, hidden: 128 });
 * if (step) step();
 * ```
 */
export async function mnistStepFromExample(p: W4Params): Promise<(() => unknown) | null> {
  const url = new URL("../../examples/mnist_step.ts", import.meta.url);
  if (!existsSync(url)) return null;
  // A computed specifier: the module is optional, so type checking must not require it.
  const specifier = url.href;
  const mod = (await import(specifier)) as Partial<MnistStepModule>;
  if (typeof mod.makeMnistTrainStep !== "function") return null;
  return await mod.makeMnistTrainStep({ batch: p.B, steps: p.T, hidden: p.hidden });
}
