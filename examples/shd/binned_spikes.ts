/**
 * A Spiking Heidelberg Digits file binned once and kept compactly: one byte
 * per (sample, time bin, unit) instead of `data.loadShd`'s float32, so the
 * whole training set at 100 bins takes 570 MB rather than 2.3 GB; a batch
 * is widened to float32 when it is drawn.
 *
 * @module
 */
import { data, np, type Tensor } from "../../mod.ts";
import { datasetLength, openHdf5 } from "../../data/hdf5.ts";

/** Binned spikes (0/1) and labels of one SHD file. */
export interface BinnedSpikes {
  samples: number;
  steps: number;
  units: number;
  /** `[samples, steps, units]` row-major, 0 or 1. */
  bins: Uint8Array;
  labels: Int32Array;
}

/** Options of {@link binShdFile}. */
export interface BinOptions {
  /** Time bins (`numSteps` of `data.loadShd`). */
  steps: number;
  /** Seconds the bins cover (`maxTime`). */
  maxTime: number;
  /** Input channels (700 in SHD). */
  units: number;
  /** Load only the first this many samples (0: all). */
  limit: number;
}

/** Float32 elements that one `data.loadShd` call may produce (128 MB), bounding the memory of binning. */
const CHUNK_ELEMENTS = 1 << 25;

/**
 * Bins the samples of an SHD file's bytes (`name` labels errors) with
 * `data.loadShd`, a chunk of samples at a time.
 *
 * @example
 * ```ts ignore
 * const train = await binShdFile(readFileSync("shd_train.h5"), "shd_train.h5", { steps: 100, maxTime: 1.4, units: 700, limit: 0 });
 * train.samples; // 8156
 * ```
 */
export async function binShdFile(bytes: Uint8Array, name: string, options: BinOptions): Promise<BinnedSpikes> {
  const { steps, maxTime, units } = options;
  const h5 = await openHdf5("train_shd", name, bytes);
  let total: number;
  try {
    total = datasetLength("train_shd", name, h5, "labels");
  } finally {
    h5.close();
  }
  const samples = options.limit > 0 ? Math.min(options.limit, total) : total;
  const frame = steps * units;
  const bins = new Uint8Array(samples * frame), labels = new Int32Array(samples);
  const chunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / frame));
  for (let start = 0; start < samples; start += chunk) {
    const count = Math.min(chunk, samples - start);
    const part = await data.loadShd(bytes, { numSteps: steps, maxTime, numUnits: units, start, count });
    // TypedArray#set converts the float32 0/1 values to bytes.
    bins.set(part.spikes.dataSync(), start * frame);
    labels.set(part.labels.dataSync() as Int32Array, start);
  }
  return { samples, steps, units, bins, labels };
}

/**
 * The float32 spikes `[indices.length, steps, units]` of the given samples,
 * their units rolled by `shift` as `np.roll(x, shift, -1)` rolls them (unit
 * u moves to `(u + shift) mod units`): spyx's shift augmentation done while
 * copying, instead of in a second pass over the batch.
 *
 * @example
 * ```ts ignore
 * const x = gatherBatch(train, new Int32Array([4, 0, 7])); // [3, 100, 700]
 * const shifted = gatherBatch(train, new Int32Array([4, 0, 7]), -5);
 * ```
 */
export function gatherBatch(spikes: BinnedSpikes, indices: ArrayLike<number>, shift = 0): Tensor {
  const { steps, units, bins } = spikes, frame = steps * units;
  const s = ((shift % units) + units) % units;
  const out = new Float32Array(indices.length * frame);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i] * frame, to = i * frame;
    if (s === 0) {
      out.set(bins.subarray(from, from + frame), to);
      continue;
    }
    // Plain loops: two subarray copies per time step would allocate 2·steps views per sample.
    for (let t = 0; t < steps; t++) {
      const row = from + t * units, at = to + t * units, wrap = units - s;
      for (let u = 0; u < wrap; u++) out[at + s + u] = bins[row + u];
      for (let u = wrap; u < units; u++) out[at + u - wrap] = bins[row + u];
    }
  }
  return np.fromTypedArray(out, [indices.length, steps, units], "float32");
}
