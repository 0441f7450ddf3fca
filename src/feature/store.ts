import type { CreateTableBuilder, InsertQueryBuilder, InsertResult, Kysely, Migration } from "kysely";
import type { StoreDef, StoreKit as InternalKit } from "../datastore/kit.js";
import type { FeatureMigration as InternalMigration } from "../datastore/feature-migrations.js";
import type { SqlDialect } from "../datastore/kysely/schema.js";

/**
 * Storage for an app's feature: its tables come from its migrations (run by Rampart's migrator, recorded as
 * `<feature>/NNNN_name`), and its store is built on a small kit over the same database. Handlers and checks
 * reach the store with `ctx.store(def)`; the datastore and the runtime stay inside Rampart. Only types of Kysely
 * are imported here: `import "rampart/feature"` loads no database code (the kit's code is loaded with the
 * database, when Rampart builds the store or runs the migration).
 */

/** What a feature's store function receives: its own tables and a few of Rampart's conventions. */
export interface StoreKit<Tables> {
  /** The query builder over the feature's own tables (`Tables`, Kysely table types); inside `transaction`, bound to it. */
  readonly db: Kysely<Tables>;
  /** "sqlite", "postgres" or "mysql". */
  readonly dialect: SqlDialect;
  /** Runs `fn` in one transaction (or in the current one); a deadlock victim runs again. */
  transaction<T>(fn: (kit: StoreKit<Tables>) => Promise<T>): Promise<T>;
  /** Runs a statement that may violate a unique key so that a caught violation does not abort the transaction. */
  confined<T>(fn: () => Promise<T>): Promise<T>;
  /** The unique key a failed statement violated (lower case, as the database names it), or null. */
  uniqueViolation(err: unknown): string | null;
  /** True when an update or delete touched a row (of concurrent compare-and-set callers, the winner). */
  changed(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): boolean;
  /** Executes a one-row insert into a table with a generated integer `id` and returns the id, on every dialect. */
  insertId(insert: InsertQueryBuilder<any, any, InsertResult>): Promise<number>;
  /** Value conventions of Rampart's tables: booleans, and times as epoch milliseconds (a `bigint` column). */
  readonly codec: {
    bool(value: boolean): boolean | number;
    readBool(value: unknown): boolean;
    millis(at: Date): number;
    readMillis(value: unknown): Date;
    readMillisOrNull(value: unknown): Date | null;
  };
}

declare const storeType: unique symbol;

/** A feature's store, made by `defineStore`; pass it to `ctx.store(...)` to get the store, typed `S`. */
export interface FeatureStore<S> {
  readonly name: string;
  readonly [storeType]?: S;
}

const internal = new WeakMap<FeatureStore<unknown>, StoreDef<unknown>>();

/** The narrow kit over Rampart's internal one (no `user` table types, no internal helpers). */
function narrow<T>(kit: InternalKit<any>): StoreKit<T> {
  return {
    db: kit.db as unknown as Kysely<T>,
    dialect: kit.dialect,
    transaction: (fn) => kit.transaction((tx) => fn(narrow<T>(tx))),
    confined: (fn) => kit.confined(fn),
    uniqueViolation: (err) => kit.uniqueViolation(err),
    changed: (result) => kit.changed(result),
    insertId: (insert) => kit.insertId(insert),
    codec: {
      bool: kit.codec.bool,
      readBool: kit.codec.readBool,
      millis: kit.codec.millis,
      readMillis: kit.codec.readMillis,
      readMillisOrNull: kit.codec.readMillisOrNull,
    },
  };
}

/**
 * Declares a feature's store: `create` gets the kit (built once per database) and returns the store's methods.
 * `Tables` types the feature's own tables on `kit.db`.
 */
export function defineStore<S, Tables = {}>(name: string, create: (kit: StoreKit<Tables>) => S): FeatureStore<S> {
  const handle: FeatureStore<S> = Object.freeze({ name });
  internal.set(handle, Object.freeze({ name, create: (kit: InternalKit<any>) => create(narrow<Tables>(kit)) }));
  return handle;
}

export function storeDefOf<S>(store: FeatureStore<S>): StoreDef<S> {
  const def = internal.get(store);
  if (!def) throw new TypeError("not a store made by defineStore from rampart/feature");
  return def as StoreDef<S>;
}

/** What a feature's migration is given: the dialect, and `createTable` with Rampart's conventions. */
export interface MigrationTools {
  readonly dialect: SqlDialect;
  /**
   * `create table` on the migration's database: with `id: true` a generated integer primary key `id` (as Rampart's
   * own tables), on MySQL InnoDB with utf8mb4's binary collation (text compares exactly, as elsewhere). Add
   * columns, then `.execute()`.
   */
  createTable(name: string, options?: { id?: boolean }): CreateTableBuilder<string, any>;
}

/** One migration of an app's feature (by `NNNN_name` in its `migrations`): runs once, recorded by name. */
export type FeatureMigration = (tools: MigrationTools) => Migration;

/** The app's migration as the migrator runs it; the kit's code is imported only when it runs. */
export function migrationOf(migration: FeatureMigration): InternalMigration {
  const run = async (db: Kysely<any>, dialect: SqlDialect, step: "up" | "down") => {
    const { createTable } = await import("../datastore/kit.js");
    const tools = { dialect, createTable: (name: string, o?: { id?: boolean }) => createTable(db, dialect, name, o) };
    const m = migration(tools);
    if (step === "up") await m.up(db);
    else await m.down?.(db);
  };
  return (dialect) => ({ up: (db) => run(db, dialect, "up"), down: (db) => run(db, dialect, "down") });
}
