import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { passkeySignin } from "./testing/signin-kit.js";
import { passkeyStore } from "./store.js";
import { signUp, signupApp } from "./testing/signup-kit.js";

/**
 * Pre-account hijacking: someone signs up with an address they do not own (the account stays unconfirmed, with
 * their passkey). The owner registering then is offered a reset (registration's taken path); proving the mailbox
 * by it removes every way in that predates the proof — the registrant's passkey as well as a password.
 */
for (const dialect of flowDialects()) {
  describe(`passkey sign-up for someone else's address (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, { config: { recovery: { enabled: true } } });
    });
    after(() => app.close());

    it("the owner's reset removes the registrant's passkey; the owner's password then signs in", async () => {
      const intruder = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const { finish } = await signUp(app.client(), intruder, { email: "Victim.Owner+1@Example.test" });
      assert.equal(finish.status, 200, finish.body);
      const store = app.runtime.datastore.store(passkeyStore);
      const user = (await app.runtime.datastore.users.findByEmail("victim.owner+1@example.test"))!;
      assert.equal((await store.listForUser(user.id)).length, 1);

      const c = app.client();
      // The owner tries to register: generic answer, and a mail offering a reset (registration's taken path).
      const csrf = (await c.get("/register", { acceptJson: true })).json.response.csrf_token;
      const registered = await c.post("/register", {
        json: {
          email: "victim.owner+1@example.test",
          password: "the owner's first try",
          password_confirm: "the owner's first try",
        },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(registered.status, 200, registered.body);
      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mail = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.some((t) => /^victim\.owner\+1@example\.test$/i.test(t)) &&
          linksIn(m).some((l) => l.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((l) => l.includes("/reset/"))!).pathname;
      const reset = await c.post(path, {
        json: { password: "the owner's own passphrase", password_confirm: "the owner's own passphrase" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(reset.status, 200, reset.body);
      assert.deepEqual(await store.listForUser(user.id), [], "the registrant's passkey is gone");
      assert.equal((await app.client().login("victim.owner+1@example.test", "the owner's own passphrase")).status, 200);
    });

    it("a failure removing the passkey fails the whole proof: never a confirmed account that keeps it", async () => {
      const intruder = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const email = "Half.State-Owner+2@Sub.Example.test";
      const { finish } = await signUp(app.client(), intruder, { email });
      assert.equal(finish.status, 200, finish.body);
      const store = app.runtime.datastore.store(passkeyStore);
      const user = (await app.runtime.datastore.users.findByEmail(email))!;

      const owner = app.client();
      // The owner tries to register; registration's taken path mails a reset link.
      const registered = await owner.post("/register", {
        json: { email, password: "the owner's first try", password_confirm: "the owner's first try" },
        headers: { "x-csrf-token": await owner.csrf() },
      });
      assert.equal(registered.status, 200, registered.body);
      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mail = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.some((t) => /^half\.state-owner\+2@sub\.example\.test$/i.test(t)) &&
          linksIn(m).some((l) => l.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((l) => l.includes("/reset/"))!).pathname;
      const post = () =>
        owner.post(path, {
          json: { password: "the owner's own passphrase", password_confirm: "the owner's own passphrase" },
          headers: { "x-csrf-token": csrf },
        });
      const csrf = await owner.csrf();

      // The passkeys' part of the proof fails once (a database error, say).
      const service = app.runtime.services.passkeys!;
      const strip = service.stripFirstFactors;
      service.stripFirstFactors = async () => {
        throw new Error("the passkeys' table is unavailable");
      };
      let failed;
      try {
        failed = await post();
      } finally {
        service.stripFirstFactors = strip;
      }
      assert.notEqual(failed.status, 200, failed.body);
      const after = (await app.runtime.datastore.users.findById(user.id))!;
      assert.equal(after.confirmedAt, null, "the account is not confirmed");
      assert.equal(after.password, null, "the new password was not set");
      assert.equal((await store.listForUser(user.id)).length, 1);
      assert.equal((await app.client().login(email, "the owner's own passphrase")).status === 200, false);

      // Nothing was committed, so the same link works once the failure is gone.
      const retried = await post();
      assert.equal(retried.status, 200, retried.body);
      assert.deepEqual(await store.listForUser(user.id), [], "the registrant's passkey is gone");
      assert.equal((await passkeySignin(app.client(), intruder)).status, 400);
      assert.equal((await app.client().login(email, "the owner's own passphrase")).status, 200);
    });
  });
}
