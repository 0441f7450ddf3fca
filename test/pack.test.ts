import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** `npm pack` on a fresh checkout (no dist/ yet) must still ship the build: `prepack` builds it. */
it("npm pack of a checkout without dist/ ships dist/ (prepack builds)", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-pack-"));
  try {
    for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "src", "bin", "README.md"])
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    const out = execFileSync("npm", ["pack", "--json", "--dry-run"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, npm_config_loglevel: "error" },
    });
    const files = (JSON.parse(out.slice(out.indexOf("["))) as { files: { path: string }[] }[])[0]!.files.map(
      (f) => f.path,
    );
    for (const needed of ["dist/index.js", "dist/index.d.ts", "dist/adapters/express.js", "bin/rampart.mjs"])
      assert.ok(files.includes(needed), `${needed} is packed (${files.length} files)`);
    assert.ok(!files.some((f) => f.endsWith(".test.js")), "no compiled tests");
    // Every entry point package.json exports (rampart/feature included) is in the package, with its types.
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; import: string }>;
    };
    for (const [entry, target] of Object.entries(pkg.exports))
      for (const file of [target.types, target.import])
        assert.ok(files.includes(file.replace(/^\.\//, "")), `${entry}: ${file} is packed`);
    assert.ok(files.includes("dist/feature.js"), "rampart/feature is packed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
