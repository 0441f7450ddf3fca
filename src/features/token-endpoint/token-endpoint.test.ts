import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";

const PASSWORD = "correct horse battery";
const EMAIL = "Token.User-1+api@Sub.Example.test";
const MAX_AGE = 900;
const SESSION_LIFETIME = 2000;

const basic = (email: string, password: string) =>
  "Basic " + Buffer.from(`${email}:${password}`, "utf8").toString("base64");

for (const dialect of flowDialects()) {
  describe(`token endpoint (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: {
          tokenEndpoint: { enable: true },
          apiEnabledMethods: ["session", "token", "basic"],
          token: { maxAgeSeconds: MAX_AGE },
          session: { absoluteTimeoutSeconds: SESSION_LIFETIME, idleTimeoutSeconds: SESSION_LIFETIME },
          profile: { enable: true },
        },
      });
      await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
    });
    after(() => app?.close());

    async function signInToken(): Promise<string> {
      const r = await app.client().login(EMAIL, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      return r.json.response.user.authentication_token as string;
    }

    const withToken = (token: string) => ({ acceptJson: true, headers: { "authentication-token": token } });

    it("anonymous: 401 on GET and POST, no token", async () => {
      const get = await app.client().get("/token", { acceptJson: true });
      assert.equal(get.status, 401);
      assert.equal(get.json.response.authentication_token, undefined);
      const post = await app.client().post("/token", { json: {} });
      assert.equal(post.status, 401);
    });

    it("a token caller gets a working Bearer token by GET that ends when the presented token ends", async () => {
      const token = await signInToken();
      app.advance(600);
      const r = await app.client().get("/token", withToken(token));
      assert.equal(r.status, 200, r.body);
      const answer = r.json.response;
      assert.deepEqual(Object.keys(answer).sort(), ["authentication_token", "expires_at", "expires_in", "token_type"]);
      assert.equal(answer.token_type, "Bearer");
      assert.ok(answer.expires_in > 290 && answer.expires_in <= 300, `expires_in ${answer.expires_in}`);
      const expiresAt = Date.parse(answer.expires_at);
      assert.ok(Math.abs(expiresAt - (Date.now() + 600_000 + answer.expires_in * 1000)) < 2000);
      assert.equal(answer.expires_at, new Date(expiresAt).toISOString(), "ISO 8601 in UTC");
      const profile = await app.client().get("/profile", withToken(answer.authentication_token));
      assert.equal(profile.status, 200);
      assert.equal(profile.json.response.user.email, (await app.rampart.api.findUser(EMAIL))!.email);
      // Past the first token's end the new one is refused too: /token never extends a lifetime.
      app.advance(answer.expires_in + 1);
      assert.equal((await app.client().get("/profile", withToken(answer.authentication_token))).status, 401);
      assert.equal((await app.client().get("/token", withToken(answer.authentication_token))).status, 401);
    });

    it("a session caller: GET answers 405 with Allow: POST; POST needs the CSRF token", async () => {
      const c = app.client();
      const login = await c.login(EMAIL, PASSWORD);
      assert.equal(login.status, 200, login.body);
      const csrf = login.json.response.csrf_token as string;

      const get = await c.get("/token", { acceptJson: true });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get("allow"), "POST");
      assert.equal(get.json.response.authentication_token, undefined);
      assert.deepEqual(get.json.response.error_codes, ["TOKEN_ENDPOINT_POST_REQUIRED"]);
      assert.ok(!get.body.includes("authentication_token"));

      const noCsrf = await c.post("/token", { json: {} });
      assert.equal(noCsrf.status, 400);
      assert.equal(noCsrf.json.response.authentication_token, undefined);

      const post = await c.post("/token", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(post.status, 200, post.body);
      assert.equal(post.json.response.token_type, "Bearer");
      const profile = await app.client().get("/profile", withToken(post.json.response.authentication_token));
      assert.equal(profile.status, 200);

      // A form post with the csrf_token field works the same way.
      const form = await c.post("/token", { form: { csrf_token: csrf }, headers: { accept: "application/json" } });
      assert.equal(form.status, 200, form.body);
      assert.equal(form.json.response.token_type, "Bearer");
    });

    it("a GET carrying both a session cookie and a token is answered for the token", async () => {
      const c = app.client();
      assert.equal((await c.login(EMAIL, PASSWORD)).status, 200);
      const token = await signInToken();
      const r = await c.get("/token", withToken(token));
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.expires_in <= MAX_AGE);
    });

    it("a token minted from a session expires with the session (absolute lifetime), even near its end", async () => {
      const c = app.client();
      const login = await c.login(EMAIL, PASSWORD);
      const csrf = login.json.response.csrf_token as string;
      app.advance(SESSION_LIFETIME - 100);
      const r = await c.post("/token", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.expires_in > 90 && r.json.response.expires_in <= 100, `${r.json.response.expires_in}`);
      const token = r.json.response.authentication_token as string;
      assert.equal((await app.client().get("/profile", withToken(token))).status, 200);
      app.advance(101);
      assert.equal((await c.get("/profile", { acceptJson: true })).status, 401, "the session has ended");
      assert.equal((await app.client().get("/profile", withToken(token))).status, 401, "and so has its token");
    });

    it("the new token carries the original sign-in time and methods: it is no fresher than the session", async () => {
      const c = app.client();
      const login = await c.login(EMAIL, PASSWORD);
      const csrf = login.json.response.csrf_token as string;
      const user = (await app.rampart.api.findUser(EMAIL))!;
      const session = (await app.rampart.api.listSessions(user)).reduce((a, b) => (a.createdAt >= b.createdAt ? a : b));
      app.advance(300);
      const r = await c.post("/token", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers.get("cache-control"), "private, no-store");
      const asked = (requirement = {}) =>
        app.rampart.guards.check(
          new Request("https://app.test/api/x", {
            headers: { "authentication-token": r.json.response.authentication_token },
          }),
          requirement,
        );
      const outcome = await asked();
      assert.ok(outcome.ok);
      assert.equal(outcome.via, "token");
      assert.deepEqual(outcome.amr, ["pwd"]);
      const signedInAt = Math.floor(session.authenticatedAt.getTime() / 1000);
      assert.equal(outcome.authenticatedAt?.getTime(), signedInAt * 1000);
      assert.equal(outcome.tokenExpiresAt?.toISOString(), r.json.response.expires_at);
      const fresh = await asked(app.rampart.guards.freshRequired(60));
      assert.equal(fresh.ok, false, "a sign-in 300 s ago is not fresh within 60 s, through the new token either");
    });

    it("HTTP basic: GET answers a token of the full lifetime; a wrong password gets 401", async () => {
      const r = await app
        .client()
        .get("/token", { acceptJson: true, headers: { authorization: basic(EMAIL, PASSWORD) } });
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.expires_in > MAX_AGE - 5 && r.json.response.expires_in <= MAX_AGE);
      const bad = await app
        .client()
        .get("/token", { acceptJson: true, headers: { authorization: basic(EMAIL, "wrong password") } });
      assert.equal(bad.status, 401);
      assert.equal(bad.json.response.authentication_token, undefined);
    });

    it("a garbage or tampered token is a 401, never a 500", async () => {
      const token = await signInToken();
      for (const bad of [token.slice(0, -2) + "xx", "not-a-token", "a".repeat(5000), "%00"]) {
        const r = await app.client().get("/token", withToken(bad));
        assert.equal(r.status, 401, bad.slice(0, 20));
      }
      const body = await app
        .client()
        .post("/token", { rawBody: "{not json", headers: { "content-type": "application/json" } });
      assert.ok(body.status === 400 || body.status === 401, String(body.status));
    });
  });
}

describe("token endpoint switched off (the default)", () => {
  it("is not served", async () => {
    const app = await createTestApp();
    try {
      const r = await app.client().get("/token", { acceptJson: true });
      assert.equal(r.status, 404);
    } finally {
      await app.close();
    }
  });
});
