import { sql, type Kysely, type Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/**
 * `rampart_outbox`: every mail and SMS Rampart accepts, written before it is sent, so a message survives an
 * SMTP outage or a crash and is sent once. `idempotency_key` is unique (one row per message per request);
 * `payload` is the sealed message (AES-256-GCM), cleared once sent; times are epoch milliseconds.
 */
export function outboxMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      let table = db.schema
        .createTable("rampart_outbox")
        .addColumn("id", "varchar(32)", (c) => c.primaryKey())
        .addColumn("idempotency_key", "varchar(64)", (c) => c.notNull().unique())
        .addColumn("kind", "varchar(8)", (c) => c.notNull())
        .addColumn("template", "varchar(64)", (c) => c.notNull())
        .addColumn("recipient", "varchar(320)", (c) => c.notNull())
        .addColumn("user_id", "integer")
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("lease_until", "bigint")
        .addColumn("lease_token", "varchar(32)")
        .addColumn("sent_at", "bigint")
        .addColumn("last_error", "varchar(500)")
        // MySQL's TEXT stops at 64 KB; an HTML mail can be larger.
        .addColumn("payload", dialect === "mysql" ? sql`mediumtext` : "text");
      // MySQL: InnoDB, utf8mb4 and exact (binary) comparison, as every Rampart table: ids and keys differ by case.
      if (dialect === "mysql") table = table.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      await table.execute();
      await db.schema
        .createIndex("rampart_outbox_due")
        .on("rampart_outbox")
        .columns(["status", "next_attempt_at"])
        .execute();
      await db.schema.createIndex("rampart_outbox_created").on("rampart_outbox").column("created_at").execute();
    },
  };
}
