/** What every store of one datastore shares: the executor (root database or a transaction) and dialect. */
import { sql, type InsertQueryBuilder, type InsertResult, type Kysely } from "kysely";
import type { Database, SqlDialect } from "./schema.js";

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
}

/**
 * Runs a statement that may violate a unique key. On PostgreSQL any error aborts the whole transaction; inside
 * a transaction a savepoint confines the failure to this statement, so a caller may catch DuplicateError and
 * carry on, as on SQLite and MySQL.
 */
export async function confined<T>(ctx: StoreContext, fn: () => Promise<T>): Promise<T> {
  if (ctx.dialect !== "postgres" || !ctx.db.isTransaction) return fn();
  await sql`savepoint rampart_unique`.execute(ctx.db);
  try {
    const result = await fn();
    await sql`release savepoint rampart_unique`.execute(ctx.db);
    return result;
  } catch (err) {
    await sql`rollback to savepoint rampart_unique`.execute(ctx.db);
    throw err;
  }
}

/** Runs `fn` in a transaction, or directly when the context is already bound to one. */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/** Executes a one-row insert and returns its generated integer id, on every dialect. */
export async function insertReturningId<T extends "user" | "role" | "audit_event">(
  dialect: SqlDialect,
  insert: InsertQueryBuilder<Database, T, InsertResult>,
): Promise<number> {
  if (dialect === "postgres") {
    const row = await insert.returning("id").executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const result = await insert.executeTakeFirstOrThrow();
  if (result.insertId === undefined) throw new Error("insert returned no id");
  return Number(result.insertId);
}
