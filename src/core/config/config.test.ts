import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFromEnv, resolveConfig } from "./index.js";
import { ConfigError } from "../errors.js";

const SECRET = "x".repeat(40);

describe("config", () => {
  it("fills every default and freezes the result", () => {
    const c = resolveConfig({ secretKey: SECRET });
    assert.equal(c.token.maxAgeSeconds, 900);
    assert.equal(c.session.cookieName, "__Host-rampart_session");
    assert.equal(c.session.cookieSecure, true);
    assert.deepEqual(c.csrf.protectMechanisms, ["basic", "session", "token"]);
    assert.equal(c.password.argon2.memoryCost, 19456);
    assert.equal(c.returnGenericResponses, true);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.session) && Object.isFrozen(c.password.argon2));
  });

  it("reports every problem together, each naming its key", () => {
    try {
      resolveConfig({
        token: { maxAgeSeconds: 0 },
        session: { idleTimeoutSeconds: -5 },
        csrf: { protectMechanisms: ["cookie" as never] },
      });
      assert.fail("expected ConfigError");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const keys = e.issues.map((i) => i.key).join(" | ");
      assert.match(keys, /SECURITY_TOKEN_MAX_AGE \(token\.maxAgeSeconds\)/);
      assert.match(keys, /RAMPART_SESSION_IDLE_TIMEOUT/);
      assert.match(keys, /csrf\.protectMechanisms/);
      assert.ok(e.issues.length >= 3);
    }
  });

  it("refuses a missing, short or placeholder SECRET_KEY outside development", () => {
    for (const secretKey of [undefined, "short", "changeme"]) {
      assert.throws(
        () => resolveConfig({ secretKey }),
        (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key.startsWith("SECRET_KEY")),
      );
    }
    const dev = resolveConfig({ secretKey: "dev-key", development: true });
    assert.equal(dev.session.cookieSecure, false);
    assert.equal(dev.session.cookieName, "rampart_session");
  });

  it("maps Flask-Security environment names, and names typos and bad values", () => {
    const { config, issues } = configFromEnv({
      SECRET_KEY: SECRET,
      SECURITY_TOKEN_MAX_AGE: "600",
      SECURITY_CSRF_PROTECT_MECHANISMS: '["session","basic"]',
      SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS: "true",
      SECURITY_REDIRECT_ALLOWED_SUBDOMAINS: "blog, my.photo",
      SECURITY_RETURN_GENERIC_RESPONSES: "maybe",
      SECURITY_TOKEN_MAX_AGEE: "5",
      PATH: "/usr/bin",
    });
    const c = resolveConfig(config);
    assert.equal(c.token.maxAgeSeconds, 600);
    assert.deepEqual(c.csrf.protectMechanisms, ["session", "basic"]);
    assert.equal(c.csrf.ignoreUnauthEndpoints, true);
    assert.deepEqual(c.redirect.allowedSubdomains, ["blog", "my.photo"]);
    assert.deepEqual(issues.map((i) => i.key).sort(), ["SECURITY_RETURN_GENERIC_RESPONSES", "SECURITY_TOKEN_MAX_AGEE"]);
  });
});
