import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configFromEnv, resolveConfig } from "../src/core/config/index.js";
import { ConfigError } from "../src/core/errors.js";
import { configSlices } from "../src/create-rampart.js";
import { builtinFeatures } from "../src/features/builtin.js";

/**
 * Built-in features are imported only when a configuration switches them on, so the registry decides that
 * before loading them. Its `enabled` must give the same answer as each loaded feature's own.
 */
describe("the built-in feature registry", () => {
  const FLAGS = [
    "SECURITY_REGISTERABLE",
    "SECURITY_CONFIRMABLE",
    "SECURITY_RECOVERABLE",
    "SECURITY_CHANGEABLE",
    "SECURITY_REFRESH_TOKEN",
    "SECURITY_CHANGE_EMAIL",
    "SECURITY_USERNAME_ENABLE",
    "SECURITY_CHANGE_USERNAME",
    "SECURITY_USERNAME_RECOVERY",
    "SECURITY_PROFILE_ENABLE",
    "SECURITY_UNIFIED_SIGNIN",
    "SECURITY_TWO_FACTOR",
    "RAMPART_JWT_KEYS_FILE",
    "RAMPART_TOKEN_ENDPOINT_ENABLE",
    "SECURITY_WEBAUTHN",
    "SECURITY_OAUTH_ENABLE",
  ];
  // Flags that are not booleans: [value when on, value when off]. A key file switches the JWKS route on (the file
  // is read at start, not when the configuration is resolved).
  const VALUES: Record<string, [string, string]> = { RAMPART_JWT_KEYS_FILE: ["/etc/rampart/jwt-keys.json", "none"] };
  const configOf = (on: string[]) => {
    const env: Record<string, string> = Object.fromEntries(
      FLAGS.map((name) => [name, (VALUES[name] ?? ["true", "false"])[on.includes(name) ? 0 : 1]]),
    );
    env.SECURITY_TOTP_ISSUER = "Example";
    env.RAMPART_WAN_RP_ID = "app.example";
    env.RAMPART_WAN_ORIGINS = "https://app.example";
    env.RAMPART_BASE_URL = "https://app.example";
    env.SECURITY_TOTP_SECRETS = JSON.stringify({ 1: "s".repeat(32) });
    const { config, issues } = configFromEnv(env, [], configSlices());
    assert.deepEqual(issues, []);
    try {
      return resolveConfig({ ...config, secretKey: "k".repeat(40), development: true }, [], configSlices());
    } catch (error) {
      if (error instanceof ConfigError) return null; // a combination the configuration refuses (e.g. usernames off, username change on)
      throw error;
    }
  };
  // Nothing, everything, each flag alone, and everything but each flag.
  const cases = [[], FLAGS, ...FLAGS.map((f) => [f]), ...FLAGS.map((f) => FLAGS.filter((g) => g !== f))];

  it("says on or off exactly as each loaded feature does, for every flag combination tried", async () => {
    const configs = cases.map(configOf).filter((c) => c !== null);
    assert.ok(configs.length >= 20, `${configs.length} valid combinations`);
    for (const entry of builtinFeatures) {
      const feature = await entry.load();
      assert.equal(feature.name, entry.name);
      assert.equal(feature.config, entry.config, `${entry.name}: same config slice`);
      for (const [i, config] of configs.entries())
        assert.equal(entry.enabled(config), feature.enabled?.(config) ?? true, `${entry.name}, combination ${i}`);
    }
  });

  it("switches features on and off (the comparison above is not between two constants)", () => {
    const on = (flags: string[]) => builtinFeatures.filter((f) => f.enabled(configOf(flags)!)).map((f) => f.name);
    assert.deepEqual(on([]), ["login", "sessions", "profile"]);
    assert.equal(on(FLAGS).length, builtinFeatures.length);
  });
});
