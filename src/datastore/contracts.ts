import type { AuthnMethod, SecondFactorMethod } from "../core/methods.js";

/**
 * Datastore contracts: typed repositories per aggregate. Every backend (the Kysely one serving SQLite,
 * PostgreSQL and MySQL/MariaDB; the Redis session store) implements these and passes the conformance suite.
 * Features depend only on these interfaces, never on SQL.
 */

import type { FeatureMigrations } from "./feature-migrations.js";
import type { StoreDef } from "./kit.js";
import type { LimitStore, OutboxStore, RevocationStore } from "./operational-contracts.js";

// The operational tables' contracts live in their own file; every name stays importable from here.
export type {
  LimitCounter,
  LimitStore,
  SessionRevocation,
  RevocationStore,
  OutboxKind,
  OutboxStatus,
  OutboxRecord,
  NewOutboxRecord,
  OutboxClaim,
  OutboxStore,
} from "./operational-contracts.js";

/**
 * A user row, compatible with Flask-Security's fsqla_v3 `user` table (camelCased here). The two-factor and
 * unified sign-in columns live on it, as in Flask-Security; the writes that guard them (compare-and-set, replay
 * counters) belong to those features' own stores.
 */
export interface UserRecord {
  id: number;
  email: string;
  username: string | null;
  /** Stored password hash (argon2/bcrypt/passlib formats), or null for password-less users. */
  password: string | null;
  active: boolean;
  fsUniquifier: string;
  fsTokenUniquifier: string | null;
  fsWebauthnUserHandle: string | null;
  confirmedAt: Date | null;
  lastLoginAt: Date | null;
  currentLoginAt: Date | null;
  lastLoginIp: string | null;
  currentLoginIp: string | null;
  loginCount: number | null;
  tfPrimaryMethod: string | null;
  tfTotpSecret: string | null;
  tfPhoneNumber: string | null;
  usTotpSecrets: string | null;
  usPhoneNumber: string | null;
  mfRecoveryCodes: string | null;
  /** App-declared user fields (JSON object), e.g. { first_name }. */
  profile: Record<string, unknown> | null;
  createDatetime: Date;
  updateDatetime: Date;
}

export interface NewUser {
  email: string;
  username?: string | null;
  password?: string | null;
  active?: boolean;
  confirmedAt?: Date | null;
  profile?: Record<string, unknown> | null;
  /** Unified sign-in methods set up with the account (password-less registration). */
  usTotpSecrets?: string | null;
}

/** Fields a caller may change through `users.update`. Uniquifiers have their own rotate methods. */
export type UserPatch = Partial<
  Pick<
    UserRecord,
    | "email"
    | "username"
    | "password"
    | "active"
    | "confirmedAt"
    | "lastLoginAt"
    | "currentLoginAt"
    | "lastLoginIp"
    | "currentLoginIp"
    | "loginCount"
    | "tfPrimaryMethod"
    | "tfTotpSecret"
    | "tfPhoneNumber"
    | "usTotpSecrets"
    | "usPhoneNumber"
    | "mfRecoveryCodes"
    | "fsWebauthnUserHandle"
    | "profile"
  >
>;

/** Raised by a store when a unique constraint would be violated. `field` names the user-facing field. */
export { DuplicateError } from "../core/errors.js";

export interface UserStore {
  findById(id: number): Promise<UserRecord | null>;
  /** Case-insensitive lookup through the indexed canonical column (never a table scan). */
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Case-insensitive lookup through the indexed canonical column. */
  findByUsername(username: string): Promise<UserRecord | null>;
  findByUniquifier(fsUniquifier: string): Promise<UserRecord | null>;
  /** Looks up fs_token_uniquifier, falling back to fs_uniquifier (Flask-Security semantics). */
  findByTokenUniquifier(uniquifier: string): Promise<UserRecord | null>;
  /** Creates a user with fresh fs_uniquifier; throws DuplicateError on a taken email/username. */
  create(input: NewUser): Promise<UserRecord>;
  /** Applies the patch and bumps update_datetime; throws DuplicateError on a taken email/username. */
  update(id: number, patch: UserPatch): Promise<void>;
  /**
   * Trackable login, atomically: last_* ← current_*, current_* ← (at, ip), login_count + 1. One statement, so
   * concurrent logins never lose a count.
   */
  recordLogin(id: number, at: Date, ip: string | null): Promise<void>;
  /**
   * Replaces the password hash only if the stored one is still `expected` (null: the user has none yet).
   * One statement: of concurrent callers with the same `expected`, exactly one wins.
   */
  replacePasswordHash(id: number, expected: string | null, next: string): Promise<boolean>;
  /**
   * Sets confirmed_at only while the user is unconfirmed and still has this uniquifier and email, in one
   * statement: of concurrent callers exactly one gets true.
   */
  markConfirmed(id: number, at: Date, expect: { fsUniquifier: string; email: string }): Promise<boolean>;
  /**
   * Replaces the email (and confirms it) only while the stored one is still `expectedEmail` and the uniquifier
   * unchanged: one statement, exactly one concurrent winner. DuplicateError when `next` is taken.
   */
  replaceEmail(
    id: number,
    expect: { fsUniquifier: string; email: string },
    next: string,
    confirmedAt: Date,
  ): Promise<boolean>;
  /** New random fs_uniquifier: kills sessions, remember cookies and (without a token uniquifier) tokens. */
  rotateUniquifier(id: number): Promise<string>;
  /** New random fs_token_uniquifier: kills auth tokens. */
  rotateTokenUniquifier(id: number): Promise<string>;
  list(options?: { limit?: number; offset?: number }): Promise<UserRecord[]>;
  count(): Promise<number>;
  delete(id: number): Promise<boolean>;
}

export interface RoleRecord {
  id: number;
  name: string;
  description: string | null;
  permissions: string[];
  updateDatetime: Date | null;
}

export interface RoleStore {
  /** Throws DuplicateError("name") when the name is taken. */
  create(input: { name: string; description?: string | null; permissions?: string[] }): Promise<RoleRecord>;
  findByName(name: string): Promise<RoleRecord | null>;
  list(): Promise<RoleRecord[]>;
  delete(name: string): Promise<boolean>;
  /** Returns the role after the change, or null when no such role. Duplicates are ignored. */
  addPermissions(name: string, permissions: string[]): Promise<RoleRecord | null>;
  removePermissions(name: string, permissions: string[]): Promise<RoleRecord | null>;
  rolesOfUser(userId: number): Promise<RoleRecord[]>;
  /** true when the role was newly granted, false when the user already had it. */
  addRoleToUser(userId: number, roleId: number): Promise<boolean>;
  removeRoleFromUser(userId: number, roleId: number): Promise<boolean>;
}

/** A server-side session. The cookie holds a random token; only its SHA-256 (hex) is stored. */
export interface SessionRecord {
  /** Public random id, safe to show in listings and to name in revoke requests. */
  id: string;
  tokenHash: string;
  userId: number;
  /** The user's fs_uniquifier when the session was made; a rotated uniquifier makes the session dead. */
  fsUniquifier: string;
  createdAt: Date;
  lastActiveAt: Date;
  /** Absolute expiry, whatever the activity. */
  expiresAt: Date;
  /** Primary authentication time (Flask-Security's fs_paa), drives freshness. */
  authenticatedAt: Date;
  /** Freshness grace expiry (fs_gexp), or null. */
  graceExpiresAt: Date | null;
  remember: boolean;
  ip: string | null;
  userAgent: string | null;
  /** Random secret the session's CSRF tokens are bound to. */
  csrfSecret: string;
  /** How the session was established (password, token, remember, ...). */
  authnVia: string[];
  /** How the sign-in behind this session satisfied multi-factor authentication, or null. */
  mfaProof: MfaProof | null;
  /** A privilege change (role grant or removal) happened since issue: the token is swapped at its next use. */
  rotatePending: boolean;
  /** The remember-me record this session was issued with or restored from. */
  rememberId: string | null;
  /**
   * Only in a store outside the database (Redis): what the guards need of the user (roles, active,
   * uniquifier…), saved from the last database read, for read-only use while the database is down. Opaque here.
   */
  outageSnapshot?: string | null;
}

/**
 * What made a sign-in multi-factor: a second factor proved after the first ("second-factor", e.g. an
 * authenticator code), or a first factor that counts as multi-factor by itself ("multi-factor-sign-in", e.g. a
 * unified sign-in by SMS code when configured so). Changing two-factor settings requires one.
 */
export type MfaProof =
  { kind: "second-factor"; method: SecondFactorMethod } | { kind: "multi-factor-sign-in"; method: AuthnMethod };

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  findById(id: string): Promise<SessionRecord | null>;
  /** Updates last activity (callers throttle how often). */
  touch(id: string, lastActiveAt: Date): Promise<void>;
  update(
    id: string,
    patch: Partial<Pick<SessionRecord, "authenticatedAt" | "graceExpiresAt" | "rotatePending" | "csrfSecret">>,
  ): Promise<void>;
  listForUser(userId: number): Promise<SessionRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes every session of the user except `exceptId`; returns how many went. */
  deleteForUser(userId: number, exceptId?: string): Promise<number>;
  /** Removes sessions past their absolute expiry or idle since before `idleBefore`. */
  deleteExpired(now: Date, idleBefore: Date): Promise<number>;
  /**
   * Optional: the session and its user in one round trip (SQL stores join the user table). `user` is what the
   * same datastore's `users.findById(session.userId)` returns, null when there is none. Liveness checks
   * (expiry, active, uniquifier) stay with the caller.
   */
  findWithUserByTokenHash?(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord | null } | null>;
  /** Optional (stores outside the database): replaces the session's `outageSnapshot`, if the session still exists. */
  saveOutageSnapshot?(id: string, snapshot: string): Promise<void>;
  /** Optional (stores outside the database): revocations waiting for the database to come back. */
  readonly pendingRevocations?: PendingRevocationQueue;
}

/** What a sign-out during a database outage still has to write to the database. */
export type PendingRevocation =
  | { kind: "session"; sessionId: string; userId: number; expiresAt: number }
  | { kind: "remember"; rememberId: string }
  /** A refresh token family; `userId` null when the sign-out could not tell whose it is (the token alone named it). */
  | { kind: "family"; familyId: string; userId: number | null };

/** The one key of a queued revocation (a later entry for the same thing replaces the earlier one). */
export function pendingRevocationKey(e: PendingRevocation): string {
  if (e.kind === "session") return `s:${e.sessionId}`;
  return e.kind === "remember" ? `r:${e.rememberId}` : `f:${e.familyId}`;
}

/** Revocations queued next to the sessions (Redis), shared by every instance until one writes them. */
export interface PendingRevocationQueue {
  add(entries: readonly PendingRevocation[]): Promise<void>;
  list(): Promise<PendingRevocation[]>;
  remove(entries: readonly PendingRevocation[]): Promise<void>;
  /** True when the end of this session is queued. */
  hasSession(sessionId: string): Promise<boolean>;
  /** True when the deletion of this remember record is queued. */
  hasRemember(rememberId: string): Promise<boolean>;
  /** True when the end of this refresh token family is queued. */
  hasFamily(familyId: string): Promise<boolean>;
}

/**
 * A remember-me credential. The cookie holds `<id>.<secret>`; only the secret's SHA-256 (hex) is stored. The
 * record is the credential: deleting it (logout, revoke, deactivate, new password) ends the cookie wherever
 * copies of it are. Each restore swaps the secret (rotate) but never moves `expiresAt`.
 */
export interface RememberRecord {
  id: string;
  userId: number;
  secretHash: string;
  /** The secret replaced by the last rotation, accepted briefly for concurrent restores; null before any. */
  previousHash: string | null;
  rotatedAt: Date | null;
  /** The user's fs_uniquifier when issued; a rotated uniquifier makes the record dead. */
  fsUniquifier: string;
  /** When the sign-in behind it happened; kept across restores. */
  issuedAt: Date;
  /** Absolute end of the credential: issuedAt + the remember duration, whatever the restores. */
  expiresAt: Date;
  /** Multi-factor proof of the sign-in that issued it, or null. */
  mfaProof: MfaProof | null;
}

/** Remember-me records: in the database always (never Redis), since losing a deletion would let someone in. */
export interface RememberStore {
  create(record: RememberRecord): Promise<void>;
  findById(id: string): Promise<RememberRecord | null>;
  /**
   * Replaces the secret hash only while it is still `expected` (one statement: of concurrent restores exactly
   * one wins); the replaced hash becomes `previousHash`, `at` the rotation time. expiresAt never changes.
   */
  rotate(id: string, expected: string, next: string, at: Date): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Deletes every record of the user except `exceptId`; returns how many went. */
  deleteForUser(userId: number, exceptId?: string): Promise<number>;
  /** Removes records past their absolute expiry. */
  deleteExpired(now: Date): Promise<number>;
}

export type AuditOutcome = "success" | "failure" | "info";

export interface AuditEventRecord {
  id: number;
  at: Date;
  /** Event name, e.g. "login", "logout", "session_revoked", "role_added". */
  event: string;
  outcome: AuditOutcome;
  userId: number | null;
  /** The identity as typed (e.g. an email at a failed login), never a secret. */
  identity: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditStore {
  append(event: Omit<AuditEventRecord, "id">): Promise<void>;
  list(filter?: { userId?: number; event?: string; limit?: number; beforeId?: number }): Promise<AuditEventRecord[]>;
}

/**
 * Attempt budgets: fixed-window counters keyed by purpose and subject (e.g. "tf:42" for user 42's wrong
 * second-factor codes). `hit` counts one attempt atomically and returns the count in the current window, so
 * of N concurrent callers with a budget B exactly B see a count ≤ B — guesses beyond the budget are never
 * evaluated. Counters live in the database, so they survive restarts and are shared by every instance.
 */
export interface AttemptStore {
  hit(key: string, windowSeconds: number, now: Date): Promise<number>;
  /** Current count in the window, without counting (0 when none or expired). */
  peek(key: string, windowSeconds: number, now: Date): Promise<number>;
  clear(key: string): Promise<void>;
  /**
   * Deletes the counters whose key starts with `prefix` and whose window (all of the same length for that prefix)
   * is over; returns how many went. A sweep, so markers of one kind do not pile up.
   */
  deleteExpired(prefix: string, windowSeconds: number, now: Date): Promise<number>;
}

export interface Datastore {
  readonly dialect: "sqlite" | "postgres" | "mysql";
  readonly users: UserStore;
  readonly attempts: AttemptStore;
  readonly limits: LimitStore;
  readonly outbox: OutboxStore;
  readonly roles: RoleStore;
  readonly sessions: SessionStore;
  readonly remember: RememberStore;
  readonly audit: AuditStore;
  /** The database server's current time: the clock every instance shares (clock-skew checks). */
  now(): Promise<Date>;
  readonly revocations: RevocationStore;
  /**
   * Runs `fn` in one database transaction; the stores handed to it share that transaction. A transaction the
   * database aborts as a deadlock victim is retried whole, so `fn` must only touch the database.
   */
  transaction<T>(fn: (tx: Omit<Datastore, "transaction" | "close" | "migrations">) => Promise<T>): Promise<T>;
  /**
   * A feature's own store (declared with `defineStore` in the feature's folder, on tables its migrations
   * create), built once per datastore; on a transaction's stores, bound to that transaction.
   */
  store<S>(def: StoreDef<S>): S;
  readonly migrations: MigrationControl;
  close(): Promise<void>;
}

/**
 * Rampart's migrations plus the features' (`features`: qualified names, see feature-migrations.ts), applied in
 * name order and recorded in one table. A recorded migration no code declares any more (its feature was
 * removed) is left as it is: its tables stay and nothing reports it.
 */
export interface MigrationControl {
  /** Applies every pending migration; returns the names applied. */
  migrateToLatest(features?: FeatureMigrations): Promise<string[]>;
  /** Names of migrations not yet applied (empty when up to date). */
  pending(features?: FeatureMigrations): Promise<string[]>;
}
