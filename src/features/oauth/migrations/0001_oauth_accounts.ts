import type { Kysely } from "kysely";
import { createTable, tableColumns, type FeatureMigration } from "../../../datastore/kit.js";

/**
 * `oauth_account`: the identities at providers linked to local accounts. An identity is the provider's subject
 * (`sub`, GitHub's numeric id) — never the email, which a provider may let its users change or reuse — and it is
 * linked to one account at most (the unique key). The email the provider gave at link time is kept for display
 * and audit only. Flask-Security has no such table (it looks users up by email on every sign-in).
 */
export const OAUTH_ACCOUNT_TABLE = "oauth_account";

export const oauthAccountsMigration: FeatureMigration = (dialect) => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (await tableColumns(db, dialect, OAUTH_ACCOUNT_TABLE)) return;
    const dateTime = dialect === "postgres" ? "timestamp" : "datetime";
    await createTable(db, dialect, OAUTH_ACCOUNT_TABLE, { id: true })
      .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
      .addColumn("provider", "varchar(32)", (c) => c.notNull())
      .addColumn("subject", "varchar(255)", (c) => c.notNull())
      .addColumn("issuer", "varchar(512)", (c) => c.notNull())
      .addColumn("email", "varchar(320)")
      .addColumn("created_at", dateTime as "timestamp", (c) => c.notNull())
      .addColumn("last_used_at", dateTime as "timestamp")
      .execute();
    await db.schema
      .createIndex("oauth_account_provider_subject_uq")
      .unique()
      .on(OAUTH_ACCOUNT_TABLE)
      .columns(["provider", "subject"])
      .execute();
    await db.schema.createIndex("oauth_account_user_ix").on(OAUTH_ACCOUNT_TABLE).column("user_id").execute();
  },
});
