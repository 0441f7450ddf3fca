import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** The inlined browser script is the bundle of browser/client.ts as it is now (not a stale copy). */
describe("passkeys browser script", () => {
  it("script.generated.ts is the current bundle of browser/client.ts", async () => {
    const { bundle } = (await import(new URL("../../../scripts/build-passkeys-script.mjs", import.meta.url).href)) as {
      bundle(): Promise<string>;
    };
    const current = readFileSync(new URL("./script.generated.ts", import.meta.url), "utf8");
    assert.equal(current, await bundle(), "run: node scripts/build-passkeys-script.mjs");
  });
});
