import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { registerDirect } from "./testing/register-direct.js";
import { passkeyStore } from "./store.js";

/**
 * /wan-verify: re-authentication with one of the caller's own passkeys, over HTTP as an SPA and as a browser
 * form. Freshness is observed on a fresh-only route (/wan-delete's GET). Another user's valid assertion, another
 * user's state, a replay, an expired state and a passkey not allowed for verification are refused, and the
 * session stays stale. WAN_ALLOW_AS_VERIFY is ["first"] here so a "secondary" passkey is the wrong usage.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;
const origin = "https://app.test";

for (const dialect of flowDialects()) {
  describe(`passkey re-authentication /wan-verify (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: {
          webauthn: { enabled: true, allowAsVerify: ["first"] },
          unifiedSignin: { enabled: true },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 },
          lockout: { threshold: 100 },
        } as never,
      });
    });
    after(() => app.close());

    /** A user with a "first" passkey on `auth`, signed in by password, session made stale. */
    async function staleUser(usage: "first" | "secondary" = "first", counterStep = 1) {
      const email = `Pass-Key.Owner+${++n}.${dialect}@Sub.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const auth = new SoftAuthenticator({ origin, counterStep });
      const record = await registerDirect(app.runtime, email, auth, { name: `Key ${n}`, usage });
      const c = app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      return { email, auth, record, c };
    }
    const stale = () => app.advance(WITHIN + 1);
    const freshness = async (c: TestClient) => {
      const r = await c.get("/wan-delete", { acceptJson: true });
      return r.status === 401 && r.json.response.reauth_required === true
        ? "stale"
        : r.status === 200
          ? "fresh"
          : r.status;
    };
    async function start(c: TestClient) {
      const form = await c.get("/wan-verify", { acceptJson: true });
      assert.equal(form.status, 200);
      const r = await c.post("/wan-verify", { json: {}, headers: { "x-csrf-token": form.json.response.csrf_token } });
      assert.equal(r.status, 200, r.body);
      return {
        options: r.json.response.credential_options,
        state: r.json.response.wan_state as string,
        csrf: r.json.response.csrf_token as string,
      };
    }
    const finish = (c: TestClient, state: string, credential: unknown, csrf: string, query = "") =>
      c.post(`/wan-verify/${state}${query}`, {
        json: { credential: JSON.stringify(credential) },
        headers: { "x-csrf-token": csrf },
      });

    it("the caller's passkey restores freshness (JSON); the counter is recorded; a fresh token when asked", async () => {
      const { auth, record, c } = await staleUser();
      stale();
      assert.equal(await freshness(c), "stale");
      const { options, state, csrf } = await start(c);
      assert.equal(options.rpId, "app.test");
      assert.deepEqual(
        options.allowCredentials.map((x: { id: string }) => x.id),
        [auth.credentials[0]!.idB64],
      );
      const r = await finish(c, state, auth.get(options), csrf, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.user.authentication_token, "a fresh token was asked for");
      assert.ok(r.json.response.csrf_token);
      assert.equal(await freshness(c), "fresh");
      const after = await app.runtime.datastore.store(passkeyStore).findByName(record.userId, record.name);
      assert.equal(after!.signCount, 1);
    });

    it("as a browser: form, ceremony page, answer posted as a form, back to next with freshness", async () => {
      const { auth, c } = await staleUser();
      stale();
      const form = await c.get("/wan-verify?next=/after-verify");
      assert.equal(form.status, 200);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1]!;
      assert.match(form.body, /action="\/wan-verify\?next=%2Fafter-verify"/);
      const page = await c.post("/wan-verify?next=/after-verify", { form: { csrf_token: csrf } });
      assert.equal(page.status, 200);
      const action = /action="(\/wan-verify\/[^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, "&");
      const options = JSON.parse(
        /<script type="application\/json" data-wan-options>(.*?)<\/script>/s.exec(page.body)![1]!,
      );
      assert.match(page.body, /<script nonce=/, "the passkeys script under the CSP nonce");
      const csrf2 = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const done = await c.post(action, {
        form: { csrf_token: csrf2, credential: JSON.stringify(auth.get(options)) },
      });
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/after-verify");
      assert.equal(await freshness(c), "fresh");
    });

    it("another user's valid assertion at my /wan-verify/<state>: 400 mismatch, still stale", async () => {
      const alice = await staleUser();
      const bob = await staleUser();
      stale();
      const { options, state, csrf } = await start(alice.c);
      // Bob's authenticator answers Alice's challenge with Bob's own credential: a valid assertion, wrong person.
      const forged = bob.auth.get(
        { ...options, allowCredentials: [] },
        { credentialId: bob.auth.credentials[0]!.idB64 },
      );
      const r = await finish(alice.c, state, forged, csrf);
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.error_codes, ["WEBAUTHN_MISMATCH_USER_HANDLE"]);
      assert.equal(await freshness(alice.c), "stale");
      // Without a user handle in the answer the credential's owner still decides.
      const next = await start(alice.c);
      const noHandle = bob.auth.get(
        { ...next.options, allowCredentials: [] },
        { credentialId: bob.auth.credentials[0]!.idB64, userHandle: null },
      );
      const r2 = await finish(alice.c, next.state, noHandle, next.csrf);
      assert.equal(r2.status, 400, r2.body);
      assert.deepEqual(r2.json.response.error_codes, ["WEBAUTHN_MISMATCH_USER_HANDLE"]);
      assert.equal(await freshness(alice.c), "stale");
      const bobKey = await app.runtime.datastore.store(passkeyStore).findByName(bob.record.userId, bob.record.name);
      assert.equal(bobKey!.signCount, 0, "Bob's counter did not move");
    });

    it("my own assertion whose user handle is padded base64url: the handle's bytes decide, as at sign-in", async () => {
      const { auth, c } = await staleUser();
      stale();
      const { options, state, csrf } = await start(c);
      const assertion = auth.get(options) as { response: { userHandle?: string } };
      assert.ok(assertion.response.userHandle);
      // Same bytes, written with the "=" padding some clients add.
      assertion.response.userHandle += "=".repeat((4 - (assertion.response.userHandle!.length % 4)) % 4);
      assert.match(assertion.response.userHandle!, /=$/);
      const r = await finish(c, state, assertion, csrf);
      assert.equal(r.status, 200, r.body);
      assert.equal(await freshness(c), "fresh");
    });

    it("a state handed to another user, a replayed state, an expired one: refused, still stale", async () => {
      const alice = await staleUser();
      const bob = await staleUser();
      stale();
      const bobs = await start(bob.c);
      const mine = await start(alice.c);
      const other = await finish(
        alice.c,
        bobs.state,
        alice.auth.get(bobs.options, { credentialId: alice.auth.credentials[0]!.idB64 }),
        mine.csrf,
      );
      assert.equal(other.status, 400);
      assert.deepEqual(other.json.response.error_codes, ["API_ERROR"]);
      assert.equal(await freshness(alice.c), "stale");

      const assertion = alice.auth.get(mine.options);
      const first = await finish(alice.c, mine.state, assertion, mine.csrf);
      assert.equal(first.status, 200);
      const replay = await finish(alice.c, mine.state, assertion, first.json.response.csrf_token);
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.json.response.error_codes, ["WEBAUTHN_EXPIRED"]);
      stale();
      assert.equal(await freshness(alice.c), "stale");
      // The same assertion under a new state: its challenge is not this state's.
      const again = await start(alice.c);
      const moved = await finish(alice.c, again.state, assertion, again.csrf);
      assert.equal(moved.status, 400);
      assert.deepEqual(moved.json.response.error_codes, ["WEBAUTHN_NO_VERIFY"]);
      assert.equal(await freshness(alice.c), "stale");

      const late = await start(alice.c);
      app.advance(61);
      const expired = await finish(alice.c, late.state, alice.auth.get(late.options), late.csrf);
      assert.equal(expired.status, 400);
      assert.deepEqual(expired.json.response.error_codes, ["WEBAUTHN_EXPIRED"]);
      assert.match(expired.json.response.errors[0], /within 1 minute/);
      assert.equal(await freshness(alice.c), "stale");
    });

    it("one state used by 10 parallel requests: exactly one re-authenticates", async () => {
      // An authenticator without a counter (always 0, as many passkeys): only the single-use state stops replays.
      const { auth, c } = await staleUser("first", 0);
      stale();
      const { options, state, csrf } = await start(c);
      const assertion = auth.get(options);
      const answers = await Promise.all(Array.from({ length: 10 }, () => finish(c, state, assertion, csrf)));
      // The losers: 400 (state spent), or 401 once the winner renewed the session they all presented.
      assert.equal(answers.filter((a) => a.status === 200).length, 1);
      assert.ok(
        answers.every((a) => [200, 400, 401].includes(a.status)),
        JSON.stringify(answers.map((a) => a.status)),
      );
    });

    it("as a browser, a refused answer goes back to /wan-verify (keeping next) with the message", async () => {
      const { c } = await staleUser();
      stale();
      const csrf = /name="csrf_token" value="([^"]+)"/.exec((await c.get("/wan-verify")).body)![1]!;
      const page = await c.post("/wan-verify?next=/after", { form: { csrf_token: csrf } });
      const action = /action="(\/wan-verify\/[^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, "&");
      const csrf2 = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const r = await c.post(action, { form: { csrf_token: csrf2, credential: "{not json" } });
      assert.equal(r.status, 302);
      assert.equal(r.location, "/wan-verify?next=%2Fafter");
      const back = await c.get(r.location!);
      assert.match(back.body, /Input not appropriate for requested API/);
      assert.equal(await freshness(c), "stale");
    });

    it("a passkey not allowed for verification (WAN_ALLOW_AS_VERIFY) and an unknown one are refused", async () => {
      const { auth, c } = await staleUser("secondary");
      stale();
      const { options, state, csrf } = await start(c);
      assert.deepEqual(options.allowCredentials, [], "a secondary passkey is not offered");
      const wrong = await finish(c, state, auth.get(options, { credentialId: auth.credentials[0]!.idB64 }), csrf);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json.response.error_codes, ["WEBAUTHN_CREDENTIAL_WRONG_USAGE"]);
      const stranger = new SoftAuthenticator({ origin });
      stranger.create({
        ...options,
        rp: { id: "app.test", name: "x" },
        user: { id: "dXNlcg", name: "u", displayName: "u" },
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      } as never);
      const next = await start(c);
      const unknown = await finish(c, next.state, stranger.get(next.options), next.csrf);
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      assert.ok(unknown.json.response.field_errors.credential);
      const garbage = await finish(c, (await start(c)).state, "not json", next.csrf);
      assert.equal(garbage.status, 400);
      assert.equal(await freshness(c), "stale");
    });

    it("a cloned authenticator (counter gone back) is refused and audited", async () => {
      const { auth, record, c } = await staleUser();
      stale();
      const clone = auth.clone();
      const one = await start(c);
      assert.equal((await finish(c, one.state, auth.get(one.options), one.csrf)).status, 200);
      stale();
      const two = await start(c);
      const r = await finish(c, two.state, clone.get(two.options), two.csrf);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["WEBAUTHN_NO_VERIFY"]);
      assert.equal(await freshness(c), "stale");
      const audits = await app.runtime.datastore.audit.list({ userId: record.userId, event: "wan_counter_regression" });
      assert.equal(audits.length, 1, "the regression is in the audit log");
    });

    it("has_webauthn_verify_credential: the 401 reauth answer, GET /verify and GET /us-verify; the pages link to /wan-verify", async () => {
      const withKey = await staleUser("first");
      const withoutKey = await staleUser("secondary");
      for (const [who, expected] of [
        [withKey, true],
        [withoutKey, false],
      ] as const) {
        const c = who.c;
        const verify = await c.get("/verify", { acceptJson: true });
        assert.equal(verify.json.response.has_webauthn_verify_credential, expected, "GET /verify");
        const us = await c.get("/us-verify", { acceptJson: true });
        assert.equal(us.json.response.has_webauthn_verify_credential, expected, "GET /us-verify");
        for (const path of ["/verify?next=/x", "/us-verify?next=/x"]) {
          const html = await c.get(path);
          assert.equal(html.status, 200);
          assert.equal(/href="\/wan-verify\?next=%2Fx"/.test(html.body), expected, `passkey link on ${path}`);
        }
      }
      stale();
      for (const [who, expected] of [
        [withKey, true],
        [withoutKey, false],
      ] as const) {
        const r = await who.c.get("/wan-delete", { acceptJson: true });
        assert.equal(r.status, 401);
        assert.equal(r.json.response.reauth_required, true);
        assert.equal(r.json.response.has_webauthn_verify_credential, expected, "the reauth answer");
      }
    });
  });
}

describe("WAN_ALLOW_AS_VERIFY empty: no /wan-verify", () => {
  it("answers 404 and offers no passkey re-authentication", async () => {
    const app = await createTestApp({ config: { webauthn: { enabled: true, allowAsVerify: [] } } });
    try {
      const email = "No-Verify.Owner+1@Sub.Example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      await registerDirect(app.runtime, email, new SoftAuthenticator({ origin }), { name: "Key", usage: "first" });
      const c = app.client();
      await c.login(email, PASSWORD);
      assert.equal((await c.get("/wan-verify", { acceptJson: true })).status, 404);
      const verify = await c.get("/verify", { acceptJson: true });
      assert.equal(verify.json.response.has_webauthn_verify_credential, false);
    } finally {
      await app.close();
    }
  });
});

for (const dialect of flowDialects()) {
  describe(`/wan-verify under the account lockout (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: {
          webauthn: { enabled: true },
          freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 },
          lockout: { threshold: 2, delaySeconds: 300 },
        },
      });
    });
    after(() => app.close());

    it("bad assertions count as failures; while the account waits even a valid one is not judged (429)", async () => {
      const email = `Lock.Out-Owner+${dialect}@Sub.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const auth = new SoftAuthenticator({ origin });
      await registerDirect(app.runtime, email, auth, { name: "Key", usage: "first" });
      const c = app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      app.advance(WITHIN + 1);
      const attempt = async (forge = {}) => {
        const form = await c.get("/wan-verify", { acceptJson: true });
        const h = { "x-csrf-token": form.json.response.csrf_token };
        const r = await c.post("/wan-verify", { json: {}, headers: h });
        const { credential_options: options, wan_state: state } = r.json.response;
        return c.post(`/wan-verify/${state}`, { json: { credential: auth.get(options, forge) }, headers: h });
      };
      assert.equal((await attempt({ badSignature: true })).status, 400);
      assert.equal((await attempt({ origin: "https://evil.test" })).status, 400);
      const locked = await attempt();
      assert.equal(locked.status, 429, locked.body);
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
      const stale = await c.get("/wan-delete", { acceptJson: true });
      assert.equal(stale.status, 401, "still not fresh");
    });
  });
}
