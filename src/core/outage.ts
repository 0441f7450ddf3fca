import { DependencyUnavailableError } from "./errors.js";

/**
 * Telling a database that cannot answer from a bug. Two questions:
 * - `isDatabaseOutage`: unavailable for whatever reason (unreachable, or only busy: a full pool, a lock wait, a
 *   statement timeout). Work that is safe to defer (a sign-out's end, an audit row) is queued or skipped then.
 * - `isDatabaseUnreachable`: the connection itself failed (refused, reset, lost, connect timeout). Only this opens
 *   the read path that trusts what the session store kept: load alone can make a database busy, and a client
 *   must not be able to switch the database's revocations off by keeping it busy.
 * The drivers' own classification answers DependencyUnavailableError (its `reason`, see
 * datastore/kysely/faults.ts); until every driver error is mapped, the connection failures Node, pg and mysql2
 * report are recognised here too.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  // PostgreSQL: the server is shutting down, starting, or out of connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

const NETWORK_MESSAGES =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|connection lost|can't add new command when connection is in closed state|client has encountered a connection error|connect ECONNREFUSED|pool is closed/i;

/** Reasons (datastore/kysely/faults.ts) that mean the connection itself failed, not that the database is busy. */
const UNREACHABLE_REASONS = new Set([
  "connection refused",
  "connection reset",
  "connection aborted",
  "connection broken",
  "connect timeout",
  "host unreachable",
  "network unreachable",
  "host not found",
  "host lookup failed",
  "connection lost",
  "connection failure",
  "connection killed",
  "network error",
  "server shutting down",
  "server shutting down or starting",
  "host blocked by the server",
  "pool closed",
]);

/** Raw driver codes of a busy server (out of connections, a reply that did not come in time): not unreachable. */
const BUSY_CODES = new Set(["ER_CON_COUNT_ERROR", "53300", "PROTOCOL_SEQUENCE_TIMEOUT"]);
/** pg-pool's message for a wait for a free connection (the pool is full). */
const POOL_WAIT = /timeout exceeded when trying to connect/i;

export function isDatabaseOutage(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DependencyUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("08"))) return true;
    if (e instanceof Error && NETWORK_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseOutage(inner))) return true;
  }
  return false;
}

export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    // Another dependency (e.g. the rate-limit store) may wrap the database's error: look at its cause.
    if (e instanceof DependencyUnavailableError && e.dependency.startsWith("database"))
      return UNREACHABLE_REASONS.has(e.reason);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && BUSY_CODES.has(code)) return false;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("08"))) return true;
    if (e instanceof Error && POOL_WAIT.test(e.message)) return false;
    if (e instanceof Error && NETWORK_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnreachable(inner))) return true;
  }
  return false;
}

/** The error to answer with (503 + Retry-After) when the database is down, whatever the driver threw. */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof DependencyUnavailableError || !isDatabaseOutage(error)) return error;
  return new DependencyUnavailableError("database", error);
}
