/**
 * A misspelt config key is a startup error naming it (top level, nested, in a feature's slice, in a slice of a
 * feature that is off) — never a silently ignored setting that leaves a feature off. Valid keys of a feature
 * that is off are still accepted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRampart, type RampartOptions } from "../../src/create-rampart.js";
import { ConfigError } from "../../src/core/errors.js";

const SECRET = "strict-config-secret-0123456789abcdef0123456789";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function startupIssues(config: Record<string, unknown>): Promise<string[]> {
  try {
    const rampart = await createRampart({
      config: { secretKey: SECRET, ...config } as RampartOptions["config"],
      logger: quiet,
    });
    await rampart.close();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((i) => i.key);
  }
  return [];
}

describe("unknown config keys are startup errors naming the key", () => {
  it("in a feature's slice: twoFactor.enabeld", async () => {
    assert.deepEqual(await startupIssues({ twoFactor: { enabeld: true } }), ["twoFactor.enabeld"]);
  });

  it("in a feature that is off: registration.enabeld (the message names it too)", async () => {
    await assert.rejects(
      createRampart({ config: { secretKey: SECRET, registration: { enabeld: true } } as never, logger: quiet }),
      (e: unknown) => e instanceof ConfigError && /registration\.enabeld/.test(e.message),
    );
  });

  it("at the top level and nested in core slices", async () => {
    const keys = await startupIssues({
      tokn: { maxAgeSeconds: 5 },
      password: { argon2: { memoryKost: 1 } },
      session: { idleTimeout: 5 },
    });
    assert.deepEqual(keys.sort(), ["password.argon2.memoryKost", "session.idleTimeout", "tokn"]);
  });

  it("in the shared service slices (mail, sms and its credentials, totp)", async () => {
    const keys = await startupIssues({
      mail: { sever: "smtp.example" },
      sms: { serviceConfig: { accountSID: "x" } },
      totp: { issuers: "A" },
    });
    assert.deepEqual(keys.sort(), ["mail.sever", "sms.serviceConfig.accountSID", "totp.issuers"]);
  });

  it("valid keys of features that are off start fine", async () => {
    const keys = await startupIssues({
      registration: { enabled: false, url: "/signup" },
      twoFactor: { enabled: false, rescueEmail: false },
      unifiedSignin: { signinUrl: "/us" },
      changeEmail: { url: "/email" },
      usernameFeatures: { recoveryUrl: "/recover" },
    });
    assert.deepEqual(keys, []);
  });

  it("every problem at once: an unknown key next to a bad value", async () => {
    const keys = await startupIssues({ twoFactor: { enabeld: true }, token: { maxAgeSeconds: 0 } });
    assert.deepEqual(keys.sort(), ["SECURITY_TOKEN_MAX_AGE (token.maxAgeSeconds)", "twoFactor.enabeld"]);
  });
});
