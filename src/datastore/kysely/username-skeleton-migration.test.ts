/**
 * Migration 0006 on a database that already holds users: every username gets its look-alike skeleton, names
 * that already look alike stay (the oldest keeps the skeleton), and from then on a new look-alike is refused.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
import { isolatedDatabaseUrl } from "../../../test/helpers/databases.js";
import { DuplicateError } from "../contracts.js";
import { openDatabase, openDatastore } from "../open.js";
import { canonicalIdentity, usernameSkeleton } from "../canonical.js";
import { createMigrator, rampartMigrations } from "./migrations/index.js";

const NAMES = Object.keys(rampartMigrations("sqlite")).sort();
const BEFORE = NAMES[NAMES.indexOf("0006_username_skeleton") - 1]!;

for (const dialect of flowDialects()) {
  describe(`migration 0006_username_skeleton on ${dialect}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("backfills existing usernames, keeps existing look-alikes, then refuses new ones", async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanups.push(isolated.cleanup);
      const { db, dialect: d, schema } = await openDatabase(isolated.url);
      try {
        const migrated = await createMigrator(db, d, schema).migrateTo(BEFORE);
        assert.equal(migrated.error, undefined, String((migrated.error as Error | undefined)?.stack));
        const now = "2025-01-01 00:00:00.000000";
        const rows = [
          ["one@x.test", "alice"],
          ["two@x.test", "al\u0131ce"], // stored before the rule: a look-alike of "alice"
          ["three@x.test", "bob"],
          ["four@x.test", null],
        ] as const;
        for (const [i, [email, username]] of rows.entries()) {
          await db
            .insertInto("user")
            .values({
              email,
              email_canonical: canonicalIdentity(email),
              username,
              username_canonical: username === null ? null : canonicalIdentity(username),
              active: d === "postgres" ? true : 1,
              fs_uniquifier: `uniq-${i}-${Date.now()}`,
              create_datetime: now,
              update_datetime: now,
            } as never)
            .execute();
        }
      } finally {
        await db.destroy();
      }

      const ds = await openDatastore(isolated.url);
      cleanups.push(() => ds.close());
      await ds.migrations.migrateToLatest();
      const { db: check } = await openDatabase(isolated.url);
      try {
        const stored = await check.selectFrom("user").select(["email", "username_skeleton"]).orderBy("id").execute();
        assert.deepEqual(
          stored.map((r) => [r.email, r.username_skeleton]),
          [
            ["one@x.test", usernameSkeleton("alice")],
            ["two@x.test", null],
            ["three@x.test", usernameSkeleton("bob")],
            ["four@x.test", null],
          ],
        );
      } finally {
        await check.destroy();
      }
      for (const lookalike of ["\u0251lice", "ALICE", "b\u043eb"]) {
        await assert.rejects(
          ds.users.create({ email: `new.${lookalike.length}.${Math.random()}@x.test`, username: lookalike }),
          (e) => e instanceof DuplicateError && e.field === "username",
          lookalike,
        );
      }
      assert.ok(await ds.users.create({ email: "five@x.test", username: "carol" }));
    });
  });
}
