/**
 * Kysely table types. The `user`, `role` and `roles_users` tables follow Flask-Security's fsqla_v3 models
 * (plus Rampart's `email_canonical` / `username_canonical`); `session` and `audit_event` are Rampart's own.
 *
 * Value conventions shared by all dialects (see codec.ts):
 * - datetimes in `user` / `role` are written as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's
 *   SQLite format; accepted by PostgreSQL `timestamp` and MySQL `datetime(6)`) and read back as strings
 *   (pg and mysql2 are configured not to convert them), or as Date from a `timestamptz` column;
 * - booleans are 1/0 on SQLite and MySQL, true/false on PostgreSQL;
 * - session and audit times are bigint epoch milliseconds.
 */
import type { ColumnType, Generated } from "kysely";

export type SqlDialect = "sqlite" | "postgres" | "mysql";

/** Boolean column: read as boolean (pg) or 0/1 (sqlite, mysql). */
export type BoolColumn = ColumnType<boolean | number, boolean | number, boolean | number>;
/** Datetime column as stored text (or Date from a timestamptz column). */
export type DateColumn = ColumnType<string | Date, string, string>;
export type NullableDateColumn = ColumnType<string | Date | null, string | null | undefined, string | null>;
/** Epoch milliseconds; pg returns int8 as number through our type parser, strings are tolerated. */
export type MillisColumn = ColumnType<number | string, number, number>;
export type NullableMillisColumn = ColumnType<number | string | null, number | null, number | null>;

export interface UserTable {
  id: Generated<number>;
  email: string;
  email_canonical: string | null;
  username: string | null;
  username_canonical: string | null;
  /** Look-alike fingerprint (usernameSkeleton), UNIQUE; NULL without a username (or for an older look-alike). */
  username_skeleton: string | null;
  password: string | null;
  active: BoolColumn;
  fs_uniquifier: string;
  fs_token_uniquifier: string | null;
  fs_webauthn_user_handle: string | null;
  confirmed_at: NullableDateColumn;
  last_login_at: NullableDateColumn;
  current_login_at: NullableDateColumn;
  last_login_ip: string | null;
  current_login_ip: string | null;
  login_count: number | null;
  tf_primary_method: string | null;
  tf_totp_secret: string | null;
  tf_phone_number: string | null;
  us_totp_secrets: string | null;
  us_phone_number: string | null;
  mf_recovery_codes: string | null;
  /** Rampart: JSON object of app-declared user fields (migration 0002). */
  profile: string | null;
  /** Rampart: last accepted TOTP time step, for replay protection (migration 0003). */
  tf_last_step: ColumnType<number | string | null, number | null, number | null>;
  /** Rampart: the same for the unified sign-in authenticator (migration 0005). */
  us_last_step: ColumnType<number | string | null, number | null, number | null>;
  create_datetime: DateColumn;
  update_datetime: DateColumn;
}

export interface RoleTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  /** Comma-separated list (Flask-Security's AsaList). */
  permissions: string | null;
  update_datetime: NullableDateColumn;
}

export interface RolesUsersTable {
  user_id: number;
  role_id: number;
}

export interface SessionTable {
  id: string;
  token_hash: string;
  user_id: number;
  fs_uniquifier: string;
  created_at: MillisColumn;
  last_active_at: MillisColumn;
  expires_at: MillisColumn;
  authenticated_at: MillisColumn;
  grace_expires_at: NullableMillisColumn;
  remember: BoolColumn;
  ip: string | null;
  user_agent: string | null;
  csrf_secret: string;
  /** JSON array text. */
  authn_via: string;
  /** Unused since 0007 (written "{}"), kept for rows an older version reads. */
  data: string;
  mfa_kind: string | null;
  mfa_method: string | null;
  rotate_pending: BoolColumn;
  remember_id: string | null;
}

export interface RememberTable {
  id: string;
  user_id: number;
  secret_hash: string;
  previous_hash: string | null;
  rotated_at: NullableMillisColumn;
  fs_uniquifier: string;
  issued_at: MillisColumn;
  expires_at: MillisColumn;
  second_factor: string | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: MillisColumn;
  event: string;
  outcome: string;
  user_id: number | null;
  identity: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object text or null. */
  details: string | null;
}

export interface AttemptTable {
  key: string;
  count: ColumnType<number | string, number, number>;
  window_start: MillisColumn;
}

export interface LimitTable {
  key: string;
  points: ColumnType<number | string, number, number>;
  expire: NullableMillisColumn;
}

/** Sessions kept outside the database that ended (migration 0008). */
export interface SessionRevocationTable {
  session_id: string;
  user_id: number;
  expires_at: MillisColumn;
}

/** Per user: every session made at or before `revoked_before` ended, except `keep_session_id` (migration 0008). */
export interface SessionCutoffTable {
  user_id: number;
  revoked_before: MillisColumn;
  keep_session_id: string | null;
}

/** Mail and SMS waiting to be sent, and the metadata of those sent or given up (migration 0009). */
export interface OutboxTable {
  id: string;
  idempotency_key: string;
  kind: string;
  template: string;
  recipient: string;
  user_id: number | null;
  status: string;
  attempts: ColumnType<number | string, number, number>;
  created_at: MillisColumn;
  next_attempt_at: MillisColumn;
  lease_until: NullableMillisColumn;
  lease_token: string | null;
  sent_at: NullableMillisColumn;
  last_error: string | null;
  /** The sealed message; null once sent. */
  payload: string | null;
}

export interface Database {
  rampart_attempt: AttemptTable;
  rampart_limit: LimitTable;
  rampart_outbox: OutboxTable;
  user: UserTable;
  role: RoleTable;
  roles_users: RolesUsersTable;
  session: SessionTable;
  rampart_remember: RememberTable;
  audit_event: AuditEventTable;
  rampart_session_revocation: SessionRevocationTable;
  rampart_session_cutoff: SessionCutoffTable;
}
