/**
 * Randman: the synthetic spike-timing classification task of Zenke & Vogels
 * (2021), built from smooth random manifolds.
 *
 * @module
 */
import { fromTypedArray } from "../autodiff/ops/creation.ts";
import { permutation } from "../autodiff/random/discrete.ts";
import { uniform } from "../autodiff/random/floats.ts";
import { key as makeKey, split } from "../autodiff/random/keys.ts";
import type { Tensor } from "../autodiff/tensor.ts";
import { checkOptions } from "../autodiff/checks.ts";
import { checkBoolean, checkInt, checkNumber } from "./checks.ts";

/** Options of {@link randman}; the defaults are a task a small LIF network learns (see there). */
export interface RandmanOptions {
  /** Number of classes, one random manifold each (default 10). */
  nClasses?: number;
  /** Number of input units = embedding dimension of the manifolds (default 20). */
  nUnits?: number;
  /** Number of time steps (default 50). */
  nSteps?: number;
  /** Samples per class (default 200; `N = nClasses · nSamples`). */
  nSamples?: number;
  /** Intrinsic dimension of each manifold (default 1). */
  dimManifold?: number;
  /** Smoothness: the power-law fall-off of the Fourier spectrum (default 2). */
  alpha?: number;
  /** Peak position of the spectrum, randman's `beta` (default 0). */
  beta?: number;
  /** Fraction of the steps, from the start, that can hold spikes (default 1). */
  stepFrac?: number;
  /** Seed of `random.key` (default 0). */
  seed?: number;
  /** Shuffle the samples of all classes together (default true). */
  shuffle?: boolean;
  /** Precision that sets the number of Fourier terms, `ceil(prec^(-1/alpha))` (default 1e-3). */
  prec?: number;
  /** Upper bound on the number of Fourier terms (default 1000). */
  maxFCutoff?: number;
  /** Keep the constant Fourier term, which offsets each manifold (default false). */
  useBias?: boolean;
}

/** The arrays returned by {@link randman}. */
export interface RandmanData {
  /** `[N, nSteps, nUnits]` float32: exactly one 1 per sample and unit. */
  spikes: Tensor;
  /** `[N]` int32 class of each sample. */
  labels: Tensor;
  /** `[N, nUnits]` int32 step at which each unit fires. */
  spikeSteps: Tensor;
  /** `[N, dimManifold]` float32 intrinsic coordinates (randman's regression targets). */
  points: Tensor;
}

/**
 * Generates a Randman spiking dataset (Zenke & Vogels 2021, "The
 * remarkable robustness of surrogate gradient learning", after the
 * `randman` package's `make_spiking_dataset`).
 *
 * Each class `k` owns a random smooth manifold: for unit `u` and manifold
 * coordinate `x ∈ [0,1)^D`,
 * `f_u(x) = Π_d Σ_{i<F} θ_{u,d,0,i} · s_i · sin(2π(i · x_d · θ_{u,d,1,i} + θ_{u,d,2,i}))`
 * with `θ ~ U[0,1)` (and `θ_{u,d,0,0} = 0` unless `useBias`), spectrum
 * `s_i = 1 / (|i + 1 - beta|^alpha + 1)` and `F = min(ceil(prec^(-1/alpha)),
 * maxFCutoff)` terms (randman's torch/JAX version). `nSamples` points `x ~
 * U[0,1)^D` per class are mapped through `f`, each unit's values are
 * rescaled over the class's samples to `[0, 1)` by `(y - min) / (max - min
 * + 1e-7)`, and unit `u` fires once, at step `floor(y_u · nSteps · stepFrac)`.
 * So the class lives only in the relative spike timing; rates carry nothing.
 *
 * Randomness comes from `random`: `[manifoldKey, shuffleKey] =
 * split(key(seed))`, one key per class from `split(manifoldKey, nClasses)`,
 * each split into the key of its `θ` (`uniform`, float32, shape
 * `[nUnits, D, 3, F]`) and of its points (`uniform`, `[nSamples, D]`); the
 * shuffle is `permutation(shuffleKey, N)`. Same seed, same data, on every
 * runtime. The manifolds are evaluated in float64.
 *
 * The defaults (10 classes, 20 units, 50 steps, 200 samples per class,
 * 1-D manifolds, `alpha` 2) are a task that a small LIF network learns:
 * the spyx tutorial network `Linear(64) → LIF(superspike) → Linear(10) →
 * LI`, trained on the first 80% with Adam (lr 1e-2, batch 64) on
 * `fn.integralCrossentropy`, reached 91% accuracy on the held-out
 * 20% after 15 epochs (data seeds 0 and 5; chance is 10%), in about 12 s on the
 * CPU. Larger `dimManifold` or `nClasses`, or smaller `alpha`, make
 * the task harder, as in the paper.
 *
 * @example
 * ```ts
 * import { data } from "../mod.ts";
 * const { spikes, labels } = data.randman({ nClasses: 2, nUnits: 5, nSteps: 10, nSamples: 4 });
 * spikes.shape; // [8, 10, 5]
 * labels.shape; // [8]
 * ```
 */
export function randman(options: RandmanOptions = {}): RandmanData {
  const fn = "data.randman";
  checkOptions(fn, options, [
    "nClasses",
    "nUnits",
    "nSteps",
    "nSamples",
    "dimManifold",
    "alpha",
    "beta",
    "stepFrac",
    "seed",
    "shuffle",
    "prec",
    "maxFCutoff",
    "useBias",
  ]);
  const {
    nClasses = 10,
    nUnits = 20,
    nSteps = 50,
    nSamples = 200,
    dimManifold = 1,
    alpha = 2,
    beta = 0,
    stepFrac = 1,
    seed = 0,
    shuffle = true,
    prec = 1e-3,
    maxFCutoff = 1000,
    useBias = false,
  } = options;
  checkInt(fn, "nClasses", nClasses);
  checkInt(fn, "nUnits", nUnits);
  checkInt(fn, "nSteps", nSteps);
  checkInt(fn, "nSamples", nSamples);
  checkInt(fn, "dimManifold", dimManifold);
  checkNumber(fn, "alpha", alpha);
  if (!(alpha > 0)) throw new RangeError(`${fn}: alpha must be > 0, got ${alpha}`);
  checkNumber(fn, "beta", beta);
  checkNumber(fn, "stepFrac", stepFrac);
  if (!(stepFrac > 0 && stepFrac <= 1)) throw new RangeError(`${fn}: stepFrac must lie in (0, 1], got ${stepFrac}`);
  checkInt(fn, "seed", seed, 0);
  checkNumber(fn, "prec", prec);
  if (!(prec > 0 && prec < 1)) throw new RangeError(`${fn}: prec must lie in (0, 1), got ${prec}`);
  checkInt(fn, "maxFCutoff", maxFCutoff);
  checkBoolean(fn, "shuffle", shuffle);
  checkBoolean(fn, "useBias", useBias);

  const terms = Math.min(Math.ceil(Math.pow(prec, -1 / alpha)), maxFCutoff);
  const spect = new Float64Array(terms);
  for (let i = 0; i < terms; i++) spect[i] = 1 / (Math.pow(Math.abs(i + 1 - beta), alpha) + 1);

  const total = nClasses * nSamples;
  const steps = new Int32Array(total * nUnits);
  const points = new Float32Array(total * dimManifold);
  const labels = new Int32Array(total);
  const [manifoldKey, shuffleKey] = split(makeKey(seed));
  const classKeys = split(manifoldKey, nClasses);
  const y = new Float64Array(nSamples * nUnits);
  const TWO_PI = 2 * Math.PI;
  for (let k = 0; k < nClasses; k++) {
    const [thetaKey, pointKey] = split(classKeys[k]);
    const theta = uniform(thetaKey, [nUnits, dimManifold, 3, terms]).dataSync();
    const x = uniform(pointKey, [nSamples, dimManifold]).dataSync();
    const thetaAt = (u: number, d: number, j: number, i: number) => theta[((u * dimManifold + d) * 3 + j) * terms + i];
    for (let s = 0; s < nSamples; s++) {
      for (let u = 0; u < nUnits; u++) {
        let value = 1;
        for (let d = 0; d < dimManifold; d++) {
          const xd = x[s * dimManifold + d];
          let sum = 0;
          for (let i = 0; i < terms; i++) {
            const amplitude = i === 0 && !useBias ? 0 : thetaAt(u, d, 0, i);
            sum += amplitude * spect[i] * Math.sin(TWO_PI * (i * xd * thetaAt(u, d, 1, i) + thetaAt(u, d, 2, i)));
          }
          value *= sum;
        }
        y[s * nUnits + u] = value;
      }
    }
    for (let u = 0; u < nUnits; u++) {
      let lo = Infinity, hi = -Infinity;
      for (let s = 0; s < nSamples; s++) {
        lo = Math.min(lo, y[s * nUnits + u]);
        hi = Math.max(hi, y[s * nUnits + u]);
      }
      for (let s = 0; s < nSamples; s++) {
        const scaled = (y[s * nUnits + u] - lo) / (hi - lo + 1e-7);
        const step = Math.floor(scaled * nSteps * stepFrac);
        steps[(k * nSamples + s) * nUnits + u] = Math.min(Math.max(step, 0), nSteps - 1);
      }
    }
    points.set(x, k * nSamples * dimManifold);
    labels.fill(k, k * nSamples, (k + 1) * nSamples);
  }

  const order = shuffle ? (permutation(shuffleKey, total).dataSync() as Int32Array) : null;
  const outSteps = new Int32Array(total * nUnits);
  const outPoints = new Float32Array(total * dimManifold);
  const outLabels = new Int32Array(total);
  const spikes = new Float32Array(total * nSteps * nUnits);
  for (let n = 0; n < total; n++) {
    const src = order ? order[n] : n;
    outLabels[n] = labels[src];
    outPoints.set(points.subarray(src * dimManifold, (src + 1) * dimManifold), n * dimManifold);
    for (let u = 0; u < nUnits; u++) {
      const step = steps[src * nUnits + u];
      outSteps[n * nUnits + u] = step;
      spikes[(n * nSteps + step) * nUnits + u] = 1;
    }
  }
  return {
    spikes: fromTypedArray(spikes, [total, nSteps, nUnits], "float32"),
    labels: fromTypedArray(outLabels, [total], "int32"),
    spikeSteps: fromTypedArray(outSteps, [total, nUnits], "int32"),
    points: fromTypedArray(outPoints, [total, dimManifold], "float32"),
  };
}
