/**
 * The cell sequence shaders of `cell_wgsl.ts`'s building blocks: a
 * non-recurrent cell's whole forward and backward pass in one dispatch
 * each (one invocation per (sample, neuron) looping over time, state,
 * carried cotangents and parameter-gradient partials in registers), and a
 * recurrent cell's per-step halves for blocks too large to stay resident
 * in a workgroup (`cell_resident_shaders.ts` has the others): the step's
 * spikes (backward: the feedback's cotangent), then, after the block
 * product, the update.
 *
 * @module
 */
import { type Cell, type CellBackward, FB, GSFB, lambdaOf, THRESHOLD, X } from "../autodiff/cell/cell.ts";
import { symbolsOf } from "../autodiff/cell/expr.ts";
import {
  backwardLoads,
  backwardRoots,
  backwardSymbol,
  type Binding,
  cacheId,
  type CellShader,
  emitWgsl,
  paramLoads,
  reads,
  shader,
  wgslLocal,
} from "./cell_wgsl.ts";

const timeIndex = "let t = select(s, u.T - 1u - s, u.rev == 1u); let off = t * M;";

/**
 * The forward pass of a non-recurrent cell in one dispatch: buffers
 * `xs`, `st_in<k>`, params `p<k>` in; `ys`, `st<k>` (final state) and
 * the saved residuals `r<k>` out.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * forwardWholeWgsl(LIF_CELL, ["state:v"]).bindings; // ["xs", "st_in0", "p0", "ys", "st0", "r0"]
 * ```
 */
export function forwardWholeWgsl(cell: Cell, residuals: readonly string[]): CellShader {
  const { spec } = cell;
  const roots = [cell.output, ...cell.next];
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : wgslLocal(n));
  const body = emitWgsl(roots, { symbol });
  const params = paramLoads(cell, roots);
  const stateVars = spec.state.map((n) => wgslLocal(cell.stateSymbol(n)));
  const buffers: Binding[] = [
    ["xs", "read"],
    ...spec.state.map((_, k): Binding => [`st_in${k}`, "read"]),
    ...params.buffers,
    ["ys", "read_write"],
    ...spec.state.map((_, k): Binding => [`st${k}`, "read_write"]),
    ...residuals.map((_, k): Binding => [`r${k}`, "read_write"]),
  ];
  const wgsl = shader(
    buffers,
    `${stateVars.map((v, k) => `var ${v} = st_in${k}[i];`).join(" ")}
  ${params.code}
  for (var s = 0u; s < u.T; s++) {
    ${timeIndex}
    let ${wgslLocal(X)} = xs[off + i];
    ${residuals.map((r, k) => `r${k}[off + i] = ${wgslLocal(r)};`).join(" ")}
    ${body.code}
    ys[off + i] = ${body.ref(cell.output)};
    ${cell.next.map((e, k) => `${stateVars[k]} = ${body.ref(e)};`).join(" ")}
  }
  ${stateVars.map((v, k) => `st${k}[i] = ${v};`).join(" ")}`,
  );
  return { key: `cell_fwd:${cacheId(cell)}:${residuals.join(",")}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's spikes of step `u.t` from the current state:
 * `st<k>`, params in; `sp` `[B, N]` out.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * forwardSpikesWgsl(RLIF_CELL).bindings; // ["st0", "sp"]
 * ```
 */
export function forwardSpikesWgsl(cell: Cell): CellShader {
  const spikeExpr = cell.spike!;
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : wgslLocal(n));
  const body = emitWgsl([spikeExpr], { symbol });
  const params = paramLoads(cell, [spikeExpr]);
  const stateNames = cell.spec.state.map((n) => cell.stateSymbol(n));
  const stateRead = reads([spikeExpr], stateNames);
  const buffers: Binding[] = [
    ...stateNames.flatMap((_, k): Binding[] => (stateRead[k] ? [[`st${k}`, "read"]] : [])),
    ...params.buffers,
    ["sp", "read_write"],
  ];
  const loads = stateNames.map((n, k) => (stateRead[k] ? `let ${wgslLocal(n)} = st${k}[i];` : "")).join(" ");
  const wgsl = shader(buffers, `${loads} ${params.code}\n    ${body.code}\n  sp[i] = ${body.ref(spikeExpr)};`);
  return { key: `cell_fwd_spikes:${cacheId(cell)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's update at step `u.t`: `xs`, `fb` (`S @ w` of this
 * step's spikes), `sp`, params in; `st<k>` updated in place, `ys` and the
 * residuals `r<k>` written at the step.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * forwardUpdateWgsl(RLIF_CELL, ["state:v"]).bindings; // ["xs", "fb", "sp", "p0", "st0", "ys", "r0"]
 * ```
 */
export function forwardUpdateWgsl(cell: Cell, residuals: readonly string[]): CellShader {
  const { spec } = cell;
  const roots = [cell.output, ...cell.next];
  const symbol = (n: string) => (n === THRESHOLD ? "u.thr" : wgslLocal(n));
  const body = emitWgsl(roots, { symbol, spike: () => "sp[i]" });
  const params = paramLoads(cell, roots);
  const buffers: Binding[] = [
    ["xs", "read"],
    ["fb", "read"],
    ["sp", "read"],
    ...params.buffers,
    ...spec.state.map((_, k): Binding => [`st${k}`, "read_write"]),
    ["ys", "read_write"],
    ...residuals.map((_, k): Binding => [`r${k}`, "read_write"]),
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  let ${wgslLocal(X)} = xs[off + i]; let ${wgslLocal(FB)} = fb[i];
  ${spec.state.map((n, k) => `let ${wgslLocal(cell.stateSymbol(n))} = st${k}[i];`).join(" ")}
  ${params.code}
  ${residuals.map((r, k) => `r${k}[off + i] = ${wgslLocal(r)};`).join(" ")}
    ${body.code}
  ys[off + i] = ${body.ref(cell.output)};
  ${cell.next.map((e, k) => `st${k}[i] = ${body.ref(e)};`).join(" ")}`,
  );
  return { key: `cell_fwd_update:${cacheId(cell)}:${residuals.join(",")}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * The backward pass of a non-recurrent cell in one dispatch: `gys`, the
 * final state's cotangents `lam_in<k>`, the residuals `r<k>` and params
 * in; `gx`, the initial state's cotangents `lam<k>` and the parameters'
 * per-(sample, neuron) partials `gp` (`[P, B, N]`) out.
 *
 * @example
 * ```ts
 * import { LIF_CELL } from "../nn/neurons/lif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardWholeWgsl(LIF_CELL, LIF_CELL.backward(superspike().surrogate!.expr)).key;
 * ```
 */
export function backwardWholeWgsl(cell: Cell, b: CellBackward): CellShader {
  const { spec } = cell;
  const roots = backwardRoots(b);
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const lams = spec.state.map((n) => wgslLocal(lambdaOf(n)));
  const gps = b.params.map((_, k) => `gp${k}_`);
  const buffers: Binding[] = [
    ...spec.state.map((_, k): Binding => [`lam_in${k}`, "read"]),
    ...loads.buffers,
    ["gx", "read_write"],
    ...spec.state.map((_, k): Binding => [`lam${k}`, "read_write"]),
    ...(spec.params.length > 0 ? [["gp", "read_write"] as const] : []),
  ];
  const wgsl = shader(
    buffers,
    `${lams.map((l, k) => `var ${l} = lam_in${k}[i];`).join(" ")}
  ${gps.map((g) => `var ${g} = 0.0;`).join(" ")}
  for (var s = u.T; s > 0u; s--) {
    let s1 = s - 1u;
    let t = select(s1, u.T - 1u - s1, u.rev == 1u); let off = t * M;
    ${loads.code}
    ${body.code}
    gx[off + i] = ${b.x ? body.ref(b.x) : "0.0"};
    ${b.state.map((e, k) => `${lams[k]} = ${e ? body.ref(e) : "0.0"};`).join(" ")}
    ${b.params.map((e, k) => (e ? `${gps[k]} += ${body.ref(e)};` : "")).join(" ")}
  }
  ${lams.map((l, k) => `lam${k}[i] = ${l};`).join(" ")}
  ${gps.map((g, k) => `gp[${k}u * M + i] = ${g};`).join(" ")}`,
  );
  return { key: `cell_bwd:${cacheId(cell)}:${cacheId(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's backward step `u.t`, first half: the feedback's
 * cotangent and the recomputed spikes, written at the step into `gfb` and
 * `spall` (`[T, B, N]` each); the carried cotangents `lam<k>` are read.
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardFeedbackWgsl(RLIF_CELL, RLIF_CELL.backward(superspike().surrogate!.expr)).bindings;
 * ```
 */
export function backwardFeedbackWgsl(cell: Cell, b: CellBackward): CellShader {
  const spikeExpr = cell.spike!;
  const roots = b.fb ? [b.fb, spikeExpr] : [spikeExpr];
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const lamNames = cell.spec.state.map((n) => lambdaOf(n));
  const lamReads = reads(roots, lamNames);
  const buffers: Binding[] = [
    ...loads.buffers,
    ...lamNames.flatMap((_, k): Binding[] => (lamReads[k] ? [[`lam${k}`, "read"]] : [])),
    ["gfb", "read_write"],
    ["spall", "read_write"],
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  ${loads.code}
  ${lamNames.map((n, k) => (lamReads[k] ? `let ${wgslLocal(n)} = lam${k}[i];` : "")).join(" ")}
    ${body.code}
  gfb[off + i] = ${b.fb ? body.ref(b.fb) : "0.0"};
  spall[off + i] = ${body.ref(spikeExpr)};`,
  );
  return { key: `cell_bwd_fb:${cacheId(cell)}:${cacheId(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}

/**
 * A recurrent cell's backward step `u.t`, second half: with `gsfb`
 * (`gfb @ w^T` of the step), the cotangents of the input (`gx`), of the
 * state before the step (`lam<k>`, in place) and the parameters' partials
 * (`gp`, started at the first step of the pass, `u.first`).
 *
 * @example
 * ```ts
 * import { RLIF_CELL } from "../nn/neurons/rlif.ts";
 * import { superspike } from "../nn/axn/surrogates.ts";
 * backwardUpdateWgsl(RLIF_CELL, RLIF_CELL.backward(superspike().surrogate!.expr)).bindings;
 * ```
 */
export function backwardUpdateWgsl(cell: Cell, b: CellBackward): CellShader {
  const { spec } = cell;
  const roots = backwardRoots(b);
  const body = emitWgsl(roots, { symbol: backwardSymbol });
  const loads = backwardLoads(cell, b, roots);
  const readsGsfb = symbolsOf(roots).has(GSFB);
  const buffers: Binding[] = [
    ...loads.buffers,
    ...(readsGsfb ? [["gsfb", "read"] as const] : []),
    ["gx", "read_write"],
    ...spec.state.map((_, k): Binding => [`lam${k}`, "read_write"]),
    ...(spec.params.length > 0 ? [["gp", "read_write"] as const] : []),
  ];
  const wgsl = shader(
    buffers,
    `let t = u.t; let off = t * M;
  ${loads.code}
  ${readsGsfb ? "let gsfb_ = gsfb[i];" : ""}
  ${spec.state.map((n, k) => `let ${wgslLocal(lambdaOf(n))} = lam${k}[i];`).join(" ")}
    ${body.code}
  gx[off + i] = ${b.x ? body.ref(b.x) : "0.0"};
  ${b.state.map((e, k) => `lam${k}[i] = ${e ? body.ref(e) : "0.0"};`).join(" ")}
  ${
      b.params.map((e, k) => {
        // The partials start at the pass's first step (the buffer is uninitialised before it).
        const at = `gp[${k}u * M + i]`;
        return `${at} = select(${at}, 0.0, u.first == 1u) + ${e ? body.ref(e) : "0.0"};`;
      }).join(" ")
    }`,
  );
  return { key: `cell_bwd_update:${cacheId(cell)}:${cacheId(b)}`, wgsl, bindings: buffers.map(([n]) => n) };
}
