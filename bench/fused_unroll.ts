/**
 * Fused (layer by layer, whole-sequence neuron kernels) against per-step
 * (`fused: false`, a scan) `dynamicUnroll` on W2-like shapes: B = 64,
 * T = 100, 700 -> 128 -> 20 (`[Linear, LIF, Linear, LI]`, SHD-like sparse
 * spike inputs), one value-and-gradient of an integral cross-entropy-like
 * loss per iteration, float32. A script, not a timed test:
 *
 *   deno run -A bench/fused_unroll.ts [--iters 5] [--batch 64] [--time 100]
 */
import { parseArgs } from "node:util";
import { axn, nn, np, random, type Tensor, valueAndGrad } from "../mod.ts";

const { values } = parseArgs({
  options: {
    iters: { type: "string", default: "5" },
    batch: { type: "string", default: "64" },
    time: { type: "string", default: "100" },
    inputs: { type: "string", default: "700" },
    hidden: { type: "string", default: "128" },
    classes: { type: "string", default: "20" },
  },
});
const [iters, B, T, IN, H, C] = [values.iters, values.batch, values.time, values.inputs, values.hidden, values.classes]
  .map(Number);

function model(fused: boolean) {
  return nn.transform((x: Tensor) => {
    const core = new nn.DeepRNN([
      new nn.Linear(H, { withBias: false }),
      new nn.LIF([H], { activation: axn.superspike() }),
      new nn.Linear(C, { withBias: false }),
      new nn.LI([C]),
    ]);
    return nn.dynamicUnroll(core, x, core.initialState(B), { fused })[0];
  });
}

// SHD-like input: about 3% of the channels spike at each step.
const x = np.astype(np.less(random.uniform(random.key(1), [T, B, IN]), 0.03), "float32");
const targets = random.randint(random.key(2), [B], 0, C);
const params = model(true).init(random.key(0), x);

function loss(fused: boolean) {
  const net = model(fused);
  return (p: nn.Params) => {
    const logits = np.sum(net.apply(p, null, x), 0);
    return np.mean(np.neg(np.sum(np.mul(np.oneHot(targets, C), np.logSoftmax(logits)), -1)));
  };
}

function time(fused: boolean): { ms: number; value: number } {
  const f = valueAndGrad(loss(fused));
  f(params); // warm-up (JIT)
  const t0 = performance.now();
  let value = 0;
  for (let i = 0; i < iters; i++) value = (f(params)[0] as Tensor).item();
  return { ms: (performance.now() - t0) / iters, value };
}

const fused = time(true), generic = time(false);
console.log(`W2-like: B=${B} T=${T} ${IN}->${H}->${C}, float32, value and gradient, mean of ${iters}`);
console.log(`  per-step (scan): ${generic.ms.toFixed(1)} ms   loss ${generic.value.toFixed(6)}`);
console.log(`  fused:           ${fused.ms.toFixed(1)} ms   loss ${fused.value.toFixed(6)}`);
console.log(`  speed-up:        ${(generic.ms / fused.ms).toFixed(1)}x`);
