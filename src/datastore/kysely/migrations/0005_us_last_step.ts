import type { Kysely, Migration } from "kysely";

/**
 * Adds `user.us_last_step`: the last accepted TOTP step of the unified sign-in authenticator. It has its own
 * secret, so it gets its own replay counter; sharing `tf_last_step` refused one authenticator's code after
 * the other's within the same 30-second step.
 */
export function usLastStepMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("user").addColumn("us_last_step", "bigint").execute();
    },
  };
}
