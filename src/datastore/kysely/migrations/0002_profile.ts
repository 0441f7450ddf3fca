import type { Kysely, Migration } from "kysely";

/** Adds `user.profile`: a JSON object of the fields an app declares on its users (register/profile forms). */
export function profileMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("user").addColumn("profile", "text").execute();
    },
  };
}
