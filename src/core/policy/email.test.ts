import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { emailAddressProblem, normalizeEmailAddress } from "./email.js";

describe("email policy (SECURITY.md §7 'Email address tricks' corpus)", () => {
  const refused: Array<[string, string]> = [
    ['"e@evil.example"@victim.example', "quote"],
    ["victim@victim.example\r\nBcc: e@evil.example", "control-character"],
    ["victim@victim.example\\r\\nBcc: e@evil.example", "whitespace"], // the corpus line taken literally
    ["victim@victim.example, e@evil.example", "whitespace"],
    ["victim@victim.example,e@evil.example", "special-character"],
    ["victim\uff20evil.example", "lookalike-at"], // U+FF20 full-width at sign
    ["victim\ufe6bevil.example", "lookalike-at"], // U+FE6B small commercial at
    ["victim@v\u0456ctim.example", "non-ascii"], // Cyrillic і
    ["victim@xn--vctim-n2e.example", "punycode"],
  ];
  for (const [raw, problem] of refused) {
    it(`refuses ${JSON.stringify(raw)} (${problem})`, () => {
      assert.deepEqual(normalizeEmailAddress(raw), { ok: false, code: "INVALID_EMAIL_ADDRESS" });
      assert.equal(emailAddressProblem(raw), problem);
    });
  }

  it("accepts Victim@VICTIM.example with the domain lower-cased and the local part kept", () => {
    assert.deepEqual(normalizeEmailAddress("Victim@VICTIM.example"), { ok: true, email: "Victim@victim.example" });
    assert.deepEqual(normalizeEmailAddress("  Victim@VICTIM.example\t"), { ok: true, email: "Victim@victim.example" });
  });

  it("accepts ordinary addresses", () => {
    for (const email of ["alice@example.com", "o'brien+news@mail.example.org", "a.b-c_d@sub.example.co.uk"]) {
      assert.deepEqual(normalizeEmailAddress(email), { ok: true, email });
    }
  });

  it("refuses display names, comments, IP literals, escapes and other specials", () => {
    for (const raw of [
      "Alice <alice@example.com>",
      "<alice@example.com>",
      "alice(comment)@example.com",
      "alice@[127.0.0.1]",
      "alice@127.0.0.1",
      "al\\ice@example.com",
      "group:alice@example.com;",
      "alice@localhost",
      "alice@example.com.",
      "alice..b@example.com",
      ".alice@example.com",
      "alice@",
      "@example.com",
      "alice",
      "alice@exa_mple.com",
      "al\u200bice@example.com", // zero-width space
      "alice@example.com\n",
      "\u00e9lise@example.com",
      "`whoami`@example.com",
      `${"a".repeat(65)}@example.com`,
      `a@${"b".repeat(250)}.com`,
    ]) {
      assert.deepEqual(normalizeEmailAddress(raw), { ok: false, code: "INVALID_EMAIL_ADDRESS" }, raw);
    }
  });

  it("refuses the identity-field injection corpus", () => {
    for (const raw of [
      "' OR '1'='1",
      "admin'--",
      "a@b.c'; SELECT pg_sleep(5)--",
      '{"$ne": null}',
      { $ne: null },
      { $gt: "" },
      ["alice@example.com", "bob@example.com"],
      { __proto__: { roles: ["admin"] } },
      123456,
      true,
    ]) {
      assert.deepEqual(normalizeEmailAddress(raw), { ok: false, code: "INVALID_EMAIL_ADDRESS" }, JSON.stringify(raw));
    }
  });

  it("missing or blank → EMAIL_NOT_PROVIDED", () => {
    for (const raw of [undefined, null, "", "   ", "\t"]) {
      assert.deepEqual(normalizeEmailAddress(raw), { ok: false, code: "EMAIL_NOT_PROVIDED" }, JSON.stringify(raw));
    }
  });

  // A pattern that backtracks on such input would hang the server: the test fails on its timeout, not on speed.
  it("refuses huge input without hanging", { timeout: 20_000 }, () => {
    assert.equal(normalizeEmailAddress(`${"a".repeat(1024 * 1024)}@example.com`).ok, false);
    assert.equal(normalizeEmailAddress(`${" ".repeat(2000)}a@example.com`).ok, false);
  });
});
