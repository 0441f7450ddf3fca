import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { secretBox } from "../../kit/passcodes/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { enrolPasskey } from "./testing/enrol.js";
import {
  amrOf,
  createWanApp,
  finishSignin,
  ORIGIN,
  PASSWORD,
  passkeySignin,
  signedIn,
  startSignin,
} from "./testing/signin-kit.js";

/**
 * A passkey as the second factor (FS WebAuthnTfPlugin), over HTTP on every database: after a password, or after
 * a first-factor passkey without user verification; chosen at /tf-select next to a code method; and only the
 * pending user's own "secondary" passkey, with a second-factor state of that pending sign-in, completes it.
 */
const codes = (r: { json: any }) => r.json.response.error_codes as string[];

for (const dialect of flowDialects()) {
  describe(`passkey as the second factor (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(
        dialect,
        {},
        {
          twoFactor: { enabled: true, alwaysValidate: false },
          lockout: { threshold: 100 },
          rateLimit: { sourceAttempts: 1000 },
        },
      );
    });
    after(() => app.close());

    /** A user with a first-factor passkey on `first` and a second-factor one on `second`. */
    async function twoKeys(
      email: string,
    ): Promise<{ user: UserRecord; first: SoftAuthenticator; second: SoftAuthenticator }> {
      const user = await app.rampart.api.createUser({ email, password: PASSWORD });
      const first = new SoftAuthenticator({ origin: ORIGIN });
      const second = new SoftAuthenticator({ origin: ORIGIN, uv: false });
      await enrolPasskey(app, user, first, { name: "Phone", usage: "first" });
      const fresh = (await app.runtime.datastore.users.findById(user.id))!;
      await enrolPasskey(app, fresh, second, { name: "Security key", usage: "secondary" });
      return { user: fresh, first, second };
    }

    /** The pending sign-in's passkey step: POST /wan-signin (is_secondary) and the second key's answer. */
    async function secondStep(c: TestClient, second: SoftAuthenticator, query = "") {
      const { options, state, csrf, reply } = await startSignin(c);
      assert.equal(reply.json.response.is_secondary, true);
      assert.equal(options.allowCredentials.length, 1);
      assert.equal(options.allowCredentials[0].id, second.credentials[0]!.idB64);
      assert.equal(options.userVerification, "discouraged");
      return finishSignin(c, state, csrf, second.get(options), query);
    }

    it("password, then the passkey: tf_required with tf_method webauthn, then signed in with mfa", async () => {
      const { second } = await twoKeys("Pass-Key.Owner+tf@Sub.Example.test");
      const c = app.client();
      const login = await c.login("pass-key.owner+tf@sub.example.test", PASSWORD);
      assert.equal(login.status, 200, login.body);
      assert.equal(login.json.response.tf_required, true);
      assert.equal(login.json.response.tf_state, "ready");
      assert.equal(login.json.response.tf_method, "webauthn");
      assert.equal(login.json.response.tf_signin_url, "/wan-signin");
      assert.equal(await signedIn(c), false);
      const get = await c.get("/wan-signin", { acceptJson: true });
      assert.equal(get.json.response.is_secondary, true);
      const done = await secondStep(c, second, "?include_auth_token");
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.tf_required, false);
      assert.deepEqual(amrOf(done).sort(), ["mfa", "pop", "pwd"]);
      assert.ok(await signedIn(c));
    });

    it("a first-factor passkey with user verification asks no second factor; without it, the second factor is asked", async () => {
      const { first, second } = await twoKeys("uv.decides@example.test");
      const c = app.client();
      const uv = await passkeySignin(c, first, {}, {}, "?include_auth_token");
      assert.equal(uv.status, 200, uv.body);
      assert.equal(uv.json.response.tf_required, false);
      assert.deepEqual(amrOf(uv).sort(), ["mfa", "pop"]);

      const d = app.client();
      const noUv = await passkeySignin(d, first, {}, { uv: false });
      assert.equal(noUv.status, 200, noUv.body);
      assert.equal(noUv.json.response.tf_required, true);
      assert.equal(noUv.json.response.tf_method, "webauthn");
      assert.equal(noUv.json.response.user, undefined);
      assert.equal(await signedIn(d), false);
      const done = await secondStep(d, second);
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedIn(d));
    });

    it("/tf-select {which: webauthn} next to a code method: tf_signin_url, then the passkey completes it", async () => {
      const { user, second } = await twoKeys("Select.Both+methods@example.test");
      await app.runtime.datastore.users.update(user.id, {
        tfPrimaryMethod: "authenticator",
        tfTotpSecret: secretBox(app.runtime).seal("JBSWY3DPEHPK3PXPJBSWY3DP"),
      });
      const c = app.client();
      const login = await c.login(user.email, PASSWORD);
      assert.equal(login.json.response.tf_select, true, login.body);
      assert.deepEqual(login.json.response.tf_setup_methods, ["authenticator", "webauthn"]);
      // Before a factor is chosen, /wan-signin is not this sign-in's second step.
      const early = await c.get("/wan-signin", { acceptJson: true });
      assert.equal(early.json.response.is_secondary, false);
      const csrf = login.json.response.csrf_token as string;
      const chosen = await c.post("/tf-select", { json: { which: "webauthn" }, headers: { "x-csrf-token": csrf } });
      assert.equal(chosen.status, 200, chosen.body);
      assert.equal(chosen.json.response.tf_method, "webauthn");
      assert.equal(chosen.json.response.tf_signin_url, "/wan-signin");
      const done = await secondStep(c, second);
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedIn(c));
    });

    it("no other path completes it: a first-factor state, another client, another user's passkey, a first-usage passkey", async () => {
      const { user, first, second } = await twoKeys("only.own+path@example.test");
      const other = await twoKeys("Other.User+path@example.test");
      const c = app.client();
      const login = await c.login(user.email, PASSWORD);
      const pendingCsrf = login.json.response.csrf_token as string;
      // A first-factor state made before the sign-in was pending.
      const outsider = app.client();
      const early = await startSignin(outsider);
      const firstState = await finishSignin(c, early.state, pendingCsrf, first.get(early.options));
      assert.equal(firstState.status, 400, firstState.body);
      assert.deepEqual(codes(firstState), ["TWO_FACTOR_PERMISSION_DENIED"]);

      // The pending user's second-factor state, posted by a client without the pending sign-in.
      const { options, state } = await startSignin(c);
      const stray = await finishSignin(outsider, state, early.csrf, second.get(options));
      assert.equal(stray.status, 400, stray.body);
      assert.deepEqual(codes(stray), ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal(await signedIn(outsider), false);

      // The other user's secondary passkey at this user's step.
      const theirs = await startSignin(c);
      const foreign = await finishSignin(
        c,
        theirs.state,
        theirs.csrf,
        other.second.get({ ...theirs.options, allowCredentials: [] }),
      );
      assert.equal(foreign.status, 400, foreign.body);
      assert.deepEqual(codes(foreign), ["WEBAUTHN_MISMATCH_USER_HANDLE"]);

      // The user's own first-factor passkey is not a second factor.
      const own = await startSignin(c);
      const wrong = await finishSignin(c, own.state, own.csrf, first.get({ ...own.options, allowCredentials: [] }));
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(codes(wrong), ["WEBAUTHN_CREDENTIAL_WRONG_USAGE"]);
      assert.equal(await signedIn(c), false);

      // Still pending: the right passkey completes it.
      const done = await secondStep(c, second);
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedIn(c));
    });

    it("remember: a sign-in completed by the passkey is not asked for a second factor again on this device", async () => {
      const { user, second } = await twoKeys("Remember.Device+tf@example.test");
      const c = app.client();
      const login = await c.login(user.email, PASSWORD, { remember: true });
      assert.equal(login.json.response.tf_required, true, login.body);
      const done = await secondStep(c, second);
      assert.equal(done.status, 200, done.body);
      assert.ok(
        done.setCookies.some((s) => s.includes("tf_validity=")),
        done.setCookies.join("\n"),
      );
      const out = await c.post("/logout", { json: {}, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(out.status, 200, out.body);
      assert.equal(await signedIn(c), false);
      const again = await c.login(user.email, PASSWORD);
      assert.equal(again.status, 200, again.body);
      assert.notEqual(again.json.response.tf_required, true, again.body);
      assert.ok(await signedIn(c));
      // Without remember, no such cookie.
      const d = app.client();
      await d.login(user.email, PASSWORD);
      const plain = await secondStep(d, second);
      assert.equal(plain.status, 200, plain.body);
      assert.ok(!plain.setCookies.some((s) => s.includes("tf_validity=")));
    });

    it("a deactivated account's pending sign-in is denied by the pipeline's checks", async () => {
      const { user, second } = await twoKeys("disabled.meanwhile@example.test");
      const c = app.client();
      await c.login(user.email, PASSWORD);
      assert.ok(await app.rampart.api.deactivateUser(user));
      const { options, state, csrf } = await startSignin(c);
      const r = await finishSignin(c, state, csrf, second.get(options));
      assert.equal(r.status, 400, r.body);
      assert.equal(await signedIn(c), false);
    });
  });

  describe(`passkeys not counted as multi-factor (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(
        dialect,
        { allowAsMultiFactor: false, allowAsFirstFactor: true },
        { twoFactor: { enabled: true } },
      );
    });
    after(() => app.close());

    it("WAN_ALLOW_AS_MULTI_FACTOR off: a user-verified passkey still gets the second factor asked", async () => {
      const user = await app.rampart.api.createUser({ email: "no.multi@example.test", password: PASSWORD });
      const first = new SoftAuthenticator({ origin: ORIGIN });
      const second = new SoftAuthenticator({ origin: ORIGIN });
      await enrolPasskey(app, user, first, { name: "Phone", usage: "first" });
      await enrolPasskey(app, (await app.runtime.datastore.users.findById(user.id))!, second, {
        name: "Key",
        usage: "secondary",
      });
      const c = app.client();
      const r = await passkeySignin(c, first, {});
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, true);
      assert.equal(r.json.response.tf_method, "webauthn");
      assert.equal(await signedIn(c), false);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`passkey second factor and the account's lockout (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, {}, { twoFactor: { enabled: true }, lockout: { threshold: 3 } });
    });
    after(() => app.close());

    it("failed passkey answers at the second step count: the right passkey then waits (429), the attempt stays pending", async () => {
      const user = await app.rampart.api.createUser({ email: "Locked.Second+step@example.test", password: PASSWORD });
      const key = new SoftAuthenticator({ origin: ORIGIN, uv: false });
      await enrolPasskey(app, user, key, { name: "Key", usage: "secondary" });
      const c = app.client();
      const login = await c.login(user.email, PASSWORD);
      assert.equal(login.json.response.tf_method, "webauthn", login.body);
      for (let i = 0; i < 3; i++) {
        const { options, state, csrf } = await startSignin(c);
        const bad = await finishSignin(c, state, csrf, key.get(options, { badSignature: true }));
        assert.equal(bad.status, 400, bad.body);
        assert.deepEqual(codes(bad), ["WEBAUTHN_NO_VERIFY"]);
      }
      const { options, state, csrf } = await startSignin(c);
      const right = await finishSignin(c, state, csrf, key.get(options));
      assert.equal(right.status, 429, right.body);
      const wait = Number(right.headers.get("retry-after"));
      assert.ok(wait > 0);
      assert.equal(await signedIn(c), false);
      // The sign-in is still pending at its passkey step (nothing was judged).
      const still = await c.get("/wan-signin", { acceptJson: true });
      assert.equal(still.json.response.is_secondary, true, still.body);
    });
  });
}
