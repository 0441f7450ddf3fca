import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";

const PASSWORD = "correct horse battery";
const apps: TestApp[] = [];
async function appWith(config: RampartConfigInput = {}) {
  const app = await createTestApp({ config });
  apps.push(app);
  await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  return app;
}
after(async () => {
  for (const a of apps) await a.close();
});

describe("CSRF", () => {
  it("accepts the token from X-CSRF-Token, X-CSRFToken, X-XSRF-Token and the csrf_token field", async () => {
    const app = await appWith();
    for (const header of ["x-csrf-token", "x-csrftoken", "x-xsrf-token"]) {
      const c = app.client();
      const r = await c.post("/login", {
        json: { email: "alice@x.test", password: PASSWORD },
        headers: { [header]: await c.csrf() },
      });
      assert.equal(r.status, 200, header);
    }
    const c = app.client();
    const r = await c.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD, csrf_token: await c.csrf() },
    });
    assert.equal(r.status, 200);
  });

  it("a form post without the token re-renders nothing useful and logs nobody in", async () => {
    const app = await appWith();
    const c = app.client();
    const r = await c.post("/login", { form: { email: "alice@x.test", password: PASSWORD } });
    assert.equal(r.status, 400);
    assert.match(r.body, /The CSRF token is missing\./);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });

  it("a token bound to another browser, or forged, or expired is refused", async () => {
    const app = await appWith();
    const attacker = app.client();
    const theirs = await attacker.csrf();
    const victim = app.client();
    await victim.csrf();
    let r = await victim.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": theirs },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.error_codes, ["CSRF_INVALID"]);
    r = await victim.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": "forged.value" },
    });
    assert.deepEqual(r.json.response.error_codes, ["CSRF_INVALID"]);
    const mine = await victim.csrf();
    app.advance(3601);
    r = await victim.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": mine },
    });
    app.advance(-3601);
    assert.deepEqual(r.json.response.error_codes, ["CSRF_EXPIRED"]);
  });

  it("the pre-login token dies with login: the session gets its own binding", async () => {
    const app = await appWith();
    const c = app.client();
    const pre = await c.csrf();
    const login = await c.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": pre },
    });
    const r = await c.post("/logout", { json: {}, headers: { "x-csrf-token": pre } });
    assert.equal(r.status, 400);
    const ok = await c.post("/logout", { json: {}, headers: { "x-csrf-token": login.json.response.csrf_token } });
    assert.equal(ok.status, 200);
  });

  it("cross-site Origin or Sec-Fetch-Site is refused with 403 even with a valid token", async () => {
    const app = await appWith();
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ] as Record<string, string>[]) {
      const c = app.client();
      const r = await c.post("/login", {
        json: { email: "alice@x.test", password: PASSWORD },
        headers: { "x-csrf-token": await c.csrf(), ...headers },
      });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.deepEqual(r.json.response.error_codes, ["CSRF_ORIGIN"]);
    }
    const c = app.client();
    const same = await c.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": await c.csrf(), origin: "https://app.test", "sec-fetch-site": "same-origin" },
    });
    assert.equal(same.status, 200);
    // A page served with Referrer-Policy: no-referrer posts "Origin: null"; the browser's Sec-Fetch-Site vouches.
    const hidden = app.client();
    const nullButSame = await hidden.post("/login", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": await hidden.csrf(), origin: "null", "sec-fetch-site": "same-origin" },
    });
    assert.equal(nullButSame.status, 200);
  });

  it("CSRF_IGNORE_UNAUTH_ENDPOINTS lets anonymous login through but not an authenticated second login", async () => {
    const app = await appWith({ csrf: { ignoreUnauthEndpoints: true } });
    const c = app.client();
    assert.equal((await c.post("/login", { json: { email: "alice@x.test", password: PASSWORD } })).status, 200);
    const again = await c.post("/login", { json: { email: "alice@x.test", password: PASSWORD } });
    assert.equal(again.status, 400);
    assert.deepEqual(again.json.response.error_codes, ["ANONYMOUS_USER_REQUIRED"]);
  });

  it("CSRF_PROTECT_MECHANISMS without token: token callers skip CSRF, session callers do not", async () => {
    const app = await appWith({ csrf: { protectMechanisms: ["session", "basic"] } });
    const c = app.client();
    const login = await c.login("alice@x.test", PASSWORD, {}, "?include_auth_token");
    const token = login.json.response.user.authentication_token;
    const bySession = await c.post("/sessions/revoke", { json: { scope: "others" } });
    assert.equal(bySession.status, 400);
    const byToken = await app
      .client()
      .post("/sessions/revoke", { json: { scope: "others" }, headers: { "authentication-token": token } });
    assert.equal(byToken.status, 200);
  });

  it("CSRF_COOKIE_NAME: readable cookie set at login, usable in X-XSRF-Token, removed at logout", async () => {
    const app = await appWith({ csrf: { cookieName: "XSRF-TOKEN" } });
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    const cookie = c.jar.get("XSRF-TOKEN");
    assert.ok(cookie);
    const r = await c.post("/logout", { json: {}, headers: { "x-xsrf-token": decodeURIComponent(cookie!) } });
    assert.equal(r.status, 200);
    assert.equal(c.jar.get("XSRF-TOKEN"), undefined);
  });

  it("LOGOUT_CSRF=false allows logout without a token (FS default)", async () => {
    const app = await appWith({ csrf: { logoutCsrf: false } });
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    assert.equal((await c.post("/logout", { json: {} })).status, 200);
  });

  it("guards enforce CSRF on unsafe app routes for cookie sessions", async () => {
    const app = await appWith();
    const c = app.client();
    const login = await c.login("alice@x.test", PASSWORD);
    const req = (headers: Record<string, string>) =>
      new Request("https://app.test/api/thing", {
        method: "POST",
        headers: { cookie: c.cookieHeader(), accept: "application/json", ...headers },
      });
    const without = await app.rampart.guards.check(req({}));
    assert.equal(without.ok, false);
    const withToken = await app.rampart.guards.check(req({ "x-csrf-token": login.json.response.csrf_token }));
    assert.equal(withToken.ok, true);
  });

  it("guards and routes apply one cross-site rule: RAMPART_CSRF_CHECK_ORIGIN decides it, also with CSRF tokens off", async () => {
    const app = await appWith({ csrf: { enabled: false, trustedOrigins: ["https://spa.example-app.test"] } });
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    const req = (origin: string) =>
      new Request("https://app.test/api/thing", {
        method: "POST",
        headers: { cookie: c.cookieHeader(), accept: "application/json", origin },
      });
    const foreign = await app.rampart.guards.check(req("https://evil.example"));
    assert.equal(foreign.ok, false);
    if (!foreign.ok) {
      assert.equal(foreign.response.status, 403);
      assert.deepEqual((await foreign.response.json()).response.error_codes, ["CSRF_ORIGIN"]);
    }
    assert.equal(
      (await app.rampart.guards.check(req("https://spa.example-app.test"))).ok,
      true,
      "a trusted origin passes",
    );
    assert.equal(
      (await app.rampart.guards.check(req("https://app.test"))).ok,
      true,
      "the app's own origin passes, no token needed",
    );
    const route = await c.post("/logout", { json: {}, headers: { origin: "https://evil.example" } });
    assert.equal(route.status, 403, "Rampart's own routes answer the same");
    const off = await appWith({ csrf: { enabled: false, checkOrigin: false } });
    const c2 = off.client();
    await c2.login("alice@x.test", PASSWORD);
    const passes = await off.rampart.guards.check(
      new Request("https://app.test/api/thing", {
        method: "POST",
        headers: { cookie: c2.cookieHeader(), origin: "https://evil.example" },
      }),
    );
    assert.equal(passes.ok, true, "with the origin check off nothing is refused");
  });
});
