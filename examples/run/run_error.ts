/**
 * The error the training examples raise for a problem of the user's making
 * (a bad option, a run that cannot be resumed): its message is the whole
 * story, so the command line prints it without a stack trace.
 *
 * @module
 */

/**
 * An error whose message names what is wrong and what to do.
 *
 * @example
 * ```ts
 * throw new RunError("train_mnist: --epochs must be an integer >= 1, got 0");
 * ```
 */
export class RunError extends Error {
  override name = "RunError";
}
