import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkUsername } from "./username.js";

const cfg = { minLength: 4, maxLength: 32 };

describe("username policy (FS UsernameUtil rules)", () => {
  it('"dud" is too short at min 4', () => {
    assert.deepEqual(checkUsername(cfg, "dud"), {
      ok: false,
      ref: { code: "USERNAME_INVALID_LENGTH", params: { min: 4, max: 32 } },
    });
  });

  it("too long at max 32", () => {
    assert.equal(checkUsername(cfg, "a".repeat(32)).ok, true);
    assert.deepEqual(checkUsername(cfg, "a".repeat(33)), {
      ok: false,
      ref: { code: "USERNAME_INVALID_LENGTH", params: { min: 4, max: 32 } },
    });
    assert.equal(checkUsername(cfg, "a".repeat(1_000_000)).ok, false);
  });

  it("<script> and other HTML-special characters are illegal", () => {
    for (const raw of [
      "<script>",
      "<script>alert(1)</script>",
      "tom&jerry",
      'say"hi"',
      "o'neil",
      "a>b",
      " alice",
      "alice ",
    ]) {
      assert.deepEqual(checkUsername(cfg, raw), { ok: false, ref: { code: "USERNAME_ILLEGAL_CHARACTERS" } }, raw);
    }
  });

  it('"hi there?" and other non letter/number characters are disallowed', () => {
    for (const raw of [
      "hi there?",
      "alice.smith",
      "alice_smith",
      "alice-smith",
      "bob😀bob",
      "a\u200bbcd",
      "\u0301abcd",
      "a\u0301\u0301\u0301\u0301\u0301bcd",
    ]) {
      assert.deepEqual(checkUsername(cfg, raw), { ok: false, ref: { code: "USERNAME_DISALLOWED_CHARACTERS" } }, raw);
    }
  });

  it('"Ébène42" is accepted and returned NFKD-normalized, case kept', () => {
    const r = checkUsername(cfg, "\u00c9b\u00e8ne42");
    assert.deepEqual(r, { ok: true, username: "E\u0301be\u0300ne42" });
    assert.deepEqual(checkUsername(cfg, "E\u0301be\u0300ne42"), r);
  });

  it("other scripts and digits are letters and numbers too", () => {
    for (const raw of ["Алиса", "山田太郎", "हिन्दी", "user٣٤"]) assert.equal(checkUsername(cfg, raw).ok, true, raw);
    assert.deepEqual(checkUsername(cfg, "ＡＢＣＤ"), { ok: true, username: "ABCD" }); // NFKD folds full-width
  });

  it("letters of two scripts → USERNAME_MIXED_SCRIPT (TR39); Latin with Han/kana/Hangul and any digits are fine", () => {
    for (const raw of ["\u0430lice", "b\u043eb1", "\u0391lice", "Жанна\u004b", "田中Жанна", "abc\u05d0"]) {
      assert.deepEqual(checkUsername(cfg, raw), { ok: false, ref: { code: "USERNAME_MIXED_SCRIPT" } }, raw);
    }
    for (const raw of ["田中taro", "やまだtaro", "한국abc", "Αλίκη", "Zoë", "user٣٤", "alıce"])
      assert.equal(checkUsername(cfg, raw).ok, true, raw);
  });

  it("missing → USERNAME_NOT_PROVIDED", () => {
    for (const raw of [undefined, null, "", 42, ["alice"], { $ne: null }]) {
      assert.deepEqual(checkUsername(cfg, raw), { ok: false, ref: { code: "USERNAME_NOT_PROVIDED" } });
    }
  });
});
