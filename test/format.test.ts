import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Every source, test, script and JSON file is as prettier (print width 120) writes it: `npx prettier --write .` fixes it. */
describe("formatting", () => {
  it("prettier --check finds nothing to change", { timeout: 180_000 }, () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const run = spawnSync(
      process.execPath,
      ["node_modules/prettier/bin/prettier.cjs", "--check", "**/*.{ts,mjs,js,json}", "--log-level", "warn"],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(
      run.status,
      0,
      `files not formatted (run: npx prettier --write "**/*.{ts,mjs,js,json}"):\n${run.stdout}${run.stderr}`,
    );
  });
});
