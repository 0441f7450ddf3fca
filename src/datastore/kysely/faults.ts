/**
 * The one place a database driver's error is judged: is the database unavailable (down, unreachable, frozen,
 * saturated, read-only, full, shutting down), or is this a bug? The drivers (drivers.ts) pass every error
 * through `databaseFault`: an unavailable database becomes DependencyUnavailableError, which the HTTP layer
 * answers 503 with Retry-After; everything else (SQL syntax, an unhandled constraint) is left as it is and
 * stays a 500. Deadlock and serialization victims are wrapped too, keeping the driver error as the cause, so
 * withConflictRetry can still recognise and retry them; when the retries run out they are a 503.
 */
import { DependencyUnavailableError } from "../../core/errors.js";

export type DriverName = "postgres" | "mysql" | "sqlite";

const LABEL: Record<DriverName, string> = {
  postgres: "database (PostgreSQL)",
  mysql: "database (MySQL/MariaDB)",
  sqlite: "database (SQLite)",
};

export interface Fault {
  reason: string;
  /** The connection cannot be trusted afterwards (cut, or a reply may still be on its way): drop it. */
  dropConnection: boolean;
}

/** Socket errors of Node's net module (every driver). */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection broken",
  ETIMEDOUT: "connect timeout",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
};

/** pg raises these without a code (client and pool messages, pg 8 / pg-pool 3). */
const PG_MESSAGES: [RegExp, string][] = [
  [/^timeout exceeded when trying to connect/, "pool wait exceeded"],
  [/connection timeout/i, "connect timeout"],
  [/^Query read timeout/, "statement timeout (no reply)"],
  [/^Connection terminated/, "connection lost"],
  [/not queryable/, "connection lost"],
  [/after calling end on the pool/, "pool closed"],
];

/** SQLSTATE classes and codes that mean the server cannot serve now (PostgreSQL appendix A). */
function pgState(code: string): Fault | null {
  const keep = (reason: string) => ({ reason, dropConnection: false });
  if (code === "40001" || code === "40P01") return keep("deadlock or serialization conflict");
  if (code === "55P03") return keep("lock wait timeout");
  if (code === "57014") return keep("statement timeout");
  if (code === "25006") return keep("read-only");
  if (code.startsWith("53")) return keep(code === "53300" ? "too many connections" : "out of resources (disk/memory)");
  if (code.startsWith("08")) return { reason: "connection failure", dropConnection: true };
  if (code.startsWith("57P")) return { reason: "server shutting down or starting", dropConnection: true };
  if (code.startsWith("58")) return keep("server I/O error");
  return null;
}

/** mysql2 string codes and server errnos (MySQL and MariaDB). */
const MYSQL_CODES: Record<string, [string, boolean]> = {
  POOL_WAIT_TIMEOUT: ["pool wait exceeded", false],
  PROTOCOL_CONNECTION_LOST: ["connection lost", true],
  PROTOCOL_SEQUENCE_TIMEOUT: ["statement timeout (no reply)", true],
  PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR: ["connection lost", true],
  PROTOCOL_ENQUEUE_AFTER_QUIT: ["connection lost", true],
  ER_CON_COUNT_ERROR: ["too many connections", true],
  ER_TOO_MANY_USER_CONNECTIONS: ["too many connections", true],
  ER_LOCK_WAIT_TIMEOUT: ["lock wait timeout", false],
  ER_LOCK_DEADLOCK: ["deadlock or serialization conflict", false],
  ER_SERVER_SHUTDOWN: ["server shutting down", true],
  ER_QUERY_INTERRUPTED: ["statement interrupted", false],
  ER_QUERY_TIMEOUT: ["statement timeout", false],
  ER_OPTION_PREVENTS_STATEMENT: ["read-only", false],
  ER_READ_ONLY_MODE: ["read-only", false],
  ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: ["read-only", false],
  ER_RECORD_FILE_FULL: ["disk full", false],
  ER_DISK_FULL: ["disk full", false],
  ER_OUT_OF_RESOURCES: ["out of resources", false],
  ER_OUTOFMEMORY: ["out of memory", false],
  ER_NET_READ_ERROR: ["network error", true],
  ER_NET_READ_INTERRUPTED: ["network error", true],
  ER_NET_ERROR_ON_WRITE: ["network error", true],
  ER_NET_WRITE_INTERRUPTED: ["network error", true],
  CR_SERVER_GONE_ERROR: ["connection lost", true],
  CR_SERVER_LOST: ["connection lost", true],
  ER_HOST_IS_BLOCKED: ["host blocked by the server", true],
};
/** MariaDB's own errnos, which mysql2 (named after MySQL's list) leaves without a code. */
const MARIADB_ERRNOS: Record<number, [string, boolean]> = {
  1927: ["connection killed", true],
  1969: ["statement timeout", false],
};
const MYSQL_MESSAGES: [RegExp, string][] = [
  [/^Queue limit reached/, "pool queue full"],
  [/^Pool is closed/, "pool closed"],
  [/closed state/, "connection lost"],
];

/** better-sqlite3 codes: another writer holds the lock past the busy timeout, or the file cannot be written. */
function sqliteCode(code: string): Fault | null {
  const keep = (reason: string) => ({ reason, dropConnection: false });
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return keep("database locked (busy timeout)");
  if (/^SQLITE_READONLY/.test(code)) return keep("read-only");
  if (code === "SQLITE_FULL") return keep("disk full");
  if (/^SQLITE_(IOERR|CANTOPEN|NOMEM|PROTOCOL)/.test(code)) return keep("I/O error");
  return null;
}

/** Why `err` means the database is unavailable, or null when it is a genuine error (a bug, a constraint). */
export function classifyDatabaseError(driver: DriverName, err: unknown): Fault | null {
  if (!err || typeof err !== "object") return null;
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const fault = classifyDatabaseError(driver, inner);
      if (fault) return { ...fault, dropConnection: true };
    }
    return null;
  }
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : "";
  if (typeof code === "string" && NETWORK[code]) return { reason: NETWORK[code], dropConnection: true };
  if (driver === "postgres") {
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return pgState(code);
    for (const [pattern, reason] of PG_MESSAGES) if (pattern.test(text)) return { reason, dropConnection: true };
    return null;
  }
  if (driver === "mysql") {
    const errno = (err as { errno?: unknown }).errno;
    const known =
      (typeof code === "string" ? MYSQL_CODES[code] : undefined) ??
      (typeof errno === "number" ? MARIADB_ERRNOS[errno] : undefined);
    if (known) return { reason: known[0], dropConnection: known[1] };
    for (const [pattern, reason] of MYSQL_MESSAGES) if (pattern.test(text)) return { reason, dropConnection: true };
    // mysql2 marks errors after which the connection is dead as fatal.
    if ((err as { fatal?: unknown }).fatal === true) return { reason: "connection failure", dropConnection: true };
    return null;
  }
  return typeof code === "string" ? sqliteCode(code) : null;
}

/** `err` as DependencyUnavailableError when it means the database is unavailable, else unchanged. */
export function databaseFault(driver: DriverName, err: unknown): unknown {
  if (err instanceof DependencyUnavailableError) return err;
  const fault = classifyDatabaseError(driver, err);
  return fault ? new DependencyUnavailableError(LABEL[driver], err, fault.reason) : err;
}

/** An error of the driver's own making (the pool queue is full), classified like the driver's. */
export function poolQueueFull(driver: DriverName, limit: number): DependencyUnavailableError {
  const error = new Error(`${limit} requests already wait for a database connection`);
  return new DependencyUnavailableError(LABEL[driver], error, "pool queue full");
}
