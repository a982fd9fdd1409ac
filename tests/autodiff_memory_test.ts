/**
 * What the gradient tape keeps alive. A tape entry names its tensors (id,
 * shape, dtype) without holding them, each VJP holds only the tensors its
 * rule reads, and the backward pass drops each entry once it has run. Checked
 * with forced garbage collections and weak references.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { axn, customVjp, grad, nn, np, random, scan, type Tensor, valueAndGrad, vjp } from "../mod.ts";
import { Tape, withTape } from "../autodiff/tape.ts";
import { backpropagate } from "../autodiff/transforms.ts";
import { randomTensor } from "./support/arbitraries.ts";
import { forcedGc, nextTask } from "./support/gc.ts";

const gc = forcedGc();

/**
 * Runs `op` on a fresh tracked input under a tape, drops every reference
 * but the tape's, collects, and says which of the input and output the tape
 * still keeps alive.
 */
async function keptByTape(op: (x: Tensor) => Tensor, shape = [3, 4]): Promise<[boolean, boolean]> {
  const tape = new Tape();
  let x: Tensor | null = randomTensor(shape, 7, 0.5, 1.5);
  tape.watch([x]);
  let y: Tensor | null = withTape(tape, () => op(x!));
  const refs = [new WeakRef(x), new WeakRef(y)];
  x = y = null;
  await nextTask();
  gc();
  const kept = refs.map((r) => r.deref() !== undefined) as [boolean, boolean];
  assert.ok(tape.entries.length > 0, "the op was recorded");
  return kept;
}

describe("tape memory", () => {
  test("each VJP keeps only the tensors its rule reads", async () => {
    const other = randomTensor([4, 2], 3);
    // [input kept, output kept]
    const cases: [string, (x: Tensor) => Tensor, [boolean, boolean]][] = [
      ["add", (x) => np.add(x, 1), [false, false]],
      ["sub", (x) => np.sub(1, x), [false, false]],
      ["mul by a constant", (x) => np.mul(x, 2), [false, false]],
      ["square", (x) => np.square(x), [true, false]],
      ["div by a constant", (x) => np.div(x, 2), [false, false]],
      ["reciprocal", (x) => np.reciprocal(x), [true, true]],
      ["pow with a constant exponent", (x) => np.pow(x, 3), [true, false]],
      ["neg", (x) => np.neg(x), [false, false]],
      ["exp", (x) => np.exp(x), [false, true]],
      ["log", (x) => np.log(x), [true, false]],
      ["tanh", (x) => np.tanh(x), [false, true]],
      ["abs", (x) => np.abs(x), [true, false]],
      ["astype", (x) => np.astype(x, "float32"), [false, false]],
      ["where", (x) => np.where(np.array([true, false, true, false]), x, 0), [false, false]],
      ["reshape", (x) => np.reshape(x, [12]), [false, false]],
      ["transpose", (x) => np.transpose(x), [false, false]],
      ["broadcastTo", (x) => np.broadcastTo(x, [2, 3, 4]), [false, false]],
      ["slice", (x) => np.slice(x, [0, 1], [2, 4], [1, 2]), [false, false]],
      ["pad", (x) => np.pad(x, 1), [false, false]],
      ["concatenate", (x) => np.concatenate([x, np.ones([1, 4], { dtype: "float64" })]), [false, false]],
      ["take", (x) => np.take(x, [2, 0], 1), [false, false]],
      ["sum", (x) => np.sum(x, 0), [false, false]],
      ["mean", (x) => np.mean(x), [false, false]],
      ["max", (x) => np.max(x, 1), [true, true]],
      ["matmul", (x) => np.matmul(x, other), [true, false]],
      ["reduceWindow sum", (x) => np.reduceWindow(x, { op: "sum", window: [1, 2], strides: [1, 2] }), [false, false]],
      ["customVjp (a spike function)", (x) => axn.superspike()(x), [true, false]],
    ];
    const got: string[] = [], wanted: string[] = [];
    for (const [name, op, want] of cases) {
      got.push(`${name}: ${await keptByTape(op)}`);
      wanted.push(`${name}: ${want}`);
    }
    assert.deepEqual(got, wanted);
  });

  test("scan keeps its inputs and saved carries, not its outputs", async () => {
    const body = (c: Tensor, x: Tensor): [Tensor, Tensor] => {
      const next = np.tanh(np.add(c, x));
      return [next, np.mul(next, 2)];
    };
    const [inputKept, outputKept] = await keptByTape((xs) => scan(body, np.zeros([4], { dtype: "float64" }), xs)[1]);
    assert.deepEqual([inputKept, outputKept], [true, false]);
  });

  test("entries name their tensors and leave the tape as the backward pass runs them", () => {
    const x = randomTensor([3], 1);
    const tape = new Tape();
    tape.watch([x]);
    const seen: number[] = [];
    const spy = customVjp((u: Tensor): [Tensor, null] => [u, null], (_r: null, g: Tensor) => {
      seen.push(tape.entries.length);
      return [g];
    });
    const y = withTape(tape, () => np.sum(np.exp(spy(np.mul(x, 2)))));
    assert.equal(tape.entries.length, 4);
    for (const entry of tape.entries) {
      for (const t of entry.inputs) assert.deepEqual(Object.keys(t).sort(), ["dtype", "id", "shape"]);
      for (const id of entry.outputs) assert.equal(typeof id, "number");
    }
    const grads = backpropagate(tape, [y], [np.ones([], { dtype: "float64" })]);
    assert.deepEqual(seen, [1], "when the spy's VJP ran, only the entry of mul was left");
    assert.equal(tape.entries.length, 0);
    assert.deepEqual([...grads.keys()], [x.id], "only the watched tensor's cotangent is left");
  });

  test("an inner backward pass drops its entries; the outer tape still differentiates it", () => {
    const x = np.array([0.5, -1.5], { dtype: "float64" });
    const d2 = grad((u: Tensor) => np.sum(grad((v: Tensor) => np.sum(np.mul(np.sin(v), np.mul(v, v))))(u)))(x);
    const want = [0.5, -1.5].map((v) => 2 * Math.sin(v) + 4 * v * Math.cos(v) - v * v * Math.sin(v));
    (d2 as Tensor).dataSync().forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-12, `${g} vs ${want[i]}`));
  });

  test("a fused neuron kernel keeps nothing of its input once the synchronous call is over", async () => {
    const [T, B, n] = [4, 2, 3];
    const net = nn.transform((current: Tensor) => {
      const lif = new nn.LIF([n], { beta: 0.9, activation: axn.superspike(25) });
      return nn.dynamicUnroll(lif, current, lif.initialState(B))[0];
    });
    const params = net.init(random.key(0), np.zeros([T, B, n]));
    let collected = false;
    const registry = new FinalizationRegistry(() => (collected = true));
    (() => {
      const current = randomTensor([T, B, n], 21, 0, 2);
      registry.register(current, null);
      valueAndGrad((p: nn.Params) => np.sum(net.apply(p, null, current) as Tensor))(params);
    })();
    // Collected now, in the same job, unless a WeakRef made during it pins the input until the job ends.
    gc();
    for (let i = 0; i < 5 && !collected; i++) await nextTask();
    assert.ok(collected);
  });

  test("W1 in small: when the first op's VJP runs, x @ w, the LIF's input and the spikes are gone", async () => {
    const [T, B, n] = [5, 2, 6];
    const x = randomTensor([T, B, n], 11, 0, 1);
    const lifNet = nn.transform((current: Tensor) => {
      const lif = new nn.LIF([n], { beta: 0.9, activation: axn.superspike(25) });
      return nn.dynamicUnroll(lif, current, lif.initialState(B))[0];
    });
    const lifParams = lifNet.init(random.key(0), x);
    const refs: WeakRef<Tensor>[] = [];
    let aliveWhenReached: boolean[] = [];
    // An identity on w: its VJP runs last, after every other entry.
    const probe = customVjp((w: Tensor): [Tensor, null] => [w, null], (_r: null, g: Tensor) => {
      gc();
      aliveWhenReached = refs.map((r) => r.deref() !== undefined);
      return [g];
    });
    const loss = (p: { w: Tensor; b: Tensor }) => {
      const xw = np.matmul(np.reshape(x, [T * B, n]), probe(p.w));
      const current = np.reshape(np.add(xw, p.b), [T, B, n]);
      const spikes = lifNet.apply(lifParams, null, current) as Tensor;
      refs.push(new WeakRef(xw), new WeakRef(current), new WeakRef(spikes));
      return np.sum(spikes);
    };
    const params = { w: randomTensor([n, n], 12, 0, 1), b: randomTensor([n], 13, 0, 0.5) };
    const [value, back] = vjp(loss, params);
    assert.ok((value as Tensor).item() > 0, "some neurons spike");
    await nextTask();
    back(np.ones([], { dtype: "float64" }));
    assert.deepEqual(aliveWhenReached, [false, false, false]);
  });
});
