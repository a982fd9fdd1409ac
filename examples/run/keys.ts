/**
 * The random keys of a training run, derived from the seed, the epoch and
 * the batch rather than threaded from one step to the next: a run resumed at
 * the start of epoch k draws exactly the keys (and so the data order, the
 * rate-coded spikes and the augmentation shifts) that an uninterrupted run
 * draws there, without any key stored in the checkpoint.
 *
 * ```
 * [init, train] = split(key(seed))
 * evaluation    = foldIn(key(seed), 1000003)
 * [order, batches] = split(foldIn(train, epoch))      epoch from 0
 * batch b's key = foldIn(batches, b)                  b from 0
 * ```
 *
 * (This is the derivation the MNIST example has always used, so its numbers
 * did not change when runs became resumable.)
 *
 * @module
 */
import { random, type Tensor } from "../../mod.ts";

/** The keys of a whole run. */
export interface RunKeys {
  /** Parameter initialisation (and the sample the network is initialised on). */
  init: random.PRNGKey;
  /** Root of every epoch's keys. */
  train: random.PRNGKey;
  /** Held-out evaluation (rate coding of the test digits). */
  evaluation: random.PRNGKey;
}

/** The keys of one epoch. */
export interface EpochKeys {
  /** The permutation of the training samples. */
  order: random.PRNGKey;
  /** Root of the per-batch keys ({@link batchKey}). */
  batches: random.PRNGKey;
}

/**
 * A run's keys from its seed.
 *
 * @example
 * ```ts
 * const { init, train } = runKeys(0);
 * ```
 */
export function runKeys(seed: number): RunKeys {
  const root = random.key(seed);
  const [init, train] = random.split(root);
  return { init, train, evaluation: random.foldIn(root, 1_000_003) };
}

/**
 * The keys of epoch `epoch` (counted from 0).
 *
 * @example
 * ```ts
 * const keys = epochKeys(runKeys(0).train, 3);
 * ```
 */
export function epochKeys(train: random.PRNGKey, epoch: number): EpochKeys {
  const [order, batches] = random.split(random.foldIn(train, epoch));
  return { order, batches };
}

/**
 * The order in which an epoch visits `n` training samples.
 *
 * @example
 * ```ts
 * epochOrder(epochKeys(runKeys(0).train, 0), 100).shape; // [100]
 * ```
 */
export function epochOrder(keys: EpochKeys, n: number): Tensor {
  return random.permutation(keys.order, n);
}

/**
 * The key of batch `b` (counted from 0) of an epoch.
 *
 * @example
 * ```ts
 * const k = batchKey(epochKeys(runKeys(0).train, 0), 7);
 * ```
 */
export function batchKey(keys: EpochKeys, b: number): random.PRNGKey {
  return random.foldIn(keys.batches, b);
}
