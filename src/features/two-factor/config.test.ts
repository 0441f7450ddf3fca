import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allMeanings, configLeaves } from "../../core/config/render-reference.js";
import { configFromEnv, resolveConfig, sliceOf } from "../../core/config/index.js";
import { totpSlice } from "../../kit/passcodes/config.js";
import { authenticatorWindow, twoFactorSlice } from "./config.js";

describe("two-factor config slice", () => {
  it("every key has a meaning and an environment name; FS names parse", () => {
    const paths = configLeaves([twoFactorSlice])
      .map(([p]) => p)
      .filter((p) => p.startsWith("twoFactor."));
    const meanings = allMeanings([twoFactorSlice]);
    assert.deepEqual(
      paths.filter((p) => !meanings[p]),
      [],
    );
    const envPaths = Object.values(twoFactorSlice.env).map(([p]) => `twoFactor.${p}`);
    assert.deepEqual(
      paths.filter((p) => !envPaths.includes(p)),
      [],
    );
    const { config, issues } = configFromEnv(
      {
        SECURITY_TWO_FACTOR: "true",
        SECURITY_TOTP_SECRETS: JSON.stringify({ "1": "s".repeat(40) }),
        SECURITY_TOTP_ISSUER: "Acme",
        SECURITY_TWO_FACTOR_ENABLED_METHODS: "authenticator,email",
        SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY: "120",
      },
      [],
      [twoFactorSlice, totpSlice],
    );
    assert.deepEqual(issues, []);
    const full = resolveConfig({ ...config, secretKey: "k".repeat(40) }, [], [twoFactorSlice, totpSlice]);
    const resolved = sliceOf(full, twoFactorSlice);
    assert.equal(resolved.enabled, true);
    assert.deepEqual(resolved.enabledMethods, ["authenticator", "email"]);
    assert.equal(sliceOf(full, totpSlice).issuer, "Acme");
    assert.equal(authenticatorWindow(resolved), 4);
    assert.equal(resolved.mailValiditySeconds, 300);
    assert.equal(
      resolved.validityCookieName,
      null,
      "unset: __Host-tf_validity on Secure deployments, tf_validity otherwise",
    );
  });

  it("the default window is ±1 step", () => {
    const resolved = sliceOf(resolveConfig({ secretKey: "k".repeat(40) }, [], [twoFactorSlice]), twoFactorSlice);
    assert.equal(authenticatorWindow(resolved), 1);
    assert.equal(resolved.enabled, false);
  });

  it("enabled without TOTP_SECRETS or TOTP_ISSUER → clear configuration issues", () => {
    assert.throws(
      () =>
        resolveConfig(
          { secretKey: "k".repeat(40), twoFactor: { enabled: true } } as never,
          [],
          [twoFactorSlice, totpSlice],
        ),
      (error: Error & { issues?: { key: string; message: string }[] }) => {
        const text = JSON.stringify(error.issues ?? error.message);
        return /SECURITY_TOTP_SECRETS is required/.test(text) && /SECURITY_TOTP_ISSUER is required/.test(text);
      },
    );
    assert.throws(
      () =>
        resolveConfig(
          {
            secretKey: "k".repeat(40),
            twoFactor: { enabled: true },
            totp: { issuer: "A", secrets: { "1": "short" } },
          } as never,
          [],
          [twoFactorSlice, totpSlice],
        ),
      /TOTP_SECRETS key "1" must be at least/,
    );
  });
});
