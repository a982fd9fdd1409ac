/**
 * Deterministic inputs for the benchmarks: every JavaScript implementation
 * receives the very same arrays (PyTorch draws its own from the same
 * distributions with the same seeds).
 *
 * @module
 */
import { SEEDS, type W1Params, type W2Params } from "./spec.ts";

/** A seeded stream of uniforms in `[0, 1)` (mulberry32). */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` uniforms in `[lo, hi)`. */
export function uniformArray(size: number, seed: number, lo = 0, hi = 1): Float32Array<ArrayBuffer> {
  const u = uniformStream(seed), out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * u();
  return out;
}

/** `size` Bernoulli(`p`) spikes as 0/1 floats. */
export function spikeArray(size: number, seed: number, p: number): Float32Array<ArrayBuffer> {
  const u = uniformStream(seed), out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = u() < p ? 1 : 0;
  return out;
}

/** `size` labels in `[0, classes)`. */
export function labelArray(size: number, seed: number, classes: number): Int32Array<ArrayBuffer> {
  const u = uniformStream(seed), out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(u() * classes);
  return out;
}

/** W1's data: input `[T, B, n]` uniform in [0, 1), PyTorch-default-like `Linear` init. */
export interface W1Data {
  x: Float32Array<ArrayBuffer>;
  w: Float32Array<ArrayBuffer>;
  b: Float32Array<ArrayBuffer>;
}

/** Builds {@link W1Data}. */
export function w1Data({ T, B, n }: W1Params): W1Data {
  const bound = 1 / Math.sqrt(n);
  return {
    x: uniformArray(T * B * n, SEEDS.input),
    w: uniformArray(n * n, SEEDS.weight, -bound, bound),
    b: uniformArray(n, SEEDS.bias, -bound, bound),
  };
}

/** W2's data: batch-major spikes `[B, T, inputs]`, labels, and the initial parameters. */
export interface W2Data {
  x: Float32Array<ArrayBuffer>;
  labels: Int32Array<ArrayBuffer>;
  w1: Float32Array<ArrayBuffer>;
  w2: Float32Array<ArrayBuffer>;
  betaHidden: Float32Array<ArrayBuffer>;
  betaOut: Float32Array<ArrayBuffer>;
}

/**
 * Builds {@link W2Data}. The first layer's weights are scaled so that about
 * 35 active inputs drive the hidden neurons over threshold now and then
 * (Haiku's default `1/sqrt(700)` would leave them silent on 5 % spikes).
 */
export function w2Data({ B, T, inputs, hidden, classes, density }: W2Params): W2Data {
  const b1 = 0.26, b2 = 1 / Math.sqrt(hidden);
  return {
    x: spikeArray(B * T * inputs, SEEDS.input, density),
    labels: labelArray(B, SEEDS.labels, classes),
    w1: uniformArray(inputs * hidden, SEEDS.weight, -b1, b1),
    w2: uniformArray(hidden * classes, SEEDS.bias, -b2, b2),
    betaHidden: uniformArray(hidden, SEEDS.decay, 0.25, 0.75),
    betaOut: new Float32Array(classes).fill(0.8),
  };
}
