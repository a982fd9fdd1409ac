/**
 * NIR's continuous-time neurons against spyx's discrete ones, both ways.
 *
 * NIR (`nir/ir/neuron.py`), stepped with Euler at `dt`:
 *
 * | NIR | continuous | one step of `dt` |
 * | --- | --- | --- |
 * | LIF | `tau v' = (v_leak - v) + r I` | `v <- (1 - dt/tau) v + (dt/tau) (r I + v_leak)` |
 * | LI | same, no spike | same |
 * | IF | `v' = r I` | `v <- v + dt r I` |
 * | I | same, no spike | same |
 * | CubaLIF | `tau_syn I' = -I + w_in S`, `tau_mem v' = (v_leak - v) + r I` | `I <- (1 - dt/tau_syn) I + (dt/tau_syn) w_in S`, `v <- (1 - dt/tau_mem) v + (dt/tau_mem) r I` |
 *
 * spyx's neurons (`V' = beta V + x - S thr`, `I' = alpha I + x`,
 * `V' = beta (V - S thr) + I'`) are these steps with `beta = 1 - dt/tau`
 * (`tau_mem` for CubaLIF), `alpha = 1 - dt/tau_syn`, and the input `x`
 * multiplied by the node's **input multiplier** `m`:
 *
 * - LIF, LI: `m = (dt/tau) r`, plus the constant `(dt/tau) v_leak` added to `x`;
 * - IF, I: `m = dt r` (I is an LI with `beta = 1`);
 * - CubaLIF: `m = (dt/tau_syn) w_in (dt/tau_mem) r` (spyx's current is
 *   NIR's times `(dt/tau_mem) r`, the factor through which it reaches `v`).
 *
 * spyx folds `m` into the weights of the layer before the neuron
 * (`dt/tau`, `dt/tau_syn * w_in`); it ignores `r` and `v_leak`, which is
 * right only for `r = 1` (`r = tau_mem/dt` for CubaLIF) and `v_leak = 0`.
 * spyx-ts applies NIR's definitions in full; on export it writes `r = 1`
 * (CubaLIF: `r = tau_mem/dt`, `w_in = 1`), `v_leak = 0` and divides the
 * weights before the neuron by `m`, so that spyx's own reader rebuilds the
 * same network (spyx 0.1.20 wrote `r = beta` and left the weights as
 * trained, which NIR's definitions read differently).
 *
 * Where the two models cannot agree, import refuses with an error: a
 * non-zero `v_reset` (spyx resets by subtracting the threshold), a
 * non-zero `v_leak` on CubaLIF (spyx's membrane has no constant term), and
 * `dt > tau` (spyx clips decays to `[0, 1]`). Per-neuron thresholds are
 * kept exactly by running the neuron at threshold 1 on its input divided by
 * the threshold: the spikes are the same, the membrane (returned as state)
 * is in units of the threshold.
 *
 * @module
 */
import type { Tensor } from "../autodiff/mod.ts";
import type { NIRCubaLIF, NIRIF, NIRIntegrator, NIRLI, NIRLIF, NIRLinear, NIRNode } from "./graph.ts";
import { sameShape, sizeOf, tensorOf, toNirLayout, toOurLayout, valuesOf } from "./layout.ts";
import { describeValue } from "./validate.ts";

/** spyx-ts neuron models that NIR nodes map to. */
export type NeuronModel = "IF" | "LIF" | "LI" | "CuBaLIF" | "RIF" | "RLIF" | "RCuBaLIF";

/** A NIR neuron in spyx-ts terms (values per neuron, spyx-ts layout, float64). */
export interface ImportedNeuron {
  model: NeuronModel;
  /** Membrane decay; for NIR's `I` node all ones. */
  beta?: Float64Array;
  /** Current decay (CuBaLIF models). */
  alpha?: Float64Array;
  /** Recurrent weights `[n, n]` (`[in, out]`, already multiplied by the receiving neuron's `m / threshold`). */
  w?: Float64Array;
  /** The spyx-ts threshold (the file's, or 1 when it varies per neuron). */
  threshold: number;
  /** What the summed input is multiplied by before the neuron (`m / threshold`). */
  scale: Float64Array;
  /** What is added to it after the multiplication, or null for none. */
  bias: Float64Array | null;
  /** Whether the neuron spikes (false for LI and I). */
  spiking: boolean;
}

type NeuronNode = NIRLIF | NIRLI | NIRIF | NIRIntegrator | NIRCubaLIF;

/**
 * Converts a neuron node whose input has NIR shape `shape`, with the dense
 * nodes that feed its spikes back (`recurrent`, possibly none), to spyx's
 * discretisation at step `dt`. Throws naming the node for shape mismatches
 * and for what spyx's neurons cannot express.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const lif = { type: "LIF" as const, tau: np.array([0.0025]), r: np.ones([1]), v_leak: np.zeros([1]), v_threshold: np.array([0.1]) };
 * const n = importNeuron("nir.fromNir", "1", lif, [], [1], 1e-4);
 * n.beta; // Float64Array [0.96]
 * n.scale; // Float64Array [0.04]
 * ```
 */
export function importNeuron(
  fn: string,
  name: string,
  node: NeuronNode,
  recurrent: { name: string; node: NIRNode }[],
  shape: readonly number[],
  dt: number,
): ImportedNeuron {
  const where = `node "${name}" (${node.type})`;
  const n = sizeOf(shape);
  const record = node as unknown as Record<string, Tensor | undefined>;
  const param = (field: string, fallback?: number): Float64Array => {
    const t = record[field];
    if (t === undefined) return new Float64Array(n).fill(fallback!);
    if (t.ndim === 0) return new Float64Array(n).fill(t.item() as number);
    if (!sameShape(t.shape, shape)) {
      throw new RangeError(
        `${fn}: ${where}: ${field} has shape [${t.shape}] but the node's input has shape [${shape}]`,
      );
    }
    return toOurLayout(t);
  };
  const decay = (field: string): [Float64Array, Float64Array] => {
    const tau = param(field);
    const ratio = tau.map((t) => dt / t);
    const bad = ratio.findIndex((q) => !(q >= 0 && q <= 1));
    if (bad >= 0) {
      throw new RangeError(
        `${fn}: ${where}: ${field} = ${tau[bad]} with dt = ${dt} gives ${
          field === "tau_syn" ? "alpha" : "beta"
        } = 1 - dt/${field} = ${1 - ratio[bad]}, outside [0, 1] (spyx-ts clips decays there; use a smaller dt)`,
      );
    }
    return [ratio.map((q) => 1 - q), ratio];
  };
  const requireZero = (field: string, why: string) => {
    const v = param(field, 0);
    const at = v.findIndex((x) => x !== 0);
    if (at >= 0) throw new RangeError(`${fn}: ${where}: ${field} = ${v[at]} is not supported: ${why}`);
  };

  let beta: Float64Array | undefined, alpha: Float64Array | undefined;
  let m: Float64Array, bias: Float64Array | null = null;
  const r = param("r");
  if (node.type === "LIF" || node.type === "LI") {
    const [b, q] = decay("tau");
    beta = b;
    m = q.map((qi, i) => qi * r[i]);
    const leak = param("v_leak");
    if (leak.some((v) => v !== 0)) bias = leak.map((v, i) => q[i] * v);
  } else if (node.type === "IF" || node.type === "I") {
    m = r.map((ri) => dt * ri);
    if (node.type === "I") beta = new Float64Array(n).fill(1);
  } else {
    const [a, qs] = decay("tau_syn");
    const [b, qm] = decay("tau_mem");
    [alpha, beta] = [a, b];
    const wIn = param("w_in", 1);
    m = qs.map((q, i) => q * wIn[i] * qm[i] * r[i]);
    requireZero("v_leak", "spyx's CuBaLIF membrane has no constant term");
  }
  const spiking = node.type === "LIF" || node.type === "IF" || node.type === "CubaLIF";
  let threshold = 1;
  if (spiking) {
    requireZero("v_reset", "spyx-ts resets by subtracting the threshold, NIR's v_reset would set the membrane");
    const thr = param("v_threshold");
    if (thr.every((t) => t === thr[0])) threshold = thr[0];
    else {
      const bad = thr.findIndex((t) => !(t > 0));
      if (bad >= 0) {
        throw new RangeError(`${fn}: ${where}: per-neuron thresholds must be > 0 to be rescaled, got ${thr[bad]}`);
      }
      m = m.map((mi, i) => mi / thr[i]);
      if (bias) bias = bias.map((b, i) => b / thr[i]);
    }
  }

  let w: Float64Array | undefined;
  if (recurrent.length > 0) {
    if (!spiking) throw new Error(`${fn}: ${where} feeds back to itself, which only spiking neurons may`);
    if (shape.length !== 1) {
      throw new RangeError(`${fn}: ${where}: a recurrent neuron layer must be one-dimensional, got shape [${shape}]`);
    }
    w = new Float64Array(n * n);
    const recurrentBias = new Float64Array(n);
    for (const { name: dName, node: dense } of recurrent) {
      const weight = (dense as NIRLinear).weight;
      if (!sameShape(weight.shape, [n, n])) {
        throw new RangeError(
          `${fn}: node "${dName}" (${dense.type}) feeds "${name}" back to itself with weight [${weight.shape}], expected [${n}, ${n}]`,
        );
      }
      const W = valuesOf(weight); // [out, in]
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) w[i * n + j] += W[j * n + i] * m[j];
      if (dense.type === "Affine") {
        const b = valuesOf(dense.bias);
        if (b.length !== n) {
          throw new RangeError(`${fn}: node "${dName}" (Affine): bias has ${b.length} values, expected ${n}`);
        }
        b.forEach((v, j) => (recurrentBias[j] += v * m[j]));
      }
    }
    if (recurrentBias.some((v) => v !== 0)) bias = (bias ?? new Float64Array(n)).map((v, j) => v + recurrentBias[j]);
  }
  const base = node.type === "CubaLIF" ? "CuBaLIF" : node.type === "I" ? "LI" : node.type;
  const model = (w ? `R${base}` : base) as NeuronModel;
  return { model, beta, alpha, w, threshold, scale: m, bias, spiking };
}

/** spyx-ts neuron parameters, as {@link exportNeuron} reads them (scalars allowed). */
export interface NeuronParams {
  beta?: Tensor;
  alpha?: Tensor;
  w?: Tensor;
}

function perNeuron(fn: string, what: string, t: Tensor | undefined, shape: readonly number[]): Float64Array {
  const n = sizeOf(shape);
  if (t === undefined) throw new TypeError(`${fn}: ${what} is missing`);
  if (t.size === 1) return new Float64Array(n).fill(Math.min(Math.max(t.dataSync()[0], 0), 1));
  if (!sameShape(t.shape, shape)) throw new RangeError(`${fn}: ${what} has shape [${t.shape}], expected [${shape}]`);
  // Decays act through clip(p, 0, 1).
  return Float64Array.from(t.dataSync(), (v) => Math.min(Math.max(v, 0), 1));
}

/**
 * The input multiplier `m` that a neuron's NIR node gets on export with
 * NIR's default settings (`r = 1`; CubaLIF `r = tau_mem/dt`, `w_in = 1`):
 * `1 - beta` (LIF, LI), `dt` (IF, and LI with `beta = 1`), `1 - alpha`
 * (CuBaLIF). Values per neuron, spyx-ts layout.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * baseMultiplier("nir.toNir", "LIF", { beta: np.array(0.75) }, [2], 1e-3); // Float64Array [0.25, 0.25]
 * ```
 */
export function baseMultiplier(
  fn: string,
  model: NeuronModel,
  params: NeuronParams,
  shape: readonly number[],
  dt: number,
): Float64Array {
  const n = sizeOf(shape);
  if (model === "IF" || model === "RIF") return new Float64Array(n).fill(dt);
  if (model === "CuBaLIF" || model === "RCuBaLIF") return perNeuron(fn, "alpha", params.alpha, shape).map((a) => 1 - a);
  const beta = perNeuron(fn, "beta", params.beta, shape);
  if (model === "LI" && beta.every((b) => b === 1)) return new Float64Array(n).fill(dt);
  return beta.map((b) => 1 - b);
}

/**
 * A spyx-ts neuron layer as a NIR node whose input multiplier is `m` (per
 * neuron) and whose constant input is `bias` (LIF and LI only): `r` is
 * chosen so that NIR's definitions multiply the input by `m`. Recurrent
 * models become NIR's recurrent subgraph (`input -> neuron`,
 * `neuron -> w_rec -> neuron`, `neuron -> output`). Throws naming `what`
 * for a decay of exactly 1 (an infinite time constant) and for a bias
 * NIR's node cannot carry.
 *
 * @example
 * ```ts
 * import { np } from "../mod.ts";
 * const node = exportNeuron("nir.toNir", "LIF", "LIF", { beta: np.array(0.75) }, 1, [2], 1e-3, new Float64Array([0.25, 0.25]), null, "float32");
 * node.type; // "LIF" (tau 0.004, r 1)
 * ```
 */
export function exportNeuron(
  fn: string,
  what: string,
  model: NeuronModel,
  params: NeuronParams,
  threshold: number,
  shape: readonly number[],
  dt: number,
  m: Float64Array,
  bias: Float64Array | null,
  dtype: "float32" | "float64",
): NIRNode {
  const n = sizeOf(shape);
  const arr = (v: Float64Array) => toNirLayout(v, shape, dtype);
  const fill = (v: number) => arr(new Float64Array(n).fill(v));
  const tauOf = (decay: Float64Array, name: string) =>
    decay.map((d) => {
      if (d >= 1) {
        throw new RangeError(
          `${fn}: ${what}: ${name} = 1 means an infinite NIR time constant (tau = dt / (1 - ${name})); NIR's ${model} cannot express it`,
        );
      }
      return dt / (1 - d);
    });
  const noBias = () => {
    if (bias && bias.some((b) => b !== 0)) {
      throw new RangeError(`${fn}: ${what}: a constant input (Scale bias) before a ${model} has no NIR equivalent`);
    }
  };
  const spiking = { v_threshold: fill(threshold), v_reset: fill(0) };
  let neuron: NIRNode;
  if (model === "IF" || model === "RIF") {
    noBias();
    neuron = { type: "IF", r: arr(m.map((mi) => mi / dt)), ...spiking };
  } else if (model === "CuBaLIF" || model === "RCuBaLIF") {
    noBias();
    const alpha = perNeuron(fn, "alpha", params.alpha, shape), beta = perNeuron(fn, "beta", params.beta, shape);
    const tauSyn = tauOf(alpha, "alpha"), tauMem = tauOf(beta, "beta");
    neuron = {
      type: "CubaLIF",
      tau_syn: arr(tauSyn),
      tau_mem: arr(tauMem),
      // NIR's multiplier is (dt/tau_syn) w_in (dt/tau_mem) r; with w_in = 1 this r makes it m.
      r: arr(m.map((mi, i) => (mi * tauSyn[i] / dt) * (tauMem[i] / dt))),
      v_leak: fill(0),
      ...spiking,
      w_in: fill(1),
    };
  } else {
    const beta = perNeuron(fn, "beta", params.beta, shape);
    if (model === "LI" && beta.every((b) => b === 1)) {
      noBias();
      neuron = { type: "I", r: arr(m.map((mi) => mi / dt)) };
    } else {
      const tau = tauOf(beta, "beta");
      const r = arr(m.map((mi, i) => mi * tau[i] / dt));
      const v_leak = arr(bias ? bias.map((b, i) => b * tau[i] / dt) : new Float64Array(n));
      neuron = model === "LI"
        ? { type: "LI", tau: arr(tau), r, v_leak }
        : { type: "LIF", tau: arr(tau), r, v_leak, ...spiking };
    }
  }
  if (!model.startsWith("R")) return neuron;
  const w = params.w;
  if (!w || !sameShape(w.shape, [n, n])) {
    throw new RangeError(`${fn}: ${what}: recurrent weights w must have shape [${n}, ${n}], got ${describeValue(w)}`);
  }
  const W = w.dataSync();
  const rec = new Float64Array(n * n); // NIR [out, in]: rec[j, i] = w[i, j] / m[j]
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) rec[j * n + i] = W[i * n + j] / m[j];
  const neuronName = neuron.type.toLowerCase();
  return {
    type: "NIRGraph",
    nodes: {
      input: { type: "Input", shape: [n] },
      [neuronName]: neuron,
      w_rec: { type: "Linear", weight: tensorOf(rec, [n, n], dtype) },
      output: { type: "Output", shape: [n] },
    },
    edges: [["input", neuronName], [neuronName, "w_rec"], ["w_rec", neuronName], [neuronName, "output"]],
  };
}
