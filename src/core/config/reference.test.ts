import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { configLeaves, renderConfigReference } from "./render-reference.js";
import { configMeanings } from "./reference.js";

describe("configuration reference", () => {
  it("every key has a meaning, and no meaning names a missing key", () => {
    const paths = configLeaves().map(([p]) => p);
    assert.deepEqual(paths.filter((p) => !configMeanings[p]), []);
    assert.deepEqual(Object.keys(configMeanings).filter((p) => !paths.includes(p)), []);
  });
  it("docs/configuration.md is current (regenerate with: npx tsx scripts/config-doc.ts > docs/configuration.md)", () => {
    const onDisk = readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderConfigReference());
  });
});
