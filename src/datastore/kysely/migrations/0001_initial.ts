/**
 * Initial schema: Flask-Security's fsqla_v3 `user` / `role` / `roles_users` plus Rampart's canonical identity
 * columns, `session` and `audit_event`.
 *
 * Works on an empty database and on an existing Flask-Security database: FS tables are created only when
 * missing; an existing `user` table gets any missing nullable fsqla_v3 column, the `email_canonical` /
 * `username_canonical` columns (backfilled from the stored email/username) and their UNIQUE indexes; an
 * existing `roles_users` gets a UNIQUE (user_id, role_id) index. Every step checks before it acts, so a run
 * interrupted on MySQL (no transactional DDL) can simply be repeated.
 */
import { sql, type CreateTableBuilder, type Kysely, type Migration } from "kysely";
import { canonicalIdentity } from "../../canonical.js";
import type { SqlDialect } from "../schema.js";
import { indexExists, tableColumns } from "./introspect.js";

interface ColumnSpec {
  name: string;
  type: string;
  notNull?: boolean;
  unique?: boolean;
  /** Server default (SQLAlchemy's server_default=func.now()), for rows Flask-Security itself inserts. */
  now?: boolean;
}

function dialectTypes(dialect: SqlDialect) {
  return {
    datetime: dialect === "sqlite" ? "datetime" : dialect === "postgres" ? "timestamp" : "datetime(6)",
    now:
      dialect === "sqlite"
        ? sql`CURRENT_TIMESTAMP`
        : dialect === "postgres"
          ? sql`(now() at time zone 'utc')`
          : sql`CURRENT_TIMESTAMP(6)`,
  };
}

function userColumns(datetime: string): ColumnSpec[] {
  return [
    { name: "email", type: "varchar(255)", notNull: true, unique: true },
    { name: "email_canonical", type: "varchar(255)" },
    { name: "username", type: "varchar(255)", unique: true },
    { name: "username_canonical", type: "varchar(255)" },
    { name: "password", type: "varchar(255)" },
    { name: "active", type: "boolean", notNull: true },
    { name: "fs_uniquifier", type: "varchar(64)", notNull: true, unique: true },
    { name: "fs_token_uniquifier", type: "varchar(64)", unique: true },
    { name: "fs_webauthn_user_handle", type: "varchar(64)", unique: true },
    { name: "confirmed_at", type: datetime },
    { name: "last_login_at", type: datetime },
    { name: "current_login_at", type: datetime },
    { name: "last_login_ip", type: "varchar(64)" },
    { name: "current_login_ip", type: "varchar(64)" },
    { name: "login_count", type: "integer" },
    { name: "tf_primary_method", type: "varchar(64)" },
    { name: "tf_totp_secret", type: "varchar(255)" },
    { name: "tf_phone_number", type: "varchar(128)" },
    { name: "us_totp_secrets", type: "text" },
    { name: "us_phone_number", type: "varchar(128)", unique: true },
    { name: "mf_recovery_codes", type: "text" },
    { name: "create_datetime", type: datetime, notNull: true, now: true },
    { name: "update_datetime", type: datetime, notNull: true, now: true },
  ];
}

function roleColumns(datetime: string): ColumnSpec[] {
  return [
    { name: "name", type: "varchar(80)", notNull: true, unique: true },
    { name: "description", type: "varchar(255)" },
    { name: "permissions", type: "text" },
    { name: "update_datetime", type: datetime, now: true },
  ];
}

type Builder = CreateTableBuilder<string, string>;

class InitialMigration {
  private readonly types: ReturnType<typeof dialectTypes>;
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly dialect: SqlDialect,
  ) {
    this.types = dialectTypes(dialect);
  }

  /** CREATE TABLE with the dialect's id column and, on MySQL, InnoDB + utf8mb4 with exact (binary) collation. */
  private table(name: string, withId: boolean): Builder {
    let t: Builder = this.db.schema.createTable(name);
    if (withId) {
      t =
        this.dialect === "postgres"
          ? t.addColumn("id", "serial", (c) => c.primaryKey())
          : this.dialect === "mysql"
            ? t.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
            : t.addColumn("id", "integer", (c) => c.primaryKey().notNull());
    }
    return t;
  }

  private finish(t: Builder): Builder {
    return this.dialect === "mysql" ? t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : t;
  }

  private addSpecs(t: Builder, table: string, specs: ColumnSpec[]): Builder {
    for (const s of specs) {
      t = t.addColumn(s.name, sql.raw(s.type), (c) => {
        let col = s.notNull ? c.notNull() : c;
        if (s.now) col = col.defaultTo(this.types.now);
        return col;
      });
      if (s.unique) t = t.addUniqueConstraint(`${table}_${s.name}_uq`, [s.name]);
    }
    return t;
  }

  private async index(table: string, name: string, columns: string[], unique = false): Promise<void> {
    if (await indexExists(this.db, this.dialect, table, name)) return;
    const builder = this.db.schema.createIndex(name).on(table).columns(columns);
    await (unique ? builder.unique() : builder).execute();
  }

  /** Adds missing nullable columns of an existing FS table; a missing required column is an error. */
  private async completeTable(table: string, existing: Set<string>, specs: ColumnSpec[]): Promise<void> {
    for (const s of specs) {
      if (existing.has(s.name)) continue;
      if (s.notNull)
        throw new Error(`existing table "${table}" lacks required column "${s.name}" (not fsqla_v3-shaped)`);
      await this.db.schema.alterTable(table).addColumn(s.name, sql.raw(s.type)).execute();
      // SQLite cannot add a UNIQUE column; an index does the same everywhere.
      if (s.unique) await this.index(table, `${table}_${s.name}_uq`, [s.name], true);
    }
  }

  async user(): Promise<void> {
    const specs = userColumns(this.types.datetime);
    const existing = await tableColumns(this.db, this.dialect, "user");
    if (!existing) {
      await this.finish(this.addSpecs(this.table("user", true), "user", specs)).execute();
    } else {
      if (!existing.has("id")) throw new Error('existing table "user" has no "id" column');
      await this.completeTable("user", existing, specs);
      await this.backfillCanonical();
    }
    await this.index("user", "user_email_canonical_uq", ["email_canonical"], true);
    await this.index("user", "user_username_canonical_uq", ["username_canonical"], true);
  }

  /** Fills the canonical columns of rows written by Flask-Security, then refuses case-duplicates clearly. */
  private async backfillCanonical(): Promise<void> {
    type Row = { id: number; email: string; username: string | null };
    const db = this.db.withTables<{
      user: Row & { email_canonical: string | null; username_canonical: string | null };
    }>();
    let lastId = 0;
    for (;;) {
      const rows: Row[] = await db
        .selectFrom("user")
        .select(["id", "email", "username"])
        .where("id", ">", lastId)
        .where((eb) =>
          eb.or([
            eb("email_canonical", "is", null),
            eb.and([eb("username", "is not", null), eb("username_canonical", "is", null)]),
          ]),
        )
        .orderBy("id")
        .limit(500)
        .execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        await db
          .updateTable("user")
          .set({
            email_canonical: canonicalIdentity(r.email),
            username_canonical: r.username == null ? null : canonicalIdentity(r.username),
          })
          .where("id", "=", r.id)
          .execute();
        lastId = Number(r.id);
      }
    }
    for (const column of ["email_canonical", "username_canonical"] as const) {
      const dups = await db
        .selectFrom("user")
        .select(column)
        .where(column, "is not", null)
        .groupBy(column)
        .having((eb) => eb.fn.countAll(), ">", 1)
        .limit(5)
        .execute();
      if (dups.length > 0) {
        const list = dups.map((d) => String(d[column])).join(", ");
        throw new Error(`cannot migrate: users differ only by letter case in ${column}: ${list}`);
      }
    }
  }

  async role(): Promise<void> {
    const specs = roleColumns(this.types.datetime);
    const existing = await tableColumns(this.db, this.dialect, "role");
    if (!existing) await this.finish(this.addSpecs(this.table("role", true), "role", specs)).execute();
    else await this.completeTable("role", existing, specs);
  }

  async rolesUsers(): Promise<void> {
    if (await tableColumns(this.db, this.dialect, "roles_users")) {
      // Flask-Security's association table has no key; grants must be unique for addRoleToUser.
      await this.index("roles_users", "roles_users_user_role_uq", ["user_id", "role_id"], true);
      return;
    }
    const t = this.table("roles_users", false)
      .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
      .addColumn("role_id", "integer", (c) => c.notNull().references("role.id").onDelete("cascade"))
      .addPrimaryKeyConstraint("roles_users_pk", ["user_id", "role_id"]);
    await this.finish(t).execute();
    await this.index("roles_users", "roles_users_role_idx", ["role_id"]);
  }

  async session(): Promise<void> {
    if (!(await tableColumns(this.db, this.dialect, "session"))) {
      const t = this.table("session", false)
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("token_hash", "char(64)", (c) => c.notNull().unique())
        .addColumn("user_id", "integer", (c) => c.notNull().references("user.id").onDelete("cascade"))
        .addColumn("fs_uniquifier", "varchar(64)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_active_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("authenticated_at", "bigint", (c) => c.notNull())
        .addColumn("grace_expires_at", "bigint")
        .addColumn("remember", "boolean", (c) => c.notNull())
        .addColumn("ip", "varchar(64)")
        .addColumn("user_agent", "text")
        .addColumn("csrf_secret", "varchar(128)", (c) => c.notNull())
        .addColumn("authn_via", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull());
      await this.finish(t).execute();
    }
    await this.index("session", "session_user_idx", ["user_id"]);
    await this.index("session", "session_expires_idx", ["expires_at"]);
    await this.index("session", "session_last_active_idx", ["last_active_at"]);
  }

  async audit(): Promise<void> {
    if (!(await tableColumns(this.db, this.dialect, "audit_event"))) {
      const t = this.table("audit_event", true)
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("event", "varchar(64)", (c) => c.notNull())
        .addColumn("outcome", "varchar(16)", (c) => c.notNull())
        .addColumn("user_id", "integer")
        .addColumn("identity", "varchar(255)")
        .addColumn("ip", "varchar(64)")
        .addColumn("user_agent", "text")
        .addColumn("details", "text");
      await this.finish(t).execute();
    }
    await this.index("audit_event", "audit_event_user_idx", ["user_id"]);
    await this.index("audit_event", "audit_event_event_idx", ["event"]);
  }
}

export function initialMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const m = new InitialMigration(db, dialect);
      await m.user();
      await m.role();
      await m.rolesUsers();
      await m.session();
      await m.audit();
    },
  };
}
