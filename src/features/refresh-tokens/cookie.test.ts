import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { PASSWORD, newUser, reasonOf } from "./testing/kit.js";

/**
 * Cookie mode (the default, for SPAs): the refresh token lives in the HttpOnly `__Host-fs_refresh` cookie (the
 * `__Host-` prefix because it is Secure: no sibling subdomain can plant one).
 */
const NAME = "__Host-fs_refresh";
const refreshCookieOf = (setCookies: string[]) => setCookies.find((c) => c.startsWith(`${NAME}=`));

for (const dialect of flowDialects()) {
  describe(`refresh tokens in the __Host-fs_refresh cookie (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: { refreshTokens: { enabled: true }, lockout: { threshold: 100 } } });
    });
    after(() => app.close());

    const signIn = async (c: TestClient, email: string) => {
      const r = await c.login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      return r;
    };
    const refresh = async (c: TestClient, body: Record<string, unknown> = {}) =>
      c.post("/refresh-token", { json: body, headers: { "x-csrf-token": await c.csrf() } });

    it("sign-in sets __Host-fs_refresh HttpOnly, Secure, SameSite=Strict, Path=/ and keeps it out of the JSON", async () => {
      const c = app.client();
      const r = await signIn(c, await newUser(app, "Spa.User"));
      assert.ok(r.json.response.user.authentication_token);
      assert.equal(r.json.response.user.refresh_token, undefined);
      const cookie = refreshCookieOf(r.setCookies);
      assert.ok(cookie, r.setCookies.join("\n"));
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /; Secure/i);
      assert.match(cookie, /; SameSite=Strict/i);
      assert.match(cookie, /; Path=\//i);
      assert.match(cookie, /; Max-Age=7776000/i);
      assert.match(r.headers.get("vary") ?? "", /Cookie/);
    });

    it("refreshes from the cookie (a new cookie each time), ignores a body token, and needs a CSRF token", async () => {
      const c = app.client();
      await signIn(c, await newUser(app, "Spa.Refresh"));
      const before = c.jar.get(NAME);

      const noCsrf = await c.post("/refresh-token", { json: {} });
      assert.equal(noCsrf.status, 400, noCsrf.body);
      assert.ok(noCsrf.json.response.field_errors.csrf_token, noCsrf.body);
      assert.equal(c.jar.get(NAME), before, "refused before the token was looked at");

      const r = await refresh(c, { refresh_token: "junk in the body is ignored" });
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.user.authentication_token);
      assert.equal(r.json.response.user.refresh_token, undefined);
      const after = c.jar.get(NAME);
      assert.ok(after && after !== before);
      assert.match(refreshCookieOf(r.setCookies)!, /; HttpOnly/i);

      // The old cookie value, replayed by whoever copied it, is reuse: the family ends.
      const thief = app.client();
      thief.jar.set(NAME, before!);
      assert.equal(reasonOf(await refresh(thief)), "GEN_MISMATCH");
      assert.equal(reasonOf(await refresh(c)), "REVOKED");
    });

    it("a body token without the cookie is not read in cookie mode", async () => {
      const c = app.client();
      await signIn(c, await newUser(app, "Spa.Body"));
      const token = c.jar.get(NAME)!;
      const other = app.client();
      const r = await refresh(other, { refresh_token: token });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.error_codes, ["REFRESH_TOKEN_NOT_PROVIDED"]);
    });

    it("logout clears the cookie and revokes its family", async () => {
      const c = app.client();
      const signedIn = await signIn(c, await newUser(app, "Spa.Logout"));
      const token = c.jar.get(NAME)!;
      const out = await c.post("/logout", { json: {}, headers: { "x-csrf-token": signedIn.json.response.csrf_token } });
      assert.equal(out.status, 200, out.body);
      assert.match(refreshCookieOf(out.setCookies) ?? "", /Max-Age=0/i);
      assert.equal(c.jar.get(NAME), undefined);
      const replay = app.client();
      replay.jar.set(NAME, token);
      assert.equal(reasonOf(await refresh(replay)), "REVOKED");
    });
  });
}

describe("refresh cookie attributes from configuration", () => {
  it("Secure follows SESSION_COOKIE_SECURE unless set; SameSite and the name are configurable", async () => {
    const app = await createTestApp({
      config: {
        refreshTokens: { enabled: true, cookieName: "app_refresh", cookie: { sameSite: "Lax" } },
        session: { cookieSecure: false },
      },
    });
    try {
      const c = app.client();
      const r = await c.login(await newUser(app, "Dev.Cookie"), PASSWORD, {}, "?include_auth_token");
      const cookie = r.setCookies.find((x) => x.startsWith("app_refresh="));
      assert.ok(cookie, r.setCookies.join("\n"));
      assert.doesNotMatch(cookie, /; Secure/i);
      assert.match(cookie, /; SameSite=Lax/i);
      const again = await c.post("/refresh-token", { json: {}, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(again.status, 200, again.body);
    } finally {
      await app.close();
    }
  });
});

describe("the refresh cookie's default name", () => {
  for (const [secure, name] of [
    [true, "__Host-fs_refresh"],
    [false, "fs_refresh"],
  ] as const)
    it(`is ${name} when the cookie is${secure ? "" : " not"} Secure; a configured fs_refresh is used as given`, async () => {
      for (const cookieName of [undefined, "fs_refresh"]) {
        const app = await createTestApp({
          config: { refreshTokens: { enabled: true, ...(cookieName ? { cookieName } : {}), cookie: { secure } } },
        });
        try {
          const r = await app.client().login(await newUser(app, "Cookie.Name"), PASSWORD, {}, "?include_auth_token");
          const names = r.setCookies.map((x) => x.slice(0, x.indexOf("=")));
          assert.ok(names.includes(cookieName ?? name), `${cookieName}: ${names.join(", ")}`);
        } finally {
          await app.close();
        }
      }
    });
});
