import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { changePasswordFeature } from "../../src/features/change-password/index.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";

const PASSWORD = "correct horse battery";
const NEW = { password: PASSWORD, new_password: PASSWORD + " two", new_password_confirm: PASSWORD + " two" };

async function appWith(dialect: "sqlite" | "postgres" | "mysql", config: RampartConfigInput = {}): Promise<TestApp> {
  return createTestApp({
    dialect,
    config: { changePassword: { enabled: true }, ...config } as never,
    features: [changePasswordFeature],
  });
}

for (const dialect of flowDialects()) {
  describe(`CSRF for token callers (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await appWith(dialect);
    });
    after(() => app.close());

    /** A new user (each /change rotates its uniquifier) and a token from a JSON sign-in. */
    async function userWithToken() {
      const email = `Token.Client-${++n}+csrf@Api.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const browser = app.client();
      const login = await browser.login(email, PASSWORD, { remember: true }, "?include_auth_token");
      assert.equal(login.status, 200, login.body);
      return { browser, token: login.json.response.user.authentication_token as string };
    }

    it("a cookieless token client posts without a CSRF token (Bearer, FS header, JSON body key)", async () => {
      for (const how of ["bearer", "header", "body"] as const) {
        const { token } = await userWithToken();
        const r = await app.client().post("/change", {
          json: how === "body" ? { ...NEW, auth_token: token } : NEW,
          headers:
            how === "bearer"
              ? { authorization: `Bearer ${token}` }
              : how === "header"
                ? { "authentication-token": token }
                : {},
        });
        assert.equal(r.status, 200, `${how}: ${r.body}`);
      }
    });

    it("with the session or remember cookie attached, the token caller needs CSRF as configured", async () => {
      const { browser, token } = await userWithToken();
      const { cookieName, rememberCookieName } = app.runtime.config.session;
      const withSession = await browser.post("/change", { json: NEW, headers: { authorization: `Bearer ${token}` } });
      assert.equal(withSession.status, 400, withSession.body);
      assert.deepEqual(withSession.json.response.error_codes, ["CSRF_MISSING"]);
      // A token-only app route: the caller is the token, but the browser's session cookie rides along.
      const sessionPair = browser
        .cookieHeader()
        .split("; ")
        .find((pair) => pair.startsWith(`${cookieName}=`));
      assert.ok(sessionPair);
      for (const cookie of [sessionPair, `${rememberCookieName}=whatever`]) {
        const g = await app.rampart.guards.check(
          new Request("https://app.test/api/thing", {
            method: "POST",
            headers: {
              accept: "application/json",
              "content-type": "application/json",
              authorization: `Bearer ${token}`,
              cookie,
            },
            body: "{}",
          }),
          app.rampart.guards.authRequired("token"),
        );
        assert.equal(g.ok, false, cookie);
        if (!g.ok) {
          assert.equal(g.response.status, 400);
          assert.deepEqual(((await g.response.json()) as any).response.error_codes, ["CSRF_MISSING"]);
        }
      }
      // The unrelated anonymous CSRF cookie is no credential: still exempt.
      const anon = app.client();
      await anon.csrf();
      const ok = await app.rampart.guards.check(
        new Request("https://app.test/api/thing", {
          method: "POST",
          headers: {
            accept: "application/json",
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
            cookie: anon.cookieHeader(),
          },
          body: "{}",
        }),
        app.rampart.guards.authRequired("token"),
      );
      assert.equal(ok.ok, true);
    });

    it("the cross-site check leaves cookieless token clients alone and still stops cookie-bearing ones", async () => {
      const { browser, token } = await userWithToken();
      const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
      const cookieless = await app.client().post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { authorization: `Bearer ${token}`, ...evil },
      });
      assert.equal(cookieless.status, 200, cookieless.body);
      const withCookies = await browser.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { authorization: `Bearer ${token}`, ...evil },
      });
      assert.equal(withCookies.status, 403);
      assert.deepEqual(withCookies.json.response.error_codes, ["CSRF_ORIGIN"]);
    });
  });
}

describe("csrf.exemptCookielessTokens: false (FS behaviour)", () => {
  let app: TestApp;
  before(async () => {
    app = await appWith("sqlite", { csrf: { exemptCookielessTokens: false } });
    await app.rampart.api.createUser({ email: "fs.mode@x.test", password: PASSWORD });
  });
  after(() => app.close());

  it("a cookieless token POST without CSRF is refused (400 CSRF_MISSING); the mechanism list decides", async () => {
    const login = await app.client().login("fs.mode@x.test", PASSWORD, {}, "?include_auth_token");
    const token = login.json.response.user.authentication_token as string;
    const r = await app.client().post("/change", { json: NEW, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.error_codes, ["CSRF_MISSING"]);
  });
});
