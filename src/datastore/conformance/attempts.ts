import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tag, uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

/** Attempt budgets and TOTP step claims: the primitives second factors and lockout rely on. */
export function attemptStoreConformance(factory: DatastoreFactory): void {
  describe("attempts", () => {
    const ds = useDatastore(factory);
    const t0 = new Date("2025-06-01T12:00:00.000Z");
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

    it("counts hits in a window, restarts after it, peeks without counting, clears", async () => {
      const key = `tf:${tag()}`;
      assert.equal(await ds().attempts.peek(key, 60, t0), 0, "nothing yet");
      assert.equal(await ds().attempts.hit(key, 60, t0), 1);
      assert.equal(await ds().attempts.hit(key, 60, at(30)), 2);
      assert.equal(await ds().attempts.peek(key, 60, at(30)), 2, "peek does not count");
      assert.equal(await ds().attempts.hit(key, 60, at(61)), 1, "a new window starts over");
      assert.equal(await ds().attempts.peek(key, 60, at(200)), 0, "expired window reads 0");
      await ds().attempts.clear(key);
      assert.equal(await ds().attempts.hit(key, 60, at(62)), 1, "cleared");
    });

    it("50 concurrent hits get 50 distinct counts: a budget of 5 lets exactly 5 through", async () => {
      const key = `tf:${tag()}`;
      const counts = await Promise.all(Array.from({ length: 50 }, () => ds().attempts.hit(key, 300, t0)));
      assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1), "each hit saw its own count");
      assert.equal(counts.filter((c) => c <= 5).length, 5, "exactly the budget within it");
    });

    it("replaceRecoveryCodes is a compare-and-set: one of concurrent consumers wins", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Codes") });
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, "stale", "x"), false, "nothing stored yet");
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, null, '["a","b","c"]'), true, "first set");
      const wins = await Promise.all(Array.from({ length: 20 }, () => ds().users.replaceRecoveryCodes(user.id, '["a","b","c"]', '["b","c"]')));
      assert.equal(wins.filter(Boolean).length, 1, "the same code consumed once");
      assert.equal((await ds().users.findById(user.id))!.mfRecoveryCodes, '["b","c"]');
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, '["b","c"]', null), true, "cleared");
    });

    it("claimTotpStep accepts a step once and only moving forward, also under concurrency", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Totp") });
      assert.equal(await ds().users.claimTotpStep(user.id, 1000), true, "first use");
      assert.equal(await ds().users.claimTotpStep(user.id, 1000), false, "same step replayed");
      assert.equal(await ds().users.claimTotpStep(user.id, 999), false, "an older step");
      const wins = await Promise.all(Array.from({ length: 20 }, () => ds().users.claimTotpStep(user.id, 1001)));
      assert.equal(wins.filter(Boolean).length, 1, "one winner for one step");
    });
  });
}
