import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { defineStore, type StoreKit } from "../../datastore/kit.js";
import {
  createWanApp,
  finishSignin,
  ORIGIN,
  passkeySignin,
  signedIn,
  startSignin,
  userWithPasskey,
} from "./testing/signin-kit.js";

/**
 * What /wan-signin/<state> refuses, over HTTP on every database: each refusal a 400 in the contract's shape on
 * the `credential` field (or 429 while the account waits), nobody signed in. The app's lockout is high so the
 * failures here do not lock the accounts of other tests; the lockout test has an app of its own.
 */
const raw = defineStore("test-raw-webauthn-signin", (kit: StoreKit) => kit);
const codes = (r: { json: any }) => r.json.response.error_codes as string[];
const fieldCodes = (r: { json: any }) => r.json.response.field_errors?.credential as string[] | undefined;

for (const dialect of flowDialects()) {
  describe(`passkey sign-in refusals (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, {}, { lockout: { threshold: 100 }, rateLimit: { sourceAttempts: 1000 } });
    });
    after(() => app.close());

    it("a state is single-use: a second finish, even with a fresh assertion, is refused", async () => {
      const { auth } = await userWithPasskey(app, "Replay.State+1@Sub.Example.test");
      const c = app.client();
      const { options, state, csrf } = await startSignin(c);
      assert.equal((await finishSignin(c, state, csrf, auth.get(options))).status, 200);
      const again = await finishSignin(app.client(), state, csrf, auth.get(options));
      assert.equal(again.status, 400, again.body);
      assert.deepEqual(codes(again), ["WEBAUTHN_EXPIRED"]);
      assert.match(again.json.response.errors[0], /Please start over/);
    });

    it("a replayed assertion (made for another state's challenge) is refused and counts as a failure", async () => {
      const { auth } = await userWithPasskey(app, "replay.assertion@example.test");
      const c = app.client();
      const first = await startSignin(c);
      const assertion = auth.get(first.options);
      assert.equal((await finishSignin(c, first.state, first.csrf, assertion)).status, 200);
      const other = app.client();
      const second = await startSignin(other);
      const replay = await finishSignin(other, second.state, second.csrf, assertion);
      assert.equal(replay.status, 400, replay.body);
      assert.deepEqual(codes(replay), ["WEBAUTHN_NO_VERIFY"]);
      assert.equal(await signedIn(other), false);
      const failures = await app.rampart.api.auditEvents({ event: "login" });
      assert.ok(failures.some((e) => e.outcome === "failure" && (e.details as any)?.reason === "WEBAUTHN_NO_VERIFY"));
    });

    it("20 parallel finishes of one state: exactly one signs in", async () => {
      const { auth } = await userWithPasskey(app, "Parallel.Finish+20@example.test");
      const c = app.client();
      const { options, state, csrf } = await startSignin(c);
      const assertion = JSON.stringify(auth.get(options));
      const replies = await Promise.all(Array.from({ length: 20 }, () => finishSignin(c, state, csrf, assertion)));
      const statuses = replies.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
      assert.ok(
        statuses.every((s) => s === 200 || s === 400),
        statuses.join(","),
      );
    });

    it("a cloned authenticator (its counter went back) is refused and audited; the original keeps working", async () => {
      const { user, auth } = await userWithPasskey(app, "Cloned.Key+owner@example.test");
      const clone = auth.clone();
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
      const cloned = await passkeySignin(app.client(), clone, {});
      assert.equal(cloned.status, 400, cloned.body);
      assert.deepEqual(codes(cloned), ["WEBAUTHN_NO_VERIFY"]);
      assert.match(cloned.json.response.errors[0], /counter/);
      const audited = await app.rampart.api.auditEvents({ event: "wan_counter_regression", userId: user.id });
      assert.equal(audited.length, 1, JSON.stringify(audited));
      assert.equal((audited[0]!.details as { name?: string }).name, "Key of Cloned.Key+owner@exa");
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
    });

    it("a lower counter with a signature that does not verify is a plain failure, not audited as a cloned key", async () => {
      const { user, auth } = await userWithPasskey(app, "Spoofed.Clone-alert+1@Sub.Example.test");
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
      const regressions = () => app.rampart.api.auditEvents({ event: "wan_counter_regression", userId: user.id });
      // Anyone holding the public credential id can post a low counter; without the key the signature fails.
      for (const forge of [
        { counter: 0, badSignature: true },
        { counter: 1, badSignature: true },
      ]) {
        const r = await passkeySignin(app.client(), auth, {}, forge);
        assert.equal(r.status, 400, r.body);
        assert.deepEqual(codes(r), ["WEBAUTHN_NO_VERIFY"]);
        assert.doesNotMatch(r.json.response.errors[0], /counter/);
      }
      assert.deepEqual(await regressions(), []);
      // A real clone (valid signature, counter gone back) still is.
      const clone = auth.clone();
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
      assert.equal((await passkeySignin(app.client(), clone, {})).status, 400);
      assert.equal((await regressions()).length, 1);
    });

    it("a passkey Flask-Security stored with no signature counter (NULL) signs in, and its counter is then kept", async () => {
      const { user, auth } = await userWithPasskey(app, "Null.Counter+fs@Sub.Example.test");
      const kit = app.runtime.datastore.store(raw);
      await kit.db
        .updateTable("webauthn" as never)
        .set({ sign_count: null } as never)
        .where("user_id" as never, "=", user.id as never)
        .execute();
      for (let i = 0; i < 2; i++) {
        const r = await passkeySignin(app.client(), auth, {});
        assert.equal(r.status, 200, r.body);
      }
    });

    it("an assertion whose counter is over 2^31-1 is refused (400), not a database error", async () => {
      const { auth } = await userWithPasskey(app, "Huge.Counter-key@Sub.Example.test");
      const r = await passkeySignin(app.client(), auth, {}, { counter: 0x80000000 });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(codes(r), ["WEBAUTHN_NO_VERIFY"]);
      assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
    });

    it("authenticators that always report a zero counter keep working", async () => {
      const { auth } = await userWithPasskey(app, "zero.counter@example.test", "first", { counterStep: 0 });
      for (let i = 0; i < 3; i++) assert.equal((await passkeySignin(app.client(), auth, {})).status, 200);
    });

    it("the passkey of a deactivated account: DISABLED_ACCOUNT, nobody signed in", async () => {
      const { user, auth } = await userWithPasskey(app, "Deactivated.Owner@example.test");
      assert.ok(await app.rampart.api.deactivateUser(user));
      const c = app.client();
      const r = await passkeySignin(c, auth, {});
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(codes(r), ["DISABLED_ACCOUNT"]);
      assert.deepEqual(fieldCodes(r)?.length, 1);
      assert.equal(await signedIn(c), false);
    });

    it("a second-factor passkey cannot sign in by itself: WEBAUTHN_CREDENTIAL_WRONG_USAGE", async () => {
      const { auth } = await userWithPasskey(app, "secondary.only@example.test", "secondary");
      const c = app.client();
      const r = await passkeySignin(c, auth, {});
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(codes(r), ["WEBAUTHN_CREDENTIAL_WRONG_USAGE"]);
      assert.equal(await signedIn(c), false);
    });

    it("a user handle that is not the owner's: WEBAUTHN_MISMATCH_USER_HANDLE; none at all is accepted", async () => {
      const { auth } = await userWithPasskey(app, "handle.check@example.test");
      const r = await passkeySignin(app.client(), auth, {}, { userHandle: new Uint8Array(randomBytes(32)) });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(codes(r), ["WEBAUTHN_MISMATCH_USER_HANDLE"]);
      const none = await passkeySignin(app.client(), auth, {}, { userHandle: null });
      assert.equal(none.status, 200, none.body);
    });

    it("an unregistered passkey, another origin, another RP ID, a bad signature, a broken credential", async () => {
      const { auth } = await userWithPasskey(app, "forged.answers@example.test");
      const stranger = new SoftAuthenticator({ origin: ORIGIN });
      const { options: o } = await startSignin(app.client());
      stranger.create({ ...(await registrationLike(o)) });
      const unknown = await passkeySignin(app.client(), stranger, {});
      assert.equal(unknown.status, 400, unknown.body);
      assert.deepEqual(codes(unknown), ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      for (const forge of [{ origin: "https://evil.test" }, { rpId: "evil.test" }, { badSignature: true }]) {
        const r = await passkeySignin(app.client(), auth, {}, forge);
        assert.equal(r.status, 400, `${JSON.stringify(forge)} ${r.body}`);
        assert.deepEqual(codes(r), ["WEBAUTHN_NO_VERIFY"]);
      }
      const c = app.client();
      for (const credential of ["not json", "{}", JSON.stringify({ id: "x", rawId: "x", type: "public-key" })]) {
        const { state, csrf } = await startSignin(c);
        const r = await finishSignin(c, state, csrf, credential);
        assert.equal(r.status, 400, r.body);
        assert.deepEqual(codes(r), ["API_ERROR"]);
      }
      const { state, csrf } = await startSignin(c);
      const missing = await c.post(`/wan-signin/${state}`, { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(missing.status, 400, missing.body);
      const wrongType = await c.post(`/wan-signin/${state}`, {
        json: { credential: 7 },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(wrongType.status, 400, wrongType.body);
      assert.deepEqual(codes(wrongType), ["API_ERROR"]);
    });

    it("odd credential objects (JSON, not strings) are 400s, never a 500", async () => {
      const { auth } = await userWithPasskey(app, "Odd.Objects+fuzz@example.test");
      const id = auth.credentials[0]!.idB64;
      const c = app.client();
      const odd: unknown[] = [
        { id, rawId: id, type: "public-key", response: {} },
        { id, rawId: id, type: "public-key", response: { userHandle: 5 } },
        { id, rawId: id, type: "public-key", response: { clientDataJSON: "!!!", authenticatorData: 7, signature: [] } },
        { id, rawId: "%%%", type: "public-key", response: { clientDataJSON: "" } },
        { id, rawId: "A".repeat(5000), type: "public-key", response: {} },
      ];
      for (const credential of odd) {
        const { state, csrf } = await startSignin(c);
        const r = await c.post(`/wan-signin/${state}`, { json: { credential }, headers: { "x-csrf-token": csrf } });
        assert.equal(r.status, 400, `${JSON.stringify(credential).slice(0, 80)} ${r.body}`);
      }
      assert.equal(await signedIn(c), false);
    });

    it("a tampered state: API_ERROR; an expired one: WEBAUTHN_EXPIRED", async () => {
      const { auth } = await userWithPasskey(app, "expired.state@example.test");
      const c = app.client();
      const { options, state, csrf } = await startSignin(c);
      const tampered = await finishSignin(c, state.slice(0, -3) + "AAA", csrf, auth.get(options));
      assert.equal(tampered.status, 400, tampered.body);
      assert.deepEqual(codes(tampered), ["API_ERROR"]);
      app.advance(61);
      const expired = await finishSignin(c, state, csrf, auth.get(options));
      assert.equal(expired.status, 400, expired.body);
      assert.deepEqual(codes(expired), ["WEBAUTHN_EXPIRED"]);
      assert.match(expired.json.response.errors[0], /1 minute/);
    });

    it("a signed-in caller cannot start a passkey sign-in", async () => {
      const { auth } = await userWithPasskey(app, "already.in@example.test");
      const c = app.client();
      assert.equal((await passkeySignin(c, auth, {})).status, 200);
      const csrf = await c.csrf();
      const r = await c.post("/wan-signin", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.body}`);
    });
  });

  describe(`passkey sign-in and the account's lockout (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, {}, { lockout: { threshold: 3 } });
    });
    after(() => app.close());

    it("after 3 failed assertions the right passkey waits: 429 with Retry-After, nothing judged", async () => {
      const { auth } = await userWithPasskey(app, "Locked.Out+passkey@example.test");
      for (let i = 0; i < 3; i++) {
        const r = await passkeySignin(app.client(), auth, {}, { badSignature: true });
        assert.equal(r.status, 400, r.body);
      }
      const c = app.client();
      const right = await passkeySignin(c, auth, {});
      assert.equal(right.status, 429, right.body);
      assert.ok(Number(right.headers.get("retry-after")) > 0);
      assert.equal(await signedIn(c), false);
    });
  });

  describe(`passkeys not allowed as a first factor (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, { allowAsFirstFactor: false });
    });
    after(() => app.close());

    it("GET and POST /wan-signin answer 404 outside a pending two-factor sign-in", async () => {
      const c = app.client();
      const csrf = await c.csrf();
      const post = await c.post("/wan-signin", {
        json: { identity: "x@example.test" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(post.status, 404, post.body);
      const get = await c.get("/wan-signin", { acceptJson: true });
      assert.equal(get.status, 404, get.body);
    });
  });
}

/** Creation options a software authenticator accepts (a credential this app never registered). */
async function registrationLike(request: { rpId?: string; challenge: string }) {
  return {
    rp: { id: request.rpId ?? "app.test", name: "x" },
    user: { id: "dW5rbm93bg", name: "unknown", displayName: "unknown" },
    challenge: request.challenge,
    pubKeyCredParams: [{ type: "public-key" as const, alg: -7 }],
  };
}
