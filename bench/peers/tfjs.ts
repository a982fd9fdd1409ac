/**
 * TensorFlow.js (`@tensorflow/tfjs`, whose Node bundle carries the gradient
 * definitions that `tfjs-core` alone lacks, with its `cpu` backend or
 * `@tensorflow/tfjs-backend-wasm`)
 * on W1-W3, written as its users write it: variables, `tf.customGrad` for
 * the surrogate spike, `tf.variableGrads` / `optimizer.minimize`,
 * `tf.tidy` around each step. The wasm backend loads its binaries from
 * `node_modules` (no network). Under Deno and Bun it runs single-threaded:
 * its multi-threaded build needs a cross-origin-isolated browser page.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { uniformArray, w1Data, w2Data } from "../workloads/data.ts";
import {
  type BenchCase,
  LEARNING_RATE,
  SUPERSPIKE_K,
  type W1Params,
  type W2Params,
  type W3Params,
} from "../workloads/spec.ts";

/** The two TensorFlow.js backends compared. */
export type TfjsBackend = "cpu" | "wasm";

/** Heaviside forward, superspike backward. */
const spike = tf.customGrad((...args: unknown[]) => {
  const [u, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([u]);
  return {
    value: tf.step(u),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.div(dy as tf.Tensor, tf.square(tf.add(tf.mul(tf.abs(saved[0]), SUPERSPIKE_K), 1))),
  };
});

function w1(p: W1Params): () => unknown {
  const { T, B, n } = p;
  const d = w1Data(p);
  const x = tf.tensor2d(d.x, [T * B, n]);
  const w = tf.variable(tf.tensor2d(d.w, [n, n]));
  const b = tf.variable(tf.tensor1d(d.b));
  const beta = 0.9;
  return () =>
    tf.tidy(() => {
      const { value } = tf.variableGrads(() => {
        const current = tf.unstack(tf.reshape(tf.add(tf.matMul(x, w), b), [T, B, n]));
        let v: tf.Tensor = tf.zeros([B, n]);
        const spikes: tf.Tensor[] = [];
        for (let t = 0; t < T; t++) {
          const s = spike(tf.sub(v, 1));
          v = tf.sub(tf.add(tf.mul(v, beta), current[t]), s);
          spikes.push(s);
        }
        return tf.sum(tf.stack(spikes)) as tf.Scalar;
      }, [w, b]);
      // The gradients are computed eagerly; tidy releases them with the rest.
      return value.dataSync()[0];
    });
}

function w2(p: W2Params): () => unknown {
  const { B, T, inputs, hidden, classes } = p;
  const d = w2Data(p);
  const x = tf.tensor3d(d.x, [B, T, inputs]);
  const labels = tf.oneHot(tf.tensor1d(d.labels, "int32"), classes);
  const w1v = tf.variable(tf.tensor2d(d.w1, [inputs, hidden]));
  const w2v = tf.variable(tf.tensor2d(d.w2, [hidden, classes]));
  const betaHidden = tf.variable(tf.tensor1d(d.betaHidden));
  const betaOut = tf.variable(tf.tensor1d(d.betaOut));
  const optimizer = tf.train.adam(LEARNING_RATE);
  return () =>
    tf.tidy(() => {
      const loss = optimizer.minimize(
        () => {
          const current = tf.unstack(tf.reshape(tf.matMul(tf.reshape(x, [B * T, inputs]), w1v), [B, T, hidden]), 1);
          const bh = tf.clipByValue(betaHidden, 0, 1), bo = tf.clipByValue(betaOut, 0, 1);
          let v: tf.Tensor = tf.zeros([B, hidden]), vo: tf.Tensor = tf.zeros([B, classes]);
          const traces: tf.Tensor[] = [];
          for (let t = 0; t < T; t++) {
            const s = spike(tf.sub(v, 1));
            v = tf.sub(tf.add(tf.mul(bh, v), current[t]), s);
            vo = tf.add(tf.mul(bo, vo), tf.matMul(s, w2v));
            traces.push(vo);
          }
          const logits = tf.sum(tf.stack(traces, 1), 1);
          return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0.3) as tf.Scalar;
        },
        true,
        [w1v, w2v, betaHidden, betaOut],
      );
      return loss!.dataSync()[0];
    });
}

function w3({ m, k, n }: W3Params): () => unknown {
  const a = tf.tensor2d(uniformArray(m * k, 1, -1, 1), [m, k]);
  const b = tf.tensor2d(uniformArray(k * n, 2, -1, 1), [k, n]);
  return () => tf.matMul(a, b).dispose();
}

/**
 * Selects the backend and builds the step of `c`, or null for W4 (not
 * ported to the peers).
 *
 * @example
 * ```ts
 * import { benchCases } from "../workloads/spec.ts";
 * const step = await buildTfjs(benchCases(true)[3], "wasm");
 * step?.();
 * ```
 */
export async function buildTfjs(c: BenchCase, backend: TfjsBackend): Promise<(() => unknown) | null> {
  if (backend === "wasm") {
    setWasmPaths(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialise`);
  await tf.ready();
  const p = c.params;
  switch (p.kind) {
    case "W1":
      return w1(p);
    case "W2":
      return w2(p);
    case "W3":
      return w3(p);
    case "W4":
      return null;
  }
}

/** Backend details for the report (SIMD and threads of the wasm backend). */
export function tfjsDetails(): string {
  const be = tf.getBackend();
  if (be !== "wasm") return `tfjs-core ${tf.version_core} ${be}`;
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT");
  return `tfjs-core ${tf.version_core} wasm (simd ${simd}, threads ${threads})`;
}
