import { sql, type Kysely, type Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/** `rampart_limit`: rate-limit and lockout counters of the database limiter store, shared by every instance. */
export function limitsMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let table = db.schema
        .createTable("rampart_limit")
        .addColumn("key", "varchar(255)", (c) => c.primaryKey())
        .addColumn("points", "integer", (c) => c.notNull())
        .addColumn("expire", "bigint");
      // MySQL: exact (binary) comparison, as every Rampart table: keys hold base64url hashes, where case matters.
      if (dialect === "mysql") table = table.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      await table.execute();
      await db.schema.createIndex("rampart_limit_expire").on("rampart_limit").column("expire").execute();
    },
  };
}
