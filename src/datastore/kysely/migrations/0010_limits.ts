import type { Kysely, Migration } from "kysely";

/** `rampart_limit`: rate-limit and lockout counters of the database limiter store, shared by every instance. */
export function limitsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("rampart_limit")
        .addColumn("key", "varchar(255)", (c) => c.primaryKey())
        .addColumn("points", "integer", (c) => c.notNull())
        .addColumn("expire", "bigint")
        .execute();
      await db.schema.createIndex("rampart_limit_expire").on("rampart_limit").column("expire").execute();
    },
  };
}
