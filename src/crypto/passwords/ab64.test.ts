import assert from "node:assert/strict";
import { test } from "node:test";
import { ab64Decode, ab64Encode } from "./ab64.js";

// hex -> passlib ab64, made by gen-vectors.py with Python's base64 and checked with passlib.utils.binary.ab64_encode.
const AB64: ReadonlyArray<[string, string]> = [
  ["", ""],
  ["fb", ".w"],
  ["fbef", "..8"],
  ["fbefbe", "...."],
  ["00ff10", "AP8Q"],
  ["30313233343536373839616263646566", "MDEyMzQ1Njc4OWFiY2RlZg"],
];

test("ab64 encodes and decodes like passlib", () => {
  for (const [hex, ab64] of AB64) {
    assert.equal(ab64Encode(Buffer.from(hex, "hex")), ab64);
    assert.equal(ab64Decode(ab64)?.toString("hex"), hex);
  }
  // passlib's decoder also takes standard "+" altchars.
  assert.equal(ab64Decode("++8")?.toString("hex"), "fbef");
});

test("ab64Decode refuses what is not ab64", () => {
  for (const bad of ["a", "abcde", "ab=c", "ab*c", "ab c", "ab-c", "ab_c"]) assert.equal(ab64Decode(bad), null, bad);
});
