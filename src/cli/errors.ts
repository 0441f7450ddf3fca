import { ConfigError, DependencyUnavailableError, MigrationRequiredError, RefusalError } from "../core/errors.js";
import { DuplicateError } from "../datastore/contracts.js";

/**
 * CLI exit codes, as Click (Flask-Security's CLI) uses them: 2 for usage and validation errors (a wrong
 * argument, a policy refusal, a missing user or role, a configuration problem, an unmigrated database),
 * 1 for anything unexpected (the database is unreachable, a bug).
 */
export const EXIT_USAGE = 2;
export const EXIT_UNEXPECTED = 1;

/** An error the CLI reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_USAGE) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Formats a RefusalError's message key into text; set by the command context once Rampart is open. */
export type MessageFormatter = (code: string, params?: Record<string, string | number>) => string;

function causeText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) {
    return [...new Set(err.errors.map((e) => causeText(e)))].join("; ");
  }
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    if (err.message) return err.message;
    return typeof code === "string" ? code : err.name;
  }
  return String(err);
}

/** Turns any thrown value into the message and exit code the CLI reports. Never a stack trace. */
export function describeError(err: unknown, format?: MessageFormatter): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof MigrationRequiredError) {
    return {
      message: `The database has ${err.pending.length} pending migration(s) (${err.pending.join(", ")}). run: rampart migrate`,
      exitCode: EXIT_USAGE,
    };
  }
  if (err instanceof DuplicateError) {
    const what = err.field === "name" ? "a role with that name" : `a user with that ${err.field.replace(/_/g, " ")}`;
    return { message: `Already exists: ${what}.`, exitCode: EXIT_USAGE };
  }
  if (err instanceof RefusalError) {
    return { message: format ? format(err.code, err.params) : err.code, exitCode: EXIT_USAGE };
  }
  // A database, Redis or mail server that does not answer: said as such, not as a bug.
  if (err instanceof DependencyUnavailableError)
    return { message: `${err.message}. Try again once it answers.`, exitCode: EXIT_UNEXPECTED };
  return { message: `Unexpected error: ${causeText(err)}`, exitCode: EXIT_UNEXPECTED };
}
