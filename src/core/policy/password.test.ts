import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig, type RampartConfigInput } from "../config/index.js";
import type { Logger } from "../runtime.js";
import { FakeBreachedApi } from "../../../test/helpers/breached-api.js";
import { checkNewPassword, checkPasswordLength, codePointLength, contextWords } from "./password.js";

function rtWith(password: RampartConfigInput["password"] = {}) {
  const warnings: string[] = [];
  const logger: Logger = { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };
  return { rt: { config: resolveConfig({ secretKey: "x".repeat(40), password }), logger }, warnings };
}

describe("password policy: length", () => {
  it("counts code points: 15 emoji satisfy a 15-character minimum, 14 do not", async () => {
    const { rt } = rtWith({ lengthMin: 15 });
    assert.equal("😀".repeat(15).length, 30);
    assert.deepEqual(await checkNewPassword(rt, "😀".repeat(15), {}), []);
    assert.deepEqual(await checkNewPassword(rt, "😀".repeat(14), {}), [
      { code: "PASSWORD_INVALID_LENGTH", params: { length: 15 } },
    ]);
  });

  it("counts 'é' precomposed and decomposed the same after normalization", async () => {
    const { rt } = rtWith({ lengthMin: 8 });
    const composed = "caf\u00e9caf\u00e9"; // 8 code points as typed
    const decomposed = "cafe\u0301cafe\u0301"; // 10 code points as typed
    assert.equal(codePointLength(composed.normalize("NFKD")), codePointLength(decomposed.normalize("NFKD")));
    assert.deepEqual(await checkNewPassword(rt, composed, {}), []);
    assert.deepEqual(await checkNewPassword(rt, decomposed, {}), []);
    // 7 letters + accent: 7 code points under NFC, 8 under NFKD (FS default)
    const { rt: nfc } = rtWith({ lengthMin: 8, normalizeForm: "NFC" });
    assert.equal((await checkNewPassword(nfc, "abcdef\u00e9", {}))[0]?.code, "PASSWORD_INVALID_LENGTH");
    assert.equal((await checkNewPassword(nfc, "abcdefe\u0301", {}))[0]?.code, "PASSWORD_INVALID_LENGTH");
  });

  it("refuses too short and too long with the configured bounds", async () => {
    const { rt } = rtWith({ lengthMin: 8, lengthMax: 64 });
    assert.deepEqual(await checkNewPassword(rt, "1234567", {}), [
      { code: "PASSWORD_INVALID_LENGTH", params: { length: 8 } },
    ]);
    assert.deepEqual(await checkNewPassword(rt, "a".repeat(64), {}), []);
    assert.deepEqual(await checkNewPassword(rt, "a".repeat(65), {}), [
      { code: "PASSWORD_TOO_LONG", params: { length: 64 } },
    ]);
    assert.deepEqual(checkPasswordLength("a".repeat(8), 8, 8), null);
  });

  // No zxcvbn pass and no network call over a 1 MiB input: the test fails on a hang (its timeout), not on speed.
  it("refuses a 1 MiB password before any scoring, without calling the breached API", { timeout: 20_000 }, async () => {
    const api = await new FakeBreachedApi().start();
    try {
      const { rt } = rtWith({ checkBreached: "strict", breachedApiBaseUrl: api.url, complexityChecker: "zxcvbn" });
      const huge = "a".repeat(1024 * 1024);
      const refs = await checkNewPassword(rt, huge, {});
      assert.deepEqual(refs, [{ code: "PASSWORD_TOO_LONG", params: { length: 128 } }]);
      // just over the limit after normalization: also refused before any network call
      assert.equal((await checkNewPassword(rt, "b".repeat(129), {}))[0]?.code, "PASSWORD_TOO_LONG");
      assert.deepEqual(api.requests, []);
    } finally {
      await api.close();
    }
  });

  it("accepts spaces, any Unicode and emoji, and never trims or case-folds", async () => {
    const { rt } = rtWith({ lengthMin: 15, complexityChecker: "zxcvbn" });
    for (const pw of [
      "correct horse battery staple pony",
      "Съешь же ещё этих мягких булок",
      "🦄🌈🍕🚀🎸🐙🌵🧊🎲🪁🦉🍉🧭🪐🫖",
    ]) {
      assert.deepEqual(await checkNewPassword(rt, pw, {}), [], pw);
    }
    // " " * 15 is 15 characters as typed (no trimming); it then fails complexity, not length
    assert.deepEqual(await checkNewPassword(rt, " ".repeat(15), {}), [{ code: "PASSWORD_TOO_SIMPLE" }]);
  });

  it("empty password → PASSWORD_NOT_PROVIDED", async () => {
    const { rt } = rtWith();
    assert.deepEqual(await checkNewPassword(rt, "", {}), [{ code: "PASSWORD_NOT_PROVIDED" }]);
  });

  it("runs in FS order: length before breached before complexity", async () => {
    const api = await new FakeBreachedApi([
      { password: "short1", count: 5 },
      { password: "password1234567", count: 5 },
    ]).start();
    try {
      const { rt } = rtWith({ checkBreached: "strict", breachedApiBaseUrl: api.url, complexityChecker: "zxcvbn" });
      assert.deepEqual(await checkNewPassword(rt, "short1", {}), [
        { code: "PASSWORD_INVALID_LENGTH", params: { length: 8 } },
      ]);
      assert.equal(api.requests.length, 0);
      assert.deepEqual(await checkNewPassword(rt, "password1234567", {}), [{ code: "PASSWORD_BREACHED" }]);
      assert.deepEqual(await checkNewPassword(rt, "qwertyuiop123456", {}), [{ code: "PASSWORD_TOO_SIMPLE" }]);
      assert.equal(api.requests.length, 2);
    } finally {
      await api.close();
    }
  });

  it("builds context words from email, local part pieces and username", () => {
    assert.deepEqual(contextWords({ email: "alice.smith@x.test", username: "Ali" }, "NFKD"), [
      "alice.smith@x.test",
      "alice.smith",
      "alice",
      "smith",
      "Ali",
    ]);
    assert.deepEqual(contextWords({ email: null, username: null }, "NFKD"), []);
  });
});
