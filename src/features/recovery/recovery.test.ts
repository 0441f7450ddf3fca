import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { changePasswordFeature } from "../change-password/index.js";
import { recoveryFeature } from "./index.js";

/** Whole forgot → mail → link → new password flows, on every database. */
const OLD = "correct horse battery";
const SESSION = "__Host-rampart_session";
const enabled = { recovery: { enabled: true }, changePassword: { enabled: true } };

for (const dialect of flowDialects()) {
  describe(`recovery: forgot and reset password (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        // Logins racing a reset with the old password fail once the reset lands, as many as lose the race (up
        // to 11): a lockout threshold above that keeps the new password's sign-in judged whatever the order.
        config: { ...enabled, lockout: { threshold: 100 } },
        features: [recoveryFeature, changePasswordFeature],
      });
    });
    after(() => app.close());

    const newUser = async () => {
      const email = `user${++n}@lp.test`;
      await app.rampart.api.createUser({ email, password: OLD });
      return email;
    };
    const protectedStatus = async (c: TestClient, headers: Record<string, string> = {}) =>
      (await c.get("/api/protected", { acceptJson: true, headers })).status;
    /** Asks for a reset as an SPA would and returns the link's path from the mail that arrives. */
    const requestLink = async (email: string): Promise<string> => {
      const c = app.client();
      const r = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(r.status, 200, r.body);
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && m.subject === "Password reset instructions" && !seen.has(m.raw),
      );
      seen.add(mail.raw);
      const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"));
      assert.ok(link, mail.text);
      return new URL(link!).pathname;
    };
    const seen = new Set<string>();
    const submit = async (c: TestClient, path: string, password: string, confirm = password) =>
      c.post(path, { json: { password, password_confirm: confirm }, headers: { "x-csrf-token": await c.csrf() } });

    it("forgot → mail → follow the link → new password: old password fails, every old session and token is dead, nobody signed in", async () => {
      const email = await newUser();
      const browser = app.client();
      await browser.login(email, OLD);
      const remembered = app.client();
      await remembered.login(email, OLD, { remember: true });
      const token = (await app.client().login(email, OLD, {}, "?include_auth_token")).json.response.user
        .authentication_token as string;
      const events: string[] = [];
      const offs = [
        app.rampart.events.on(
          "reset_password_instructions_sent",
          ({ user, token: t }) => void events.push(`sent:${user.email}:${typeof t}`),
        ),
        app.rampart.events.on("password_reset", ({ user }) => void events.push(`reset:${user.email}`)),
      ];

      const c = app.client();
      const asked = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(asked.status, 200);
      assert.deepEqual(Object.keys(asked.json.response), ["csrf_token"]);
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && m.subject === "Password reset instructions",
      );
      seen.add(mail.raw);
      assert.match(mail.text, /This link will expire in 1 day\./);
      const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"))!;
      assert.ok(mail.html.includes(link.replace(/&/g, "&amp;")), "the HTML body carries the same link");
      // Asking changed nothing: the old password and sessions still work.
      assert.equal(await protectedStatus(browser), 200);

      const page = await c.get(new URL(link).pathname);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("referrer-policy"), "no-referrer");
      assert.equal(page.headers.get("cache-control"), "private, no-store");
      assert.match(page.body, /name="password_confirm"/);

      const done = await submit(c, new URL(link).pathname, "a brand new secret");
      assert.equal(done.status, 200, done.body);
      assert.deepEqual(done.json.response, {}, "no user, no csrf_token");
      assert.ok(!done.setCookies.some((s) => s.startsWith(`${SESSION}=`) && !/Max-Age=0/.test(s)), "no session made");
      assert.equal(await protectedStatus(c), 401);
      const notice = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && m.subject === "Your password has been reset",
      );
      assert.match(notice.text, /has been reset/);

      assert.equal(await protectedStatus(browser), 401, "session made with the old password");
      remembered.jar.delete(SESSION);
      assert.equal(await protectedStatus(remembered), 401, "remember cookie made with the old password");
      assert.equal(
        await protectedStatus(app.client(), { "authentication-token": token }),
        401,
        "auth token issued before",
      );
      assert.equal((await app.client().login(email, OLD)).status, 400);
      assert.equal((await app.client().login(email, "a brand new secret")).status, 200);

      const reused = await submit(app.client(), new URL(link).pathname, "another new secret");
      assert.equal(reused.status, 400);
      assert.deepEqual(reused.json.response.errors, ["Invalid reset password token."]);
      assert.deepEqual(reused.json.response.error_codes, ["INVALID_RESET_PASSWORD_TOKEN"]);
      assert.equal((await app.client().login(email, "another new secret")).status, 400);

      offs.forEach((off) => off());
      assert.deepEqual(events, [`sent:${email}:string`, `reset:${email}`]);
      const audit = await app.rampart.api.auditEvents({ event: "password_reset" });
      assert.ok(audit.some((e) => e.outcome === "success" && e.identity === email));
      // The used link names a rotated uniquifier: the failure is recorded without an account.
      assert.ok(
        audit.some((e) => e.outcome === "failure" && e.details?.reason === "INVALID_RESET_PASSWORD_TOKEN"),
        "the reuse attempt is audited",
      );
      assert.ok(
        (await app.rampart.api.auditEvents({ event: "reset_password_instructions_sent" })).some(
          (e) => e.identity === email && e.outcome === "success",
        ),
      );
      assert.ok(
        !JSON.stringify(await app.rampart.api.auditEvents()).includes(link.split("/reset/")[1]!),
        "tokens never reach the audit log",
      );
    });

    it("the same link submitted 20 times in parallel succeeds exactly once", async () => {
      const email = await newUser();
      const path = await requestLink(email);
      const c = app.client();
      const csrf = await c.csrf();
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          c.post(path, {
            json: { password: `parallel secret ${i}`, password_confirm: `parallel secret ${i}` },
            headers: { "x-csrf-token": csrf },
          }),
        ),
      );
      const winners = replies.map((r, i) => (r.status === 200 ? i : -1)).filter((i) => i >= 0);
      assert.equal(winners.length, 1, replies.map((r) => r.status).join(","));
      for (const r of replies.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 400);
        assert.deepEqual(r.json.response.error_codes, ["INVALID_RESET_PASSWORD_TOKEN"]);
      }
      const winner = winners[0]!;
      assert.equal((await app.client().login(email, `parallel secret ${winner}`)).status, 200);
      assert.equal((await app.client().login(email, `parallel secret ${(winner + 1) % 20}`)).status, 400);
      const sent = app.sink.messages.filter(
        (m) => m.envelopeTo.includes(email) && m.subject === "Your password has been reset",
      );
      assert.equal(sent.length, 1, "one notice");
    });

    it("logins racing a reset: no session made with the old password survives it", async () => {
      const email = await newUser();
      const path = await requestLink(email);
      const clients = Array.from({ length: 12 }, () => app.client());
      const csrfs = await Promise.all(clients.map((c) => c.csrf()));
      const logins = clients.map((c, i) =>
        c.post("/login", { json: { email, password: OLD }, headers: { "x-csrf-token": csrfs[i]! } }),
      );
      const reset = submit(app.client(), path, "raced new secret");
      const [done, ...answers] = await Promise.all([reset, ...logins]);
      assert.equal(done.status, 200);
      const signedIn = clients.filter((_, i) => answers[i]!.status === 200);
      assert.ok(signedIn.length > 0, "some logins verified the old password before the reset committed");
      for (const c of signedIn) assert.equal(await protectedStatus(c), 401);
      assert.equal((await app.client().login(email, "raced new secret")).status, 200);
    });

    it("a link dies when the password changes through /change first", async () => {
      const email = await newUser();
      const path = await requestLink(email);
      const c = app.client();
      const login = await c.login(email, OLD);
      const changed = await c.post("/change", {
        json: { password: OLD, new_password: "changed in between", new_password_confirm: "changed in between" },
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(changed.status, 200, changed.body);
      const r = await submit(app.client(), path, "from the old link");
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["INVALID_RESET_PASSWORD_TOKEN"]);
      assert.equal((await app.client().login(email, "changed in between")).status, 200);
    });

    it("a link resets only the account it was mailed for; another account's link stays valid", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const alicePath = await requestLink(alice);
      const bobPath = await requestLink(bob);
      const bobSession = app.client();
      await bobSession.login(bob, OLD);
      // Bob uses Alice's link from his own signed-in browser: it changes Alice's password, never Bob's.
      assert.equal((await submit(bobSession, alicePath, "alice new secret")).status, 200);
      assert.equal((await app.client().login(alice, "alice new secret")).status, 200);
      assert.equal((await app.client().login(bob, "alice new secret")).status, 400);
      assert.equal((await app.client().login(bob, OLD)).status, 200);
      assert.equal(await protectedStatus(bobSession), 200, "Bob's own session is untouched");
      assert.equal((await submit(app.client(), alicePath, "alice again secret")).status, 400);
      assert.equal((await submit(app.client(), bobPath, "bob new secret")).status, 200);
      assert.equal((await app.client().login(bob, "bob new secret")).status, 200);
    });

    it("a password set with composed characters signs in when typed decomposed (NFKD)", async () => {
      const email = await newUser();
      const path = await requestLink(email);
      assert.equal((await submit(app.client(), path, "H\u00f6heH\u00f6he")).status, 200);
      assert.equal((await app.client().login(email, "Ho\u0308heHo\u0308he")).status, 200);
    });
  });
}
