import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { passkeySignin, signedIn } from "./testing/signin-kit.js";
import { signUp, signupApp } from "./testing/signup-kit.js";

/**
 * A passkey sign-up leaves an unconfirmed account whose only way in is the registrant's passkey. Confirming the
 * address keeps that passkey only when the confirmation is opened in the browser that signed up; opened anywhere
 * else (the address's owner, when someone else signed up with it), the passkey and its recovery codes go.
 */
for (const dialect of flowDialects()) {
  describe(`confirming a passkey sign-up (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, { config: { recovery: { enabled: true } } });
    });
    after(() => app.close());

    async function confirmPath(email: RegExp): Promise<string> {
      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.some((t) => email.test(t)) && linksIn(m).some((l) => l.includes("/confirm/")),
      );
      return new URL(linksIn(mail).find((l) => l.includes("/confirm/"))!).pathname;
    }

    async function resetPassword(c: TestClient, email: string, password: string): Promise<void> {
      const asked = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(asked.status, 200, asked.body);
      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mail = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.some((t) => t.toLowerCase() === email.toLowerCase()) &&
          linksIn(m).some((l) => l.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((l) => l.includes("/reset/"))!).pathname;
      const reset = await c.post(path, {
        json: { password, password_confirm: password },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(reset.status, 200, reset.body);
    }

    it("opened in another browser: the registrant's passkey and recovery codes are gone", async () => {
      const intruder = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const email = "Pass-Key.Victim+tag@Sub.Example.test";
      const { finish } = await signUp(app.client(), intruder, { email });
      assert.equal(finish.status, 200, finish.body);
      const codes = finish.json.response.recovery_codes as string[];
      assert.ok(codes.length > 0);

      const owner = app.client();
      const confirmed = await owner.get(await confirmPath(/^pass-key\.victim\+tag@sub\.example\.test$/i));
      assert.equal(confirmed.status, 302, confirmed.body);
      const user = (await app.runtime.datastore.users.findByEmail(email.toLowerCase()))!;
      assert.ok(user.confirmedAt, "the address is confirmed");
      assert.equal(user.mfRecoveryCodes, null, "the registrant's recovery codes are gone");

      // The owner sets a password by reset; the registrant's passkey signs nobody in, now or later.
      await resetPassword(owner, email, "the owner's own passphrase");
      const attacker = app.client();
      const refused = await passkeySignin(attacker, intruder);
      assert.equal(refused.status, 400, refused.body);
      assert.equal(await signedIn(attacker), false);
      assert.equal((await app.client().login(email, "the owner's own passphrase")).status, 200);
    });

    it("opened in the browser that signed up: the passkey signs in afterwards", async () => {
      const auth = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const email = "Same.Browser-Owner+x@Example.test";
      const browser = app.client();
      const { finish } = await signUp(browser, auth, { email });
      assert.equal(finish.status, 200, finish.body);

      const confirmed = await browser.get(await confirmPath(/^same\.browser-owner\+x@example\.test$/i));
      assert.equal(confirmed.status, 302, confirmed.body);
      const user = (await app.runtime.datastore.users.findByEmail(email.toLowerCase()))!;
      assert.ok(user.confirmedAt);
      assert.notEqual(user.mfRecoveryCodes, null, "the recovery codes stay with the passkey");

      const elsewhere = app.client();
      const signin = await passkeySignin(elsewhere, auth);
      assert.equal(signin.status, 200, signin.body);
      assert.equal(String(signin.json.response.user.email).toLowerCase(), email.toLowerCase());
      assert.equal(await signedIn(elsewhere), true);
    });
  });
}
