import type { Kysely, Migration } from "kysely";

/**
 * Second-factor groundwork: `rampart_attempt` (attempt budgets shared by every instance and surviving restarts)
 * and `user.tf_last_step` (the last accepted TOTP step, so a code is accepted once).
 */
export function attemptsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("rampart_attempt")
        .addColumn("key", "varchar(255)", (c) => c.primaryKey())
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("user").addColumn("tf_last_step", "bigint").execute();
    },
  };
}
