/**
 * Command-line options of the training examples: the options every example
 * shares, each example's own, parsing with `node:util`'s `parseArgs`, value
 * checks, `--help`, and the resolved configuration that a run records.
 *
 * Two kinds of options: those that define the run (`--epochs`, `--seed`,
 * `--hidden`, ...) form its configuration, which `run.json` records and
 * checkpoints are checked against; `--out`, `--resume` and `--help` only
 * say where and how to run it.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { RunError } from "./run_error.ts";

/**
 * What values an option takes: `count` an integer >= 1, `size` an integer
 * >= 0, `integer` any safe integer, `positive` a number > 0, `fraction` a
 * number in [0, 1), `path` a file or folder (stored resolved to an
 * absolute path), `choice` one of the spec's `choices`.
 */
export type OptionKind = "count" | "size" | "integer" | "positive" | "fraction" | "path" | "choice";

/** One option that defines a run. */
export interface OptionSpec {
  kind: OptionKind;
  /** The value when the option is not given; without one the option is required. */
  default?: number | string;
  /** One line for `--help`. */
  help: string;
  /** The values a `choice` option takes. */
  choices?: readonly string[];
}

/** Options by name, in the order `--help` and `run.json` list them. */
export type OptionSpecs = Record<string, OptionSpec>;

/** A run's resolved configuration: every option's value, by option name. */
export type Config = Record<string, number | string>;

/** What a command line says. */
export interface ParsedArgs {
  /** Every run-defining option: given values, defaults for the rest (absent: required and not given). */
  config: Config;
  /** Names of the run-defining options given on the command line. */
  given: Set<string>;
  /** `--out DIR`, if given. */
  out?: string;
  /** `--resume DIR`, if given. */
  resume?: string;
  /** `--help` was given. */
  help: boolean;
}

/** The defaults of the options that every example has. */
export interface CommonDefaults {
  epochs: number;
  batch: number;
  lr: number;
  logEvery: number;
}

/**
 * The run-defining options that every example has; an example adds its own
 * after these.
 *
 * @example
 * ```ts
 * const specs = { ...commonOptions({ epochs: 10, batch: 64, lr: 2e-3, logEvery: 25 }), hidden: { kind: "count", default: 256, help: "hidden units" } };
 * ```
 */
export function commonOptions(defaults: CommonDefaults): OptionSpecs {
  return {
    epochs: { kind: "count", default: defaults.epochs, help: "epochs to train (with --resume: train up to this many)" },
    seed: { kind: "integer", default: 0, help: "seed of every random key: init, data order, spikes, augmentation" },
    batch: { kind: "count", default: defaults.batch, help: "samples per optimizer step" },
    lr: { kind: "positive", default: defaults.lr, help: "Adam's learning rate" },
    "log-every": { kind: "count", default: defaults.logEvery, help: "log (and record) every this many steps" },
    "train-size": { kind: "size", default: 0, help: "train on the first N training samples (0: all)" },
    "test-size": { kind: "size", default: 0, help: "evaluate on the first N held-out samples (0: all)" },
    backend: {
      kind: "choice",
      choices: ["cpu", "webgpu"],
      default: "cpu",
      help: "where tensors live: cpu, or webgpu (initWebGPU's device; metrics read back only when logging)",
    },
  };
}

const KIND_TEXT: Record<OptionKind, string> = {
  count: "an integer >= 1",
  size: "an integer >= 0",
  integer: "an integer",
  positive: "a number > 0",
  fraction: "a number in [0, 1)",
  path: "a path",
  choice: "one of",
};

/** Checks and converts one option value; throws a RunError naming the option. */
function convert(program: string, name: string, spec: OptionSpec, text: string): number | string {
  if (spec.kind === "choice") {
    if (!spec.choices?.includes(text)) {
      throw new RunError(
        `${program}: --${name} must be one of ${spec.choices?.join(", ")}, got ${JSON.stringify(text)}`,
      );
    }
    return text;
  }
  if (spec.kind === "path") {
    if (text === "") throw new RunError(`${program}: --${name} must be ${KIND_TEXT.path}, got an empty string`);
    return resolve(text);
  }
  const v = text.trim() === "" ? NaN : Number(text);
  const ok = spec.kind === "count"
    ? Number.isSafeInteger(v) && v >= 1
    : spec.kind === "size"
    ? Number.isSafeInteger(v) && v >= 0
    : spec.kind === "integer"
    ? Number.isSafeInteger(v)
    : spec.kind === "positive"
    ? Number.isFinite(v) && v > 0
    : Number.isFinite(v) && v >= 0 && v < 1;
  if (!ok) throw new RunError(`${program}: --${name} must be ${KIND_TEXT[spec.kind]}, got ${text}`);
  return v;
}

/**
 * Parses a command line against `specs` plus `--out DIR`, `--resume DIR`
 * and `--help`. Unknown options, positional arguments and bad values throw
 * a {@link RunError} that names them. Missing required options are not
 * checked here (a resumed run takes them from its record): see
 * {@link requireAll}.
 *
 * @example
 * ```ts
 * const specs = { steps: { kind: "count", default: 25, help: "time steps" } } as const;
 * const { config, given } = parseRunArgs("train_mnist", specs, ["--steps", "10"]);
 * config.steps; // 10
 * given.has("steps"); // true
 * ```
 */
export function parseRunArgs(program: string, specs: OptionSpecs, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const name of Object.keys(specs)) options[name] = { type: "string" };
  options.out = { type: "string" };
  options.resume = { type: "string" };
  options.help = { type: "boolean" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new RunError(`${program}: ${(e as Error).message} (see --help)`);
  }
  const config: Config = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    const text = values[name];
    if (typeof text === "string") {
      config[name] = convert(program, name, spec, text);
      given.add(name);
    } else if (spec.default !== undefined) {
      config[name] = spec.default;
    }
  }
  for (const name of ["out", "resume"] as const) {
    if (values[name] === "") throw new RunError(`${program}: --${name} needs a folder`);
  }
  return {
    config,
    given,
    out: values.out as string | undefined,
    resume: values.resume as string | undefined,
    help: values.help === true,
  };
}

/**
 * Throws a {@link RunError} if a required option (one without a default)
 * has no value.
 *
 * @example
 * ```ts
 * requireAll("train_shd", { data: { kind: "path", help: "SHD folder" } }, {}); // throws: --data is required
 * ```
 */
export function requireAll(program: string, specs: OptionSpecs, config: Config): void {
  for (const [name, spec] of Object.entries(specs)) {
    if (config[name] === undefined) {
      throw new RunError(`${program}: --${name} is required (${spec.help})`);
    }
  }
}

/**
 * The command-line arguments that reproduce `config` (every option spelled
 * out, in `specs` order).
 *
 * @example
 * ```ts
 * configToArgs({ epochs: 2, lr: 0.002 }); // ["--epochs", "2", "--lr", "0.002"]
 * ```
 */
export function configToArgs(config: Config): string[] {
  return Object.entries(config).flatMap(([name, value]) => [`--${name}`, String(value)]);
}

/**
 * The `--help` text: usage, every option with its default, and the run
 * options.
 *
 * @example
 * ```ts
 * console.log(usage("train_mnist.ts", "Trains ...", { steps: { kind: "count", default: 25, help: "time steps" } }));
 * ```
 */
export function usage(program: string, summary: string, specs: OptionSpecs): string {
  const rows: [string, string][] = Object.entries(specs).map(([name, spec]) => [
    `--${name} ${spec.kind === "path" ? "DIR" : spec.kind === "positive" || spec.kind === "fraction" ? "X" : "N"}`,
    `${spec.help} (${spec.default === undefined ? "required" : `default ${spec.default}`})`,
  ]);
  rows.push(
    ["--out DIR", "write run.json, metrics.jsonl, checkpoints/ and the report here"],
    ["--resume DIR", "continue the run in DIR from its last checkpoint, up to --epochs"],
    ["--help", "print this and exit"],
  );
  const width = Math.max(...rows.map(([left]) => left.length));
  return [`usage: ${program} [options]`, "", summary, "", ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`)].join(
    "\n",
  );
}
