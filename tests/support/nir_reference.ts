/**
 * An independent float64 simulator of NIR graphs, written from NIR's node
 * definitions and the discretisation that spyx-ts documents for them, in
 * NIR's own layout (one sample at a time, channels first, plain loops). It
 * shares no code with `nir/`; tests compare `nir.fromNir` against it.
 *
 * Semantics: Euler steps of `dt`; a spiking neuron's output at a step comes
 * from its membrane before the update, which then subtracts the threshold
 * on a spike; LIF/LI `v <- (1 - dt/tau) v + dt/tau (r u + v_leak)`, IF/I
 * `v <- v + dt r u`, CubaLIF `I <- (1 - dt/tau_syn) I + dt/tau_syn w_in u`,
 * `v <- (1 - dt/tau_mem)(v - S thr) + dt/tau_mem r I`. Several inputs of a
 * node add up. A spiking neuron with a dense node as its only feedback
 * (`n -> d -> n`, `d` nothing else) reads that feedback at the same step
 * (spyx's RIF/RLIF/RCuBaLIF); any other cycle is cut at the edges that
 * close it in a depth-first walk from the Input (edges in file order), which
 * then carry the previous step's value.
 */
import type { nir, Tensor } from "../../mod.ts";

type Node = nir.NIRNode;
const vals = (t: Tensor | undefined, n: number, fallback = 0): Float64Array =>
  t === undefined
    ? new Float64Array(n).fill(fallback)
    : t.size === 1
    ? new Float64Array(n).fill(t.dataSync()[0])
    : Float64Array.from(t.dataSync());

function inline(graph: nir.NIRGraph, prefix = ""): { nodes: Map<string, Node>; edges: [string, string][] } {
  const nodes = new Map<string, Node>();
  let edges: [string, string][] = graph.edges.map(([a, b]) => [prefix + a, prefix + b]);
  for (const [name, node] of Object.entries(graph.nodes)) {
    if (node.type !== "NIRGraph") {
      nodes.set(prefix + name, node);
      continue;
    }
    const sub = inline(node, `${prefix}${name}/`);
    const inName = [...sub.nodes].find(([, n]) => n.type === "Input")![0];
    const outName = [...sub.nodes].find(([, n]) => n.type === "Output")![0];
    for (const [k, v] of sub.nodes) if (k !== inName && k !== outName) nodes.set(k, v);
    const heads = sub.edges.filter(([a]) => a === inName).map(([, b]) => b);
    const tails = sub.edges.filter(([, b]) => b === outName).map(([a]) => a);
    const me = prefix + name;
    edges = edges.flatMap(([a, b]): [string, string][] => {
      const froms = a === me ? tails : [a], tos = b === me ? heads : [b];
      return froms.flatMap((x) => tos.map((y): [string, string] => [x, y]));
    });
    edges.push(...sub.edges.filter(([a, b]) => a !== inName && b !== outName));
  }
  return { nodes, edges };
}

function conv(
  x: Float64Array,
  inShape: number[],
  node: nir.NIRConv1d | nir.NIRConv2d,
): { y: Float64Array; shape: number[] } {
  const w = node.weight.dataSync(), [O, Ig, ...k] = node.weight.shape;
  const dims = k.length, [C, ...sp] = inShape, groups = node.groups;
  const arr = (v: number | number[]) => (typeof v === "number" ? new Array(dims).fill(v) : v);
  const s = arr(node.stride), d = arr(node.dilation);
  let p: number[];
  if (node.padding === "valid") p = new Array(dims).fill(0);
  else if (node.padding === "same") p = k.map((kk, i) => Math.floor((d[i] * (kk - 1)) / 2));
  else p = arr(node.padding as number | number[]);
  const out = sp.map((n, i) =>
    node.padding === "same" ? n : Math.floor((n + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1
  );
  const [H, W] = dims === 2 ? sp : [1, sp[0]];
  const [Ho, Wo] = dims === 2 ? out : [1, out[0]];
  const [kh, kw] = dims === 2 ? k : [1, k[0]];
  const [sh, sw] = dims === 2 ? s : [1, s[0]];
  const [ph, pw] = dims === 2 ? p : [0, p[0]];
  const [dh, dw] = dims === 2 ? d : [1, d[0]];
  const b = node.bias.dataSync();
  const y = new Float64Array(O * Ho * Wo);
  const perGroup = O / groups;
  for (let o = 0; o < O; o++) {
    const g = Math.floor(o / perGroup);
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let acc = b[o];
        for (let c = 0; c < Ig; c++) {
          for (let a = 0; a < kh; a++) {
            for (let e = 0; e < kw; e++) {
              const hi = i * sh - ph + a * dh, wi = j * sw - pw + e * dw;
              if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
              acc += w[((o * Ig + c) * kh + a) * kw + e] * x[((g * Ig + c) * H + hi) * W + wi];
            }
          }
        }
        y[(o * Ho + i) * Wo + j] = acc;
      }
    }
  }
  void C;
  return { y, shape: [O, ...out] };
}

function pool(x: Float64Array, [C, H, W]: number[], node: nir.NIRSumPool2d | nir.NIRAvgPool2d) {
  const [kh, kw] = node.kernel_size, [sh, sw] = node.stride, [ph, pw] = node.padding;
  const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
  const y = new Float64Array(C * Ho * Wo);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let acc = 0;
        for (let a = 0; a < kh; a++) {
          for (let e = 0; e < kw; e++) {
            const hi = i * sh - ph + a, wi = j * sw - pw + e;
            if (hi >= 0 && hi < H && wi >= 0 && wi < W) acc += x[(c * H + hi) * W + wi];
          }
        }
        y[(c * Ho + i) * Wo + j] = node.type === "AvgPool2d" ? acc / (kh * kw) : acc;
      }
    }
  }
  return { y, shape: [C, Ho, Wo] };
}

function dense(node: nir.NIRAffine | nir.NIRLinear, u: Float64Array): Float64Array {
  const [O, I] = node.weight.shape, w = node.weight.dataSync();
  const b = node.type === "Affine" ? node.bias.dataSync() : null;
  const y = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    let acc = b ? b[o] : 0;
    for (let i = 0; i < I; i++) acc += w[o * I + i] * u[i];
    y[o] = acc;
  }
  return y;
}

/** Output of `simulate`: per sample and step, in NIR's layout. */
export interface Simulation {
  /** `out[b][t]`: the Output node's value. */
  out: Float64Array[][];
  /** `states[name][b][t]`: a neuron's membrane (CubaLIF: `[v, I]` concatenated) after step `t`. */
  states: Map<string, Float64Array[][]>;
}

/**
 * Simulates `graph` on `x` (`[B, T, ...sample]` values, NIR layout) at step `dt`.
 */
export function simulate(graph: nir.NIRGraph, x: Float64Array, B: number, T: number, dt: number): Simulation {
  const { nodes, edges: all } = inline(graph);
  // Dense nodes that only feed a spiking neuron's spikes back to it.
  const recurrent = new Map<string, string[]>();
  let edges = all;
  for (const [n, d] of all) {
    const nn = nodes.get(n), dd = nodes.get(d);
    if (!nn || !dd || !["IF", "LIF", "CubaLIF"].includes(nn.type) || !["Affine", "Linear"].includes(dd.type)) continue;
    const ins = edges.filter(([, b]) => b === d), outs = edges.filter(([a]) => a === d);
    if (ins.length === 1 && outs.length === 1 && outs[0][1] === n) {
      recurrent.set(n, [...(recurrent.get(n) ?? []), d]);
      edges = edges.filter(([a, b]) => a !== d && b !== d);
    }
  }
  const input = [...nodes].find(([, n]) => n.type === "Input")![0];
  const output = [...nodes].find(([, n]) => n.type === "Output")![0];
  // Edges closing a cycle in a depth-first walk from the input (recursive, edges in order).
  const back = new Set<number>(), color = new Map<string, number>();
  const dfs = (v: string) => {
    color.set(v, 1);
    edges.forEach(([a, b], i) => {
      if (a !== v) return;
      if (color.get(b) === 1) back.add(i);
      else if (!color.has(b)) dfs(b);
    });
    color.set(v, 2);
  };
  dfs(input);
  // Kahn's algorithm over the remaining edges.
  const fwd = edges.filter((_, i) => !back.has(i));
  const indeg = new Map([...nodes.keys()].map((k) => [k, fwd.filter(([, b]) => b === k).length]));
  const order: string[] = [];
  const ready = [...nodes.keys()].filter((k) => indeg.get(k) === 0);
  while (ready.length) {
    const v = ready.shift()!;
    order.push(v);
    for (const [a, b] of fwd) if (a === v) (indeg.set(b, indeg.get(b)! - 1), indeg.get(b) === 0 && ready.push(b));
  }
  const sampleShape = (nodes.get(input) as nir.NIRInput).shape;
  const n0 = sampleShape.reduce((a, b) => a * b, 1);
  const sim: Simulation = { out: [], states: new Map() };
  for (let b = 0; b < B; b++) {
    const state = new Map<string, Float64Array[]>(); // v, I, or delay history
    const prev = new Map<string, Float64Array>();
    const outs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const value = new Map<string, { y: Float64Array; shape: number[] }>();
      const xt = x.slice((b * T + t) * n0, (b * T + t + 1) * n0);
      for (const name of order) {
        const node = nodes.get(name)!;
        const ins = edges.map((e, i) => [e, i] as const).filter(([[, to]]) => to === name);
        let u: Float64Array | null = null, shape: number[] = sampleShape;
        for (const [[from], i] of ins) {
          const src = back.has(i)
            ? { y: prev.get(from) ?? null, shape: value.get(from)?.shape ?? [] }
            : value.get(from)!;
          if (!back.has(i)) shape = src.shape;
          if (src.y === null) continue; // zeros at the first step
          u = u ? u.map((v, k) => v + src.y![k]) : Float64Array.from(src.y);
        }
        if (name === input) u = xt;
        const n = shape.reduce((a, c) => a * c, 1);
        u ??= new Float64Array(n);
        let y: Float64Array = u, yShape = shape;
        const st = state.get(name);
        const record = (parts: Float64Array[]) => {
          state.set(name, parts);
          const per = sim.states.get(name) ?? [];
          (per[b] ??= []).push(
            parts.length === 1 ? Float64Array.from(parts[0]) : Float64Array.from([...parts[0], ...parts[1]]),
          );
          sim.states.set(name, per);
        };
        const spikingInput = (v: Float64Array, thr: Float64Array) => {
          const s = v.map((vi, k) => (vi > thr[k] ? 1 : 0));
          let uu = u!;
          for (const d of recurrent.get(name) ?? []) {
            const fb = dense(nodes.get(d) as nir.NIRAffine, s);
            uu = uu.map((vv, k) => vv + fb[k]);
          }
          return { s, uu };
        };
        switch (node.type) {
          case "Affine":
          case "Linear":
            y = dense(node, u);
            yShape = [node.weight.shape[0]];
            break;
          case "Scale": {
            const s = vals(node.scale, n);
            y = u.map((v, k) => v * s[k]);
            break;
          }
          case "Conv1d":
          case "Conv2d":
            ({ y, shape: yShape } = conv(u, shape, node));
            break;
          case "SumPool2d":
          case "AvgPool2d":
            ({ y, shape: yShape } = pool(u, shape, node));
            break;
          case "Flatten": {
            const r = shape.length, s0 = node.start_dim < 0 ? node.start_dim + r : node.start_dim;
            const e0 = node.end_dim < 0 ? node.end_dim + r : node.end_dim;
            yShape = [
              ...shape.slice(0, s0),
              shape.slice(s0, e0 + 1).reduce((a, c) => a * c, 1),
              ...shape.slice(e0 + 1),
            ];
            break;
          }
          case "Delay": {
            const steps = vals(node.delay, n).map((d) => Math.round(d / dt));
            const hist = st ?? [];
            y = u.map((v, k) => (steps[k] === 0 ? v : hist[steps[k] - 1]?.[k] ?? 0));
            state.set(name, [Float64Array.from(u), ...hist].slice(0, 64));
            break;
          }
          case "Threshold": {
            const thr = vals(node.threshold, n);
            y = u.map((v, k) => (v > thr[k] ? 1 : 0));
            break;
          }
          case "LIF":
          case "LI": {
            const tau = vals(node.tau, n), r = vals(node.r, n), leak = vals(node.v_leak, n);
            const v = st?.[0] ?? new Float64Array(n);
            if (node.type === "LIF") {
              const thr = vals(node.v_threshold, n);
              const { s, uu } = spikingInput(v, thr);
              record([
                v.map((vi, k) => (1 - dt / tau[k]) * vi + (dt / tau[k]) * (r[k] * uu[k] + leak[k]) - s[k] * thr[k]),
              ]);
              y = s;
            } else {
              const next = v.map((vi, k) => (1 - dt / tau[k]) * vi + (dt / tau[k]) * (r[k] * u![k] + leak[k]));
              record([next]);
              y = next;
            }
            break;
          }
          case "IF":
          case "I": {
            const r = vals(node.r, n), v = st?.[0] ?? new Float64Array(n);
            if (node.type === "IF") {
              const thr = vals(node.v_threshold, n);
              const { s, uu } = spikingInput(v, thr);
              record([v.map((vi, k) => vi + dt * r[k] * uu[k] - s[k] * thr[k])]);
              y = s;
            } else {
              const next = v.map((vi, k) => vi + dt * r[k] * u![k]);
              record([next]);
              y = next;
            }
            break;
          }
          case "CubaLIF": {
            const ts = vals(node.tau_syn, n), tm = vals(node.tau_mem, n), r = vals(node.r, n);
            const w = vals(node.w_in, n, 1), thr = vals(node.v_threshold, n);
            const v = st?.[0] ?? new Float64Array(n), cur = st?.[1] ?? new Float64Array(n);
            const { s, uu } = spikingInput(v, thr);
            const i2 = cur.map((c, k) => (1 - dt / ts[k]) * c + (dt / ts[k]) * w[k] * uu[k]);
            const v2 = v.map((vi, k) => (1 - dt / tm[k]) * (vi - s[k] * thr[k]) + (dt / tm[k]) * r[k] * i2[k]);
            record([v2, i2]);
            y = s;
            break;
          }
          case "Input":
          case "Output":
            break;
          default:
            throw new Error(`reference: no ${node.type}`);
        }
        value.set(name, { y, shape: yShape });
      }
      for (const [from] of edges.filter((_, i) => back.has(i))) prev.set(from, value.get(from)!.y);
      outs.push(value.get(output)!.y);
    }
    sim.out.push(outs);
  }
  return sim;
}
