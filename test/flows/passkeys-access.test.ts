import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { finishSignin, passkeySignin, signedIn, startSignin } from "../../src/features/passkeys/testing/signin-kit.js";
import { register } from "../../src/features/passkeys/testing/register-kit.js";

/**
 * An operator taking access away from a passkey user, over HTTP on every database: reset access ends the
 * passkey's session and the passkey itself (a ceremony started before the reset cannot finish it);
 * deactivation refuses the passkey with DISABLED_ACCOUNT, and reactivation lets it in again.
 */
const PASSWORD = "correct horse battery";
const ORIGIN = "https://app.test";

for (const dialect of flowDialects()) {
  describe(`passkeys and operator actions (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: { webauthn: { enabled: true }, lockout: { threshold: 100 } } as never,
      });
    });
    after(() => app.close());

    /** A password user who registered a "first" passkey over HTTP, then signed in with it in a new client. */
    async function passkeyUser(): Promise<{ email: string; auth: SoftAuthenticator; session: TestClient }> {
      const email = `Pass-Key.Owner+op${++n}.${dialect}@Sub.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const c = app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const reg = await register(c, auth, "Phone", "first");
      assert.equal(reg.status, 200, reg.body);
      const session = app.client();
      const r = await passkeySignin(session, auth, { identity: email });
      assert.equal(r.status, 200, r.body);
      return { email, auth, session };
    }

    it("reset access: the passkey's session ends, a ceremony started before cannot finish, the passkey is refused", async () => {
      const { email, auth, session } = await passkeyUser();
      const pending = app.client();
      const started = await startSignin(pending, { identity: email });
      await app.rampart.api.resetAccess((await app.rampart.api.findUser(email))!);

      assert.equal(await signedIn(session), false, "the session signed in by the passkey ended");
      const late = await finishSignin(pending, started.state, started.csrf, auth.get(started.options));
      assert.equal(late.status, 400, late.body);
      assert.deepEqual(late.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      assert.equal(await signedIn(pending), false);
      const again = await passkeySignin(app.client(), auth);
      assert.equal(again.status, 400, again.body);
      assert.deepEqual(again.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      // The password still works (reset access keeps it), and the account has no passkeys left.
      const pw = app.client();
      assert.equal((await pw.login(email, PASSWORD)).status, 200);
      const list = await pw.get("/wan-register", { acceptJson: true });
      assert.deepEqual(list.json.response.registered_credentials, []);
    });

    it("deactivated: the passkey is refused with DISABLED_ACCOUNT; reactivated: it signs in again", async () => {
      const { email, auth, session } = await passkeyUser();
      const user = (await app.rampart.api.findUser(email))!;
      assert.ok(await app.rampart.api.deactivateUser(user));
      assert.equal(await signedIn(session), false, "a deactivated account's session is no longer accepted");
      const c = app.client();
      const r = await passkeySignin(c, auth);
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.error_codes, ["DISABLED_ACCOUNT"]);
      assert.equal(await signedIn(c), false);
      assert.ok(await app.rampart.api.activateUser(user));
      const back = await passkeySignin(c, auth);
      assert.equal(back.status, 200, back.body);
      assert.ok(await signedIn(c));
    });
  });
}
