/**
 * Kysely dialects for the three databases, each wrapped so that statements are prepared once:
 * - SQLite (better-sqlite3): every statement is kept in a bounded LRU cache (preparing is per SQL text);
 * - PostgreSQL (pg): SQL texts registered in `preparedSql` run as named prepared statements (per connection);
 * - MySQL/MariaDB (mysql2): registered SQL texts run through `execute()` (binary protocol, cached per connection).
 * Dates are never converted by the drivers: pg returns `timestamp` as text, mysql2 runs with `dateStrings`.
 */
import { createHash } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type MysqlPool,
  type MysqlPoolConnection,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from "kysely";
import { createRequire } from "node:module";
import type mysql from "mysql2";
import type pg from "pg";

// The PostgreSQL and MySQL client libraries load only when such a database is opened: a SQLite server never
// pays their memory (about 8 MB resident) or start-up time.
const require = createRequire(import.meta.url);
let pgModule: typeof pg | undefined;
let mysqlModule: typeof mysql | undefined;
const loadPg = (): typeof pg => (pgModule ??= require("pg") as typeof pg);
const loadMysql = (): typeof mysql => (mysqlModule ??= require("mysql2") as typeof mysql);

const SQLITE_STATEMENT_CACHE = 500;

export interface SqliteOptions {
  /** File path or ":memory:". */
  path: string;
  busyTimeoutMs: number;
}

/**
 * Transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes while another
 * process writes fails at once with SQLITE_BUSY, whereas IMMEDIATE waits for the busy timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class RampartSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

export function sqliteDialect(options: SqliteOptions): Dialect {
  // The native addon loads when a SQLite database is first opened, not on import.
  const Database = require("better-sqlite3") as typeof BetterSqlite3;
  const raw = new Database(options.path, { timeout: options.busyTimeoutMs });
  raw.pragma("foreign_keys = ON");
  if (options.path !== ":memory:") {
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
  }
  const cache = new Map<string, SqliteStatement>();
  const database: SqliteDatabase = {
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // refresh LRU position
      } else {
        stmt = raw.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= SQLITE_STATEMENT_CACHE) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close(): void {
      cache.clear();
      raw.close();
    },
  };
  return new RampartSqliteDialect({ database });
}

export interface PostgresOptions {
  connectionString: string;
  /** Sets search_path on every pooled connection (startup option). */
  schema?: string;
  poolSize: number;
  preparedSql: ReadonlySet<string>;
}

const PG_INT8 = 20;
const PG_TIMESTAMP = 1114;

/** int8 as number (epoch ms and counts are far below 2^53); timestamp without time zone as its text. */
function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === PG_INT8) return (v) => Number(v);
  if (oid === PG_TIMESTAMP) return (v) => v;
  return loadPg().types.getTypeParser(oid, (format ?? "text") as "text") as (value: string) => unknown;
}

export function postgresDialect(options: PostgresOptions): Dialect {
  const raw = new (loadPg().Pool)({
    connectionString: options.connectionString,
    max: options.poolSize,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: { getTypeParser: pgTypeParser as typeof pg.types.getTypeParser },
  });
  // An idle client losing its server connection must not crash the process.
  raw.on("error", () => undefined);
  const names = new Map<string, string>();
  const nameOf = (sql: string): string => {
    let name = names.get(sql);
    if (!name) {
      name = `rampart_${createHash("sha1").update(sql).digest("hex").slice(0, 24)}`;
      names.set(sql, name);
    }
    return name;
  };
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = (sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>): unknown => {
      if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor as pg.Submittable);
      const values = [...(parameters ?? [])];
      if (options.preparedSql.has(sqlOrCursor)) {
        return client.query({ name: nameOf(sqlOrCursor), text: sqlOrCursor, values });
      }
      return client.query(sqlOrCursor, values);
    };
    return { query, release: () => client.release() } as PostgresPoolClient;
  };
  const pool: PostgresPool = {
    async connect(): Promise<PostgresPoolClient> {
      const client = await raw.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => raw.end(),
  };
  return new PostgresDialect({ pool });
}

export interface MysqlOptions {
  uri: string;
  poolSize: number;
  preparedSql: ReadonlySet<string>;
}

type MysqlCallback = (error: mysql.QueryError | null, result: mysql.QueryResult) => void;

export function mysqlDialect(options: MysqlOptions): Dialect {
  const raw = loadMysql().createPool({
    uri: options.uri,
    connectionLimit: options.poolSize,
    dateStrings: true,
    supportBigNumbers: true,
    charset: "utf8mb4",
  });
  const wrappers = new WeakMap<object, MysqlPoolConnection>();
  const wrap = (conn: mysql.PoolConnection): MysqlPoolConnection => {
    const query = (sql: string, parameters: unknown[], callback?: MysqlCallback): unknown => {
      if (!callback) return conn.query(sql, parameters);
      if (options.preparedSql.has(sql)) return conn.execute(sql, parameters as mysql.ExecuteValues, callback);
      return conn.query(sql, parameters, callback);
    };
    return { query, release: () => conn.release() } as MysqlPoolConnection;
  };
  const pool: MysqlPool = {
    getConnection(callback): void {
      raw.getConnection((error, conn) => {
        if (error) return callback(error, undefined as unknown as MysqlPoolConnection);
        let wrapper = wrappers.get(conn);
        if (!wrapper) {
          wrapper = wrap(conn);
          wrappers.set(conn, wrapper);
        }
        callback(null, wrapper);
      });
    },
    end: (callback) => raw.end(callback),
  };
  return new MysqlDialect({ pool });
}
