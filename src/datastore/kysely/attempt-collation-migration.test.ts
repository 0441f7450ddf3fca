/**
 * Migration 0011 on MySQL/MariaDB: `rampart_attempt` (0003) was created without a table collation, so on a
 * database created with the server's defaults (utf8mb4_general_ci, case- and accent-insensitive) two keys that
 * differ only in case were one counter. After 0011 the table compares exactly, like every other Rampart table.
 * The test database is given the server's usual default collation first (the suite creates its databases
 * binary, which would hide the gap). SQLite and PostgreSQL compare exactly before and after.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { flowDialects } from "../../../test/helpers/app.js";
import { isolatedDatabaseUrl } from "../../../test/helpers/databases.js";
import { openDatabase, openDatastore } from "../open.js";
import { createMigrator, rampartMigrations } from "./migrations/index.js";

const NAMES = Object.keys(rampartMigrations("sqlite")).sort();
/** The schema as it was before 0011. */
const BEFORE = NAMES.filter((n) => n < "0011").at(-1)!;
/** Kysely's own bookkeeping tables (migration names, a lock row) are created by Kysely, not by Rampart. */
const KYSELY_TABLES = ["rampart_migration", "rampart_migration_lock"];

for (const dialect of flowDialects()) {
  describe(`migration 0011_binary_collation on ${dialect}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("attempt counters whose keys differ only in case are one counter before, two after", async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanups.push(isolated.cleanup);
      const now = new Date();
      const { db, dialect: d, schema } = await openDatabase(isolated.url);
      try {
        if (d === "mysql")
          await sql`ALTER DATABASE ${sql.id(new URL(isolated.url).pathname.slice(1))} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`.execute(
            db,
          );
        const migrated = await createMigrator(db, d, schema).migrateTo(BEFORE);
        assert.equal(migrated.error, undefined, String((migrated.error as Error | undefined)?.stack));
      } finally {
        await db.destroy();
      }
      const ds = await openDatastore(isolated.url);
      cleanups.push(() => ds.close());
      await ds.attempts.hit("budget:Key-A", 3600, now);
      const merged = await ds.attempts.peek("budget:key-a", 3600, now);
      assert.equal(merged, dialect === "mysql" ? 1 : 0, "before: MySQL's default collation ignores case");

      assert.deepEqual(await ds.migrations.migrateToLatest(), NAMES.slice(NAMES.indexOf(BEFORE) + 1));
      assert.equal(await ds.attempts.peek("budget:Key-A", 3600, now), 1, "the counter survives the conversion");
      assert.equal(await ds.attempts.peek("budget:key-a", 3600, now), 0, "after: keys compare exactly");
      assert.equal(await ds.attempts.hit("budget:key-a", 3600, now), 1, "a key differing in case is its own counter");
      assert.equal(await ds.attempts.hit("budget:Key-A", 3600, now), 2);
    });

    if (dialect === "mysql")
      it("every Rampart table and text column compares exactly (utf8mb4_bin) on a general_ci database", async () => {
        const isolated = await isolatedDatabaseUrl(dialect);
        cleanups.push(isolated.cleanup);
        const name = new URL(isolated.url).pathname.slice(1);
        const { db } = await openDatabase(isolated.url);
        try {
          await sql`ALTER DATABASE ${sql.id(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`.execute(db);
        } finally {
          await db.destroy();
        }
        const ds = await openDatastore(isolated.url);
        try {
          await ds.migrations.migrateToLatest();
        } finally {
          await ds.close();
        }
        const { db: check } = await openDatabase(isolated.url);
        try {
          const tables = await sql<{ name: string; collation: string }>`
            select table_name as name, table_collation as collation from information_schema.tables
            where table_schema = ${name}`.execute(check);
          const columns = await sql<{ name: string; collation: string }>`
            select concat(table_name, '.', column_name) as name, collation_name as collation
            from information_schema.columns where table_schema = ${name} and collation_name is not null`.execute(check);
          const ours = (n: string) => !KYSELY_TABLES.includes(n.split(".")[0]!);
          assert.ok(tables.rows.some((t) => t.name === "rampart_attempt"));
          assert.deepEqual(
            [...tables.rows, ...columns.rows].filter((r) => ours(r.name) && r.collation !== "utf8mb4_bin"),
            [],
          );
        } finally {
          await check.destroy();
        }
      });
  });
}
