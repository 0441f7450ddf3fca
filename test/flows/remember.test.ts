import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";

/**
 * Remember-me cookies are bound to a database record: a copy of the cookie (a stolen one) dies with every
 * revocation of the browser it came from, and remembering never extends itself past its first lifetime.
 */
const PASSWORD = "correct horse battery";
const DAY = 86_400;

for (const dialect of flowDialects()) {
  describe(`remember-me cookies are revocable and capped (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    const sessionCookie = () => app.rampart.config.session.cookieName;
    const rememberCookie = () => app.rampart.config.session.rememberCookieName;
    before(async () => {
      app = await createTestApp({ dialect, mail: true, config: { changePassword: { enabled: true } } });
    });
    after(() => app.close());

    /** A new user (an address with a dash, a plus and a subdomain) signed in with remember-me. */
    async function rememberedUser(): Promise<{ email: string; browser: TestClient; csrf: string }> {
      const email = `Rem-${++n}.x+tag@Mail.Sub-${dialect}.example`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const browser = app.client();
      const login = await browser.login(email, PASSWORD, { remember: true });
      assert.equal(login.status, 200);
      return { email, browser, csrf: login.json.response.csrf_token };
    }

    /** A client holding only a copy of `from`'s remember cookie (what a thief copied). */
    function copyOfRemember(from: TestClient): TestClient {
      const value = from.jar.get(rememberCookie());
      assert.ok(value, "the browser has a remember cookie");
      const thief = app.client();
      thief.jar.set(rememberCookie(), value);
      return thief;
    }

    const status = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status;
    const currentId = async (c: TestClient) =>
      (await c.get("/sessions", { acceptJson: true })).json.response.sessions.find(
        (s: { current: boolean }) => s.current,
      ).id as string;

    it("a copied remember cookie works until the browser signs out, and not after", async () => {
      const { browser, csrf } = await rememberedUser();
      const probe = copyOfRemember(browser);
      assert.equal(await status(probe), 200, "the copy restores a session while the browser is signed in");
      const thief = copyOfRemember(browser);
      assert.equal((await browser.post("/logout", { json: {}, headers: { "x-csrf-token": csrf } })).status, 200);
      assert.equal(await status(thief), 401, "logout ended the remember cookie, copies included");
    });

    it("an HTML form logout ends the remember cookie too", async () => {
      const { browser } = await rememberedUser();
      const thief = copyOfRemember(browser);
      const page = await browser.get("/logout");
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
      const out = await browser.post("/logout", { form: { csrf_token: csrf } });
      assert.equal(out.status, 302);
      assert.equal(await status(thief), 401);
    });

    it("revoking one session ends its remember cookie; the caller's own stays", async () => {
      const { email, browser, csrf } = await rememberedUser();
      const other = app.client();
      await other.login(email, PASSWORD, { remember: true });
      const thief = copyOfRemember(other);
      const id = await currentId(other);
      assert.equal(
        (await browser.post("/sessions/revoke", { json: { id }, headers: { "x-csrf-token": csrf } })).json.response
          .revoked,
        1,
      );
      assert.equal(await status(thief), 401, "the revoked session's remember cookie is dead");
      const mine = copyOfRemember(browser);
      assert.equal(await status(mine), 200, "the caller's remember cookie still works");
    });

    it("signing out the other sessions ends their remember cookies, even one whose session already ended", async () => {
      const { email, browser } = await rememberedUser();
      const other = app.client();
      await other.login(email, PASSWORD, { remember: true });
      const thief = copyOfRemember(other);
      // A browser that was closed: its session is gone (idle) but its remember cookie is not.
      const closed = app.client();
      await closed.login(email, PASSWORD, { remember: true });
      const closedThief = copyOfRemember(closed);
      assert.ok(await app.runtime.sessions.delete(await currentId(closed)));
      const csrf = (await browser.get("/sessions", { acceptJson: true })).json.response.csrf_token;
      const r = await browser.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 200);
      assert.equal(await status(thief), 401, "other session's remember cookie");
      assert.equal(await status(closedThief), 401, "a remember cookie outliving its session");
      assert.equal(await status(copyOfRemember(browser)), 200, "the caller's own remember cookie stays");
    });

    it("signing out all sessions (JSON and the admin API) ends every remember cookie", async () => {
      const { email, browser, csrf } = await rememberedUser();
      const thief = copyOfRemember(browser);
      const r = await browser.post("/sessions/revoke", { json: { scope: "all" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200);
      assert.equal(await status(thief), 401);
      assert.equal(await status(browser), 401, "the caller is signed out too");
      const again = app.client();
      await again.login(email, PASSWORD, { remember: true });
      const thief2 = copyOfRemember(again);
      await app.rampart.api.revokeSessions((await app.rampart.api.findUser(email))!, { scope: "all" });
      assert.equal(await status(thief2), 401, "admin revoke of all sessions");
      const third = app.client();
      await third.login(email, PASSWORD, { remember: true });
      const thief3 = copyOfRemember(third);
      assert.equal(
        await app.rampart.api.revokeSessions((await app.rampart.api.findUser(email))!, { id: await currentId(third) }),
        1,
      );
      assert.equal(await status(thief3), 401, "admin revoke of one session");
    });

    it("deactivation ends sessions, remember cookies and auth tokens, and reactivation revives none of them", async () => {
      const { email, browser } = await rememberedUser();
      const thief = copyOfRemember(browser);
      const tokenLogin = await app.client().login(email, PASSWORD, {}, "?include_auth_token");
      const token = tokenLogin.json.response.user.authentication_token as string;
      const user = (await app.rampart.api.findUser(email))!;
      await app.rampart.api.deactivateUser(user);
      assert.equal(await status(thief), 401);
      await app.rampart.api.activateUser(user);
      assert.equal(await status(browser), 401, "session");
      assert.equal(await status(thief), 401, "remember cookie");
      assert.equal(
        (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } }))
          .status,
        401,
        "auth token",
      );
      assert.equal((await app.client().login(email, PASSWORD)).status, 200, "a new sign-in works");
    });

    it("a password change (self-service form and admin API) ends every remember cookie", async () => {
      const { email, browser } = await rememberedUser();
      const thief = copyOfRemember(browser);
      const page = await browser.get("/change");
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
      const NEW = "another long passphrase";
      const r = await browser.post("/change", {
        form: { password: PASSWORD, new_password: NEW, new_password_confirm: NEW, csrf_token: csrf },
      });
      assert.equal(r.status, 302);
      assert.equal(await status(thief), 401, "the copy died with the change");
      assert.equal(await status(browser), 200, "the browser that changed it stays signed in");
      const thief2 = copyOfRemember(browser);
      assert.equal(await status(copyOfRemember(browser)), 200, "the browser's new remember cookie works");
      await app.rampart.api.changePassword((await app.rampart.api.findUser(email))!, PASSWORD);
      assert.equal(await status(thief2), 401, "admin password change");
    });

    it("a restore swaps the secret and never extends the cookie's life", async () => {
      const { browser } = await rememberedUser();
      const duration = app.rampart.config.session.rememberDurationSeconds;
      const first = browser.jar.get(rememberCookie())!;
      app.advance(10 * DAY);
      browser.jar.delete(sessionCookie());
      const restore = await browser.get("/api/protected", { acceptJson: true });
      assert.equal(restore.status, 200);
      const set = restore.setCookies.find((c) => c.startsWith(`${rememberCookie()}=`));
      assert.ok(set, "a new remember cookie was set");
      const maxAge = Number(/Max-Age=(\d+)/i.exec(set)![1]);
      assert.ok(
        maxAge <= duration - 10 * DAY && maxAge > duration - 10 * DAY - 60,
        `only the lifetime left (${maxAge})`,
      );
      assert.notEqual(browser.jar.get(rememberCookie()), first, "the secret changed");
      // Restoring every few days does not carry the cookie past its first lifetime.
      let days = 10;
      while (days + 5 < duration / DAY) {
        app.advance(5 * DAY);
        days += 5;
        browser.jar.delete(sessionCookie());
        assert.equal(await status(browser), 200, `restored on day ${days}`);
      }
      app.advance(duration - days * DAY + 1);
      browser.jar.delete(sessionCookie());
      assert.equal(await status(browser), 401, "past the first lifetime");
      app.advance(-(duration + 61));
    });

    it("a copy used before the owner: when the owner's replaced secret comes back, the cookie and the copy's session end", async () => {
      const { email, browser } = await rememberedUser();
      const thief = copyOfRemember(browser);
      assert.equal(await status(thief), 200, "the copy restores first (and rotates the secret)");
      const stolenSecret = thief.jar.get(rememberCookie())!;
      app.advance(60);
      browser.jar.delete(sessionCookie());
      assert.equal(await status(browser), 401, "the owner's replaced secret restores nothing");
      assert.equal(await status(thief), 401, "the session restored by the copy ended");
      const again = app.client();
      again.jar.set(rememberCookie(), stolenSecret);
      assert.equal(await status(again), 401, "and the rotated cookie is dead too");
      const user = (await app.rampart.api.findUser(email))!;
      const events = await app.rampart.api.auditEvents({ userId: user.id, event: "remember_reused" });
      assert.equal(events.length, 1, "audited");
      assert.equal((await browser.login(email, PASSWORD)).status, 200, "the owner signs in again");
      app.advance(-60);
    });

    it("parallel restores with the same cookie all get in, and one new secret is kept", async () => {
      const { browser } = await rememberedUser();
      browser.jar.delete(sessionCookie());
      const cookie = browser.jar.get(rememberCookie())!;
      const tabs = Array.from({ length: 5 }, () => {
        const tab = app.client();
        tab.jar.set(rememberCookie(), cookie);
        return tab;
      });
      const statuses = await Promise.all(tabs.map(status));
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      const newSecrets = new Set(tabs.map((t) => t.jar.get(rememberCookie())).filter((v) => v !== cookie));
      assert.equal(newSecrets.size, 1, "exactly one restore rotated the secret");
    });

    it("a forged or malformed remember cookie is refused cleanly", async () => {
      const { browser } = await rememberedUser();
      const [id] = browser.jar.get(rememberCookie())!.split(".");
      for (const value of [`${id}.forged`, `${id}`, ".", "x".repeat(500), `${id}.${"A".repeat(43)}`, "%00.%ff"]) {
        const c = app.client();
        c.jar.set(rememberCookie(), value);
        const r = await c.get("/api/protected", { acceptJson: true });
        assert.equal(r.status, 401, value);
      }
      assert.equal(await status(copyOfRemember(browser)), 200, "the real one still works");
    });
  });
}
