import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { openLink } from "../helpers/links.js";
import { linksIn } from "../helpers/smtp-sink.js";
import {
  PASSWORD,
  csrfFrom,
  linkPath,
  mailTo,
  register,
  registration,
} from "../../src/features/registration/testing/support.js";

/**
 * The automatic sign-ins (after registration, a confirmation link, a reset link) are sign-ins like /login's:
 * the app's before.login hook may veto them, and its after.login hook runs once one succeeded — with the
 * signed-in user — and never when nobody was signed in.
 */
for (const dialect of flowDialects()) {
  describe(`after.login runs for the automatic sign-ins (${dialect})`, { timeout: 90_000 }, () => {
    let app: TestApp;
    let confirmApp: TestApp;
    const seen: string[] = [];
    const hooks = {
      after: { login: ({ user }: { user: { email: string } | null }) => void seen.push(user?.email ?? "(nobody)") },
    };
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        hooks,
        config: { registration: { enabled: true }, recovery: { enabled: true, autoLoginAfterReset: true } },
      });
      confirmApp = await createTestApp({
        dialect,
        mail: true,
        hooks,
        config: { registration: { enabled: true }, confirmation: { enabled: true, autoLoginAfterConfirm: true } },
      });
    });
    after(async () => {
      await app?.close();
      await confirmApp?.close();
    });
    const signedInAs = async (c: ReturnType<TestApp["client"]>) => {
      const r = await c.get("/api/protected", { acceptJson: true });
      return r.status === 200;
    };

    it("registration (JSON) signs in and runs after.login with the new user", async () => {
      seen.length = 0;
      const c = app.client();
      const r = await register(c, registration("New.Person-1+reg@Sub.Example.test"));
      assert.equal(r.status, 200, r.body);
      assert.ok(await signedInAs(c));
      assert.deepEqual(seen, ["New.Person-1+reg@sub.example.test"]);
    });

    it("registration (form) signs in, redirects and runs after.login", async () => {
      seen.length = 0;
      const c = app.client();
      const page = await c.get("/register");
      const r = await c.post("/register", {
        form: {
          email: "form.person+x@example.test",
          password: PASSWORD,
          password_confirm: PASSWORD,
          csrf_token: csrfFrom(page.body),
        },
      });
      assert.equal(r.status, 302, r.body);
      assert.ok(await signedInAs(c));
      assert.deepEqual(seen, ["form.person+x@example.test"]);
    });

    it("a reset link with AUTO_LOGIN_AFTER_RESET runs after.login; a refused link runs nothing", async () => {
      const email = "reset.owner-2+x@sub.example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = app.client();
      assert.equal(
        (await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } })).status,
        200,
      );
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && linksIn(m).some((u) => u.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
      seen.length = 0;
      const bad = await c.post("/reset/nonsense", {
        json: { password: "a brand new passphrase 42", password_confirm: "a brand new passphrase 42" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(bad.status, 400, bad.body);
      assert.deepEqual(seen, []);
      const r = await c.post(path, {
        json: { password: "a brand new passphrase 42", password_confirm: "a brand new passphrase 42" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.user.email, email);
      assert.ok(await signedInAs(c));
      assert.deepEqual(seen, [email]);
    });

    it("a confirmation link with AUTO_LOGIN_AFTER_CONFIRM runs after.login; the registration itself (pending) does not", async () => {
      const email = "Confirm.Owner-3+x@Sub.Example.test";
      const stored = "Confirm.Owner-3+x@sub.example.test";
      seen.length = 0;
      assert.equal((await register(confirmApp.client(), registration(email))).status, 200);
      assert.deepEqual(seen, [], "a registration pending confirmation signs nobody in");
      const visitor = confirmApp.client();
      const r = await openLink(visitor, linkPath(await mailTo(confirmApp, stored, "Welcome")));
      assert.equal(r.status, 302, r.body);
      assert.ok(await signedInAs(visitor));
      assert.deepEqual(seen, [stored]);
    });
  });
}
