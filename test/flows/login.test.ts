import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";

const EMAIL = "matt@lp.com";
const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`login, tokens and logout (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect });
      await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
      await app.rampart.api.createUser({ email: "inactive@lp.com", password: PASSWORD, active: false });
    });
    after(() => app.close());

    it("GET /login as JSON gives a CSRF token and identity attributes, no user, no-store", async () => {
      const c = app.client();
      const r = await c.get("/login", { acceptJson: true });
      assert.equal(r.status, 200);
      assert.equal(r.json.meta.code, 200);
      assert.deepEqual(r.json.response.identity_attributes, ["email"]);
      assert.equal(typeof r.json.response.csrf_token, "string");
      assert.equal(r.json.response.user, undefined);
      assert.equal(r.headers.get("cache-control"), "private, no-store");
    });

    it("JSON login without a CSRF token is refused and logs nobody in", async () => {
      const c = app.client();
      // A browser: it holds the cookie of its earlier visit (a client without any cookie is an API client, exempt).
      await c.get("/login", { acceptJson: true });
      assert.ok(c.jar.size > 0);
      const r = await c.post("/login", { json: { email: EMAIL, password: PASSWORD } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["CSRF_MISSING"]);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("JSON login with CSRF signs in with a hardened session cookie", async () => {
      const c = app.client();
      const r = await c.login(EMAIL, PASSWORD);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "tf_required", "user"]);
      assert.equal(r.json.response.tf_required, false);
      assert.equal(r.json.response.user.email, EMAIL);
      assert.equal(r.json.response.user.authentication_token, undefined);
      const cookie = r.setCookies.find((s) => s.startsWith("__Host-rampart_session="));
      assert.ok(cookie, "session cookie set");
      assert.match(cookie!, /HttpOnly/);
      assert.match(cookie!, /Secure/);
      assert.match(cookie!, /SameSite=Lax/);
      assert.match(cookie!, /Path=\//);
      const p = await c.get("/api/protected", { acceptJson: true });
      assert.equal(p.status, 200);
      assert.equal(p.json.response.via, "session");
    });

    it("the session cookie's value is random and only its hash is stored", async () => {
      const c = app.client();
      await c.login(EMAIL, PASSWORD);
      const token = c.jar.get("__Host-rampart_session")!;
      assert.ok(token.length >= 43);
      const user = (await app.rampart.api.findUser(EMAIL))!;
      const sessions = await app.rampart.api.listSessions(user);
      assert.ok(sessions.length >= 1);
      for (const s of sessions) assert.notEqual(s.tokenHash, token);
      assert.ok(!JSON.stringify(sessions).includes(token));
    });

    it("email lookup is case-insensitive", async () => {
      const c = app.client();
      assert.equal((await c.login("MATT@LP.com", PASSWORD)).status, 200);
    });

    it("failures are generic by default: unknown user, wrong password and inactive look the same", async () => {
      const bodies: string[] = [];
      for (const [email, password] of [
        ["nobody@lp.com", PASSWORD],
        [EMAIL, "wrong password!"],
        ["inactive@lp.com", PASSWORD],
      ] as const) {
        const r = await app.client().login(email, password);
        assert.equal(r.status, 400);
        assert.deepEqual(Object.keys(r.json.response.field_errors), [""]);
        assert.deepEqual(r.json.response.error_codes, ["GENERIC_AUTHN_FAILED"]);
        assert.equal(r.json.response.errors[0], "Authentication failed - identity or password/passcode invalid");
        bodies.push(JSON.stringify(r.json));
      }
      assert.equal(new Set(bodies).size, 1);
    });

    it("shape errors name their field", async () => {
      const c = app.client();
      const csrf = await c.csrf();
      const h = { "x-csrf-token": csrf };
      let r = await c.post("/login", { json: { email: EMAIL, password: "" }, headers: h });
      assert.deepEqual(r.json.response.field_errors.password, ["Password not provided"]);
      r = await c.post("/login", { json: { email: "dude", password: "x" }, headers: h });
      assert.deepEqual(r.json.response.field_errors.email, ["Invalid email address"]);
    });

    it("include_auth_token returns a token usable by header, query and JSON body", async () => {
      const c = app.client();
      const r = await c.login(EMAIL, PASSWORD, {}, "?include_auth_token");
      const token = r.json.response.user.authentication_token as string;
      assert.equal(typeof token, "string");
      const anon = app.client();
      assert.equal(
        (await anon.get("/api/protected", { headers: { "authentication-token": token }, acceptJson: true })).json
          .response.via,
        "token",
      );
      assert.equal(
        (await anon.get(`/api/protected?auth_token=${encodeURIComponent(token)}`, { acceptJson: true })).status,
        200,
      );
      // JSON body key: a Rampart POST endpoint authenticated by token (sessions list is GET, so use revoke).
      const revoke = await anon.post("/sessions/revoke", { json: { auth_token: token, scope: "others" } });
      // A cookieless token client is not asked for CSRF (issue 12; csrf.exemptCookielessTokens, see csrf-tokens).
      assert.equal(revoke.status, 200, revoke.body);
    });

    it("forged, tampered and expired tokens get 401 JSON", async () => {
      const c = app.client();
      const r = await c.login(EMAIL, PASSWORD, {}, "?include_auth_token");
      const token = r.json.response.user.authentication_token as string;
      const anon = app.client();
      for (const bad of ["X", token.slice(0, -2) + (token.endsWith("A") ? "BB" : "AA"), "e30.AAAA", "%E0%A4%A"]) {
        const res = await anon.get("/api/protected", { headers: { "authentication-token": bad }, acceptJson: true });
        assert.equal(res.status, 401, bad);
        assert.deepEqual(res.json.response.errors, ["You must sign in to view this resource."]);
      }
      app.advance(15 * 60 + 5);
      const expired = await anon.get("/api/protected", {
        headers: { "authentication-token": token },
        acceptJson: true,
      });
      app.advance(-(15 * 60 + 5));
      assert.equal(expired.status, 401);
    });

    it("GET never returns a token, even when asked", async () => {
      const c = app.client();
      await c.login(EMAIL, PASSWORD);
      const r = await c.get("/login?include_auth_token", { acceptJson: true });
      assert.equal(r.status, 200);
      assert.equal(r.json.response.user.email, EMAIL);
      assert.equal(r.json.response.user.authentication_token, undefined);
    });

    it("an authenticated POST /login is refused (JSON 400, form redirect ignoring next)", async () => {
      const c = app.client();
      const r1 = await c.login(EMAIL, PASSWORD);
      const csrf = r1.json.response.csrf_token;
      const r = await c.post("/login", {
        json: { email: EMAIL, password: PASSWORD },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.errors, ["You can only access this endpoint when not logged in."]);
      const f = await c.post("/login?next=/elsewhere", {
        form: { email: EMAIL, password: PASSWORD, csrf_token: csrf },
      });
      assert.equal(f.status, 302);
      assert.equal(f.location, "/");
    });

    it("logout needs CSRF, ends the session server-side and replaying the old cookie fails", async () => {
      const c = app.client();
      const login = await c.login(EMAIL, PASSWORD);
      const stolen = c.cookieHeader();
      const noCsrf = await c.post("/logout", { json: {} });
      assert.equal(noCsrf.status, 400);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      const r = await c.post("/logout", { json: {}, headers: { "x-csrf-token": login.json.response.csrf_token } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { meta: { code: 200 }, response: {} });
      assert.ok(r.setCookies.some((s) => s.startsWith("__Host-rampart_session=;") && /Max-Age=0/.test(s)));
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      const replay = await app.client().get("/api/protected", { acceptJson: true, headers: { cookie: stolen } });
      assert.equal(replay.status, 401);
    });

    it("GET /logout as JSON is 405; logout's next is checked", async () => {
      const c = app.client();
      assert.equal((await c.get("/logout", { acceptJson: true })).status, 405);
      const login = await c.login(EMAIL, PASSWORD);
      const r = await c.post("/logout?next=http://google.com", {
        form: { csrf_token: login.json.response.csrf_token },
      });
      assert.equal(r.status, 302);
      assert.ok(!r.location!.includes("google.com"));
    });

    it("a client-chosen session cookie is never adopted and a new login gets a fresh id", async () => {
      const c = app.client();
      c.jar.set("__Host-rampart_session", "A".repeat(43));
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      await c.login(EMAIL, PASSWORD);
      assert.notEqual(c.jar.get("__Host-rampart_session"), "A".repeat(43));
      const first = c.jar.get("__Host-rampart_session")!;
      const csrf = (await c.get("/login", { acceptJson: true })).json.response.csrf_token;
      await c.post("/logout", { json: {}, headers: { "x-csrf-token": csrf } });
      await c.login(EMAIL, PASSWORD);
      assert.notEqual(c.jar.get("__Host-rampart_session"), first);
      const old = await app
        .client()
        .get("/api/protected", { acceptJson: true, headers: { cookie: `__Host-rampart_session=${first}` } });
      assert.equal(old.status, 401);
    });

    it("unauthenticated HTML callers are redirected to the login page with next", async () => {
      const r = await app.client().get("/api/protected?x=1");
      assert.equal(r.status, 302);
      assert.equal(r.location, "/login?next=%2Fapi%2Fprotected%3Fx%3D1");
    });

    it("login and failure write audit events without secrets", async () => {
      const user = (await app.rampart.api.findUser(EMAIL))!;
      const events = await app.rampart.api.auditEvents({ userId: user.id, event: "login" });
      assert.ok(events.some((e) => e.outcome === "success"));
      assert.ok(events.some((e) => e.outcome === "failure"));
      assert.ok(!JSON.stringify(events).includes(PASSWORD));
    });
  });
}
