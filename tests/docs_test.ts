/**
 * The documentation as code: every JSDoc example and README code block
 * type-checks (`deno task check:docs`), and `deno doc --lint mod.ts`
 * finds nothing to fix.
 */
import { describe, test } from "./support/harness.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");

function deno(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(DENO, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe("docs", () => {
  test("JSDoc examples and the README's code blocks type-check", { timeout: 120_000 }, () => {
    const r = deno(["task", "check:docs"]);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /Check README\.md/, "the README's code blocks are among those checked");
  });

  test("deno doc --lint mod.ts finds nothing", { timeout: 60_000 }, () => {
    const r = deno(["doc", "--lint", "mod.ts"]);
    const places = [...r.output.matchAll(/--> (\S+?):\d+:\d+/g)].map((m) => m[1].replace(ROOT, ""));
    assert.deepEqual(places, [], r.output);
    assert.equal(r.status, 0, r.output);
  });
});
