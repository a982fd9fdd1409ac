/**
 * Training progress on the console. On a terminal: one line redrawn in
 * place (epoch, a bar of the epoch's steps, loss, accuracy, samples/s and
 * the time left), with a permanent line at the end of each epoch. When the
 * output is not a terminal (a file, a pipe, CI): plain log lines only, one
 * per logged step, as `epoch 1/10 batch 25/125 loss 1.7570 train_acc
 * 0.5531 851 samples/s`.
 *
 * @module
 */
import process from "node:process";

/** Where console output goes. */
export interface OutputSink {
  write(text: string): void;
  /** Whether it is a terminal (the progress bar is drawn only then). */
  readonly isTTY: boolean;
  /** The terminal's width, if known. */
  readonly columns?: number;
}

/**
 * The process's standard output.
 *
 * @example
 * ```ts
 * stdoutSink().write("hello\n");
 * ```
 */
export function stdoutSink(): OutputSink {
  return {
    write: (text) => void process.stdout.write(text),
    get isTTY() {
      return process.stdout.isTTY === true;
    },
    get columns() {
      return process.stdout.columns;
    },
  };
}

/** What the bar shows. */
export interface ProgressState {
  /** Counted from 1. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  batches: number;
  loss: number;
  /** Accuracy on this epoch's batches so far. */
  accuracy: number;
  samplesPerSecond: number;
  /** Seconds left for the whole run; NaN when unknown. */
  etaSeconds: number;
}

/**
 * `m:ss` or `h:mm:ss`.
 *
 * @example
 * ```ts
 * formatDuration(75); // "1:15"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * The bar line, cut to `width` characters.
 *
 * @example
 * ```ts
 * formatProgress({ epoch: 1, epochs: 2, batch: 5, batches: 10, loss: 1.5, accuracy: 0.4, samplesPerSecond: 900, etaSeconds: 20 }, 100);
 * // "epoch 1/2 [##########----------] 5/10 loss 1.5000 acc 0.4000 900 samples/s ETA 0:20"
 * ```
 */
export function formatProgress(state: ProgressState, width: number): string {
  const cells = 20, done = Math.round((state.batch / state.batches) * cells);
  const bar = "#".repeat(done) + "-".repeat(cells - done);
  const text = `epoch ${state.epoch}/${state.epochs} [${bar}] ${state.batch}/${state.batches} ` +
    `loss ${state.loss.toFixed(4)} acc ${state.accuracy.toFixed(4)} ${state.samplesPerSecond.toFixed(0)} samples/s ` +
    `ETA ${formatDuration(state.etaSeconds)}`;
  return text.length > width ? text.slice(0, Math.max(0, width)) : text;
}

/** Draws the progress bar on a terminal and writes permanent lines around it. */
export class ProgressDisplay {
  private drawn = false;
  private lastDraw = -Infinity;

  /**
   * @param sink where to write
   * @param minIntervalMs the least time between two redraws (redrawing every step would cost more than it shows)
   * @param now the clock, in milliseconds
   *
   * @example
   * ```ts
   * const progress = new ProgressDisplay(stdoutSink());
   * ```
   */
  constructor(
    private readonly sink: OutputSink,
    private readonly minIntervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the bar is drawn at all (only on a terminal). */
  get active(): boolean {
    return this.sink.isTTY;
  }

  /**
   * Redraws the bar in place if enough time has passed or the epoch ends;
   * does nothing when the output is not a terminal.
   *
   * @example
   * ```ts ignore
   * progress.update({ epoch: 1, epochs: 10, batch: 3, batches: 125, loss: 1.9, accuracy: 0.3, samplesPerSecond: 800, etaSeconds: 60 });
   * ```
   */
  update(state: ProgressState): void {
    if (!this.sink.isTTY) return;
    const t = this.now();
    if (t - this.lastDraw < this.minIntervalMs && state.batch < state.batches) return;
    this.lastDraw = t;
    // A terminal of unknown size (columns 0 or undefined) gets 100 columns.
    const width = Math.max(20, (this.sink.columns || 100) - 1);
    this.sink.write(`\r\x1b[2K${formatProgress(state, width)}`);
    this.drawn = true;
  }

  /**
   * Writes a permanent line (clearing the bar first; the next update draws
   * it again below).
   *
   * @example
   * ```ts ignore
   * progress.line("epoch 1/10 batch 125/125 loss 1.4071 train_acc 0.7800 1602 samples/s");
   * ```
   */
  line(text: string): void {
    this.clear();
    this.sink.write(text + "\n");
  }

  /**
   * Removes the bar (at the end of training).
   *
   * @example
   * ```ts ignore
   * progress.clear();
   * ```
   */
  clear(): void {
    if (this.drawn) this.sink.write("\r\x1b[2K");
    this.drawn = false;
    this.lastDraw = -Infinity;
  }
}
