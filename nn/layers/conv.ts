/**
 * Convolutions, Haiku's `hk.ConvND` / `hk.Conv1D` / `hk.Conv2D` /
 * `hk.Conv3D`, on `np.convGeneralDilated`. The kernel layout is Haiku's,
 * `[...kernelShape, inputChannels / featureGroupCount, outputChannels]`
 * (HWIO), for channels-last and channels-first inputs alike.
 *
 * @module
 */
import { isFloat } from "../../autodiff/dtype.ts";
import { np, type Tensor } from "../../autodiff/mod.ts";
import { constant, truncatedNormal } from "../initializers.ts";
import { checkOptions, formatValue } from "../../autodiff/checks.ts";
import { checkInitializer, getParameter, type Initializer, Module, type ModuleOptions } from "../module.ts";

/** Padding of a convolution: XLA's `"SAME"` / `"VALID"`, or `[lo, hi]` per spatial axis. */
export type ConvPadding = "SAME" | "VALID" | readonly (readonly [number, number])[];

/** Options of {@link ConvND} and its fixed-rank subclasses. */
export interface ConvOptions extends ModuleOptions {
  /** Kernel extent: one number for every spatial axis, or one per axis. */
  kernelShape: number | readonly number[];
  /** Stride per spatial axis (default 1). */
  stride?: number | readonly number[];
  /** Kernel dilation ("atrous rate") per spatial axis (default 1). */
  rate?: number | readonly number[];
  /** Default `"SAME"`. */
  padding?: ConvPadding;
  /** Add the bias `b` (default true). */
  withBias?: boolean;
  /** Initializer of `w` (default truncated normal, stddev `1/sqrt(fanIn)`, `fanIn = prod(w.shape[:-1])`). */
  wInit?: Initializer;
  /** Initializer of `b` (default zeros). */
  bInit?: Initializer;
  /**
   * Input layout: `"channels_last"` (default; `"NWC"`, `"NHWC"`, `"NDHWC"`)
   * or `"channels_first"` (`"NCW"`, `"NCHW"`, `"NCDHW"`).
   */
  dataFormat?: string;
  /** Split input and output channels into this many independent groups (default 1). */
  featureGroupCount?: number;
}

const SPATIAL_LETTERS = ["W", "HW", "DHW"];

const CONV_OPTIONS = [
  "name",
  "kernelShape",
  "stride",
  "rate",
  "padding",
  "withBias",
  "wInit",
  "bInit",
  "dataFormat",
  "featureGroupCount",
];

/** Haiku's `replicate`: a number, a one-element list or a full list of `n` positive integers. */
function perAxis(op: string, what: string, v: number | readonly number[], n: number): number[] {
  const list = typeof v === "number"
    ? new Array<number>(n).fill(v)
    : Array.isArray(v) && v.length === 1
    ? new Array<number>(n).fill(v[0])
    : v;
  if (!Array.isArray(list) || list.length !== n || !list.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new RangeError(
      `${op}: ${what} must be a positive integer or ${n} of them (one per spatial axis), got ${formatValue(v)}`,
    );
  }
  return list.slice();
}

function channelsLast(op: string, dataFormat: string, nd: number): boolean {
  if (dataFormat === "channels_last") return true;
  if (dataFormat === "channels_first") return false;
  const valid = typeof dataFormat === "string" && dataFormat.length === nd + 2 && dataFormat[0] === "N" &&
    new Set(dataFormat).size === dataFormat.length && !/[^A-Z]/.test(dataFormat) && !/[OI]/.test(dataFormat);
  if (valid && dataFormat[nd + 1] === "C") return true;
  if (valid && dataFormat[1] === "C") return false;
  throw new RangeError(
    `${op}: unknown dataFormat ${
      formatValue(dataFormat)
    }; expected "channels_last", "channels_first" or an N...C / NC... layout of ${nd + 2} axes`,
  );
}

/**
 * An N-d convolution layer (`hk.ConvND`). Accepts batched inputs
 * `[N, ...spatial, C]` (or `[N, C, ...spatial]` channels-first) and
 * unbatched ones without the `N` axis. Parameters: `w` with shape
 * `[...kernelShape, C / featureGroupCount, outputChannels]`, and `b` with
 * shape `[outputChannels]` (channels-last) or `[outputChannels, 1, ...]`
 * (channels-first).
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.ConvND(3, 4, { kernelShape: 2 }).call(x));
 * const x = np.ones([1, 5, 5, 5, 2]);
 * net.apply(net.init(random.key(0), x), null, x).shape; // [1, 5, 5, 5, 4]
 * ```
 */
export class ConvND extends Module {
  /** Number of spatial axes. */
  readonly numSpatialDims: number;
  /** Number of output channels. */
  readonly outputChannels: number;
  /** Kernel extent per spatial axis. */
  readonly kernelShape: readonly number[];
  /** Stride per spatial axis. */
  readonly stride: readonly number[];
  /** Kernel dilation per spatial axis. */
  readonly rate: readonly number[];
  /** The padding option. */
  readonly padding: ConvPadding;
  /** Whether a bias is added. */
  readonly withBias: boolean;
  /** Whether channels are the last axis. */
  readonly channelsLast: boolean;
  /** Number of feature groups. */
  readonly featureGroupCount: number;
  readonly #wInit?: Initializer;
  readonly #bInit: Initializer;
  readonly #op: string;

  constructor(numSpatialDims: number, outputChannels: number, options: ConvOptions, defaultName = "conv_nd") {
    super(options, defaultName);
    const op = this.#op = `${this.constructor.name} (${this.name})`;
    if (!Number.isInteger(numSpatialDims) || numSpatialDims < 1) {
      throw new RangeError(`${op}: numSpatialDims must be a positive integer, got ${formatValue(numSpatialDims)}`);
    }
    if (!Number.isInteger(outputChannels) || outputChannels < 1) {
      throw new RangeError(`${op}: outputChannels must be a positive integer, got ${formatValue(outputChannels)}`);
    }
    if (options?.kernelShape === undefined) {
      const cls = this.constructor.name;
      throw new TypeError(
        `${op}: the kernelShape option is required, as in new nn.${cls}(${outputChannels}, { kernelShape: 3 })`,
      );
    }
    checkOptions(op, options, CONV_OPTIONS);
    checkInitializer(op, "wInit", options.wInit);
    checkInitializer(op, "bInit", options.bInit);
    if (options.withBias !== undefined && typeof options.withBias !== "boolean") {
      throw new TypeError(`${op}: withBias must be a boolean, got ${formatValue(options.withBias)}`);
    }
    const groups = options.featureGroupCount ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || outputChannels % groups !== 0) {
      throw new RangeError(
        `${op}: featureGroupCount must be a positive integer dividing outputChannels ${outputChannels}, got ${
          formatValue(groups)
        }`,
      );
    }
    const padding = options.padding ?? "SAME";
    if (typeof padding === "string" && padding !== "SAME" && padding !== "VALID") {
      throw new RangeError(`${op}: unknown padding ${formatValue(padding)}; expected "SAME", "VALID" or pairs`);
    }
    if (
      typeof padding !== "string" &&
      (!Array.isArray(padding) || padding.length !== numSpatialDims ||
        !padding.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger)))
    ) {
      throw new RangeError(
        `${op}: padding must be "SAME", "VALID" or ${numSpatialDims} integer [lo, hi] pairs, got ${
          formatValue(padding)
        }`,
      );
    }
    this.numSpatialDims = numSpatialDims;
    this.outputChannels = outputChannels;
    this.kernelShape = perAxis(op, "kernelShape", options.kernelShape, numSpatialDims);
    this.stride = perAxis(op, "stride", options.stride ?? 1, numSpatialDims);
    this.rate = perAxis(op, "rate", options.rate ?? 1, numSpatialDims);
    this.padding = padding;
    this.withBias = options.withBias ?? true;
    this.channelsLast = channelsLast(op, options.dataFormat ?? "channels_last", numSpatialDims);
    this.featureGroupCount = groups;
    this.#wInit = options.wInit;
    this.#bInit = options.bInit ?? constant(0);
  }

  /** Convolves `x` (batched or unbatched). */
  call(x: Tensor): Tensor {
    const op = this.#op, nd = this.numSpatialDims;
    let input = np.asTensor(x);
    if (input.ndim !== nd + 1 && input.ndim !== nd + 2) {
      throw new RangeError(
        `${op}: expected an input of rank ${nd + 2} (batched) or ${nd + 1} (unbatched), got shape [${input.shape}]`,
      );
    }
    const unbatched = input.ndim === nd + 1;
    if (unbatched) input = np.expandDims(input, 0);
    if (!isFloat(input.dtype)) input = np.astype(input, "float32");
    const channels = input.shape[this.channelsLast ? nd + 1 : 1];
    if (channels % this.featureGroupCount !== 0) {
      throw new RangeError(
        `${op}: input channels ${channels} (shape [${input.shape}]) are not divisible by featureGroupCount ${this.featureGroupCount}`,
      );
    }
    const wShape = [...this.kernelShape, channels / this.featureGroupCount, this.outputChannels];
    const fanIn = wShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const dtype = input.dtype;
    const w = getParameter("w", wShape, { dtype, init: this.#wInit ?? truncatedNormal(1 / Math.sqrt(fanIn)) });
    const sp = nd <= 3 ? SPATIAL_LETTERS[nd - 1] : "ABDEFGHJKLMPQRSTUVWXYZ".slice(0, nd);
    const image = this.channelsLast ? `N${sp}C` : `NC${sp}`;
    let out = np.convGeneralDilated(input, w, {
      windowStrides: this.stride,
      padding: this.padding,
      rhsDilation: this.rate,
      dimensionNumbers: [image, `${sp}IO`, image],
      featureGroupCount: this.featureGroupCount,
    });
    if (this.withBias) {
      const bShape = this.channelsLast ? [this.outputChannels] : [this.outputChannels, ...new Array(nd).fill(1)];
      out = np.add(out, getParameter("b", bShape, { dtype, init: this.#bInit }));
    }
    return unbatched ? np.squeeze(out, 0) : out;
  }
}

/**
 * 1-d convolution (`hk.Conv1D`), default name `conv1_d`, layouts `"NWC"`
 * (default) or `"NCW"`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Conv1D(8, { kernelShape: 3, stride: 2 }).call(x));
 * const x = np.ones([2, 16, 1]);
 * net.apply(net.init(random.key(0), x), null, x).shape; // [2, 8, 8]
 * ```
 */
export class Conv1D extends ConvND {
  constructor(outputChannels: number, options: ConvOptions) {
    super(1, outputChannels, options, "conv1_d");
  }
}

/**
 * 2-d convolution (`hk.Conv2D`), default name `conv2_d`, layouts `"NHWC"`
 * (default) or `"NCHW"`; the kernel is HWIO in both.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Conv2D(16, { kernelShape: 3, padding: "VALID" }).call(x));
 * const x = np.ones([2, 28, 28, 1]);
 * const params = net.init(random.key(0), x);
 * params.conv2_d.w.shape; // [3, 3, 1, 16]
 * net.apply(params, null, x).shape; // [2, 26, 26, 16]
 * ```
 */
export class Conv2D extends ConvND {
  constructor(outputChannels: number, options: ConvOptions) {
    super(2, outputChannels, options, "conv2_d");
  }
}

/**
 * 3-d convolution (`hk.Conv3D`), default name `conv3_d`, layouts `"NDHWC"`
 * (default) or `"NCDHW"`.
 *
 * @example
 * ```ts
 * import { nn, np, random, type Tensor } from "../../mod.ts";
 * const net = nn.transform((x: Tensor) => new nn.Conv3D(2, { kernelShape: [1, 3, 3] }).call(x));
 * const x = np.ones([1, 4, 6, 6, 1]);
 * net.apply(net.init(random.key(0), x), null, x).shape; // [1, 4, 6, 6, 2]
 * ```
 */
export class Conv3D extends ConvND {
  constructor(outputChannels: number, options: ConvOptions) {
    super(3, outputChannels, options, "conv3_d");
  }
}
