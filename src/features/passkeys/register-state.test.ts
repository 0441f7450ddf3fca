import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { passkeyStore } from "./store.js";
import { createWanApp, finish, post, register, signedIn, start, withCredentialId } from "./testing/register-kit.js";

/**
 * Who may register, and what a registration's state and answer must be: fresh sign-in to start, the caller's own
 * state, used once and in time, a credential made for this relying party by a create ceremony, and a credential
 * id no other account holds.
 */
const ORIGIN = "https://app.test";

function errorOf(r: Reply): string {
  assert.equal(r.status, 400, r.body);
  return r.json.response.error_codes[0];
}

for (const dialect of flowDialects()) {
  describe(`passkey registration: auth, state, answer (${dialect})`, () => {
    let app: TestApp;
    const count = async (c: TestClient) =>
      (await c.get("/wan-register", { acceptJson: true })).json.response.registered_credentials.length;
    before(async () => {
      app = await createWanApp(dialect, {}, { freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } });
    });
    after(() => app.close());

    it("signed out → 401; a stale sign-in → 401 reauth_required to start, but a started one still finishes", async () => {
      const anon = app.client();
      assert.equal((await anon.get("/wan-register", { acceptJson: true })).status, 401);
      assert.equal((await post(anon, "/wan-register", { name: "x" })).status, 401);
      assert.equal((await post(anon, "/wan-register/abc", { credential: "{}" })).status, 401);

      const c = await signedIn(app, "stale.owner+1@sub.example.test");
      const pending = await start(c, "Started fresh");
      app.advance(601);
      for (const r of [
        await c.get("/wan-register", { acceptJson: true }),
        await post(c, "/wan-register", { name: "x" }),
      ]) {
        assert.equal(r.status, 401, r.body);
        assert.equal(r.json.response.reauth_required, true);
      }
      // As FS: freshness is asked when the registration starts; its state lives WAN_REGISTER_WITHIN.
      const done = await finish(c, pending.state, new SoftAuthenticator({ origin: ORIGIN }).create(pending.options));
      assert.equal(done.status, 200, done.body);
      // Browsers are sent to re-authenticate.
      assert.match((await c.get("/wan-register")).location ?? "", /^\/verify\?next=%2Fwan-register/);
    });

    it("a credential id over 1023 bytes or a counter over 2^31-1 is refused (400); stored transports and extensions are sanitized", async () => {
      const c = await signedIn(app, "Out-Of.Range+ids@Sub.Example.test");
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      for (const forge of [{ credentialIdLength: 1024 }, { credentialIdLength: 1100 }, { counter: 0xffffffff }]) {
        const s = await start(c, "Too big");
        const r = await finish(c, s.state, auth.create(s.options, forge));
        assert.equal(r.status, 400, r.body);
        assert.equal(errorOf(r), "WEBAUTHN_NO_VERIFY");
      }
      assert.equal(await count(c), 0);
      const s = await start(c, "Odd client");
      const answer = auth.create(s.options, { credentialIdLength: 1023 }) as any;
      answer.response.transports = ["usb", "x".repeat(300), "nfc,ble", "internal", "usb"];
      answer.clientExtensionResults = { credProps: { rk: true }, junk: "y".repeat(400) };
      const ok = await finish(c, s.state, answer);
      assert.equal(ok.status, 200, ok.body);
      const listed = (await c.get("/wan-register", { acceptJson: true })).json.response.registered_credentials;
      assert.deepEqual(listed[0].transports, ["usb", "internal"]);
      assert.equal(listed[0].discoverable, true);
    });

    it("an expired, tampered, replayed or another user's state is refused; nothing is stored", async () => {
      let c = await signedIn(app, "state.owner@sub.example.test");
      const auth = new SoftAuthenticator({ origin: ORIGIN });

      const old = await start(c, "Late");
      app.advance(30 * 60 + 1);
      const late = await finish(c, old.state, auth.create(old.options));
      assert.equal(errorOf(late), "WEBAUTHN_EXPIRED");
      assert.equal(
        late.json.response.errors[0],
        "Passkey operations must be completed within 30 minutes. Please start over.",
      );
      // The late caller signs in again (the stale sign-in cannot start a registration).
      c = app.client();
      assert.equal((await c.login("state.owner@sub.example.test", "correct horse battery")).status, 200);

      const s = await start(c, "Mine");
      assert.equal(errorOf(await finish(c, `${s.state}x`, auth.create(s.options))), "API_ERROR");
      assert.equal(errorOf(await finish(c, "not-a-state", auth.create(s.options))), "API_ERROR");

      // Another user cannot finish this user's registration (nor get the passkey onto either account).
      const other = await signedIn(app, "state.other@sub.example.test");
      assert.equal(errorOf(await finish(other, s.state, auth.create(s.options))), "API_ERROR");
      assert.equal(await count(other), 0);

      const ok = await finish(c, s.state, auth.create(s.options));
      assert.equal(ok.status, 200, ok.body);
      // Used once: the same state again, even with a new credential, is refused as spent ("start over", as an
      // expired one; every ceremony route answers a spent state the same way).
      const spent = await finish(c, s.state, auth.create(s.options));
      assert.equal(errorOf(spent), "WEBAUTHN_EXPIRED");
      assert.match(spent.body, /must be completed within 30 minutes/);
      assert.equal(await count(c), 1);

      // No credential, or one that is not a credential: API_ERROR on the credential field.
      const s2 = await start(c, "Second");
      for (const credential of ["", "garbage", "{}", JSON.stringify({ id: "x", rawId: "x", type: "public-key" })]) {
        const r = await post(c, `/wan-register/${s2.state}`, { credential });
        assert.equal(errorOf(r), "API_ERROR");
        assert.deepEqual(Object.keys(r.json.response.field_errors), ["credential"]);
      }
      // Those did not spend the state: the real answer still registers.
      assert.equal((await finish(c, s2.state, auth.create(s2.options))).status, 200);
    });

    it("20 parallel posts of one state make exactly one passkey", async () => {
      const c = await signedIn(app, "race.owner@sub.example.test");
      const s = await start(c, "Raced");
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const csrf = await c.csrf();
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          c.post(`/wan-register/${s.state}`, {
            json: { credential: JSON.stringify(auth.create(s.options)) },
            headers: { "x-csrf-token": csrf },
          }),
        ),
      );
      assert.deepEqual(
        replies.map((r) => r.status).sort(),
        [200, ...Array(19).fill(400)],
        replies.map((r) => r.body).join("\n"),
      );
      assert.equal(await count(c), 1);
    });

    it("a credential id another account holds is refused (one credential never serves two accounts)", async () => {
      const a = await signedIn(app, "holder.a@sub.example.test");
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      assert.equal((await register(a, auth, "Key A", "first")).status, 200);
      const b = await signedIn(app, "holder.b@sub.example.test");
      const s = await start(b, "Key B", "first");
      const claimed = withCredentialId(auth.create(s.options), auth.credentials[0]!.idB64);
      const r = await finish(b, s.state, claimed);
      assert.equal(errorOf(r), "WEBAUTHN_CREDENTIAL_ID_INUSE");
      assert.equal(r.json.response.field_errors.credential[0], "Passkey already registered.");
      assert.equal(await count(b), 0);
      // And the same account cannot store it twice either.
      const again = await start(a, "Key A again");
      assert.equal(
        errorOf(await finish(a, again.state, withCredentialId(auth.create(again.options), auth.credentials[0]!.idB64))),
        "WEBAUTHN_CREDENTIAL_ID_INUSE",
      );
      const user = (await app.rampart.api.findUser("holder.a@sub.example.test"))!;
      assert.equal((await app.runtime.datastore.store(passkeyStore).listForUser(user.id)).length, 1);
    });

    it("another origin or RP ID, a get ceremony, a wrong challenge or no user presence → WEBAUTHN_NO_VERIFY", async () => {
      const c = await signedIn(app, "forger@sub.example.test");
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      for (const forge of [
        { origin: "https://evil.test" },
        { origin: "https://app.test.evil.test" },
        { rpId: "evil.test" },
        { type: "webauthn.get" },
        { challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
        { up: false },
      ]) {
        const r = await register(c, auth, "Forged", "first", forge);
        assert.equal(errorOf(r), "WEBAUTHN_NO_VERIFY", JSON.stringify(forge));
        assert.match(r.json.response.field_errors.credential[0], /^Could not verify passkey: .+\.$/);
      }
      assert.equal(await count(c), 0);
    });
  });

  describe(`passkey registration with user verification required (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, { userVerification: "required" });
    });
    after(() => app.close());

    it("a first-factor passkey without user verification is refused; a second-factor one is not asked for it", async () => {
      const c = await signedIn(app, "uv.owner@sub.example.test");
      const noUv = new SoftAuthenticator({ origin: ORIGIN, uv: false });
      const s = await start(c, "No PIN", "first");
      assert.equal(s.options.authenticatorSelection.userVerification, "required");
      assert.equal(errorOf(await finish(c, s.state, noUv.create(s.options))), "WEBAUTHN_NO_VERIFY");
      assert.equal((await register(c, new SoftAuthenticator({ origin: ORIGIN }), "With PIN", "first")).status, 200);
      assert.equal((await register(c, noUv, "Second factor", "secondary")).status, 200);
    });
  });
}
