import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { openLink } from "../helpers/links.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { PASSWORD, linkPath, mailTo, register, registration } from "../../src/features/registration/testing/support.js";

/**
 * A registration, a confirmation or a reset is committed before its automatic sign-in runs. An app hook that
 * throws after that point (here `before.login`) is logged, never answered as an error: the change stands, the
 * answer says so, and nobody is signed in.
 */
for (const dialect of flowDialects()) {
  describe(`a throwing hook after a committed change (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    let confirmApp: TestApp;
    const broken = {
      before: {
        login: async () => {
          throw new Error("the app's hook broke");
        },
      },
    };
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        hooks: broken,
        config: { registration: { enabled: true }, recovery: { enabled: true, autoLoginAfterReset: true } },
      });
      confirmApp = await createTestApp({
        dialect,
        mail: true,
        hooks: broken,
        config: { registration: { enabled: true }, confirmation: { enabled: true, autoLoginAfterConfirm: true } },
      });
    });
    after(async () => {
      await app?.close();
      await confirmApp?.close();
    });
    const signedIn = async (c: ReturnType<TestApp["client"]>) =>
      (await c.get("/api/protected", { acceptJson: true })).status === 200;

    it("registration with automatic sign-in: the account is created and the answer is a success", async () => {
      const c = app.client();
      const r = await register(c, registration("First-Hook.user+reg@Sub.Example.test"));
      assert.equal(r.status, 200, r.body);
      assert.ok(await app.rampart.api.findUser("first-hook.user+reg@sub.example.test"), "the account exists");
      assert.equal(await signedIn(c), false, "nobody is signed in");
    });

    it("reset with automatic sign-in: the new password stands and the answer is a success", async () => {
      const email = "reset-hook.user+x@sub.example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const hashBefore = (await app.rampart.datastore.users.findByEmail(email))!.password;
      const c = app.client();
      assert.equal(
        (await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } })).status,
        200,
      );
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && linksIn(m).some((u) => u.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
      const r = await c.post(path, {
        json: { password: "a brand new passphrase 42", password_confirm: "a brand new passphrase 42" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(await signedIn(c), false, "nobody is signed in");
      const after = (await app.rampart.datastore.users.findByEmail(email))!;
      assert.notEqual(after.password, hashBefore, "the new password is in force");
    });

    it("confirmation with automatic sign-in: the address is confirmed and the answer is not an error", async () => {
      const email = "confirm-hook.user+x@sub.example.test";
      await register(confirmApp.client(), registration(email));
      const visitor = confirmApp.client();
      const r = await openLink(visitor, linkPath(await mailTo(confirmApp, email, "Welcome")));
      assert.ok(r.status < 500, `${r.status} ${r.body.slice(0, 300)}`);
      assert.ok((await confirmApp.rampart.api.findUser(email))!.confirmedAt, "the address is confirmed");
      assert.equal(await signedIn(visitor), false, "nobody is signed in");
    });
  });
}
