import { DependencyUnavailableError } from "./errors.js";

/**
 * Telling a database that cannot be reached from a bug. Only the first may fall back to what the session store
 * can prove (read access, sign-out); a bug must stay an error. The drivers' own classification answers
 * DependencyUnavailableError; until every driver error is mapped, the connection failures Node, pg and mysql2
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

/** The error to answer with (503 + Retry-After) when the database is down, whatever the driver threw. */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof DependencyUnavailableError || !isDatabaseOutage(error)) return error;
  return new DependencyUnavailableError("database", error);
}
