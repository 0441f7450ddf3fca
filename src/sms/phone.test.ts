import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { normalizePhone } from "./index.js";

describe("normalizePhone", () => {
  it("normalizes US numbers typed in any common form to E.164", () => {
    for (const raw of [
      "650-555-1212",
      "(650) 555-1212",
      "650.555.1212",
      "6505551212",
      "+1 650 555 1212",
      "1-650-555-1212",
      " +16505551212 ",
    ]) {
      assert.equal(normalizePhone(raw), "+16505551212", raw);
    }
  });

  it("keeps an explicit country code and uses the default region otherwise", () => {
    assert.equal(normalizePhone("+44 20 7946 0958"), "+442079460958");
    assert.equal(normalizePhone("020 7946 0958", "GB"), "+442079460958");
    assert.equal(normalizePhone("06 12 34 56 78", "fr"), "+33612345678");
    assert.equal(normalizePhone("+33 6 12 34 56 78", "GB"), "+33612345678");
  });

  it("returns null for what is not a valid dialable number", () => {
    for (const raw of [
      "",
      "   ",
      "12",
      "abc",
      "+1 200 555 1212",
      "020 7946 0958",
      "+16505551212 ext. 5",
      "+1650555121\n2",
      "1".repeat(80),
    ]) {
      assert.equal(normalizePhone(raw), null, JSON.stringify(raw));
    }
    assert.equal(normalizePhone(undefined as unknown as string), null);
  });

  it("an unsupported default region is a TypeError", () => {
    assert.throws(() => normalizePhone("650-555-1212", "XX"), TypeError);
  });
});
