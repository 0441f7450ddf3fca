/**
 * Migration 0008 on a database where an older version kept the ends of Redis sessions as `session-ended:<id>`
 * counters in `rampart_attempt`: they become revocations (still refused after the upgrade), the counters go, and
 * other counters stay.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
import { isolatedDatabaseUrl } from "../../../test/helpers/databases.js";
import { openDatabase, openDatastore } from "../open.js";
import { createMigrator, rampartMigrations } from "./migrations/index.js";

const NAMES = Object.keys(rampartMigrations("sqlite")).sort();
const BEFORE = NAMES[NAMES.indexOf("0008_session_revocation") - 1]!;

for (const dialect of flowDialects()) {
  describe(`migration 0008_session_revocation on ${dialect}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("carries the session-end markers over as revocations and leaves other counters alone", async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanups.push(isolated.cleanup);
      const { db, dialect: d, schema } = await openDatabase(isolated.url);
      const now = Date.now();
      try {
        const migrated = await createMigrator(db, d, schema).migrateTo(BEFORE);
        assert.equal(migrated.error, undefined, String((migrated.error as Error | undefined)?.stack));
        await db
          .insertInto("rampart_attempt")
          .values([
            { key: "session-ended:Ended-Session_1", count: 1, window_start: now },
            { key: "tf:42", count: 3, window_start: now },
          ])
          .execute();
      } finally {
        await db.destroy();
      }
      const ds = await openDatastore(isolated.url);
      cleanups.push(() => ds.close());
      assert.deepEqual(await ds.migrations.migrateToLatest(), NAMES.slice(NAMES.indexOf(BEFORE) + 1));
      const user = await ds.users.create({ email: "carried.over+1@Sub.Example.test" });
      const read = (id: string) => ds.revocations.userForSession(user.id, { id, createdAt: new Date(now) });
      assert.equal((await read("Ended-Session_1")).revoked, true, "a session ended before the upgrade stays ended");
      assert.equal((await read("ended-session_1")).revoked, false, "ids compare exactly");
      assert.equal(await ds.attempts.peek("session-ended:Ended-Session_1", 86_400, new Date(now)), 0);
      assert.equal(await ds.attempts.peek("tf:42", 86_400, new Date(now)), 3, "other counters stay");
      assert.equal(await ds.revocations.deleteExpired(new Date(now + 31 * 86_400_000), new Date(0)), 1, "swept later");
    });
  });
}
