/**
 * The Spiking Heidelberg Digits (SHD) HDF5 layout, binned into dense spike
 * tensors.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOptions } from "../autodiff/checks.ts";
import { checkBoolean, checkInt, checkNumber, describe } from "./checks.ts";
import { datasetLength, openHdf5, readIntegerDataset, readVlenRows, vlenElementClass } from "./hdf5.ts";

/** Options of {@link loadShd}. */
export interface ShdOptions {
  /** Number of time bins `T` (required). */
  numSteps: number;
  /** Length of the binned window in seconds (default 1.4, the usual SHD choice). */
  maxTime?: number;
  /** Number of input channels (default 700, SHD's cochlea model). */
  numUnits?: number;
  /** First sample to load (default 0). */
  start?: number;
  /** Number of samples to load (default: all from `start`). */
  count?: number;
  /** Store the number of spikes per bin instead of 0/1 (default false). */
  counts?: boolean;
}

/** The arrays returned by {@link loadShd}. */
export interface ShdData {
  /** `[N, numSteps, numUnits]` float32 binned spikes. */
  spikes: Tensor;
  /** `[N]` int32 class labels. */
  labels: Tensor;
}

/**
 * Loads a file in the Spiking Heidelberg Digits layout: `spikes/times` and
 * `spikes/units` are 1-D datasets of variable-length arrays (one per
 * sample: spike times in seconds, float16/32/64, and the firing channel,
 * any integer type) and `labels` is a 1-D integer dataset. The `extra`
 * group, if any, is ignored. `source` is a path or the file's bytes.
 *
 * Binning: a spike at time `t` of channel `u` goes to
 * `spikes[n, floor(t / maxTime · numSteps), u]`; spikes with `t < 0`,
 * `t >= maxTime` or a non-finite `t` (a few SHD samples hold NaN) are
 * dropped. A bin holds 1 if any spike fell in it (as spyx's frames, which
 * it `packbits`), or the spike count with `counts: true`.
 *
 * Checks, each failing with an error that names the file and what is
 * wrong, before anything is returned: the HDF5 signature and length
 * (truncated copies), the three datasets and their types, equal numbers of
 * samples in all three, float times and integer units (integer times, say
 * ticks, or float units are refused rather than binned wrong), equal
 * times/units lengths per sample, and channels in `[0, numUnits)`. h5wasm is imported on first use.
 *
 * Memory: the result is dense, `N · numSteps · numUnits` floats (the whole
 * SHD training set at 100 steps is about 2.3 GB); use `start`/`count` to
 * load a part.
 *
 * @example
 * ```ts ignore
 * import { data } from "../mod.ts";
 * const { spikes, labels } = await data.loadShd("shd_test.h5", { numSteps: 100 });
 * spikes.shape; // [2264, 100, 700]
 * ```
 */
export async function loadShd(source: string | Uint8Array, options: ShdOptions): Promise<ShdData> {
  const fn = "data.loadShd";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${fn}: options must be an object with numSteps, got ${describe(options)}`);
  }
  checkOptions(fn, options, ["numSteps", "maxTime", "numUnits", "start", "count", "counts"]);
  const { numSteps, maxTime = 1.4, numUnits = 700, start = 0, counts = false } = options;
  checkInt(fn, "numSteps", numSteps);
  checkNumber(fn, "maxTime", maxTime);
  if (!(maxTime > 0)) throw new RangeError(`${fn}: maxTime must be > 0, got ${maxTime}`);
  checkInt(fn, "numUnits", numUnits);
  checkInt(fn, "start", start, 0);
  if (options.count !== undefined) checkInt(fn, "count", options.count, 0);
  checkBoolean(fn, "counts", counts);

  let bytes: Uint8Array, name: string;
  if (typeof source === "string") {
    name = source;
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new Error(`${fn}: cannot read ${source}: ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) {
    name = "in-memory file";
    bytes = source;
  } else {
    throw new TypeError(`${fn}: source must be a path or a Uint8Array, got ${describe(source)}`);
  }

  const h5 = await openHdf5(fn, name, bytes);
  try {
    const nLabels = datasetLength(fn, name, h5, "labels");
    const nTimes = datasetLength(fn, name, h5, "spikes/times");
    const nUnits = datasetLength(fn, name, h5, "spikes/units");
    if (nLabels !== nTimes || nLabels !== nUnits) {
      throw new Error(
        `${fn}: ${name}: labels, spikes/times and spikes/units hold ${nLabels}, ${nTimes} and ${nUnits} samples`,
      );
    }
    if (start > nLabels) throw new RangeError(`${fn}: start ${start} is past the ${nLabels} samples of ${name}`);
    const count = options.count ?? nLabels - start;
    if (start + count > nLabels) {
      throw new RangeError(`${fn}: samples ${start}..${start + count - 1} requested, ${name} has ${nLabels}`);
    }
    // Checked before reading: integer times (say microseconds) or float units would bin silently wrong.
    if (vlenElementClass(fn, name, h5, "spikes/units") === "float") {
      throw new TypeError(`${fn}: ${name}: "spikes/units" holds floats; SHD units are integer channel indices`);
    }
    if (vlenElementClass(fn, name, h5, "spikes/times") === "integer") {
      throw new TypeError(
        `${fn}: ${name}: "spikes/times" holds integers; SHD spike times are floats in seconds ` +
          `(convert integer ticks to seconds first)`,
      );
    }
    const labelValues = readIntegerDataset(fn, name, h5, "labels");
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = labelValues[start + i];
      if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
        throw new RangeError(`${fn}: ${name}: label ${v} of sample ${start + i} does not fit int32`);
      }
      labels[i] = v;
    }

    const frame = numSteps * numUnits;
    let dense: Float32Array;
    try {
      dense = new Float32Array(count * frame);
    } catch {
      throw new RangeError(
        `${fn}: ${count} samples × ${numSteps} steps × ${numUnits} units do not fit in memory; load fewer with start/count`,
      );
    }
    const times: Float64Array[] = [];
    readVlenRows(fn, name, h5, "spikes/times", start, count, (_, values) => times.push(values));
    readVlenRows(fn, name, h5, "spikes/units", start, count, (row, units) => {
      const n = row - start, t = times[n];
      if (units.length !== t.length) {
        throw new Error(`${fn}: ${name}: sample ${row} has ${t.length} spike times but ${units.length} units`);
      }
      const base = n * frame;
      for (let j = 0; j < t.length; j++) {
        const u = units[j];
        if (!(Number.isInteger(u) && u >= 0 && u < numUnits)) {
          throw new RangeError(`${fn}: ${name}: sample ${row} has a spike of unit ${u}, outside [0, ${numUnits})`);
        }
        if (!(t[j] >= 0 && t[j] < maxTime)) continue;
        const step = Math.min(Math.floor((t[j] / maxTime) * numSteps), numSteps - 1);
        const at = base + step * numUnits + u;
        dense[at] = counts ? dense[at] + 1 : 1;
      }
      times[n] = new Float64Array(0); // Let the row go.
    });
    return {
      spikes: fromTypedArray(dense, [count, numSteps, numUnits], "float32"),
      labels: fromTypedArray(labels, [count], "int32"),
    };
  } finally {
    h5.close();
  }
}
