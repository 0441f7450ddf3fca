import type { MessageKey } from "./messages.js";

/**
 * Every error Rampart throws on purpose is a RampartError with a stable `code`; callers switch on it:
 *
 *   if (isRampartError(err)) switch (err.code) { case "MIGRATION_REQUIRED": err.pending; … }
 *
 * A refused request (`RefusalError`) carries the contract's error code (the string the JSON answer lists in
 * `error_codes`, e.g. "BODY_TOO_LARGE"); the other members have fixed codes. User mistakes (a wrong password) are
 * results, not exceptions.
 */
export type RampartErrorCode = MessageKey | FixedCode;
type FixedCode = "CONFIG_INVALID" | "MIGRATION_REQUIRED" | "HASH_QUEUE_FULL" | "DEPENDENCY_UNAVAILABLE" | "DUPLICATE";
// The fixed codes stay out of the message keys, so a code names exactly one member of the family.
const _disjoint: Extract<MessageKey, FixedCode> extends never ? true : never = true;
void _disjoint;

export abstract class RampartError extends Error {
  abstract readonly code: RampartErrorCode;
}

/** A request refused before or while it is handled (bad input shape, missing authentication, CSRF). */
export class RefusalError extends RampartError {
  readonly code: MessageKey;
  /** The HTTP status the request is answered with. */
  readonly status: number;
  readonly params: Record<string, string | number> | undefined;
  /** Headers the refusal is answered with (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;
  constructor(
    code: MessageKey,
    status: number,
    params?: Record<string, string | number>,
    headers?: Record<string, string>,
  ) {
    super(code);
    this.name = "RefusalError";
    this.code = code;
    this.status = status;
    this.params = params;
    this.headers = headers;
  }
}

/** Too many requests from a source or toward a destination: answered 429 with Retry-After. */
export class RateLimitedError extends RefusalError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, code: MessageKey = "TOO_MANY_REQUESTS") {
    super(code, 429);
    this.name = "RateLimitedError";
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** An `api` call refused (a policy, a bad value); the same code the HTTP endpoint would answer with. */
export class ApiError extends RefusalError {
  /** The declared user field whose value was refused (the message says why). */
  field?: string;
}

/** One configuration problem, naming the key (FS environment name or config path). */
export interface ConfigIssue {
  key: string;
  message: string;
}

/** Thrown once at startup with every configuration problem found. */
export class ConfigError extends RampartError {
  readonly code = "CONFIG_INVALID" as const;
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options?: ErrorOptions) {
    super("Invalid Rampart configuration:\n" + issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"), options);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Thrown when the database has migrations that were not applied. */
export class MigrationRequiredError extends RampartError {
  readonly code = "MIGRATION_REQUIRED" as const;
  readonly pending: string[];
  constructor(pending: string[]) {
    super(`The database needs ${pending.length} migration(s) (${pending.join(", ")}). Run: rampart migrate`);
    this.name = "MigrationRequiredError";
    this.pending = pending;
  }
}

/** Password hashing queue is full: the request is refused fast (503) instead of piling up memory. */
export class HashQueueFullError extends RampartError {
  readonly code = "HASH_QUEUE_FULL" as const;
  constructor(options?: ErrorOptions) {
    super("password hashing queue is full", options);
    this.name = "HashQueueFullError";
  }
}

/**
 * A dependency (the database, the Redis session store) failed or did not answer in time. The HTTP layer answers
 * 503 with Retry-After: the request may succeed in a moment, and it is not a bug of the server. `reason` is the
 * short classification (e.g. "connection refused", "pool wait exceeded") logged without a stack trace.
 */
export class DependencyUnavailableError extends RampartError {
  readonly code = "DEPENDENCY_UNAVAILABLE" as const;
  readonly dependency: string;
  readonly reason: string;
  constructor(dependency: string, cause: unknown, reason?: string) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${dependency} unavailable${reason ? ` (${reason})` : ""}: ${detail}`, { cause });
    this.name = "DependencyUnavailableError";
    this.dependency = dependency;
    this.reason = reason ?? (detail || "unavailable");
  }
}

/** A unique value (email, username, role name…) is already taken; thrown by the datastore. */
export class DuplicateError extends RampartError {
  readonly code = "DUPLICATE" as const;
  readonly field: "email" | "username" | "fs_uniquifier" | "name" | "us_phone_number" | "other";
  constructor(field: DuplicateError["field"], message?: string) {
    super(message ?? `duplicate ${field}`);
    this.name = "DuplicateError";
    this.field = field;
  }
}

/** Every member of the family: `switch (err.code)` narrows to the member and its data. */
export type AnyRampartError =
  | RefusalError
  | ConfigError
  | MigrationRequiredError
  | HashQueueFullError
  | DependencyUnavailableError
  | DuplicateError;

export function isRampartError(error: unknown): error is AnyRampartError {
  return error instanceof RampartError;
}
