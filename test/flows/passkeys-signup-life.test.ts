import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../helpers/app.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { clocked, oathCode, toStepStart } from "../helpers/totp-clock.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { linkPath } from "../../src/features/registration/testing/support.js";
import { passkeySignin, signedIn } from "../../src/features/passkeys/testing/signin-kit.js";
import { signUp, signupApp } from "../../src/features/passkeys/testing/signup-kit.js";

/**
 * Passkey-first sign-up (part E) feeding passkey sign-in (part B), over HTTP on every database: the new account's
 * passkey is refused at /wan-signin until the email is confirmed, then signs in by itself (usernameless); the
 * only mail the address receives is the confirmation.
 */
for (const dialect of flowDialects()) {
  describe(`passkey sign-up, confirm, sign in (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, { config: { lockout: { threshold: 100 } } });
    });
    after(() => app.close());

    it("refused at /wan-signin before confirming; after the link, the passkey signs in at /wan-signin", async () => {
      const email = `Pass-Key.Owner+signup.${dialect}@Sub.Example.test`;
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      // The link is opened in the browser that signed up: elsewhere confirming removes the passkey (decision 225).
      const browser = app.client();
      const { finish } = await signUp(browser, auth, { email, name: "Laptop key" });
      assert.equal(finish.status, 200, finish.body);
      assert.equal(finish.json.response.recovery_codes.length, 5);

      const early = app.client();
      const before = await passkeySignin(early, auth);
      assert.equal(before.status, 400, before.body);
      assert.deepEqual(before.json.response.error_codes, ["CONFIRMATION_REQUIRED"]);
      assert.equal(await signedIn(early), false);
      const withHint = await passkeySignin(app.client(), auth, { identity: email });
      assert.equal(withHint.status, 400, withHint.body);

      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mails = app.sink.messages.filter((m) => m.envelopeTo.some((t) => t.toLowerCase() === email.toLowerCase()));
      assert.deepEqual(
        mails.map((m) => m.subject),
        ["Welcome"],
      );
      assert.ok(linksIn(mails[0]!).some((l) => l.includes("/confirm/")));
      const confirmed = await browser.get(linkPath(mails[0]!));
      assert.ok([200, 302].includes(confirmed.status), confirmed.body);

      const c = app.client();
      const done = await passkeySignin(c, auth);
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email.toLowerCase(), email.toLowerCase());
      assert.equal(done.json.response.tf_required, false);
      assert.ok(await signedIn(c));
      const hinted = await passkeySignin(app.client(), auth, { identity: email.toUpperCase() });
      assert.equal(hinted.status, 200, hinted.body);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`passkey sign-up, two-factor required: the recovery codes (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, {
        confirmation: false,
        config: { twoFactor: { required: true }, lockout: { threshold: 100 } },
      });
    });
    after(() => app.close());

    it("a code answered at sign-up completes the passkey sign-in's second step at /mf-recovery, once", async () => {
      const t = clocked(app);
      toStepStart(t);
      const email = `Pass-Key.Owner+codes.${dialect}@Sub.Example.test`;
      const auth = new SoftAuthenticator({ origin: "https://app.test", uv: false });
      const c = app.client();
      const { finish } = await signUp(c, auth, { email });
      assert.equal(finish.status, 200, finish.body);
      assert.equal(finish.json.response.tf_required, true, finish.body);
      const codes = finish.json.response.recovery_codes as string[];
      const csrf = finish.json.response.csrf_token as string;
      // The second factor the account must set up: an authenticator app.
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      const v = await c.post("/tf-validate", {
        json: { code: oathCode(t, s.json.response.tf_authr_key as string) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(v.status, 200, v.body);
      assert.ok(await signedIn(c));

      // Later, on another device: the passkey (no user verification) asks for the second factor; a code answers it.
      const d = app.client();
      const first = await passkeySignin(d, auth);
      assert.equal(first.status, 200, first.body);
      assert.equal(first.json.response.tf_required, true, first.body);
      assert.equal(first.json.response.tf_state, "ready");
      const pending = first.json.response.csrf_token as string;
      const rec = await d.post("/mf-recovery", { json: { code: codes[0] }, headers: { "x-csrf-token": pending } });
      assert.equal(rec.status, 200, rec.body);
      assert.ok(await signedIn(d));

      // The same code does not work twice.
      const e = app.client();
      const again = await passkeySignin(e, auth);
      assert.equal(again.json.response.tf_required, true, again.body);
      const reused = await e.post("/mf-recovery", {
        json: { code: codes[0] },
        headers: { "x-csrf-token": again.json.response.csrf_token as string },
      });
      assert.equal(reused.status, 400, reused.body);
      assert.equal(await signedIn(e), false);
    });
  });
}
