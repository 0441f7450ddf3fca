/** Value conversions between JS and the three SQL dialects, and unique-violation detection. */
import { randomBytes } from "node:crypto";
import type { SqlDialect } from "./schema.js";

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Naive UTC text with microseconds, as SQLAlchemy writes DateTime on SQLite. */
export function toSqlDateTime(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("invalid Date");
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`
  );
}

export function toSqlDateTimeOrNull(d: Date | null | undefined): string | null {
  return d == null ? null : toSqlDateTime(d);
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/** Reads a datetime column: naive text is UTC; text with an offset or a Date is taken as is. */
export function fromSqlDateTime(value: unknown): Date | null {
  if (value == null) return null;
  if (value instanceof Date) return value;
  const text = String(value).trim();
  const m = NAIVE.exec(text);
  if (m) {
    const frac = (m[7] ?? "").padEnd(3, "0").slice(0, 3);
    return new Date(
      Date.UTC(
        Number(m[1]),
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6] ?? 0),
        Number(frac),
      ),
    );
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new RangeError(`unreadable datetime value: ${text}`);
  return new Date(parsed);
}

export function requiredDateTime(value: unknown): Date {
  return fromSqlDateTime(value) ?? new Date(0);
}

export function toMillis(d: Date): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("invalid Date");
  return ms;
}

export function fromMillis(value: unknown): Date {
  return new Date(Number(value));
}

export function fromMillisOrNull(value: unknown): Date | null {
  return value == null ? null : new Date(Number(value));
}

export function encodeBool(dialect: SqlDialect, value: boolean): boolean | number {
  return dialect === "postgres" ? value : value ? 1 : 0;
}

export function decodeBool(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "t" || value === "true" || value === 1n;
}

/** 32 random bytes as 64 hex characters: fits fs_uniquifier's varchar(64) and any collation. */
export function newUniquifier(): string {
  return randomBytes(32).toString("hex");
}

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== "string" || text === "") return fallback;
  return JSON.parse(text) as T;
}

function prop(err: object, key: string): unknown {
  return (err as Record<string, unknown>)[key];
}

/**
 * When `err` is a unique-key violation of any supported driver, returns the text naming the violated key
 * (column list or constraint/index name, never the offending value); otherwise null.
 */
export function uniqueViolationKey(err: unknown): string | null {
  if (typeof err !== "object" || err === null) return null;
  const code = prop(err, "code");
  const message = String(prop(err, "message") ?? "");
  // better-sqlite3: "UNIQUE constraint failed: user.email_canonical"
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return message.replace(/^.*constraint failed:\s*/i, "");
  }
  // pg: constraint name, detail "Key (email_canonical)=(...) already exists."
  if (code === "23505") {
    const detail = /^Key \(([^)]*)\)/.exec(String(prop(err, "detail") ?? ""));
    return `${String(prop(err, "constraint") ?? "")} ${detail?.[1] ?? ""}`;
  }
  // mysql2: errno 1062, "Duplicate entry 'x' for key 'user_email_canonical_uq'" (MySQL 8: 'user.name')
  if (code === "ER_DUP_ENTRY" || prop(err, "errno") === 1062) {
    const m = /for key '([^']*)'\s*$/.exec(message);
    return m?.[1] ?? "";
  }
  return null;
}

/** Maps a violated key of the `user` table to DuplicateError's field. */
export function userDuplicateField(key: string): "email" | "username" | "fs_uniquifier" | "us_phone_number" | "other" {
  if (key.includes("us_phone_number")) return "us_phone_number";
  if (key.includes("fs_uniquifier")) return "fs_uniquifier";
  if (key.includes("token_uniquifier") || key.includes("webauthn")) return "other";
  if (key.includes("email")) return "email";
  if (key.includes("username")) return "username";
  return "other";
}
