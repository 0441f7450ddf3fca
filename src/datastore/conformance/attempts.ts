import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tag, useDatastore, type DatastoreFactory } from "./util.js";

/**
 * Attempt budgets: the primitive second factors and lockout rely on. (The compare-and-set writes of two-factor
 * and unified sign-in are tested with those features' stores: src/features/{two-factor,unified-signin}/store.test.ts.)
 */
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

    it("deleteExpired sweeps only the prefix's counters whose window is over; wildcards in the prefix are literal", async () => {
      const kind = `sweep_${tag()}:`;
      const old = `${kind}old`;
      const fresh = `${kind}fresh`;
      const lookalike = `${kind.replace("_", "X")}old`;
      const other = `other-${tag()}`;
      for (const key of [old, lookalike, other]) await ds().attempts.hit(key, 60, t0);
      await ds().attempts.hit(fresh, 60, at(50));
      assert.equal(await ds().attempts.deleteExpired(kind, 60, at(61)), 1, "only the old one of this kind");
      assert.equal(await ds().attempts.peek(old, 3600, at(61)), 0);
      assert.equal(await ds().attempts.peek(fresh, 60, at(61)), 1, "a live window stays");
      assert.equal(await ds().attempts.peek(lookalike, 3600, at(61)), 1, '"_" in the prefix is not a wildcard');
      assert.equal(await ds().attempts.peek(other, 3600, at(61)), 1, "other kinds stay");
    });

    it("50 concurrent hits get 50 distinct counts: a budget of 5 lets exactly 5 through", async () => {
      const key = `tf:${tag()}`;
      const counts = await Promise.all(Array.from({ length: 50 }, () => ds().attempts.hit(key, 300, t0)));
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
        "each hit saw its own count",
      );
      assert.equal(counts.filter((c) => c <= 5).length, 5, "exactly the budget within it");
    });
  });
}
