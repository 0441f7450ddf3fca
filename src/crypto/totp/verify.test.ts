import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { oathtool, oathtoolSkip } from "../../../test/helpers/totp-clock.js";
import { TOTP, Secret } from "otpauth";
import { generateTotpCode, generateTotpSecret, totpStep, verifyTotp } from "./index.js";

/** Codes come from oathtool (OATH Toolkit), an implementation independent of otpauth. */
const skip = oathtoolSkip;

// RFC 6238 appendix B: ASCII "12345678901234567890" (SHA1).
const RFC_SECRET = Secret.fromLatin1("12345678901234567890").base32;
// A fixed secret and instant so the refusal cases cannot flake on a chance collision.
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const NOW_S = 1_718_000_015; // 15 s into its step
const NOW_MS = NOW_S * 1000;
const STEP = Math.floor(NOW_S / 30);

describe("TOTP codes", () => {
  it("matches the RFC 6238 SHA1 test vector at T=59", () => {
    assert.equal(RFC_SECRET, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert.equal(TOTP.generate({ secret: Secret.fromBase32(RFC_SECRET), digits: 8, timestamp: 59_000 }), "94287082");
    assert.equal(generateTotpCode({ secret: RFC_SECRET, nowMs: 59_000 }), "287082");
    const ok = verifyTotp({ secret: RFC_SECRET, code: "287082", nowMs: 59_000, window: 0 });
    assert.deepEqual(ok, { ok: true, step: 1 });
  });

  it("agrees with oathtool on the RFC vector", { skip }, () => {
    assert.equal(oathtool(RFC_SECRET, 59, ["--digits=8"]), "94287082");
    assert.equal(oathtool(RFC_SECRET, 59), "287082");
  });

  it("accepts oathtool's code for now, t-1 and t+1 (window 1), each at its own step", { skip }, () => {
    for (const offset of [-1, 0, 1]) {
      const code = oathtool(SECRET, NOW_S + offset * 30);
      assert.deepEqual(
        verifyTotp({ secret: SECRET, code, nowMs: NOW_MS }),
        { ok: true, step: STEP + offset },
        `t${offset}`,
      );
    }
  });

  it("refuses oathtool's code for t-2 and t+2 with the default window", { skip }, () => {
    for (const offset of [-2, 2]) {
      const code = oathtool(SECRET, NOW_S + offset * 30);
      assert.deepEqual(
        verifyTotp({ secret: SECRET, code, nowMs: NOW_MS }),
        { ok: false, reason: "invalid" },
        `t${offset}`,
      );
      assert.deepEqual(verifyTotp({ secret: SECRET, code, nowMs: NOW_MS, window: 2 }), {
        ok: true,
        step: STEP + offset,
      });
    }
  });

  it("window 0 accepts only the current step", { skip }, () => {
    assert.equal(verifyTotp({ secret: SECRET, code: oathtool(SECRET, NOW_S), nowMs: NOW_MS, window: 0 }).ok, true);
    assert.equal(
      verifyTotp({ secret: SECRET, code: oathtool(SECRET, NOW_S - 30), nowMs: NOW_MS, window: 0 }).ok,
      false,
    );
  });

  it("accepts oathtool's code for the wall clock, for fresh secrets", { skip }, () => {
    for (let i = 0; i < 5; i++) {
      const secret = generateTotpSecret();
      const code = oathtool(secret);
      const result = verifyTotp({ secret, code, nowMs: Date.now() });
      assert.equal(result.ok, true);
    }
  });

  it("refuses a replay: the same code again, and any code for a step at or before the last used one", { skip }, () => {
    const code = oathtool(SECRET, NOW_S);
    const first = verifyTotp({ secret: SECRET, code, nowMs: NOW_MS });
    assert.deepEqual(first, { ok: true, step: STEP });
    const lastUsedStep = first.ok ? first.step : null;
    assert.deepEqual(verifyTotp({ secret: SECRET, code, nowMs: NOW_MS, lastUsedStep }), {
      ok: false,
      reason: "replayed",
    });
    assert.deepEqual(verifyTotp({ secret: SECRET, code, nowMs: NOW_MS + 30_000, lastUsedStep }), {
      ok: false,
      reason: "replayed",
    });
    const previous = oathtool(SECRET, NOW_S - 30);
    assert.deepEqual(verifyTotp({ secret: SECRET, code: previous, nowMs: NOW_MS, lastUsedStep }), {
      ok: false,
      reason: "replayed",
    });
    const next = oathtool(SECRET, NOW_S + 30);
    assert.deepEqual(verifyTotp({ secret: SECRET, code: next, nowMs: NOW_MS + 30_000, lastUsedStep }), {
      ok: true,
      step: STEP + 1,
    });
  });

  it("refuses anything but six ASCII digits", () => {
    const good = generateTotpCode({ secret: SECRET, nowMs: NOW_MS });
    assert.equal(verifyTotp({ secret: SECRET, code: good, nowMs: NOW_MS }).ok, true);
    for (const code of [
      "",
      "12345",
      "1234567",
      ` ${good}`,
      `${good}\n`,
      "12345a",
      "１２３４５６",
      "123 456",
      "-12345",
    ]) {
      assert.deepEqual(
        verifyTotp({ secret: SECRET, code, nowMs: NOW_MS }),
        { ok: false, reason: "invalid" },
        JSON.stringify(code),
      );
    }
    assert.deepEqual(verifyTotp({ secret: SECRET, code: 123456 as unknown as string, nowMs: NOW_MS }), {
      ok: false,
      reason: "invalid",
    });
  });

  it("uses the period it is given (email codes: 300 s, SMS: 120 s)", () => {
    const code = generateTotpCode({ secret: SECRET, nowMs: NOW_MS, period: 300 });
    assert.equal(code, TOTP.generate({ secret: Secret.fromBase32(SECRET), period: 300, timestamp: NOW_MS }));
    const step = totpStep(NOW_MS, 300);
    assert.deepEqual(verifyTotp({ secret: SECRET, code, nowMs: NOW_MS + 299_000, period: 300, window: 1 }).ok, true);
    assert.deepEqual(verifyTotp({ secret: SECRET, code, nowMs: (step + 3) * 300_000, period: 300 }).ok, false);
    const sms = generateTotpCode({ secret: SECRET, nowMs: NOW_MS, period: 120 });
    assert.deepEqual(verifyTotp({ secret: SECRET, code: sms, nowMs: NOW_MS, period: 120, window: 0 }), {
      ok: true,
      step: totpStep(NOW_MS, 120),
    });
  });

  it("throws TypeError on bad arguments (a bug, not user input)", () => {
    assert.throws(() => verifyTotp({ secret: "not base32!", code: "123456", nowMs: NOW_MS }), TypeError);
    assert.throws(() => verifyTotp({ secret: "JBSWY3DP", code: "123456", nowMs: NOW_MS }), /too short/);
    assert.throws(() => verifyTotp({ secret: SECRET, code: "123456", nowMs: NOW_MS, window: -1 }), TypeError);
    assert.throws(() => verifyTotp({ secret: SECRET, code: "123456", nowMs: NOW_MS, period: 0 }), TypeError);
    assert.throws(() => verifyTotp({ secret: SECRET, code: "123456", nowMs: Number.NaN }), TypeError);
  });
});
