import type { MessageKey } from "./messages.js";

/**
 * Base of every error Rampart throws on purpose. `code` is stable: callers switch on it.
 * User mistakes (a wrong password) are results, not exceptions; these are for refusals that abort a request
 * (bad input shape, missing authentication, CSRF) and for configuration problems.
 */
export class RampartError extends Error {
  readonly code: MessageKey;
  readonly status: number;
  readonly params: Record<string, string | number> | undefined;
  constructor(code: MessageKey, status: number, params?: Record<string, string | number>) {
    super(code);
    this.name = "RampartError";
    this.code = code;
    this.status = status;
    this.params = params;
  }
}

/** One configuration problem, naming the key (FS environment name or config path). */
export interface ConfigIssue {
  key: string;
  message: string;
}

/** Thrown once at startup with every configuration problem found. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      "Invalid Rampart configuration:\n" + issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Thrown when the database has migrations that were not applied. */
export class MigrationRequiredError extends Error {
  readonly pending: string[];
  constructor(pending: string[]) {
    super(
      `The database needs ${pending.length} migration(s) (${pending.join(", ")}). Run: rampart migrate`,
    );
    this.name = "MigrationRequiredError";
    this.pending = pending;
  }
}

/** Password hashing queue is full: the request is refused fast (503) instead of piling up memory. */
export class HashQueueFullError extends Error {
  constructor() {
    super("password hashing queue is full");
    this.name = "HashQueueFullError";
  }
}

/**
 * A dependency (the Redis session store) failed or did not answer in time. The HTTP layer answers 503 with
 * Retry-After: the request may succeed in a moment, and it is not a bug of the server.
 */
export class DependencyUnavailableError extends Error {
  readonly dependency: string;
  constructor(dependency: string, cause: unknown) {
    super(`${dependency} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "DependencyUnavailableError";
    this.dependency = dependency;
  }
}
