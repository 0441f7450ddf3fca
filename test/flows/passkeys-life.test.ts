import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import {
  amrOf,
  finishSignin,
  passkeySignin,
  signedIn,
  startSignin,
} from "../../src/features/passkeys/testing/signin-kit.js";
import { finish as finishRegister, start as startRegister } from "../../src/features/passkeys/testing/register-kit.js";

/**
 * A passkey's whole life across the parts, over HTTP on every database: a password user registers a "first"
 * passkey, signs out, signs in with it (hinted and discoverable), re-authenticates with it once the session is
 * stale, deletes it, and then cannot sign in with it. The owner is mailed when it is added and removed.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;
const ORIGIN = "https://app.test";

for (const dialect of flowDialects()) {
  describe(`passkey whole life (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          webauthn: { enabled: true },
          freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 },
          lockout: { threshold: 100 },
        } as never,
      });
    });
    after(() => app.close());

    const withCsrf = async (c: TestClient, path: string, json: Record<string, unknown>) =>
      c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
    const freshness = async (c: TestClient) => {
      const r = await c.get("/wan-delete", { acceptJson: true });
      return r.status === 200 ? "fresh" : r.json?.response?.reauth_required === true ? "stale" : r.status;
    };

    it("register → sign out → sign in (hint, discoverable) → verify when stale → delete → refused; mails", async () => {
      const email = `Pass-Key.Owner+life.${dialect}@Sub.Example.test`;
      const user = await app.rampart.api.createUser({ email, password: PASSWORD });
      const c = app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);

      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const { options, state } = await startRegister(c, "Laptop key", "first");
      const reg = await finishRegister(c, state, auth.create(options));
      assert.equal(reg.status, 200, reg.body);
      await app.sink.waitFor(
        (m) => m.envelopeTo.includes(user.email) && m.subject === "A passkey was added to your account",
      );

      const out = await withCsrf(c, "/logout", {});
      assert.ok(out.status < 400, out.body);
      assert.equal(await signedIn(c), false);

      // With an identity hint (typed in another case), asking for a token: amr pop + mfa (user verified).
      const hinted = await passkeySignin(c, auth, { identity: email.toUpperCase() }, {}, "?include_auth_token");
      assert.equal(hinted.status, 200, hinted.body);
      assert.equal(hinted.json.response.user.email, user.email);
      assert.deepEqual(amrOf(hinted).sort(), ["mfa", "pop"]);
      assert.ok(await signedIn(c));

      // Discoverable, in a new browser, without user verification: amr pop only.
      const other = app.client();
      const plain = await passkeySignin(other, auth, {}, { uv: false }, "?include_auth_token");
      assert.equal(plain.status, 200, plain.body);
      assert.deepEqual(amrOf(plain), ["pop"]);
      assert.ok(await signedIn(other));

      // Freshness expires; /wan-verify with the same passkey restores it.
      app.advance(WITHIN + 1);
      assert.equal(await freshness(other), "stale");
      const vs = await withCsrf(other, "/wan-verify", {});
      assert.equal(vs.status, 200, vs.body);
      const vopts = vs.json.response.credential_options;
      const vr = await other.post(`/wan-verify/${vs.json.response.wan_state}`, {
        json: { credential: JSON.stringify(auth.get(vopts)) },
        headers: { "x-csrf-token": await other.csrf() },
      });
      assert.equal(vr.status, 200, vr.body);
      assert.equal(await freshness(other), "fresh");

      const del = await withCsrf(other, "/wan-delete", { name: "Laptop key" });
      assert.equal(del.status, 200, del.body);
      await app.sink.waitFor(
        (m) => m.envelopeTo.includes(user.email) && m.subject === "A passkey was removed from your account",
      );

      const gone = app.client();
      const s = await startSignin(gone);
      const refused = await finishSignin(gone, s.state, s.csrf, auth.get(s.options));
      assert.equal(refused.status, 400, refused.body);
      assert.deepEqual(refused.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      assert.equal(await signedIn(gone), false);
      const mails = app.sink.messages.filter((m) => m.envelopeTo.includes(user.email)).map((m) => m.subject);
      assert.deepEqual(mails.sort(), [
        "A passkey was added to your account",
        "A passkey was removed from your account",
      ]);
    });
  });
}
