/**
 * One public loader: an app reads its configuration from Flask-Security's environment names through the
 * package's API, every slice included (mail, TOTP, SMS, features), and gets what `rampart serve` runs with.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configFromEnv, resolveConfig } from "../../src/index.js";
import { openRampart } from "../../src/cli/context.js";

const ENV = {
  SECRET_KEY: "public-loader-secret-0123456789abcdef0123456789",
  RAMPART_BASE_URL: "https://app.example",
  MAIL_SERVER: "smtp.example.com",
  MAIL_PORT: "587",
  MAIL_USE_TLS: "true",
  MAIL_DEFAULT_SENDER: "Auth <auth@example.com>",
  SECURITY_TOTP_SECRETS: '{"1": "totp-secret-0123456789abcdef0123456789"}',
  SECURITY_TOTP_ISSUER: "Example",
  SECURITY_SMS_SERVICE: "twilio",
  SECURITY_SMS_SERVICE_CONFIG: '{"ACCOUNT_SID": "AC1", "AUTH_TOKEN": "tok", "PHONE_NUMBER": "+15005550006"}',
  SECURITY_TWO_FACTOR: "true",
  SECURITY_TWO_FACTOR_ENABLED_METHODS: "authenticator,sms",
  SECURITY_TWO_FACTOR_SETUP_WITHIN: "10 minutes",
  SECURITY_REGISTERABLE: "true",
  PATH: "/usr/bin",
};

describe("the public environment loader", () => {
  it("reads mail, TOTP, SMS and feature names with no problem reported", () => {
    const { config, issues } = configFromEnv(ENV);
    assert.deepEqual(issues, []);
    const c = resolveConfig(config) as unknown as Record<string, Record<string, unknown>>;
    assert.equal(c.mail!.server, "smtp.example.com");
    assert.equal(c.mail!.port, 587);
    assert.equal(c.mail!.useTls, true);
    assert.deepEqual({ ...(c.totp!.secrets as object) }, { "1": "totp-secret-0123456789abcdef0123456789" });
    assert.equal(c.totp!.issuer, "Example");
    assert.equal(c.sms!.service, "twilio");
    assert.equal((c.sms!.serviceConfig as { phoneNumber: string }).phoneNumber, "+15005550006");
    assert.equal(c.twoFactor!.enabled, true);
    assert.deepEqual([...(c.twoFactor!.enabledMethods as string[])], ["authenticator", "sms"]);
    assert.equal(c.twoFactor!.setupWithinSeconds, 600);
    assert.equal(c.registration!.enabled, true);
  });

  it("produces the config `rampart serve` runs with", async () => {
    const { config, issues } = configFromEnv(ENV);
    const expected = resolveConfig(config, issues);
    const rampart = await openRampart(ENV, "sqlite::memory:", { migrations: "auto", secretKey: undefined });
    try {
      assert.deepEqual(rampart.config, expected);
    } finally {
      await rampart.close();
    }
  });

  it("NODE_ENV=development turns development mode on unless RAMPART_DEVELOPMENT says otherwise, as the server", () => {
    assert.equal(configFromEnv({ NODE_ENV: "development" }).config.development, true);
    assert.equal(configFromEnv({ NODE_ENV: "development", RAMPART_DEVELOPMENT: "false" }).config.development, false);
  });

  it("still names a misspelt SECURITY_* variable", () => {
    assert.deepEqual(
      configFromEnv({ SECURITY_TWO_FACTR: "true" }).issues.map((i) => i.key),
      ["SECURITY_TWO_FACTR"],
    );
  });
});
