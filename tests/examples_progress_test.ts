/**
 * The examples' console output: a progress bar redrawn in place on a
 * terminal, plain log lines elsewhere.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { formatDuration, formatProgress, type OutputSink, ProgressDisplay } from "../examples/run/progress.ts";
import { main } from "../examples/train_mnist.ts";
import { captureOutput, MNIST_TINY, withTempDir } from "./support/example_runs.ts";

const state = { epoch: 2, epochs: 5, batch: 30, batches: 120, loss: 1.23456, accuracy: 0.5, samplesPerSecond: 1234.4 };

/** What the bar writes to clear its line before a redraw. */
const CLEAR = "\r\x1b[2K";

function terminal(columns = 100): OutputSink & { parts: string[] } {
  const parts: string[] = [];
  return { write: (t) => void parts.push(t), isTTY: true, columns, parts };
}

describe("progress bar", () => {
  test("shows epoch, steps, loss, accuracy, samples/s and ETA on one line, cut to the terminal", () => {
    assert.equal(
      formatProgress({ ...state, etaSeconds: 3725 }, 200),
      "epoch 2/5 [#####---------------] 30/120 loss 1.2346 acc 0.5000 1234 samples/s ETA 1:02:05",
    );
    assert.equal(formatProgress({ ...state, etaSeconds: 65 }, 30).length, 30);
    assert.deepEqual([formatDuration(0), formatDuration(59.6), formatDuration(NaN)], ["0:00", "1:00", "?"]);
  });

  test("redraws in place at most every interval, and keeps permanent lines apart", () => {
    let now = 0;
    const sink = terminal(60);
    const progress = new ProgressDisplay(sink, 100, () => now);
    progress.update({ ...state, etaSeconds: 10 });
    now = 50;
    progress.update({ ...state, batch: 31, etaSeconds: 9 }); // too soon: skipped
    now = 150;
    progress.update({ ...state, batch: 32, etaSeconds: 8 });
    progress.line("epoch 2/5 done");
    progress.clear();
    assert.equal(sink.parts.length, 4);
    assert.ok(sink.parts.slice(0, 2).every((p) => p.startsWith(CLEAR) && !p.includes("\n")));
    assert.match(sink.parts[0].slice(CLEAR.length), /^epoch 2\/5 \[.*\] 30\/120 /);
    assert.match(sink.parts[1].slice(CLEAR.length), /^epoch 2\/5 \[.*\] 32\/120 /);
    assert.ok(sink.parts.slice(0, 2).every((p) => p.length <= CLEAR.length + 59));
    assert.deepEqual(sink.parts.slice(2), [CLEAR, "epoch 2/5 done\n"]);
  });

  test("writes nothing but its lines when the output is not a terminal", () => {
    const sink = captureOutput();
    const progress = new ProgressDisplay(sink);
    progress.update({ ...state, etaSeconds: 1 });
    progress.line("a log line");
    progress.clear();
    assert.equal(sink.text(), "a log line\n");
  });

  test("an example run on a terminal draws the bar and keeps one line per epoch", { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const sink = terminal(120);
      await main([...MNIST_TINY, "--epochs", "2", "--out", dir], sink);
      const text = sink.parts.join("");
      // Each piece between two line clears is a drawn bar, or permanent lines (ending in a newline).
      const pieces = text.split(CLEAR);
      const bars = pieces.filter((p) => !p.includes("\n"));
      assert.ok(
        bars.length > 0 &&
          bars.every((b) =>
            /^(epoch [12]\/2 \[#*-*\] \d\/8 loss \d\.\d{4} acc \d\.\d{4} \d+ samples\/s ETA \d:\d\d)?$/.test(b)
          ),
      );
      const permanent = pieces.filter((p) => p.includes("\n")).flatMap((p) => p.split("\n"));
      assert.deepEqual(permanent.filter((l) => l.startsWith("epoch")).map((l) => l.split(" loss")[0]), [
        "epoch 1/2 batch 8/8",
        "epoch 2/2 batch 8/8",
      ]);
      assert.match(text, /\ntest_accuracy=0\.\d{4}\n$/);
    });
  });
});
