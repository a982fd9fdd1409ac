/**
 * The description of a spyx-ts network that `toNir` exports: its layers in
 * order, each either a parameter key (`"linear"`, `"LIF_1"`, ... as spyx's
 * `to_nir` reads them) or an object for what parameters alone cannot say
 * (thresholds, convolution settings, parameterless layers). `fromNir`
 * returns the description of the network it builds, so that an imported
 * network, trained further, exports again.
 *
 * @module
 */
import type { Tensor } from "../autodiff/mod.ts";
import type { ConvPadding } from "../nn/mod.ts";
import type { NeuronModel } from "./neuron_conventions.ts";

/** A layer of the network that `toNir` exports. */
export type NIRLayer =
  | string
  | NIRLinearLayer
  | NIRConvLayer
  | NIRNeuronLayer
  | NIRScaleLayer
  | NIRFlattenLayer
  | NIRPoolLayer
  | NIRDelayLayer
  | NIRThresholdLayer;

/** `nn.Linear` whose parameters are `params[params]` (`w`, and `b` if it has a bias). */
export interface NIRLinearLayer {
  type: "Linear";
  params: string;
}

/** `nn.Conv1D` / `nn.Conv2D` (channels last) whose parameters are `params[params]`; options as the module's. */
export interface NIRConvLayer {
  type: "Conv1D" | "Conv2D";
  params: string;
  /** Default 1. */
  stride?: number | number[];
  /** Default `"SAME"`, as Haiku. NIR holds symmetric padding only. */
  padding?: ConvPadding;
  /** Dilation, default 1. */
  rate?: number | number[];
  /** Default 1. */
  featureGroupCount?: number;
}

/** A neuron layer; `params` names its parameters (IF has none). */
export interface NIRNeuronLayer {
  type: NeuronModel;
  params?: string;
  /** Default 1. */
  threshold?: number;
}

/** `x * scale + bias` with constant arrays of one sample's shape (spyx-ts layout). */
export interface NIRScaleLayer {
  type: "Scale";
  scale: Tensor;
  bias?: Tensor | null;
}

/**
 * Flattening. By default `nn.Flatten`: all axes of a sample in spyx-ts's
 * (channels-last) order. `channelsFirst: true` flattens axes
 * `startDim..endDim` of the sample in NIR's order (what an imported NIR
 * `Flatten` does).
 */
export interface NIRFlattenLayer {
  type: "Flatten";
  channelsFirst?: boolean;
  /** NIR's `start_dim` (channelsFirst only; default 0). */
  startDim?: number;
  /** NIR's `end_dim` (channelsFirst only; default -1). */
  endDim?: number;
}

/** Sum or mean over 2-d windows of a `[H, W, C]` sample, zero padding on both sides. */
export interface NIRPoolLayer {
  type: "SumPool" | "AvgPool";
  window: number | number[];
  /** Default: the window. */
  strides?: number | number[];
  /** Zeros on both sides of each axis, or `"VALID"` (default) / `"SAME"` when that is symmetric. */
  padding?: number | number[] | "VALID" | "SAME";
}

/** `y(t) = x(t - steps)`, whole steps per element (a number, or a tensor of one sample's shape). */
export interface NIRDelayLayer {
  type: "Delay";
  steps: number | Tensor;
}

/** `activation(x - threshold)`: a spike where `x > threshold`. */
export interface NIRThresholdLayer {
  type: "Threshold";
  threshold: number | Tensor;
}
