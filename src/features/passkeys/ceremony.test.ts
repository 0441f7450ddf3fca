import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import {
  authenticationOptions,
  checkAssertion,
  checkRegistration,
  credentialIdOf,
  newChallenge,
  registrationOptions,
} from "./ceremony.js";
import { passkeyStore, type PasskeyRecord, type PasskeyStore } from "./store.js";

/**
 * The ceremony wrappers and the credentials' store together, on every database: a credential registered by a
 * software authenticator is stored as bytes, read back, and its assertions verify; another origin, another RP
 * ID, a replayed counter and a second registration of one credential id are refused.
 */
for (const dialect of flowDialects()) {
  describe(`passkey ceremonies and store (${dialect})`, () => {
    let app: TestApp;
    let store: PasskeyStore;
    let userId: number;
    const auth = new SoftAuthenticator({ origin: "https://app.test" });
    let stored: PasskeyRecord;

    before(async () => {
      app = await createTestApp({ dialect, config: { webauthn: { enabled: true } } });
      const user = await app.rampart.api.createUser({
        email: "Pass-Key.Owner+1@Sub.Example.test",
        password: "x".repeat(12),
      });
      userId = user.id;
      store = app.runtime.datastore.store(passkeyStore);
    });
    after(() => app.close());

    it("registers a credential and stores it as Flask-Security's columns", async () => {
      const rt = app.runtime;
      const challenge = newChallenge(rt);
      const options = await registrationOptions(rt, {
        user: { handle: "a".repeat(32), name: "pass-key.owner+1@sub.example.test", displayName: "owner" },
        usage: "first",
        challenge,
        existing: [],
      });
      assert.equal(options.rp.id, "app.test");
      assert.equal(options.challenge, challenge);
      const checked = await checkRegistration(rt, { response: auth.create(options), challenge, requireUv: false });
      assert.ok(checked.ok, JSON.stringify(checked));
      const at = new Date("2030-01-01T00:00:00Z");
      const created = await store.create({
        ...checked.credential,
        userId,
        name: "Laptop key",
        usage: "first",
        createdAt: at,
        lastUsedAt: at,
      });
      assert.notEqual(created, "credential-in-use");
      stored = (await store.findByCredentialId(checked.credential.credentialId))!;
      assert.equal(credentialIdOf(stored), auth.credentials[0]!.idB64);
      assert.deepEqual(stored.transports, ["internal", "hybrid"]);
      assert.equal(stored.usage, "first");
      assert.equal(stored.createdAt.toISOString(), at.toISOString());
      const again = await store.create({
        ...checked.credential,
        userId,
        name: "Other",
        usage: "first",
        createdAt: at,
        lastUsedAt: at,
      });
      assert.equal(again, "credential-in-use");
    });

    it("verifies an assertion and refuses another origin, RP ID, or a counter that went back", async () => {
      const rt = app.runtime;
      const assertWith = async (forge = {}) => {
        const challenge = newChallenge(rt);
        const options = await authenticationOptions(rt, { challenge, allow: [stored], userVerification: "preferred" });
        return checkAssertion(rt, {
          response: auth.get(options, forge),
          challenge,
          credential: stored,
          requireUv: false,
        });
      };
      const good = await assertWith();
      assert.ok(good.ok);
      assert.equal(good.newCounter, 1);
      assert.ok(await store.recordUse(stored.id, stored.signCount, good.newCounter, good.backedUp, new Date()));
      stored = (await store.findByName(userId, "Laptop key"))!;
      assert.equal(stored.signCount, 1);
      assert.equal((await assertWith({ origin: "https://evil.test" })).ok, false);
      assert.equal((await assertWith({ rpId: "evil.test" })).ok, false);
      assert.equal((await assertWith({ type: "webauthn.create" })).ok, false);
      assert.equal((await assertWith({ badSignature: true })).ok, false);
      const cloned = await assertWith({ counter: 1 });
      assert.ok(!cloned.ok && cloned.counterRegression);
    });
  });
}
