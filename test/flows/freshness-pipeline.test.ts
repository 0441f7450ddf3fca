import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import type { Feature } from "../../src/core/feature.js";

const PASSWORD = "correct horse battery";
const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

describe("freshness and /verify", () => {
  it("a stale session gets the reauth payload; /verify with the password makes it fresh and rotates the session", async () => {
    // No grace period: the first check passing would otherwise keep the session fresh for it (see freshness-grace).
    const app = await createTestApp({ config: { freshness: { gracePeriodSeconds: 0 } } });
    apps.push(app);
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    const fresh = (headers: Record<string, string> = {}) =>
      app.rampart.guards.check(
        new Request("https://app.test/api/fresh", { headers: { cookie: c.cookieHeader(), ...headers } }),
        app.rampart.guards.freshRequired(60),
      );
    assert.equal((await fresh({ accept: "application/json" })).ok, true);
    app.advance(61);
    const stale = await fresh({ accept: "application/json" });
    assert.equal(stale.ok, false);
    if (!stale.ok) {
      assert.equal(stale.response.status, 401);
      const body = await stale.response.json();
      assert.equal(body.response.reauth_required, true);
      assert.deepEqual(body.response.errors, ["You must reauthenticate to access this endpoint"]);
      assert.equal(body.response.oauth_enabled, false);
    }
    const html = await fresh();
    assert.equal(html.ok, false);
    if (!html.ok) assert.equal(html.response.headers.get("location"), "/verify?next=%2Fapi%2Ffresh");

    const page = await c.get("/verify", { acceptJson: true });
    assert.equal(page.status, 200);
    const csrf = page.json.response.csrf_token;
    const wrong = await c.post("/verify", { json: { password: "not it" }, headers: { "x-csrf-token": csrf } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.response.field_errors.password, ["Invalid password"]);
    const before = c.jar.get("__Host-rampart_session");
    const ok = await c.post("/verify?include_auth_token", {
      json: { password: PASSWORD },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.json.response.user.authentication_token, "string");
    assert.notEqual(c.jar.get("__Host-rampart_session"), before);
    assert.equal((await fresh({ accept: "application/json" })).ok, true);
  });
});

describe("the one sign-in pipeline", () => {
  it("a registered check is obeyed by JSON login, form login, basic auth and remember-me restore", async () => {
    let blocked = new Set<string>();
    const lockout: Feature = {
      name: "test-lockout",
      signInChecks: () => [
        {
          name: "test-lock",
          run: async (_ctx, attempt) =>
            blocked.has(attempt.user.email)
              ? { kind: "deny", code: "LOCKED_OUT", field: "email", status: 400 }
              : { kind: "continue" },
        },
      ],
    };
    const app = await createTestApp({ features: [lockout], config: { returnGenericResponses: false } });
    apps.push(app);
    assert.deepEqual(app.runtime.pipeline.names(), ["active", "test-lock"]);
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const remembered = app.client();
    await remembered.login("alice@x.test", PASSWORD, { remember: true });
    blocked = new Set(["alice@x.test"]);

    const json = await app.client().login("alice@x.test", PASSWORD);
    assert.equal(json.status, 400);
    assert.deepEqual(json.json.response.field_errors.email, ["Too many failed attempts. Try again later."]);

    const c = app.client();
    const form = await c.post("/login", {
      form: { email: "alice@x.test", password: PASSWORD, csrf_token: await c.csrf() },
    });
    assert.equal(form.status, 200);
    assert.match(form.body, /Too many failed attempts/);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);

    const basic = await app.rampart.guards.check(
      new Request("https://app.test/x", {
        headers: {
          authorization: "Basic " + Buffer.from(`alice@x.test:${PASSWORD}`).toString("base64"),
          accept: "application/json",
        },
      }),
      app.rampart.guards.authRequired("basic"),
    );
    assert.equal(basic.ok, false);

    remembered.jar.delete("__Host-rampart_session");
    assert.equal((await remembered.get("/api/protected", { acceptJson: true })).status, 401);

    blocked = new Set();
    assert.equal((await app.client().login("alice@x.test", PASSWORD)).status, 200);
  });

  it("an interrupting check (second factor required) logs nobody in and grants nothing", async () => {
    const tf: Feature = {
      name: "test-2fa",
      signInChecks: () => [
        {
          name: "test-second-factor",
          run: async () => ({ kind: "interrupt", response: { tf_required: true, tf_state: "setup_from_login" } }),
        },
      ],
    };
    const app = await createTestApp({ features: [tf] });
    apps.push(app);
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const c = app.client();
    const r = await c.login("alice@x.test", PASSWORD, {}, "?include_auth_token");
    assert.equal(r.status, 200);
    assert.equal(r.json.response.tf_required, true);
    assert.equal(r.json.response.user, undefined);
    assert.ok(!r.setCookies.some((s) => s.startsWith("__Host-rampart_session=") && !/Max-Age=0/.test(s)));
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });
});

describe("hooks and events", () => {
  it("a before hook vetoes login in the contract's shape; events fire with the user", async () => {
    const app = await createTestApp({
      config: { returnGenericResponses: false },
      hooks: {
        before: {
          login: ({ user }) =>
            user?.email === "bob@x.test"
              ? { message: "Bob is on holiday", field: "email", code: "ON_HOLIDAY" }
              : undefined,
        },
      },
    });
    apps.push(app);
    const seen: string[] = [];
    app.rampart.events.on(
      "user_authenticated",
      ({ user, authnVia }) => void seen.push(`in:${user.email}:${authnVia.join(",")}`),
    );
    app.rampart.events.on("user_failed_authn", ({ identity }) => void seen.push(`fail:${identity}`));
    app.rampart.events.on("user_unauthenticated", ({ user }) => void seen.push(`out:${user.email}`));
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    await app.rampart.api.createUser({ email: "bob@x.test", password: PASSWORD });
    const vetoed = await app.client().login("bob@x.test", PASSWORD);
    assert.equal(vetoed.status, 400);
    assert.deepEqual(vetoed.json.response.field_errors, { email: ["Bob is on holiday"] });
    assert.deepEqual(vetoed.json.response.error_codes, ["ON_HOLIDAY"]);
    const c = app.client();
    const r = await c.login("alice@x.test", PASSWORD);
    await app.client().login("alice@x.test", "wrong one!");
    await c.post("/logout", { json: {}, headers: { "x-csrf-token": r.json.response.csrf_token } });
    assert.deepEqual(seen, ["in:alice@x.test:password", "fail:alice@x.test", "out:alice@x.test"]);
  });

  it("non-generic mode gives Flask-Security's specific messages", async () => {
    const app = await createTestApp({ config: { returnGenericResponses: false } });
    apps.push(app);
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    await app.rampart.api.createUser({ email: "off@x.test", password: PASSWORD, active: false });
    let r = await app.client().login("nobody@x.test", PASSWORD);
    assert.deepEqual(r.json.response.field_errors.email, ["Specified user does not exist"]);
    r = await app.client().login("alice@x.test", "wrong one!");
    assert.deepEqual(r.json.response.field_errors.password, ["Invalid password"]);
    r = await app.client().login("off@x.test", PASSWORD);
    assert.deepEqual(r.json.response.field_errors.email, ["Account is disabled."]);
  });
});
