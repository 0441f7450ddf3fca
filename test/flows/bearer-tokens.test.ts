import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { twoFactorFeature } from "../../src/features/two-factor/index.js";
import { changePasswordFeature } from "../../src/features/change-password/index.js";

const PASSWORD = "correct horse battery";
const EMAIL = "Bearer-Tok.en+api@Sub.Example.test";
const OTHER = "change.Me-1@x-y.example.test";
const SECOND = "second.user@api.example.test";
const INVALID_TOKEN = 'Bearer error="invalid_token"';

for (const dialect of flowDialects()) {
  describe(`Authorization: Bearer (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: {
          // Item under test here is where the token is read; CSRF for token clients is covered in csrf-tokens.
          csrf: { protectMechanisms: ["session", "basic"] },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          twoFactor: { enabled: true },
          changePassword: { enabled: true },
        } as never,
        features: [twoFactorFeature, changePasswordFeature],
      });
      await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
    });
    after(() => app.close());

    async function freshToken(email = EMAIL.toLowerCase()): Promise<string> {
      const r = await app.client().login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      return r.json.response.user.authentication_token as string;
    }

    const guarded = (method: string, headers: Record<string, string>, url = "https://app.test/api/thing") =>
      app.rampart.guards.check(
        new Request(url, {
          method,
          headers: { accept: "application/json", ...headers },
          ...(method === "POST" ? { body: "{}" } : {}),
        }),
        app.rampart.guards.authRequired("token"),
      );

    it("authenticates app routes (GET and POST) and Rampart's endpoints; the scheme is case-insensitive", async () => {
      const token = await freshToken();
      const c = app.client();
      for (const scheme of ["Bearer", "bearer", "BEARER"]) {
        const r = await c.get("/api/protected", { acceptJson: true, headers: { authorization: `${scheme} ${token}` } });
        assert.equal(r.status, 200, `${scheme}: ${r.body}`);
        assert.equal(r.json.response.via, "token");
      }
      for (const method of ["GET", "POST"]) {
        const g = await guarded(method, { authorization: `Bearer ${token}`, "content-type": "application/json" });
        assert.equal(g.ok, true, method);
        if (g.ok) assert.equal(g.mechanism, "token");
      }
      const sessions = await c.get("/sessions", { acceptJson: true, headers: { authorization: `Bearer ${token}` } });
      assert.equal(sessions.status, 200, sessions.body);
      const tf = await c.get("/tf-setup", { acceptJson: true, headers: { authorization: `bearer ${token}` } });
      assert.equal(tf.status, 200, tf.body);
      const revoke = await c.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(revoke.status, 200, revoke.body);
      // A password change by Bearer (another user, so the others keep their password).
      await app.rampart.api.createUser({ email: OTHER, password: PASSWORD });
      const login = await app.client().login(OTHER, PASSWORD, {}, "?include_auth_token");
      const other = login.json.response.user.authentication_token as string;
      const change = await c.post("/change", {
        json: { password: PASSWORD, new_password: PASSWORD + " two", new_password_confirm: PASSWORD + " two" },
        headers: { authorization: `Bearer ${other}` },
      });
      assert.equal(change.status, 200, change.body);
      // The change rotated the uniquifier: the old token is dead by Bearer as by the FS header.
      const dead = await c.get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${other}` } });
      assert.equal(dead.status, 401);
    });

    it("a junk, cross-purpose or expired Bearer token gets 401 with the RFC 6750 challenge", async () => {
      const c = app.client();
      const csrf = await c.csrf();
      const rt = app.runtime;
      const refreshLike = rt.signer.sign("refresh-token", { f: "x", g: 1, s: "y" }, Math.floor(Date.now() / 1000));
      for (const bad of ["junk", "a.b.c", csrf, refreshLike]) {
        const r = await app
          .client()
          .get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${bad}` } });
        assert.equal(r.status, 401, bad);
        assert.deepEqual(r.json.response.error_codes, ["UNAUTHENTICATED"]);
        assert.equal(r.headers.get("www-authenticate"), INVALID_TOKEN);
      }
      const token = await freshToken();
      app.advance(rt.config.token.maxAgeSeconds + 1);
      try {
        const r = await app
          .client()
          .get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 401);
        assert.equal(r.headers.get("www-authenticate"), INVALID_TOKEN);
        const g = await guarded("POST", { authorization: `Bearer ${token}` });
        assert.equal(g.ok, false);
        if (!g.ok) assert.equal(g.response.headers.get("www-authenticate"), INVALID_TOKEN);
      } finally {
        app.advance(-(rt.config.token.maxAgeSeconds + 1));
      }
    });

    it("no token keeps today's 401 without a Bearer challenge; Basic still reaches basic auth", async () => {
      const none = await app.client().get("/api/protected", { acceptJson: true });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), null);
      // The FS header with a bad token: no Bearer challenge (the client did not speak RFC 6750).
      const fs = await app
        .client()
        .get("/api/protected", { acceptJson: true, headers: { "authentication-token": "junk" } });
      assert.equal(fs.status, 401);
      assert.equal(fs.headers.get("www-authenticate"), null);
      const basic = await app.rampart.guards.check(
        new Request("https://app.test/api/basic", {
          headers: {
            authorization: "Basic " + Buffer.from(`${EMAIL}:${PASSWORD}`).toString("base64"),
            accept: "application/json",
          },
        }),
        app.rampart.guards.authRequired("token", "basic"),
      );
      assert.equal(basic.ok, true);
      if (basic.ok) assert.equal(basic.mechanism, "basic");
    });

    it("two different tokens in one request are refused (401), the same token twice is fine", async () => {
      await app.rampart.api.createUser({ email: SECOND, password: PASSWORD });
      const a = await freshToken();
      const b = await freshToken(SECOND);
      assert.notEqual(a, b);
      const c = app.client();
      const two = await c.get("/api/protected", {
        acceptJson: true,
        headers: { authorization: `Bearer ${a}`, "authentication-token": b },
      });
      assert.equal(two.status, 401);
      assert.deepEqual(two.json.response.error_codes, ["UNAUTHENTICATED"]);
      assert.equal(two.headers.get("www-authenticate"), 'Bearer error="invalid_request"');
      const viaQuery = await c.get(`/api/protected?auth_token=${encodeURIComponent(b)}`, {
        acceptJson: true,
        headers: { authorization: `Bearer ${a}` },
      });
      assert.equal(viaQuery.status, 401);
      const same = await c.get("/api/protected", {
        acceptJson: true,
        headers: { authorization: `Bearer ${a}`, "authentication-token": a },
      });
      assert.equal(same.status, 200, same.body);
    });
  });
}

describe("token presentation switches", () => {
  const apps: TestApp[] = [];
  after(() => Promise.all(apps.map((a) => a.close())));
  async function appWith(token: Record<string, unknown>) {
    const app = await createTestApp({ config: { token } as never });
    apps.push(app);
    await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
    const r = await app.client().login(EMAIL, PASSWORD, {}, "?include_auth_token");
    return { app, token: r.json.response.user.authentication_token as string };
  }

  it("queryString: false refuses ?auth_token= while the header and Bearer still work", async () => {
    const { app, token } = await appWith({ queryString: false });
    const c = app.client();
    const q = await c.get(`/api/protected?auth_token=${encodeURIComponent(token)}`, { acceptJson: true });
    assert.equal(q.status, 401);
    const h = await c.get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } });
    assert.equal(h.status, 200);
    const b = await c.get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${token}` } });
    assert.equal(b.status, 200);
  });

  it("bearer: false ignores Authorization: Bearer; a custom TOKEN_AUTHENTICATION_HEADER is honoured", async () => {
    const { app, token } = await appWith({ bearer: false, header: "X-Api-Token" });
    const c = app.client();
    const b = await c.get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${token}` } });
    assert.equal(b.status, 401);
    assert.equal(b.headers.get("www-authenticate"), null);
    const h = await c.get("/api/protected", { acceptJson: true, headers: { "x-api-token": token } });
    assert.equal(h.status, 200);
    const old = await c.get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } });
    assert.equal(old.status, 401);
  });

  it("TOKEN_AUTHENTICATION_HEADER=Authorization: the raw token and Bearer both work, one token not two", async () => {
    const { app, token } = await appWith({ header: "Authorization" });
    const c = app.client();
    for (const value of [token, `Bearer ${token}`]) {
      const r = await c.get("/api/protected", { acceptJson: true, headers: { authorization: value } });
      assert.equal(r.status, 200, `${value.slice(0, 10)}: ${r.body}`);
    }
  });
});
