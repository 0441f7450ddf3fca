import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { linkPath } from "../registration/testing/support.js";
import { authenticationOptions, checkAssertion, credentialIdOf, newChallenge } from "./ceremony.js";
import { RequestContext } from "../../core/context.js";
import { passkeyStore } from "./store.js";
import { finishSignup, signUp, signupApp, startSignup } from "./testing/signup-kit.js";

/**
 * Passkey-first sign-up over HTTP (JSON), on every database: the account, its passkey and its recovery codes
 * made together; the email confirmed before anything else is mailed; a taken email answered like a fresh one;
 * a state used once.
 */
const OWNER = "Pass-Key.Owner+tag@Sub.Example.test";

/** Mail that generic responses send after the answer, delivered. */
async function settle(app: TestApp): Promise<void> {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
}

for (const dialect of flowDialects()) {
  describe(`passkey sign-up with confirmation (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect);
    });
    after(() => app.close());

    it("creates a password-less account with its passkey and recovery codes; the only mail is the confirmation link; nobody signed in until confirmed", async () => {
      const c = app.client();
      const auth = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const { start, finish } = await signUp(c, auth, { email: OWNER, name: "Laptop key" });
      const options = start.json.response.credential_options;
      assert.equal(options.rp.id, "app.test");
      assert.equal(options.authenticatorSelection.residentKey, "required", "a discoverable credential");
      assert.equal(typeof start.json.response.wan_state, "string");

      assert.equal(finish.status, 200, finish.body);
      const codes = finish.json.response.recovery_codes as string[];
      assert.equal(codes.length, 5);
      for (const code of codes) assert.match(code, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
      assert.equal(finish.json.response.user.email, "Pass-Key.Owner+tag@sub.example.test");
      assert.equal(finish.json.response.tf_required, undefined, "pending confirmation: as /register answers it");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "not signed in yet");

      const rt = app.runtime;
      const user = (await rt.datastore.users.findByEmail(OWNER))!;
      assert.equal(user.password, null);
      assert.equal(user.confirmedAt, null);
      // The WebAuthn user handle the authenticator stored is the account's (FS: UTF-8 of fs_webauthn_user_handle).
      const handle = Buffer.from(options.user.id, "base64url").toString("utf8");
      assert.match(handle, /^[0-9a-f]{32}$/);
      assert.equal(user.fsWebauthnUserHandle, handle);
      assert.equal(JSON.parse(user.mfRecoveryCodes!).length, 5, "stored as digests");
      assert.ok(!user.mfRecoveryCodes!.includes(codes[0]!.replace(/-/g, "")), "never the codes themselves");
      const [passkey, ...more] = await rt.datastore.store(passkeyStore).listForUser(user.id);
      assert.equal(more.length, 0);
      assert.equal(passkey!.name, "Laptop key");
      assert.equal(passkey!.usage, "first");
      assert.equal(credentialIdOf(passkey!), auth.credentials[0]!.idB64);

      await settle(app);
      const mails = app.sink.messages.filter((m) => m.envelopeTo.some((t) => /pass-key\.owner/i.test(t)));
      assert.equal(mails.length, 1, mails.map((m) => m.subject).join(", "));
      assert.equal(mails[0]!.subject, "Welcome");
      assert.ok(
        linksIn(mails[0]!).some((l) => l.includes("/confirm/")),
        "the confirmation link",
      );

      // Until the email is confirmed the sign-in pipeline refuses the account whatever proved it (a passkey
      // here; /wan-signin goes through the same pipeline).
      const passkeySignIn = (u: typeof user) =>
        rt.pipeline.signIn(new RequestContext(rt, new Request("https://app.test/wan-signin/x", { method: "POST" })), {
          user: u,
          authnVia: ["webauthn"],
          remember: false,
          kind: "session",
          includeAuthToken: false,
        });
      const refused = await passkeySignIn(user);
      assert.equal(refused.kind, "deny");
      assert.equal(refused.kind === "deny" && refused.code, "CONFIRMATION_REQUIRED");

      const confirmed = await c.get(linkPath(mails[0]!));
      assert.ok([200, 302].includes(confirmed.status), confirmed.body);
      const confirmedUser = (await rt.datastore.users.findById(user.id))!;
      assert.notEqual(confirmedUser.confirmedAt, null);
      assert.equal((await passkeySignIn(confirmedUser)).kind, "signed-in");

      // The stored passkey signs in by itself (a usernameless assertion against the stored credential).
      const challenge = newChallenge(rt);
      const assertion = auth.get(
        await authenticationOptions(rt, { challenge, allow: [], userVerification: "preferred" }),
      );
      assert.equal(Buffer.from(assertion.response.userHandle!, "base64url").toString("utf8"), handle);
      const checked = await checkAssertion(rt, {
        response: assertion,
        challenge,
        credential: passkey!,
        requireUv: false,
      });
      assert.ok(checked.ok, JSON.stringify(checked));

      // No password: /login refuses any password, with the generic failure.
      const login = await app.client().login(OWNER, "any password at all");
      assert.equal(login.status, 400);
      assert.equal((await app.client().get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("a taken email (any case) gets the same answer and no account or passkey; its owner is told by mail", async () => {
      await app.rampart.api.createUser({
        email: "Taken.Owner@Example.test",
        password: "x".repeat(14),
        confirmed: true,
      });
      const fresh = await signUp(app.client(), new SoftAuthenticator({ origin: "https://app.test" }), {
        email: "fresh-one@example.test",
      });
      const taken = await signUp(app.client(), new SoftAuthenticator({ origin: "https://app.test" }), {
        email: "TAKEN.owner@example.test",
      });
      for (const r of [fresh.start, taken.start])
        assert.deepEqual(Object.keys(r.json.response).sort(), ["credential_options", "csrf_token", "wan_state"]);
      assert.equal(taken.finish.status, fresh.finish.status);
      assert.deepEqual(Object.keys(taken.finish.json.response).sort(), Object.keys(fresh.finish.json.response).sort());
      assert.equal(taken.finish.json.response.recovery_codes.length, 5);
      assert.equal(taken.finish.json.response.user.email, "TAKEN.owner@example.test");

      const owner = (await app.runtime.datastore.users.findByEmail("taken.owner@example.test"))!;
      assert.equal(await app.runtime.datastore.users.count(), 3, "the two owners and the fresh account");
      assert.deepEqual(await app.runtime.datastore.store(passkeyStore).listForUser(owner.id), []);
      assert.equal(owner.mfRecoveryCodes, null);
      await settle(app);
      const mail = await app.sink.waitFor((m) => m.envelopeTo.some((t) => /^taken\.owner@example\.test$/i.test(t)));
      assert.match(mail.text, /already has an account/);
    });

    it("bad input: an invalid email, a bad passkey name, a tampered or replayed state → 400 in the contract's shape", async () => {
      const c = app.client();
      const bad = await startSignup(c, { email: "not-an-email" });
      assert.equal(bad.status, 400);
      assert.ok(bad.json.response.field_errors.email);
      const badName = await startSignup(c, { email: "named@example.test", name: "<b>key</b>" });
      assert.equal(badName.status, 400);
      assert.deepEqual(badName.json.response.field_errors.name, ["Value entered is not valid for the field"]);
      const long = await startSignup(c, { email: "named@example.test", name: "k".repeat(65) });
      assert.deepEqual(long.json.response.field_errors.name, ["Value entered must be less than 64 characters"]);

      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      const start = await startSignup(c, { email: "Replay.Me@example.test" });
      const state = start.json.response.wan_state as string;
      const response = auth.create(start.json.response.credential_options);
      const tampered = await finishSignup(c, state.slice(0, -2) + (state.endsWith("AA") ? "BB" : "AA"), response);
      assert.equal(tampered.status, 400);
      assert.deepEqual(tampered.json.response.error_codes, ["API_ERROR"]);
      const garbage = await finishSignup(c, state, { not: "a credential" });
      assert.equal(garbage.status, 400, "the state is spent by a bad answer too");
      const replay = await finishSignup(c, state, response);
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.json.response.error_codes, ["WEBAUTHN_EXPIRED"]);
      assert.equal(await app.runtime.datastore.users.findByEmail("replay.me@example.test"), null);

      const wrongOrigin = await startSignup(c, { email: "origin@example.test" });
      const forged = await finishSignup(
        c,
        wrongOrigin.json.response.wan_state,
        auth.create(wrongOrigin.json.response.credential_options, { origin: "https://evil.test" }),
      );
      assert.equal(forged.status, 400);
      assert.match(forged.json.response.field_errors.credential[0], /^Could not verify passkey/);
      assert.equal(await app.runtime.datastore.users.findByEmail("origin@example.test"), null);
    });

    it("an expired state (WAN_REGISTER_WITHIN) is refused", async () => {
      const c = app.client();
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      const start = await startSignup(c, { email: "slow@example.test" });
      app.advance(31 * 60);
      const late = await finishSignup(
        c,
        start.json.response.wan_state,
        auth.create(start.json.response.credential_options),
      );
      assert.equal(late.status, 400);
      assert.deepEqual(late.json.response.error_codes, ["WEBAUTHN_EXPIRED"]);
      assert.equal(await app.runtime.datastore.users.findByEmail("slow@example.test"), null);
    });
  });
}
