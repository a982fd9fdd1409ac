/**
 * `plot`: SVG pictures of spiking activity, as snnTorch's `spikeplot`
 * draws them: {@link raster} for spikes, {@link traces} for membrane
 * potentials. Each returns the SVG document as a string (no browser, no
 * plotting library); write it to a `.svg` file or embed it in a page.
 *
 * @example
 * ```ts
 * import { plot } from "../mod.ts";
 * const svg = plot.raster([[1, 0], [0, 1]], { title: "two neurons" });
 * // await Deno.writeTextFile("raster.svg", svg);
 * ```
 *
 * @module
 */
export { raster, type RasterOptions } from "./raster.ts";
export { traces, type TracesOptions } from "./traces.ts";
