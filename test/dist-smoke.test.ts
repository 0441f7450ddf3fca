import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the built package", () => {
  before(() => {
    execFileSync(
      process.execPath,
      [fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url)), "-p", "tsconfig.build.json"],
      { cwd: root, stdio: "pipe" },
    );
  });

  it("every subpath export loads from dist/ with declarations, and the root one serves /login", async () => {
    const names = ["rampart", "rampart/hono", "rampart/express", "rampart/fastify", "rampart/node"];
    const pkg = (await import("../package.json", { with: { type: "json" } })).default as {
      exports: Record<string, { types: string; import: string }>;
    };
    for (const [sub, target] of Object.entries(pkg.exports)) {
      for (const file of [target.types, target.import]) {
        assert.doesNotThrow(() => execFileSync("test", ["-f", file], { cwd: root }), `${sub} → ${file} exists`);
      }
    }
    // Run in a child process so the import goes through package.json "exports" (self-reference), not tsx.
    const script = `
      const mods = await Promise.all(${JSON.stringify(names)}.map((n) => import(n)));
      const { createRampart } = mods[0];
      const r = await createRampart({ config: { secretKey: "x".repeat(40) }, migrations: "auto", logger: { info() {}, warn() {}, error() {} } });
      const res = await r.fetch(new Request("https://app.test/login", { headers: { accept: "application/json" } }));
      const body = await res.json();
      await r.close();
      console.log(JSON.stringify({ status: res.status, attrs: body.response.identity_attributes, exports: mods.map((m) => Object.keys(m).length) }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!);
    assert.equal(result.status, 200);
    assert.deepEqual(result.attrs, ["email"]);
    assert.ok(
      result.exports.every((n: number) => n > 0),
      `every entry exports something: ${result.exports}`,
    );
  });
});
