import { sql, type Kysely, type Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/**
 * `rampart_remember`: remember-me cookies bound to a server-side record (hash of the secret only), so logout,
 * revoking sessions, deactivation and a new password can end them, and their absolute expiry is kept.
 */
export function rememberMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let t = db.schema
        .createTable("rampart_remember")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
        .addColumn("secret_hash", "char(64)", (c) => c.notNull())
        .addColumn("previous_hash", "char(64)")
        .addColumn("rotated_at", "bigint")
        .addColumn("fs_uniquifier", "varchar(64)", (c) => c.notNull())
        .addColumn("issued_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("second_factor", "varchar(64)");
      // Binary collation on MySQL: ids and hashes compare exactly, as everywhere else.
      if (dialect === "mysql") t = t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      await t.execute();
      await db.schema.createIndex("rampart_remember_user_idx").on("rampart_remember").column("user_id").execute();
      await db.schema.createIndex("rampart_remember_expires_idx").on("rampart_remember").column("expires_at").execute();
    },
  };
}
