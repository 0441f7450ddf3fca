/**
 * Opens a Datastore from a DATABASE_URL-style string:
 * - `sqlite:///abs/path.db` (absolute; `sqlite:////abs/path.db` too), `sqlite://relative.db`, `sqlite:relative.db`,
 *   `sqlite::memory:`, `sqlite://`, `:memory:`, or a bare path ending in .db / .sqlite / .sqlite3.
 *   Note: unlike SQLAlchemy (where `sqlite:///x.db` is relative), three slashes mean an absolute path here.
 * - `postgres://…` / `postgresql://…`, optionally `?schema=NAME` (search_path of every pooled connection).
 * - `mysql://…` / `mariadb://…`.
 */
import { existsSync, rmSync } from "node:fs";
import { Kysely, sql } from "kysely";
import { DEPENDENCY_DEFAULTS } from "../core/config/dependency-defaults.js";
import type { Datastore } from "./contracts.js";
import { KyselyDatastore } from "./kysely/datastore.js";
import { mysqlDialect, postgresDialect, sqliteDialect } from "./kysely/drivers.js";
import type { Database, SqlDialect } from "./kysely/schema.js";

export type ParsedDatabaseUrl =
  | { dialect: "sqlite"; path: string }
  | { dialect: "postgres"; connectionString: string; schema: string | undefined }
  | { dialect: "mysql"; uri: string; database: string };

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function sqlitePath(rest: string): string {
  const noQuery = rest.replace(/\?.*$/, "");
  if (noQuery === "" || noQuery === "//" || noQuery === ":memory:" || noQuery === "//:memory:") return ":memory:";
  if (noQuery.startsWith("///")) return "/" + decodeURIComponent(noQuery.replace(/^\/+/, ""));
  if (noQuery.startsWith("//")) return decodeURIComponent(noQuery.slice(2));
  return decodeURIComponent(noQuery);
}

export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const u = url.trim();
  if (u === ":memory:") return { dialect: "sqlite", path: ":memory:" };
  if (/^sqlite:/i.test(u)) return { dialect: "sqlite", path: sqlitePath(u.slice("sqlite:".length)) };
  if (/^postgres(ql)?:\/\//i.test(u)) {
    const parsed = new URL(u);
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !SCHEMA_NAME.test(schema))
      throw new Error(`invalid schema name in DATABASE_URL: ${schema}`);
    parsed.searchParams.delete("schema");
    return { dialect: "postgres", connectionString: parsed.toString(), schema };
  }
  if (/^(mysql|mariadb):\/\//i.test(u)) {
    const uri = u.replace(/^mariadb:/i, "mysql:");
    const database = decodeURIComponent(new URL(uri).pathname.replace(/^\//, ""));
    if (!database) throw new Error("DATABASE_URL for MySQL/MariaDB must name a database");
    return { dialect: "mysql", uri, database };
  }
  if (!u.includes("://") && /\.(db|sqlite|sqlite3)$/i.test(u)) return { dialect: "sqlite", path: u };
  throw new Error(
    "unsupported DATABASE_URL (expected sqlite:…, a .db/.sqlite file, postgres://…, postgresql://…, mysql://… or mariadb://…)",
  );
}

/**
 * Bounds on every wait for the database (defaults: DEPENDENCY_DEFAULTS.database, the config keys `database.*`);
 * past them a request fails with DependencyUnavailableError, answered 503.
 */
export interface OpenDatastoreOptions {
  /** Connections per pool (PostgreSQL, MySQL). Default 10. */
  poolSize?: number;
  /** SQLite busy timeout. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Longest wait for a connection, new or from a full pool (PostgreSQL, MySQL). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Requests allowed to wait for a free connection (PostgreSQL, MySQL). Default 500. */
  poolQueueLimit?: number;
  /** Longest run of one statement, lock waits included (PostgreSQL, MySQL). Default 10000 ms; 0: no limit. */
  statementTimeoutMs?: number;
  /** PostgreSQL idle_in_transaction_session_timeout. Default 30000 ms. */
  idleInTransactionTimeoutMs?: number;
  /** Apply pending migrations before returning. Default false. */
  migrate?: boolean;
}

/** The open options the `database.*` config keys give. */
export function databaseOptionsOf(config: {
  poolSize: number;
  connectTimeoutMs: number;
  poolQueueLimit: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  sqliteBusyTimeoutMs: number;
}): OpenDatastoreOptions {
  const { sqliteBusyTimeoutMs, ...rest } = config;
  return { ...rest, busyTimeoutMs: sqliteBusyTimeoutMs };
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** PostgreSQL schema in use (from `?schema=` or current_schema()). */
  schema: string | undefined;
  /** SQL texts the driver prepares server-side; hand it to KyselyDatastore. */
  preparedSql: Set<string>;
}

/** Opens a pooled Kysely instance for the URL and checks that it answers. */
export async function openDatabase(url: string, options: OpenDatastoreOptions = {}): Promise<OpenedDatabase> {
  const target = parseDatabaseUrl(url);
  const preparedSql = new Set<string>();
  const d = DEPENDENCY_DEFAULTS.database;
  const bounds = {
    poolSize: options.poolSize ?? d.poolSize,
    connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
    poolQueueLimit: options.poolQueueLimit ?? d.poolQueueLimit,
    statementTimeoutMs: options.statementTimeoutMs ?? d.statementTimeoutMs,
  };
  let db: Kysely<Database>;
  let schema: string | undefined;
  if (target.dialect === "sqlite") {
    db = new Kysely<Database>({
      dialect: sqliteDialect({ path: target.path, busyTimeoutMs: options.busyTimeoutMs ?? d.sqliteBusyTimeoutMs }),
    });
  } else if (target.dialect === "postgres") {
    schema = target.schema;
    const idleInTransactionTimeoutMs = options.idleInTransactionTimeoutMs ?? d.idleInTransactionTimeoutMs;
    db = new Kysely<Database>({
      dialect: postgresDialect({
        connectionString: target.connectionString,
        schema,
        preparedSql,
        ...bounds,
        idleInTransactionTimeoutMs,
      }),
    });
  } else {
    db = new Kysely<Database>({ dialect: mysqlDialect({ uri: target.uri, preparedSql, ...bounds }) });
  }
  try {
    await sql`select 1`.execute(db);
    if (target.dialect === "postgres" && schema === undefined) {
      const { rows } = await sql<{ s: string | null }>`select current_schema() as s`.execute(db);
      schema = rows[0]?.s ?? undefined;
    }
  } catch (err) {
    await db.destroy().catch(() => undefined);
    // Say which database could not be reached (several may be configured); never the password.
    throw new Error(`cannot connect to ${describeTarget(target)}: ${errorText(err)}`, { cause: err });
  }
  return { db, dialect: target.dialect, schema, preparedSql };
}

/** Which database a URL names, for messages: dialect, host:port and database name (or SQLite path), no credentials. */
function describeTarget(target: ParsedDatabaseUrl): string {
  if (target.dialect === "sqlite")
    return target.path === ":memory:" ? "in-memory SQLite" : `SQLite file ${target.path}`;
  const url = new URL(target.dialect === "postgres" ? target.connectionString : target.uri);
  const name = decodeURIComponent(url.pathname.replace(/^\//, "")) || "(default database)";
  const host = `${url.hostname || "localhost"}${url.port ? `:${url.port}` : ""}`;
  return `${target.dialect === "postgres" ? "PostgreSQL" : "MySQL/MariaDB"} database "${name}" on ${host}`;
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return [...new Set(err.errors.map(errorText))].join("; ");
  if (err instanceof Error) return err.message || String((err as { code?: unknown }).code ?? err.name);
  return String(err);
}

/** Opens the Kysely datastore for a DATABASE_URL; see the module comment for accepted forms. */
export async function openDatastore(url: string, options: OpenDatastoreOptions = {}): Promise<Datastore> {
  const target = parseDatabaseUrl(url);
  const newFile =
    target.dialect === "sqlite" && target.path !== ":memory:" && !existsSync(target.path) ? target.path : null;
  const opened = await openDatabase(url, options);
  const datastore = new KyselyDatastore(opened.db, opened.dialect, {
    preparedSql: opened.preparedSql,
    schema: opened.schema,
  });
  if (newFile) removeIfLeftEmpty(datastore, opened.db, newFile);
  if (options.migrate) {
    try {
      await datastore.migrations.migrateToLatest();
    } catch (err) {
      await datastore.close().catch(() => undefined);
      throw err;
    }
  }
  return datastore;
}

/**
 * Opening a SQLite path creates the file. If nothing was ever created in it (e.g. the app refused to start on
 * an unmigrated database), closing removes it again instead of leaving an empty file that looks like a database.
 */
function removeIfLeftEmpty(datastore: KyselyDatastore, db: Kysely<Database>, path: string): void {
  const close = datastore.close.bind(datastore);
  datastore.close = async () => {
    const { rows } = await sql<{ n: number }>`select count(*) as n from sqlite_master`
      .execute(db)
      .catch(() => ({ rows: [{ n: 1 }] }));
    await close();
    if (Number(rows[0]?.n) === 0)
      for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
  };
}
