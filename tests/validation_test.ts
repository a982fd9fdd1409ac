/**
 * Every option and input checked: each public function and constructor
 * that takes an options object rejects an unknown name (naming it, the
 * closest valid one and all valid ones) and accepts every name it lists;
 * invalid values fail where they are given, with the op and the value in
 * the message (strings quoted, NaN as NaN).
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { axn, data, fn, grad, nn, np, optim, plot, random, type Tensor, valueAndGrad } from "../mod.ts";

type Options = Record<string, unknown>;
/** Runs module construction inside a transformed function, as user code does. */
const inFrame = <R>(f: () => R): R => nn.transform(f).apply({}, null);
const x3 = () => np.ones([2, 5, 3]);

/** [the name errors use, a call with the given options]. */
const CALLS: [string, (o: Options) => unknown][] = [
  ["IF", (o) => inFrame(() => new nn.IF([4], o))],
  ["LIF", (o) => inFrame(() => new nn.LIF([4], o))],
  ["LI", (o) => inFrame(() => new nn.LI([4], o))],
  ["ALIF", (o) => inFrame(() => new nn.ALIF([4], o))],
  ["CuBaLIF", (o) => inFrame(() => new nn.CuBaLIF([4], o))],
  ["RIF", (o) => inFrame(() => new nn.RIF([4], o))],
  ["RLIF", (o) => inFrame(() => new nn.RLIF([4], o))],
  ["RCuBaLIF", (o) => inFrame(() => new nn.RCuBaLIF([4], o))],
  ["Linear", (o) => inFrame(() => new nn.Linear(3, o))],
  ["Conv1D (conv1_d)", (o) => inFrame(() => new nn.Conv1D(3, { kernelShape: 2, ...o }))],
  ["Conv2D (conv2_d)", (o) => inFrame(() => new nn.Conv2D(3, { kernelShape: 2, ...o }))],
  ["Conv3D (conv3_d)", (o) => inFrame(() => new nn.Conv3D(3, { kernelShape: 2, ...o }))],
  ["Flatten", (o) => inFrame(() => new nn.Flatten(o))],
  ["Sequential", (o) => inFrame(() => new nn.Sequential([], o))],
  ["BatchApply", (o) => inFrame(() => new nn.BatchApply((t: Tensor) => t, o))],
  ["SumPool", (o) => inFrame(() => new nn.SumPool(2, 2, "VALID", -1, o))],
  ["PopulationCode", (o) => inFrame(() => new nn.PopulationCode(2, o))],
  ["ActivityRegularization", (o) => inFrame(() => new nn.ActivityRegularization(o))],
  ["DeepRNN", (o) => inFrame(() => new nn.DeepRNN([(t: Tensor) => t], o))],
  ["dynamicUnroll", (o) => inFrame(() => nn.dynamicUnroll(new NoopCore(), x3(), np.zeros([5, 3]), o))],
  ["staticUnroll", (o) => inFrame(() => nn.staticUnroll(new NoopCore(), x3(), np.zeros([5, 3]), o))],
  ["getParameter", (o) => inFrame(() => nn.getParameter("w", [2], o))],
  ["getState", (o) => nn.transformWithState(() => nn.getState("s", [2], o)).apply({}, {}, null)],
  ["dropout", (o) => nn.dropout(null, 0, np.ones([2]), o)],
  ["grad", (o) => grad((t: Tensor) => np.sum(t), o)],
  ["valueAndGrad", (o) => valueAndGrad((t: Tensor) => np.sum(t), o)],
  ["integralCrossentropy", (o) => fn.integralCrossentropy(o)],
  ["integralAccuracy", (o) => fn.integralAccuracy(o)],
  ["mseSpikerate", (o) => fn.mseSpikerate(o)],
  ["sgd", (o) => optim.sgd(0.1, o)],
  ["trace", (o) => optim.trace(o)],
  ["adam", (o) => optim.adam(0.1, o)],
  ["adamw", (o) => optim.adamw(0.1, o)],
  ["scaleByAdam", (o) => optim.scaleByAdam(o)],
  ["rmsprop", (o) => optim.rmsprop(0.1, o)],
  ["scaleByRms", (o) => optim.scaleByRms(o)],
  ["scaleByStddev", (o) => optim.scaleByStddev(o)],
  ["adagrad", (o) => optim.adagrad(0.1, o)],
  ["scaleByRss", (o) => optim.scaleByRss(o)],
  ["lion", (o) => optim.lion(0.1, o)],
  ["scaleByLion", (o) => optim.scaleByLion(o)],
  ["scaleByLearningRate", (o) => optim.scaleByLearningRate(0.1, o)],
  ["addDecayedWeights", (o) => optim.addDecayedWeights(0.1, o)],
  ["polynomialSchedule", (o) => optim.polynomialSchedule(o as never)],
  ["linearSchedule", (o) => optim.linearSchedule(o as never)],
  ["exponentialDecay", (o) => optim.exponentialDecay(o as never)],
  ["cosineDecay", (o) => optim.cosineDecay(o as never)],
  ["warmupCosineDecay", (o) => optim.warmupCosineDecay(o as never)],
  ["piecewiseConstant", (o) => optim.piecewiseConstant(o as never)],
  ["data.randman", (o) => data.randman({ nSamples: 1, nClasses: 2, nSteps: 2, nUnits: 2, ...o })],
  ["data.latencyCode", (o) => data.latencyCode(5, o)],
  ["data.deltaCode", (o) => data.deltaCode(0.1, o)],
  ["data.toSafetensors", (o) => data.toSafetensors({ w: np.ones([1]) }, o)],
  ["data.loadShd", (o) => data.loadShd(new Uint8Array(0), { numSteps: 4, ...o })],
  ["data.loadMnist", (o) => data.loadMnist(o)],
  ["plot.raster", (o) => plot.raster([[1]], o)],
  ["plot.traces", (o) => plot.traces([[1]], o)],
];

/** A core that returns its input, for the unroll functions. */
class NoopCore extends nn.RNNCore {
  constructor() {
    super({}, "noop");
  }
  initialState(b: number): Tensor {
    return np.zeros([b, 3]);
  }
  call(x: Tensor, s: nn.RNNState): [Tensor, nn.RNNState] {
    return [x, s];
  }
}

/** The error of a call, sync or async (undefined when it succeeds). */
async function errorOf(f: () => unknown): Promise<Error | undefined> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("validation: unknown option names", () => {
  for (const [name, call] of CALLS) {
    test(`${name} rejects an unknown option and accepts every option it lists`, async () => {
      const e = await errorOf(() => call({ bogusOption: 1 }));
      assert.ok(e instanceof TypeError, `${name}: expected a TypeError, got ${e}`);
      assert.match(e.message, new RegExp(`^${escape(name)}: unknown option "bogusOption"; valid options: `));
      const valid = e.message.split("valid options: ")[1].split(", ");
      assert.ok(valid.length >= 1 && valid.every((v) => /^\w+$/.test(v)), e.message);
      // Every listed name passes the name check (other checks may still fail, e.g. a required option).
      const again = await errorOf(() => call(Object.fromEntries(valid.map((v) => [v, undefined]))));
      assert.ok(!again || !/unknown option/.test(again.message), `${name}: ${again?.message}`);
    });
  }

  test("the issue's misspellings name the option meant", () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => inFrame(() => new nn.LIF([4], { betaa: 0.9 } as never)),
        /LIF: unknown option "betaa" \(did you mean "beta"\?\)/,
      ],
      [
        () => inFrame(() => new nn.LIF([4], { treshold: 0.5 } as never)),
        /LIF: unknown option "treshold" \(did you mean "threshold"\?\); valid options: name, threshold, activation, beta$/,
      ],
      [
        () => inFrame(() => new nn.Linear(3, { withbias: false } as never)),
        /Linear: unknown option "withbias" \(did you mean "withBias"\?\)/,
      ],
      [
        () => grad((t: Tensor) => t, { argnum: 1 } as never),
        /grad: unknown option "argnum" \(did you mean "argnums"\?\)/,
      ],
      [
        () => inFrame(() => nn.dynamicUnroll(new NoopCore(), x3(), np.zeros([5, 3]), { time_major: false } as never)),
        /dynamicUnroll: unknown option "time_major" \(did you mean "timeMajor"\?\)/,
      ],
      [
        () => inFrame(() => new nn.IF([4], { beta: NaN } as never)),
        /IF: unknown option "beta"; valid options: name, threshold/,
      ],
      [
        () => inFrame(() => new nn.LI([4], { threshold: NaN } as never)),
        /LI: unknown option "threshold"; valid options: name, beta$/,
      ],
    ];
    for (const [f, re] of cases) assert.throws(f, re);
  });

  test("options that are not an object", () => {
    assert.throws(() => inFrame(() => new nn.LIF([4], 0.9 as never)), /LIF: options must be an object, got 0\.9/);
    assert.throws(
      () => fn.integralCrossentropy("smooth" as never),
      /integralCrossentropy: options must be an object, got "smooth"/,
    );
  });
});

describe("validation: values are checked where they are given", () => {
  test("modules and neurons, at construction", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new nn.SumPool(-1, 2), /SumPool: windowShape must be a positive integer or a list of them, got -1/],
      [
        () => new nn.SumPool(2, [2, NaN]),
        /SumPool: strides must be a positive integer or a list of them, got \[2, NaN\]/,
      ],
      [() => new nn.SumPool(2, 2, "same" as never), /SumPool: padding must be "VALID" or "SAME", got "same"/],
      [() => new nn.LIF([4], { beta: NaN }), /LIF: beta must be a finite number .* got NaN/],
      [() => new nn.ALIF([4], { gamma: "0.9" as never }), /ALIF: gamma must be a finite number .* got "0\.9"/],
      [
        () => new nn.Conv2D(4, undefined as never),
        /Conv2D \(conv2_d\): the kernelShape option is required, as in new nn\.Conv2D\(4, \{ kernelShape: 3 \}\)/,
      ],
      [() => new nn.Conv2D(4, { kernelShape: 3, padding: "full" as never }), /unknown padding "full"/],
      [() => new nn.Conv2D(4, { kernelShape: 3, withBias: 0 as never }), /withBias must be a boolean, got 0/],
      [() => new nn.DeepRNN([42 as never]), /DeepRNN: layer 0 is 42; layers are RNN cores, modules or functions/],
      [() => new nn.DeepRNN([]), /DeepRNN: layers must be a non-empty array, got \[\]/],
      [() => new nn.Linear(NaN), /Linear: outputSize must be a positive integer, got NaN/],
      [() => new nn.Linear(3, { withBias: "no" as never }), /Linear: withBias must be a boolean, got "no"/],
      [() => new nn.Linear(3, { wInit: 0.1 as never }), /Linear: wInit must be an initializer .* got 0\.1/],
      [() => new nn.Linear(3, { name: "my layer" }), /Linear: invalid module name "my layer"/],
      [() => new nn.Flatten({ preserveDims: 0 }), /Flatten: preserveDims must be a positive integer, got 0/],
    ];
    for (const [f, re] of cases) assert.throws(() => inFrame(f), re);
  });

  test("inputs: a plain array to dynamicUnroll, a zero-width Linear input, a dropout rate", () => {
    assert.throws(
      () => inFrame(() => nn.dynamicUnroll(new NoopCore(), [[1, 2]] as never, np.zeros([1, 3]))),
      /dynamicUnroll: inputs must be a Tensor .*, got \[\[1, 2\]\] \(wrap an array with np\.array\)/,
    );
    assert.throws(
      () => nn.dynamicUnroll({} as never, x3(), np.zeros([5, 3])),
      /dynamicUnroll: core must be an RNNCore .* got an empty object/,
    );
    assert.throws(
      () => inFrame(() => nn.dynamicUnroll(new NoopCore(), x3(), np.zeros([5, 3]), { timeMajor: "no" as never })),
      /dynamicUnroll: timeMajor must be a boolean, got "no"/,
    );
    const net = nn.transform((x: Tensor) => new nn.Linear(3).call(x));
    assert.throws(
      () => net.init(random.key(0), np.ones([2, 0])),
      /Linear \(linear\): the input has shape \[2,0\]; its last axis must not be empty/,
    );
    assert.throws(() => nn.dropout(null, NaN, np.ones([2])), /dropout: rate must be in \[0, 1\), got NaN/);
    assert.throws(() => grad((t: Tensor) => t, { argnums: [0, 0] }), /grad: argnums must be .* got \[0, 0\]/);
  });

  test("spike losses: targets out of range or not integers", () => {
    const traces = np.ones([2, 4, 3]);
    for (
      const [name, loss] of [
        ["integralCrossentropy", fn.integralCrossentropy()],
        ["integralAccuracy", fn.integralAccuracy()],
        ["mseSpikerate", fn.mseSpikerate()],
      ] as const
    ) {
      assert.throws(
        () => loss(traces, np.array([0, 3], { dtype: "int32" })),
        new RegExp(`${name}: target 3 at flat index 1 is not a class index in \\[0, 3\\)`),
      );
      assert.throws(
        () => loss(traces, np.array([-1, 0], { dtype: "int32" })),
        new RegExp(`${name}: target -1 at flat index 0 is not a class index`),
      );
      assert.throws(
        () => loss(traces, [0, 1.5]),
        new RegExp(`${name}: targets must be integer class indices, got 1\\.5`),
      );
      assert.throws(() => loss(traces, np.array([0, 1])), new RegExp(`${name}: targets must be an int32 tensor`));
    }
    assert.throws(
      () => optim.softmaxCrossEntropyWithIntegerLabels(np.zeros([1, 2]), np.array([2], { dtype: "int32" })),
      /softmaxCrossEntropyWithIntegerLabels: target 2 at flat index 0 is not a class index in \[0, 2\)/,
    );
  });

  test("axn.custom: a forward output of the wrong shape or dtype", () => {
    const u = np.array([0.5, -0.5]);
    const sum = axn.custom((v: Tensor) => np.onesLike(v), (v: Tensor) => np.sum(v));
    assert.throws(
      () => sum(u),
      /axn\.custom: fwd must return a float Tensor of the input's shape \[2\], got a float32 tensor of shape \[\]/,
    );
    const bool = axn.custom((v: Tensor) => np.onesLike(v), (v: Tensor) => np.greater(v, 0));
    assert.throws(() => bool(u), /got a bool tensor of shape \[2\]/);
  });
});

describe("validation: loadShd refuses integer spike times and float units", () => {
  const fixture = new Uint8Array(readFileSync(fileURLToPath(new URL("./fixtures/shd_small.h5", import.meta.url))));

  /** Offset of a byte pattern (the fixture is small). */
  const find = (bytes: Uint8Array, pattern: number[]) =>
    bytes.findIndex((_, i) => pattern.every((b, k) => bytes[i + k] === b));

  test("integer times: the float16 element type made a 16-bit integer", async () => {
    const bytes = fixture.slice();
    // The VLEN base type of spikes/times: class 1 (float), version 1, bit field 0x20 0x0f 0x00, size 2.
    const at = find(bytes, [0x11, 0x20, 0x0f, 0x00, 0x02, 0x00, 0x00, 0x00]);
    assert.ok(at > 0, "the fixture's float16 type");
    bytes.set([0x10, 0x00, 0x00], at); // class 0 (fixed-point), unsigned; bit offset and precision stay 0 and 16
    await assert.rejects(
      data.loadShd(bytes, { numSteps: 4 }),
      /data\.loadShd: in-memory file: "spikes\/times" holds integers; SHD spike times are floats in seconds/,
    );
  });

  test("float units: the spikes group's two links swapped", async () => {
    const bytes = fixture.slice();
    // The group's symbol-table node ("SNOD", version, reserved, 2 entries); each 40-byte entry holds
    // the name's heap offset (8 bytes) and then the object header's address (8 bytes).
    const at = find(bytes, [0x53, 0x4e, 0x4f, 0x44, 0x01, 0x00, 0x02, 0x00]);
    assert.ok(at > 0, "the spikes group's node");
    const first = at + 16, second = at + 56;
    const address = bytes.slice(first, first + 8);
    bytes.copyWithin(first, second, second + 8);
    bytes.set(address, second);
    await assert.rejects(
      data.loadShd(bytes, { numSteps: 4 }),
      /data\.loadShd: in-memory file: "spikes\/units" holds floats; SHD units are integer channel indices/,
    );
  });
});
