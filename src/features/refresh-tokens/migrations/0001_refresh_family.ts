import type { Kysely } from "kysely";
import { createTable, type FeatureMigration } from "../../../datastore/kit.js";

/**
 * `rampart_refresh_family`: one row per refresh token family (FS's refresh tracker). The row holds only the
 * SHA-256 of the current generation's secret; ids compare exactly (binary collation on MySQL, via createTable).
 * Times are epoch milliseconds, as Rampart's own tables keep them.
 */
export const refreshFamilyMigration: FeatureMigration = (dialect) => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await createTable(db, dialect, "rampart_refresh_family")
      .addColumn("id", "varchar(64)", (c) => c.primaryKey())
      .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
      .addColumn("gen", "integer", (c) => c.notNull())
      .addColumn("secret_hash", "char(64)", (c) => c.notNull())
      .addColumn("fs_uniquifier", "varchar(64)", (c) => c.notNull())
      .addColumn("name", "varchar(64)", (c) => c.notNull())
      .addColumn("authenticated_at", "bigint", (c) => c.notNull())
      .addColumn("amr", "varchar(255)", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_used_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("revoked_at", "bigint")
      .addColumn("revoked_reason", "varchar(32)")
      .addColumn("ip", "varchar(64)")
      .addColumn("user_agent", "varchar(512)")
      .execute();
    await db.schema
      .createIndex("rampart_refresh_family_user_idx")
      .on("rampart_refresh_family")
      .column("user_id")
      .execute();
  },
});
