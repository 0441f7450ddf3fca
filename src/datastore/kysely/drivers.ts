/**
 * Kysely dialects for the three databases, each wrapped so that statements are prepared once:
 * - SQLite (better-sqlite3): every statement is kept in a bounded LRU cache (preparing is per SQL text);
 * - PostgreSQL (pg): SQL texts registered in `preparedSql` run as named prepared statements (per connection);
 * - MySQL/MariaDB (mysql2): registered SQL texts run through `execute()` (binary protocol, cached per connection).
 * Dates are never converted by the drivers: pg returns `timestamp` as text, mysql2 runs with `dateStrings`.
 * Every wait is bounded (connect, a free pooled connection, a statement) and every error passes through
 * `databaseFault` (faults.ts): an unavailable database is DependencyUnavailableError (a 503), and a connection
 * that failed that way is dropped from the pool instead of being handed to the next request.
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
import { databaseFault, poolQueueFull, classifyDatabaseError, type DriverName } from "./faults.js";

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
        stmt = faultAware(faulting("sqlite", () => raw.prepare(sql) as unknown as SqliteStatement));
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

/** Runs a synchronous driver call, classifying what it throws. */
function faulting<T>(driver: DriverName, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw databaseFault(driver, err);
  }
}

/** A SQLite statement whose errors are classified (a busy timeout, a read-only or full disk is a 503). */
function faultAware(stmt: SqliteStatement): SqliteStatement {
  return {
    get reader() {
      return stmt.reader;
    },
    all: (parameters) => faulting("sqlite", () => stmt.all(parameters)),
    run: (parameters) => faulting("sqlite", () => stmt.run(parameters)),
    iterate: (parameters) => faulting("sqlite", () => stmt.iterate(parameters)),
  };
}

export interface PostgresOptions {
  connectionString: string;
  /** Sets search_path on every pooled connection (startup option). */
  schema?: string;
  poolSize: number;
  preparedSql: ReadonlySet<string>;
  /** Longest wait for a connection: a new one, or a free one from a full pool. */
  connectTimeoutMs: number;
  /** Requests allowed to wait for a free connection; more get a 503 at once. */
  poolQueueLimit: number;
  /** statement_timeout on the server, and a slightly longer read timeout on the client (a frozen network); 0: none. */
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** The client-side read timeout is a little longer, so a live server's own statement_timeout answers first. */
const clientMargin = (statementTimeoutMs: number) => Math.min(500, Math.ceil(statementTimeoutMs / 4));

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
    connectionTimeoutMillis: options.connectTimeoutMs,
    ...(options.statementTimeoutMs > 0
      ? {
          statement_timeout: options.statementTimeoutMs,
          query_timeout: options.statementTimeoutMs + clientMargin(options.statementTimeoutMs),
        }
      : {}),
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
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
    // Set when a statement failed in a way that leaves the connection unusable (cut, or a reply still due).
    let broken: Error | undefined;
    const failed = (err: unknown): never => {
      if (classifyDatabaseError("postgres", err)?.dropConnection) broken = err as Error;
      throw databaseFault("postgres", err);
    };
    // The pool listens for errors of idle clients only: a checked-out client whose connection drops between two
    // statements emits "error" too, which, unheard, would end the process.
    client.on("error", (err) => (broken = err));
    const query = (sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>): unknown => {
      if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor as pg.Submittable);
      const values = [...(parameters ?? [])];
      if (options.preparedSql.has(sqlOrCursor)) {
        return client.query({ name: nameOf(sqlOrCursor), text: sqlOrCursor, values }).catch(failed);
      }
      return client.query(sqlOrCursor, values).catch(failed);
    };
    // release(error) makes the pool destroy the client instead of handing it out again.
    return { query, release: () => client.release(broken) } as PostgresPoolClient;
  };
  const pool: PostgresPool = {
    async connect(): Promise<PostgresPoolClient> {
      // A full pool queues the request (bounded by connectionTimeoutMillis); a long queue is refused at once.
      if (raw.waitingCount >= options.poolQueueLimit) throw poolQueueFull("postgres", options.poolQueueLimit);
      const client = await raw.connect().catch((err: unknown) => Promise.reject(databaseFault("postgres", err)));
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
  /** Longest wait for a connection: a new one, or a free one from a full pool. */
  connectTimeoutMs: number;
  /** Requests allowed to wait for a free connection; more get a 503 at once. */
  poolQueueLimit: number;
  /** Client-side timeout of one statement; the connection is dropped then (its reply may still come); 0: none. */
  statementTimeoutMs: number;
}

type MysqlCallback = (error: mysql.QueryError | null, result: mysql.QueryResult) => void;

export function mysqlDialect(options: MysqlOptions): Dialect {
  const raw = loadMysql().createPool({
    uri: options.uri,
    connectionLimit: options.poolSize,
    connectTimeout: options.connectTimeoutMs,
    queueLimit: options.poolQueueLimit,
    dateStrings: true,
    supportBigNumbers: true,
    charset: "utf8mb4",
  });
  // InnoDB waits 50 s for a row lock by default: keep a lock wait within the statement timeout.
  const lockWaitSeconds = Math.max(1, Math.ceil(options.statementTimeoutMs / 1000));
  if (options.statementTimeoutMs > 0)
    raw.on("connection", (conn) => {
      conn.query(`set session innodb_lock_wait_timeout = ${lockWaitSeconds}`, () => undefined);
    });
  const wrappers = new WeakMap<object, MysqlPoolConnection>();
  const wrap = (conn: mysql.PoolConnection): MysqlPoolConnection => {
    // Set when a statement failed in a way that leaves the connection unusable (cut, or a reply still due).
    let broken = false;
    const classified =
      (callback: MysqlCallback): MysqlCallback =>
      (error, result) => {
        if (error && classifyDatabaseError("mysql", error)?.dropConnection) broken = true;
        callback(error ? (databaseFault("mysql", error) as mysql.QueryError) : null, result);
      };
    // mysql2 honours `timeout` on query() but a prepared execute() can wait forever on a silent server: every
    // statement also gets a timer of ours, a little later, which gives up on the connection.
    const bounded = (callback: MysqlCallback): MysqlCallback => {
      const answer = classified(callback);
      if (options.statementTimeoutMs <= 0) return answer;
      let done = false;
      const timer = setTimeout(
        () => {
          done = true;
          broken = true;
          const error = Object.assign(new Error("Query inactivity timeout"), {
            code: "PROTOCOL_SEQUENCE_TIMEOUT",
            fatal: true,
          });
          answer(error as mysql.QueryError, undefined as unknown as mysql.QueryResult);
        },
        options.statementTimeoutMs + clientMargin(options.statementTimeoutMs),
      );
      timer.unref();
      return (error, result) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        answer(error, result);
      };
    };
    const query = (sql: string, parameters: unknown[], callback?: MysqlCallback): unknown => {
      if (!callback) return conn.query(sql, parameters);
      const statement = options.statementTimeoutMs > 0 ? { sql, timeout: options.statementTimeoutMs } : { sql };
      if (options.preparedSql.has(sql))
        return conn.execute(statement, parameters as mysql.ExecuteValues, bounded(callback));
      return conn.query(statement, parameters, bounded(callback));
    };
    // A broken connection is destroyed (it leaves the pool) instead of being handed to the next request.
    return { query, release: () => (broken ? conn.destroy() : conn.release()) } as MysqlPoolConnection;
  };
  const pool: MysqlPool = {
    getConnection(callback): void {
      // mysql2 bounds opening a connection (connectTimeout) and the queue length, not the wait in the queue.
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        const error = Object.assign(new Error("timeout exceeded when waiting for a free connection"), {
          code: "POOL_WAIT_TIMEOUT",
        });
        callback(databaseFault("mysql", error) as Error, undefined as unknown as MysqlPoolConnection);
      }, options.connectTimeoutMs);
      timer.unref();
      raw.getConnection((error, conn) => {
        clearTimeout(timer);
        if (settled) {
          // The request gave up waiting: the connection goes back to the pool.
          conn?.release();
          return;
        }
        settled = true;
        if (error) return callback(databaseFault("mysql", error) as Error, undefined as unknown as MysqlPoolConnection);
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
