import type { Kysely } from "kysely";
import { createTable, tableColumns, type FeatureMigration } from "../../../datastore/kit.js";

/**
 * `webauthn`: Flask-Security's WebAuthn model (fsqla_v3 FsWebAuthnMixin), column for column, so a Flask-Security
 * database's passkeys keep working and Flask-Security can read the ones Rampart registers: the credential id and
 * public key as bytes, the transports comma-separated, naive UTC datetimes. On a database where Flask-Security
 * already made the table, nothing is created.
 */
export const WEBAUTHN_TABLE = "webauthn";

export const webauthnMigration: FeatureMigration = (dialect) => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (await tableColumns(db, dialect, WEBAUTHN_TABLE)) return;
    const bytes = dialect === "postgres" ? "bytea" : dialect === "mysql" ? "varbinary(1024)" : "blob";
    const key = dialect === "postgres" ? "bytea" : "blob";
    const dateTime = dialect === "postgres" ? "timestamp" : "datetime";
    await createTable(db, dialect, WEBAUTHN_TABLE, { id: true })
      .addColumn("credential_id", bytes as "blob", (c) => c.notNull().unique())
      .addColumn("public_key", key as "blob", (c) => c.notNull())
      .addColumn("sign_count", "integer", (c) => c.defaultTo(0))
      .addColumn("transports", "varchar(255)")
      .addColumn("backup_state", "boolean", (c) => c.notNull())
      .addColumn("device_type", "varchar(64)", (c) => c.notNull())
      .addColumn("extensions", "varchar(255)")
      .addColumn("create_datetime", dateTime as "timestamp", (c) => c.notNull())
      .addColumn("lastuse_datetime", dateTime as "timestamp", (c) => c.notNull())
      .addColumn("name", "varchar(64)", (c) => c.notNull())
      .addColumn("usage", "varchar(64)", (c) => c.notNull())
      .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
      .execute();
    // Names are unique per user (Flask-Security checks it in code only; two racing registrations could both pass).
    await db.schema
      .createIndex("webauthn_user_name_uq")
      .unique()
      .on(WEBAUTHN_TABLE)
      .columns(["user_id", "name"])
      .execute();
  },
});
