/**
 * An older Rampart on a database a newer one migrated: a Rampart migration it does not know is recorded, and it
 * refuses to migrate rather than run on a schema it was not written for. A feature's recorded migration
 * ("<feature>/NNNN_name") is another matter: the feature was dropped, its tables stay, nothing is refused.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { flowDialects } from "../../../test/helpers/app.js";
import { isolatedDatabaseUrl } from "../../../test/helpers/databases.js";
import { openDatabase } from "../open.js";
import { MIGRATION_TABLE, migrationControl } from "./migrations/index.js";

for (const dialect of flowDialects()) {
  describe(`migrations recorded by others (${dialect})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("a dropped feature's migration is carried; an unknown Rampart migration refuses the migration", async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanups.push(isolated.cleanup);
      const { db, dialect: d, schema } = await openDatabase(isolated.url);
      try {
        const control = migrationControl(db, d, schema);
        await control.migrateToLatest();
        const table = schema ? sql.table(`${schema}.${MIGRATION_TABLE}`) : sql.table(MIGRATION_TABLE);
        const at = new Date().toISOString();
        await sql`insert into ${table} (name, timestamp) values (${"gone-feature/0001_table"}, ${at})`.execute(db);
        assert.deepEqual(await control.migrateToLatest(), [], "a dropped feature's migration is not missing");
        await sql`insert into ${table} (name, timestamp) values (${"0099_from_a_newer_rampart"}, ${at})`.execute(db);
        await assert.rejects(control.migrateToLatest(), /0099_from_a_newer_rampart/);
      } finally {
        await db.destroy();
      }
    });
  });
}
