import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";

/**
 * Type-level tests: tsc must accept test/types/*.ts, whose `@ts-expect-error` lines mark what must not typecheck
 * (an unused one is an error too, so a type that became too loose fails here).
 */
it("declared user fields and the public user view are typed end to end (tsc)", { timeout: 120_000 }, () => {
  const root = new URL("../..", import.meta.url).pathname;
  const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "test/types/tsconfig.json"], { cwd: root, encoding: "utf8" });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});
