import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { recoveryFeature } from "../recovery/index.js";
import { changePasswordFeature } from "./index.js";

/** POST /change on every database: the caller continues in a new session, everything else of the user ends. */
const OLD = "correct horse battery";
const SESSION = "__Host-rampart_session";

for (const dialect of flowDialects()) {
  describe(`change password (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: { changePassword: { enabled: true }, recovery: { enabled: true } },
        features: [changePasswordFeature, recoveryFeature],
      });
    });
    after(() => app.close());

    const newUser = async () => {
      const email = `user${++n}@lp.test`;
      await app.rampart.api.createUser({ email, password: OLD });
      return email;
    };
    const status = async (c: TestClient, headers: Record<string, string> = {}) =>
      (await c.get("/api/protected", { acceptJson: true, headers })).status;
    const change = async (c: TestClient, body: Record<string, unknown>, query = "") => {
      const csrf = (await c.get("/change", { acceptJson: true })).json.response.csrf_token;
      return c.post(`/change${query}`, { json: body, headers: { "x-csrf-token": csrf } });
    };

    it("GET /change answers user, csrf_token and active_password, never a token", async () => {
      const email = await newUser();
      const c = app.client();
      await c.login(email, OLD);
      const r = await c.get("/change?include_auth_token", { acceptJson: true });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["active_password", "csrf_token", "user"]);
      assert.equal(r.json.response.active_password, true);
      assert.equal(r.json.response.user.email, email);
      assert.equal(r.json.response.user.authentication_token, undefined);
      assert.equal((await app.client().get("/change", { acceptJson: true })).status, 401);
    });

    it("success: own session continues under a new cookie; other sessions, the old cookie and old tokens are dead; notice mailed", async () => {
      const email = await newUser();
      const me = app.client();
      await me.login(email, OLD);
      const other = app.client();
      await other.login(email, OLD);
      const oldToken = (await app.client().login(email, OLD, {}, "?include_auth_token")).json.response.user
        .authentication_token as string;
      const oldCookie = me.jar.get(SESSION)!;
      const seen: string[] = [];
      const off = app.rampart.events.on("password_changed", ({ user }) => void seen.push(user.email));

      const r = await change(
        me,
        { password: OLD, new_password: "my new passphrase", new_password_confirm: "my new passphrase" },
        "?include_auth_token",
      );
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "user"]);
      const newToken = r.json.response.user.authentication_token as string;
      assert.equal(typeof newToken, "string");
      assert.notEqual(me.jar.get(SESSION), oldCookie, "new session identifier");

      assert.equal(await status(me), 200, "the caller stays signed in");
      const replay = app.client();
      replay.jar.set(SESSION, oldCookie);
      assert.equal(await status(replay), 401, "the old cookie is dead");
      assert.equal(await status(other), 401, "other sessions are dead");
      assert.equal(await status(app.client(), { "authentication-token": oldToken }), 401, "old tokens are dead");
      assert.equal(await status(app.client(), { "authentication-token": newToken }), 200);
      assert.equal((await app.client().login(email, OLD)).status, 400);
      assert.equal((await app.client().login(email, "my new passphrase")).status, 200);

      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && m.subject === "Your password has been changed",
      );
      assert.ok(linksIn(mail).includes("https://app.test/reset"), "the notice offers the forgot-password page");
      off();
      assert.deepEqual(seen, [email]);
      const audit = await app.rampart.api.auditEvents({ event: "password_changed" });
      assert.ok(audit.some((e) => e.identity === email && e.outcome === "success"));
      // The fresh CSRF token from the answer works for the next change.
      const again = await me.post("/change", {
        json: {
          password: "my new passphrase",
          new_password: "third passphrase",
          new_password_confirm: "third passphrase",
        },
        headers: { "x-csrf-token": r.json.response.csrf_token },
      });
      assert.equal(again.status, 200, again.body);
    });

    it("every error row of /change, each leaving the password as it was", async () => {
      const email = await newUser();
      const c = app.client();
      await c.login(email, OLD);
      const failed: string[] = [];
      const off = app.rampart.events.on(
        "user_failed_authn",
        ({ authType, reason }) => void failed.push(`${authType}:${reason}`),
      );
      const cases: [Record<string, unknown>, Record<string, string[]>][] = [
        [
          { password: "not my password", new_password: "a fine new one", new_password_confirm: "a fine new one" },
          { password: ["Invalid password"] },
        ],
        [
          { password: OLD, new_password: OLD, new_password_confirm: OLD },
          { password: ["Your new password must be different than your previous password."] },
        ],
        [{ password: OLD, new_password: "", new_password_confirm: "" }, { new_password: ["Password not provided"] }],
        [
          { password: OLD, new_password: "a fine new one", new_password_confirm: "a fine new two" },
          { new_password_confirm: ["Passwords do not match"] },
        ],
        [
          { password: OLD, new_password: "short", new_password_confirm: "short" },
          { new_password: ["Password must be at least 8 characters"] },
        ],
        [
          { new_password: "a fine new one", new_password_confirm: "a fine new one" },
          { password: ["Password not provided"] },
        ],
      ];
      for (const [body, fieldErrors] of cases) {
        const r = await change(c, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.deepEqual(r.json.response.field_errors, fieldErrors);
        assert.deepEqual(r.json.response.errors, Object.values(fieldErrors).flat());
      }
      assert.equal(
        (await change(c, { password: OLD, new_password: { x: 1 } })).json.response.error_codes[0],
        "API_ERROR",
      );
      off();
      assert.deepEqual(failed, ["change:INVALID_PASSWORD"], "a wrong current password is a failed authentication");
      assert.ok(
        (await app.rampart.api.auditEvents({ event: "password_changed" })).some(
          (e) => e.identity === email && e.outcome === "failure",
        ),
      );
      assert.equal(await status(c), 200);
      assert.equal((await app.client().login(email, OLD)).status, 200);
      const noCsrf = await c.post("/change", {
        json: { password: OLD, new_password: "a fine new one", new_password_confirm: "a fine new one" },
      });
      assert.equal(noCsrf.status, 400);
      assert.deepEqual(noCsrf.json.response.error_codes, ["CSRF_MISSING"]);
    });
  });
}
