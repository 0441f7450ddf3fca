import type { Kysely, Selectable } from "kysely";
import { DuplicateError, type RoleRecord, type RoleStore } from "../contracts.js";
import { fromSqlDateTime, toSqlDateTime, uniqueViolationKey } from "./codec.js";
import { confined, inTransaction, insertReturningId, type StoreContext } from "./context.js";
import { PreparedQuery } from "./prepared.js";
import type { Database, RoleTable } from "./schema.js";

type RoleRow = Selectable<RoleTable>;

/** Explicit column list: a prepared `select *` would break when a later migration adds columns. */
const ROLE_COLUMNS = ["role.id", "role.name", "role.description", "role.permissions", "role.update_datetime"] as const;

/** Compiled once: every guard check (authorization) reads the caller's roles. */
export class RoleQueries {
  readonly ofUser: PreparedQuery<RoleRow>;

  constructor(db: Kysely<Database>, preparedSql: Set<string>) {
    this.ofUser = new PreparedQuery(
      db
        .selectFrom("role")
        .innerJoin("roles_users", "roles_users.role_id", "role.id")
        .select(ROLE_COLUMNS)
        .where("roles_users.user_id", "=", 0)
        .orderBy("role.name"),
      preparedSql,
    );
  }
}

/** Flask-Security's AsaList: a comma-separated string; empty means no permissions. */
export function parsePermissions(text: string | null | undefined): string[] {
  if (!text) return [];
  return [
    ...new Set(
      text
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== ""),
    ),
  ];
}

function formatPermissions(permissions: readonly string[]): string | null {
  const clean = [...new Set(permissions.map((p) => p.trim()).filter((p) => p !== ""))];
  for (const p of clean) if (p.includes(",")) throw new RangeError(`a permission may not contain a comma: ${p}`);
  return clean.length ? clean.join(",") : null;
}

function toRoleRecord(row: RoleRow): RoleRecord {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description ?? null,
    permissions: parsePermissions(row.permissions),
    updateDatetime: fromSqlDateTime(row.update_datetime),
  };
}

export class KyselyRoleStore implements RoleStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly q: RoleQueries,
  ) {}

  private async byName(db: Kysely<Database>, name: string, lock = false): Promise<RoleRow | undefined> {
    let query = db.selectFrom("role").selectAll().where("name", "=", name);
    // SQLite has no row locks; its write transactions are serialized anyway.
    if (lock && this.ctx.dialect !== "sqlite") query = query.forUpdate();
    return query.executeTakeFirst();
  }

  async create(input: { name: string; description?: string | null; permissions?: string[] }): Promise<RoleRecord> {
    const { db, dialect } = this.ctx;
    const permissions = formatPermissions(input.permissions ?? []);
    const insert = db.insertInto("role").values({
      name: input.name,
      description: input.description ?? null,
      permissions,
      update_datetime: toSqlDateTime(new Date()),
    });
    let id: number;
    try {
      id = await confined(this.ctx, () => insertReturningId(dialect, insert));
    } catch (err) {
      if (uniqueViolationKey(err) !== null) throw new DuplicateError("name", `duplicate role name ${input.name}`);
      throw err;
    }
    const row = await db.selectFrom("role").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return toRoleRecord(row);
  }

  async findByName(name: string): Promise<RoleRecord | null> {
    const row = await this.byName(this.ctx.db, name);
    return row ? toRoleRecord(row) : null;
  }

  async list(): Promise<RoleRecord[]> {
    const rows = await this.ctx.db.selectFrom("role").selectAll().orderBy("name").execute();
    return rows.map(toRoleRecord);
  }

  async delete(name: string): Promise<boolean> {
    return inTransaction(this.ctx.db, async (trx) => {
      const row = await this.byName(trx, name, true);
      if (!row) return false;
      // Explicit: Flask-Security's roles_users has no ON DELETE CASCADE.
      await trx.deleteFrom("roles_users").where("role_id", "=", row.id).execute();
      const result = await trx.deleteFrom("role").where("id", "=", row.id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  private changePermissions(name: string, change: (current: string[]) => string[]): Promise<RoleRecord | null> {
    return inTransaction(this.ctx.db, async (trx) => {
      const row = await this.byName(trx, name, true);
      if (!row) return null;
      const permissions = formatPermissions(change(parsePermissions(row.permissions)));
      const update_datetime = toSqlDateTime(new Date());
      await trx.updateTable("role").set({ permissions, update_datetime }).where("id", "=", row.id).execute();
      return toRoleRecord({ ...row, permissions, update_datetime });
    });
  }

  addPermissions(name: string, permissions: string[]): Promise<RoleRecord | null> {
    return this.changePermissions(name, (current) => [...current, ...permissions]);
  }

  removePermissions(name: string, permissions: string[]): Promise<RoleRecord | null> {
    const drop = new Set(permissions.map((p) => p.trim()));
    return this.changePermissions(name, (current) => current.filter((p) => !drop.has(p)));
  }

  async rolesOfUser(userId: number): Promise<RoleRecord[]> {
    const rows = await this.q.ofUser.rows(this.ctx.db, userId);
    return rows.map(toRoleRecord);
  }

  async addRoleToUser(userId: number, roleId: number): Promise<boolean> {
    const { db, dialect } = this.ctx;
    const insert = db.insertInto("roles_users").values({ user_id: userId, role_id: roleId });
    if (dialect === "mysql") {
      // MySQL has no ON CONFLICT DO NOTHING; INSERT IGNORE would also hide foreign-key errors. A duplicate-key
      // error only ends the statement in MySQL, never the surrounding transaction.
      try {
        await insert.execute();
        return true;
      } catch (err) {
        if (uniqueViolationKey(err) !== null) return false;
        throw err;
      }
    }
    const result = await insert.onConflict((oc) => oc.columns(["user_id", "role_id"]).doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeRoleFromUser(userId: number, roleId: number): Promise<boolean> {
    const result = await this.ctx.db
      .deleteFrom("roles_users")
      .where("user_id", "=", userId)
      .where("role_id", "=", roleId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
