import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tag, useDatastore, type DatastoreFactory } from "./util.js";

/** Rate-limit counters: the database store of the limiter (core/limits) relies on these answers. */
export function limitStoreConformance(factory: DatastoreFactory): void {
  describe("limits", () => {
    const ds = useDatastore(factory);
    const t0 = Date.parse("2025-06-01T12:00:00.000Z");

    it("adds points in a live window, starts over once it has ended, reads and deletes", async () => {
      const key = `lim:${tag()}`;
      assert.equal(await ds().limits.get(key, t0), null);
      assert.deepEqual(await ds().limits.upsert(key, 1, 60_000, false, t0), { points: 1, expire: t0 + 60_000 });
      assert.deepEqual(await ds().limits.upsert(key, 2, 60_000, false, t0 + 1000), { points: 3, expire: t0 + 60_000 });
      assert.deepEqual(await ds().limits.get(key, t0 + 59_999), { points: 3, expire: t0 + 60_000 });
      assert.equal(await ds().limits.get(key, t0 + 60_000), null, "an ended window reads as none");
      assert.deepEqual(
        await ds().limits.upsert(key, 1, 60_000, false, t0 + 60_000),
        { points: 1, expire: t0 + 120_000 },
        "an ended window starts over",
      );
      assert.equal(await ds().limits.delete(key), true);
      assert.equal(await ds().limits.delete(key), false);
      assert.equal(await ds().limits.get(key, t0), null);
    });

    it("forceExpire replaces the counter and its end (a block); a counter without an end never expires", async () => {
      const key = `lim:${tag()}`;
      await ds().limits.upsert(key, 5, 60_000, false, t0);
      assert.deepEqual(await ds().limits.upsert(key, 9, 900_000, true, t0 + 10), { points: 9, expire: t0 + 900_010 });
      const forever = `lim:${tag()}`;
      assert.deepEqual(await ds().limits.upsert(forever, 1, 0, false, t0), { points: 1, expire: null });
      assert.deepEqual(await ds().limits.upsert(forever, 1, 0, false, t0 + 1e9), { points: 2, expire: null });
    });

    it("50 concurrent upserts of one key are each counted once", async () => {
      const key = `lim:${tag()}`;
      const seen = await Promise.all(Array.from({ length: 50 }, () => ds().limits.upsert(key, 1, 60_000, false, t0)));
      assert.deepEqual(
        seen.map((c) => c.points).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it("deleteExpired removes ended windows only", async () => {
      const ended = `lim:${tag()}`;
      const live = `lim:${tag()}`;
      const forever = `lim:${tag()}`;
      await ds().limits.upsert(ended, 1, 1000, false, t0);
      await ds().limits.upsert(live, 1, 60_000, false, t0);
      await ds().limits.upsert(forever, 1, 0, false, t0);
      assert.ok((await ds().limits.deleteExpired(t0 + 1000)) >= 1);
      assert.equal(await ds().limits.get(ended, 0), null);
      assert.deepEqual(await ds().limits.get(live, t0 + 1000), { points: 1, expire: t0 + 60_000 });
      assert.deepEqual(await ds().limits.get(forever, t0 + 1000), { points: 1, expire: null });
    });
  });
}
