import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { allMeanings, configLeaves, renderConfigReference } from "../src/core/config/render-reference.js";
import { configSlices } from "../src/create-rampart.js";

describe("configuration reference", () => {
  const slices = configSlices();
  it("every key has a meaning, and no meaning names a missing key", () => {
    const paths = configLeaves(slices).map(([p]) => p);
    const meanings = allMeanings(slices);
    assert.deepEqual(
      paths.filter((p) => !meanings[p]),
      [],
    );
    assert.deepEqual(
      Object.keys(meanings).filter((p) => !paths.includes(p)),
      [],
    );
  });
  it("docs/configuration.md is current (regenerate with: npx tsx scripts/config-doc.ts > docs/configuration.md)", () => {
    const onDisk = readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderConfigReference(slices));
  });
});
