import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useDatastore, type DatastoreFactory } from "./util.js";

export function clockConformance(factory: DatastoreFactory): void {
  describe("the database's clock", () => {
    const ds = useDatastore(factory);

    it("now() is the server's current time, in milliseconds, moving forward", async () => {
      const before = Date.now();
      const first = await ds().now();
      assert.ok(first instanceof Date && Number.isFinite(first.getTime()));
      // The test databases run on this host: their clock is ours, give or take the query.
      assert.ok(
        Math.abs(first.getTime() - before) < 5_000,
        `${first.toISOString()} vs ${new Date(before).toISOString()}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 25));
      const second = await ds().now();
      assert.ok(second.getTime() - first.getTime() >= 15, "the time moves (not frozen at a transaction's start)");
    });

    it("now() inside a transaction is the current time too", async () => {
      const outside = await ds().now();
      const inside = await ds().transaction(async (tx) => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return tx.now();
      });
      assert.ok(inside.getTime() - outside.getTime() >= 15);
    });
  });
}
