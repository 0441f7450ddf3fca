/**
 * Flask-Security's own value formats through the public environment loader: `"<n> <unit>"` durations (FS
 * converts its *_WITHIN settings with timedelta(**{unit: n})), `none` where FS allows None, and FS's passlib
 * option names for the hashing parameters.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configFromEnv, resolveConfig } from "../../src/index.js";
import { fullEnvMap } from "../../src/core/config/env.js";
import { configSlices } from "../../src/create-rampart.js";

const SECRET = "env-formats-secret-0123456789abcdef0123456789";

/** The resolved config for `env`, asserting the loader found no problem. */
function resolved(env: Record<string, string>) {
  const { config, issues } = configFromEnv({ SECRET_KEY: SECRET, ...env });
  assert.deepEqual(issues, []);
  return resolveConfig(config) as unknown as Record<string, Record<string, unknown>>;
}

const issueKeys = (env: Record<string, string>) => configFromEnv(env).issues.map((i) => i.key);

describe('durations: seconds or FS\'s "<n> <unit>"', () => {
  it("every *_WITHIN name takes the FS format", () => {
    const within = Object.entries(fullEnvMap(configSlices())).filter(([name]) => name.endsWith("_WITHIN"));
    assert.ok(within.length >= 6, within.map(([n]) => n).join());
    for (const [name, [path]] of within) {
      const c = resolved({ [name]: "2 hours" });
      const [slice, key] = path.split(".") as [string, string];
      assert.equal(c[slice]![key], 7200, name);
    }
  });

  it("each unit FS accepts (timedelta's), the singular, and plain seconds", () => {
    const c = resolved({
      SECURITY_RESET_PASSWORD_WITHIN: "1 days",
      SECURITY_CHANGE_EMAIL_WITHIN: "5 minutes",
      SECURITY_TWO_FACTOR_SETUP_WITHIN: "2 hours",
      SECURITY_US_SETUP_WITHIN: "30 seconds",
      SECURITY_CONFIRM_EMAIL_WITHIN: "1 weeks",
      SECURITY_TWO_FACTOR_LOGIN_VALIDITY: "30 days",
      RAMPART_TWO_FACTOR_PENDING_WITHIN: "1 hour",
      SECURITY_TOKEN_MAX_AGE: "600",
      SECURITY_FRESHNESS: "-1 seconds",
      REMEMBER_COOKIE_DURATION: "2000 milliseconds",
    });
    assert.equal(c.recovery!.resetPasswordWithinSeconds, 86400);
    assert.equal(c.changeEmail!.withinSeconds, 300);
    assert.equal(c.twoFactor!.setupWithinSeconds, 7200);
    assert.equal(c.unifiedSignin!.setupWithinSeconds, 30);
    assert.equal(c.confirmation!.withinSeconds, 604800);
    assert.equal(c.twoFactor!.loginValiditySeconds, 30 * 86400);
    assert.equal(c.twoFactor!.pendingWithinSeconds, 3600);
    assert.equal(c.token!.maxAgeSeconds, 600);
    assert.equal(c.freshness!.withinSeconds, -1);
    assert.equal(c.session!.rememberDurationSeconds, 2);
  });

  it("refuses an unknown unit, a fraction of a second and prose, naming the variable", () => {
    const { issues } = configFromEnv({
      SECURITY_RESET_PASSWORD_WITHIN: "1 fortnight",
      SECURITY_CHANGE_EMAIL_WITHIN: "1500 milliseconds",
      SECURITY_US_SETUP_WITHIN: "half an hour",
    });
    assert.deepEqual(issues.map((i) => i.key).sort(), [
      "SECURITY_CHANGE_EMAIL_WITHIN",
      "SECURITY_RESET_PASSWORD_WITHIN",
      "SECURITY_US_SETUP_WITHIN",
    ]);
    assert.match(issues.find((i) => i.key === "SECURITY_RESET_PASSWORD_WITHIN")!.message, /<n> <unit>/);
    assert.match(issues.find((i) => i.key === "SECURITY_CHANGE_EMAIL_WITHIN")!.message, /whole number of seconds/);
  });
});

describe("none where FS allows None", () => {
  it("nullable keys take none / None / null", () => {
    const c = resolved({
      SECURITY_POST_VERIFY_VIEW: "none",
      SECURITY_PASSWORD_SALT: "None",
      SECURITY_CSRF_COOKIE_NAME: "None",
      SECURITY_REDIRECT_BEHAVIOR: "None",
      SECURITY_TOTP_ISSUER: "None",
      SECURITY_POST_REGISTER_VIEW: "null",
      SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY: "None",
      SESSION_COOKIE_SECURE: "None",
      MAIL_SERVER: "None",
    });
    assert.equal(c.urls!.postVerifyView, null);
    assert.equal(c.password!.salt, null);
    assert.equal(c.csrf!.cookieName, null);
    assert.equal(c.urls!.redirectBehavior, null);
    assert.equal(c.totp!.issuer, null);
    assert.equal(c.registration!.postRegisterView, null);
    assert.equal(c.twoFactor!.authenticatorValiditySeconds, null);
    assert.equal(c.session!.cookieSecure, true); // None: the default rule (Secure outside development)
    assert.equal(c.mail!.server, null);
  });

  it("FS's None defaults Rampart types without null mean the default (URL_PREFIX, TOTP_SECRETS)", () => {
    const c = resolved({ SECURITY_URL_PREFIX: "None", SECURITY_TOTP_SECRETS: "None" });
    assert.equal((c as Record<string, unknown>).urlPrefix, "");
    assert.deepEqual(c.totp!.secrets, {});
  });

  it("a key that cannot be null refuses none, naming the variable", () => {
    assert.deepEqual(issueKeys({ SECURITY_TOKEN_MAX_AGE: "none", SECURITY_TRACKABLE: "None" }).sort(), [
      "SECURITY_TOKEN_MAX_AGE",
      "SECURITY_TRACKABLE",
    ]);
  });
});

describe("FS's passlib hashing options", () => {
  it("SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS maps argon2__* and bcrypt__rounds", () => {
    const c = resolved({
      SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS:
        '{"argon2__rounds": 3, "argon2__memory_cost": 65536, "argon2__parallelism": 2, "bcrypt__rounds": 13}',
    });
    assert.deepEqual({ ...(c.password!.argon2 as object) }, { memoryCost: 65536, timeCost: 3, parallelism: 2 });
    assert.equal(c.password!.bcryptCost, 13);
    assert.equal(
      (
        resolved({ SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: '{"argon2__time_cost": 4}' }).password!.argon2 as {
          timeCost: number;
        }
      ).timeCost,
      4,
    );
  });

  it("the deprecated per-scheme SECURITY_PASSWORD_HASH_OPTIONS too", () => {
    const c = resolved({
      SECURITY_PASSWORD_HASH: "bcrypt",
      SECURITY_PASSWORD_HASH_OPTIONS: '{"bcrypt": {"rounds": 10}, "argon2": {"rounds": 5}}',
    });
    assert.equal(c.password!.bcryptCost, 10);
    assert.equal((c.password!.argon2 as { timeCost: number }).timeCost, 5);
  });

  it("refuses options Rampart has no equivalent for, bad JSON, and two names for one setting", () => {
    const salt = configFromEnv({ SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: '{"argon2__salt_size": 16}' }).issues;
    assert.equal(salt.length, 1);
    assert.equal(salt[0]!.key, "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS");
    assert.match(salt[0]!.message, /argon2__salt_size/);
    assert.deepEqual(issueKeys({ SECURITY_PASSWORD_HASH_OPTIONS: "{rounds" }), ["SECURITY_PASSWORD_HASH_OPTIONS"]);
    assert.deepEqual(issueKeys({ SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: '{"bcrypt__rounds": "many"}' }), [
      "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
    ]);
    const twice = configFromEnv({
      RAMPART_BCRYPT_COST: "12",
      SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: '{"bcrypt__rounds": 13}',
    }).issues;
    assert.equal(twice.length, 1);
    assert.match(twice[0]!.message, /password\.bcryptCost/);
  });

  it("values out of range are refused by validation, naming the key", () => {
    const { config, issues } = configFromEnv({
      SECRET_KEY: SECRET,
      SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: '{"bcrypt__rounds": 3}',
    });
    assert.throws(() => resolveConfig(config, issues), /password\.bcryptCost/);
  });
});
