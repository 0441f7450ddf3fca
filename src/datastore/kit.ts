/**
 * The kit a feature's own store is built on. A feature declares its store with `defineStore` in its own folder
 * and reaches it typed with `datastore.store(def)` (inside `datastore.transaction`, `tx.store(def)` binds it to
 * the transaction); its tables come from the feature's migrations (Feature.migrations). Nothing here names a
 * feature: passkeys or OAuth add tables without touching contracts.ts.
 */
import {
  sql,
  type CreateTableBuilder,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type RawBuilder,
  type SqlBool,
} from "kysely";
import {
  decodeBool,
  encodeBool,
  fromMillis,
  fromMillisOrNull,
  fromSqlDateTime,
  toMillis,
  toSqlDateTime,
  uniqueViolationKey,
} from "./kysely/codec.js";
import { confined, inTransaction, insertReturningId, type StoreContext } from "./kysely/context.js";
import { withConflictRetry } from "./kysely/retry.js";
import { rethrowDuplicate } from "./kysely/users.js";
import type { Database, SqlDialect } from "./kysely/schema.js";

export type { SqlDialect } from "./kysely/schema.js";
export type { FeatureMigration, Migration } from "./feature-migrations.js";
export { tableColumns } from "./kysely/migrations/introspect.js";

/** What a store gets: the executor (root database or the current transaction), its dialect, and helpers. */
export interface StoreKit<Tables = {}> {
  /** Rampart's tables and the feature's own (`Tables`, as Kysely table types). */
  readonly db: Kysely<Database & Tables>;
  readonly dialect: SqlDialect;
  /**
   * Runs a statement that may violate a unique key so that the caller can catch the error and carry on inside a
   * transaction (PostgreSQL aborts the whole transaction otherwise; a savepoint confines it).
   */
  confined<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction (or in the current one) with a kit bound to it; deadlock victims run again. */
  transaction<T>(fn: (kit: StoreKit<Tables>) => Promise<T>): Promise<T>;
  /** `column = value`, or `column is null` for null: the guard of a compare-and-set update. */
  sameAs(column: string, value: string | number | null): RawBuilder<SqlBool>;
  /** True when an update or delete touched a row: of concurrent compare-and-set callers, the winner. */
  changed(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): boolean;
  /** The unique key a failed statement violated (lower case, as the database names it), or null. */
  uniqueViolation(err: unknown): string | null;
  /** Rethrows a unique violation on the `user` table as DuplicateError naming the field; other errors as they are. */
  rethrowUserDuplicate(err: unknown): never;
  /** Executes a one-row insert into a table with a generated integer `id` and returns the id, on every dialect. */
  insertId(insert: InsertQueryBuilder<any, any, InsertResult>): Promise<number>;
  /** Value conventions of Rampart's tables (booleans, epoch-millisecond times, naive UTC datetimes). */
  readonly codec: {
    bool(value: boolean): boolean | number;
    readBool(value: unknown): boolean;
    millis(at: Date): number;
    readMillis(value: unknown): Date;
    readMillisOrNull(value: unknown): Date | null;
    dateTime(at: Date): string;
    readDateTime(value: unknown): Date | null;
  };
}

/** A feature's store: how to build it on a kit. Made by `defineStore`; identity is the object. */
export interface StoreDef<S> {
  /** The owning feature (for messages). */
  readonly name: string;
  readonly create: (kit: StoreKit<any>) => S;
}

/**
 * Declares a feature's store. `Tables` types the feature's own tables on `kit.db`; the returned handle is what
 * the feature's code passes to `datastore.store(...)` to get its store, typed `S`.
 */
export function defineStore<S, Tables = {}>(name: string, create: (kit: StoreKit<Tables>) => S): StoreDef<S> {
  return Object.freeze({ name, create: create as (kit: StoreKit<any>) => S });
}

/** The kit bound to one executor (the datastore's root database or one transaction). */
export function storeKit<Tables = {}>(ctx: StoreContext): StoreKit<Tables> {
  const { db, dialect } = ctx;
  return {
    db: db as unknown as Kysely<Database & Tables>,
    dialect,
    confined: (fn) => confined(ctx, fn),
    transaction: (fn) => {
      const run = () => inTransaction(db, (trx) => fn(storeKit<Tables>({ db: trx, dialect })));
      return db.isTransaction ? run() : withConflictRetry(run);
    },
    sameAs: (column, value) =>
      value === null ? sql<SqlBool>`${sql.ref(column)} is null` : sql<SqlBool>`${sql.ref(column)} = ${value}`,
    changed: (result) => Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0) > 0,
    uniqueViolation: uniqueViolationKey,
    rethrowUserDuplicate: rethrowDuplicate,
    insertId: (insert) => insertReturningId(dialect, insert as InsertQueryBuilder<Database, "user", InsertResult>),
    codec: {
      bool: (value) => encodeBool(dialect, value),
      readBool: decodeBool,
      millis: toMillis,
      readMillis: fromMillis,
      readMillisOrNull: fromMillisOrNull,
      dateTime: toSqlDateTime,
      readDateTime: fromSqlDateTime,
    },
  };
}

/**
 * For a feature's migration: `create table` with Rampart's conventions — with `id: true` a generated integer
 * primary key `id` (serial / auto_increment / SQLite rowid, as Rampart's own tables), and on MySQL InnoDB with
 * utf8mb4's binary collation so text compares exactly, as on the other databases. Add columns, then execute.
 */
export function createTable(
  db: Kysely<any>,
  dialect: SqlDialect,
  name: string,
  options: { id?: boolean } = {},
): CreateTableBuilder<string, any> {
  let t = db.schema.createTable(name);
  if (options.id) {
    if (dialect === "postgres") t = t.addColumn("id", "serial", (c) => c.primaryKey());
    else if (dialect === "mysql") t = t.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
    else t = t.addColumn("id", "integer", (c) => c.primaryKey().notNull());
  }
  return dialect === "mysql" ? t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : t;
}

/** Feature stores of one executor, each built once on first use. */
export class FeatureStores {
  private readonly built = new Map<StoreDef<unknown>, unknown>();
  private kit: StoreKit | undefined;

  constructor(private readonly ctx: StoreContext) {}

  get<S>(def: StoreDef<S>): S {
    if (!this.built.has(def)) {
      this.kit ??= storeKit(this.ctx);
      this.built.set(def, def.create(this.kit));
    }
    return this.built.get(def) as S;
  }
}
