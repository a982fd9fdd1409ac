/**
 * Synthetic Spiking Heidelberg Digits files: SHD's layout and types
 * (`spikes/times` float16 seconds, `spikes/units` uint16, `labels` uint16,
 * an `extra/speaker` group), with data a network can learn: each class
 * fires on its own block of units, at random times, among noise spikes on
 * any unit.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Hdf5Group, writeHdf5 } from "./hdf5_writer.ts";

/** Options of {@link syntheticShd}. */
export interface SyntheticShdOptions {
  samples: number;
  seed: number;
  /** Classes (default 20, as SHD); sample i has label i mod classes. */
  classes?: number;
  /** Units each class fires on, class c on `c·unitsPerClass ..` (default 30). */
  unitsPerClass?: number;
  /** Class spikes per sample (default 300). */
  classSpikes?: number;
  /** Noise spikes per sample, on any of the 700 units (default 150). */
  noiseSpikes?: number;
  /** Spike times are uniform in [0, maxTime) seconds (default 1). */
  maxTime?: number;
}

/** A small deterministic generator (mulberry32): floats in [0, 1). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The groups and datasets of one synthetic SHD file, and its spikes as
 * plain numbers (times before float16 rounding).
 *
 * @example
 * ```ts
 * const { file, labels } = syntheticShd({ samples: 40, seed: 1 });
 * labels.slice(0, 3); // [0, 1, 2]
 * ```
 */
export function syntheticShd(options: SyntheticShdOptions): {
  file: Hdf5Group;
  labels: number[];
  times: number[][];
  units: number[][];
} {
  const { samples, classes = 20, unitsPerClass = 30, classSpikes = 300, noiseSpikes = 150, maxTime = 1 } = options;
  if (classes * unitsPerClass > 700) throw new RangeError("syntheticShd: the classes' units must fit in 700");
  const random = generator(options.seed);
  const labels: number[] = [], times: number[][] = [], units: number[][] = [];
  for (let i = 0; i < samples; i++) {
    const label = i % classes;
    const spikes: [number, number][] = [];
    for (let j = 0; j < classSpikes; j++) {
      spikes.push([random() * maxTime, label * unitsPerClass + Math.floor(random() * unitsPerClass)]);
    }
    for (let j = 0; j < noiseSpikes; j++) spikes.push([random() * maxTime, Math.floor(random() * 700)]);
    spikes.sort((a, b) => a[0] - b[0]); // SHD lists each sample's spikes in time order
    labels.push(label);
    times.push(spikes.map(([t]) => t));
    units.push(spikes.map(([, u]) => u));
  }
  return {
    file: {
      spikes: { times: { type: "f16", rows: times }, units: { type: "u16", rows: units } },
      labels: { type: "u16", values: labels },
      extra: { speaker: { type: "u16", values: labels.map((_, i) => i % 10) } },
    },
    labels,
    times,
    units,
  };
}

/**
 * Writes `shd_train.h5` and `shd_test.h5` into `dir` (the layout that
 * `examples/train_shd.ts --data dir` reads).
 *
 * @example
 * ```ts ignore
 * writeSyntheticShdPair("/tmp/shd", { train: 400, test: 200, seed: 1 });
 * ```
 */
export function writeSyntheticShdPair(dir: string, sizes: { train: number; test: number; seed: number }): void {
  const train = syntheticShd({ samples: sizes.train, seed: sizes.seed });
  const test = syntheticShd({ samples: sizes.test, seed: sizes.seed + 1 });
  writeFileSync(join(dir, "shd_train.h5"), writeHdf5(train.file));
  writeFileSync(join(dir, "shd_test.h5"), writeHdf5(test.file));
}
