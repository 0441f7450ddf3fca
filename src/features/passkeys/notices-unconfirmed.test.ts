import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { post, register } from "./testing/register-kit.js";
import { signUp, signupApp } from "./testing/signup-kit.js";

/**
 * With confirmation on and sign-in allowed before it (LOGIN_WITHOUT_CONFIRMATION), a never-confirmed account may
 * add and delete passkeys; the "passkey added/deleted" notices then go nowhere: nobody showed the address is
 * theirs. Only the confirmation link is mailed to it.
 */
for (const dialect of flowDialects()) {
  describe(`passkey notices to a never-confirmed address (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, { config: { confirmation: { enabled: true, loginWithoutConfirmation: true } } });
    });
    after(() => app.close());

    it("adding and deleting a passkey mails no notice to the unconfirmed address", async () => {
      const c = app.client();
      const email = "Not.Yet-Proved+tag@Sub.Example.test";
      const { finish } = await signUp(c, new SoftAuthenticator({ origin: "https://app.test", uv: true }), { email });
      assert.equal(finish.status, 200, finish.body);
      assert.ok(finish.json.response.user, "signed in before confirming");

      const added = await register(c, new SoftAuthenticator({ origin: "https://app.test" }), "Second key");
      assert.equal(added.status, 200, added.body);
      const deleted = await post(c, "/wan-delete", { name: "Second key" });
      assert.equal(deleted.status, 200, deleted.body);

      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mails = app.sink.messages.filter((m) => m.envelopeTo.some((t) => /^not\.yet-proved\+tag@/i.test(t)));
      assert.equal(mails.length, 1, mails.map((m) => m.subject).join(" | "));
      assert.match(mails[0]!.text, /\/confirm\//, "the only mail is the confirmation link");
    });
  });
}
