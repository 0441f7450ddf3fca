import { sql, type Kysely, type Selectable, type Updateable } from "kysely";
import { canonicalIdentity, usernameSkeleton } from "../canonical.js";
import { DuplicateError, type NewUser, type UserPatch, type UserRecord, type UserStore } from "../contracts.js";
import {
  decodeBool,
  encodeBool,
  fromSqlDateTime,
  newUniquifier,
  requiredDateTime,
  toSqlDateTime,
  toSqlDateTimeOrNull,
  uniqueViolationKey,
  userDuplicateField,
} from "./codec.js";
import { confined, inTransaction, insertReturningId, type StoreContext } from "./context.js";
import { PreparedQuery } from "./prepared.js";
import type { Database, UserTable } from "./schema.js";

/** Explicit column list: a prepared `select *` would break when a later migration adds columns. */
export const USER_COLUMNS = [
  "id",
  "email",
  "username",
  "password",
  "active",
  "fs_uniquifier",
  "fs_token_uniquifier",
  "fs_webauthn_user_handle",
  "confirmed_at",
  "last_login_at",
  "current_login_at",
  "last_login_ip",
  "current_login_ip",
  "login_count",
  "tf_primary_method",
  "tf_totp_secret",
  "tf_phone_number",
  "us_totp_secrets",
  "us_phone_number",
  "mf_recovery_codes",
  "profile",
  "create_datetime",
  "update_datetime",
] as const satisfies readonly (keyof UserTable)[];

export type UserRow = Pick<Selectable<UserTable>, (typeof USER_COLUMNS)[number]>;

/** Queries compiled once per datastore (hot paths: every authenticated request). */
export class UserQueries {
  readonly byId: PreparedQuery<UserRow>;
  readonly byUniquifier: PreparedQuery<UserRow>;
  readonly byTokenUniquifier: PreparedQuery<UserRow>;
  readonly byEmail: PreparedQuery<UserRow>;
  readonly byUsername: PreparedQuery<UserRow>;

  constructor(db: Kysely<Database>, preparedSql: Set<string>) {
    const user = () => db.selectFrom("user").select(USER_COLUMNS);
    this.byId = new PreparedQuery(user().where("id", "=", 0), preparedSql);
    this.byUniquifier = new PreparedQuery(user().where("fs_uniquifier", "=", ""), preparedSql);
    this.byTokenUniquifier = new PreparedQuery(user().where("fs_token_uniquifier", "=", ""), preparedSql);
    this.byEmail = new PreparedQuery(user().where("email_canonical", "=", ""), preparedSql);
    this.byUsername = new PreparedQuery(user().where("username_canonical", "=", ""), preparedSql);
  }
}

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: Number(row.id),
    email: row.email,
    username: row.username ?? null,
    password: row.password ?? null,
    active: decodeBool(row.active),
    fsUniquifier: row.fs_uniquifier,
    fsTokenUniquifier: row.fs_token_uniquifier ?? null,
    fsWebauthnUserHandle: row.fs_webauthn_user_handle ?? null,
    confirmedAt: fromSqlDateTime(row.confirmed_at),
    lastLoginAt: fromSqlDateTime(row.last_login_at),
    currentLoginAt: fromSqlDateTime(row.current_login_at),
    lastLoginIp: row.last_login_ip ?? null,
    currentLoginIp: row.current_login_ip ?? null,
    loginCount: row.login_count == null ? null : Number(row.login_count),
    tfPrimaryMethod: row.tf_primary_method ?? null,
    tfTotpSecret: row.tf_totp_secret ?? null,
    tfPhoneNumber: row.tf_phone_number ?? null,
    usTotpSecrets: row.us_totp_secrets ?? null,
    usPhoneNumber: row.us_phone_number ?? null,
    mfRecoveryCodes: row.mf_recovery_codes ?? null,
    profile: decodeProfile(row.profile),
    createDatetime: requiredDateTime(row.create_datetime),
    updateDatetime: requiredDateTime(row.update_datetime),
  };
}

/** The profile column holds a JSON object; anything else (NULL, corrupt text) reads as null. */
function decodeProfile(text: string | null | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Rethrows a unique violation on `user` as DuplicateError naming the field; other errors unchanged. */
export function rethrowDuplicate(err: unknown): never {
  const key = uniqueViolationKey(err);
  if (key !== null) {
    const field = userDuplicateField(key);
    throw new DuplicateError(field, `duplicate ${field}`);
  }
  throw err;
}

/** Maps a patch onto `user` columns, canonical columns included. */
function patchColumns(dialect: StoreContext["dialect"], patch: UserPatch): Updateable<UserTable> {
  const set: Updateable<UserTable> = {};
  const p = patch;
  if (p.email !== undefined) {
    set.email = p.email;
    set.email_canonical = canonicalIdentity(p.email);
  }
  if (p.username !== undefined) {
    set.username = p.username;
    set.username_canonical = p.username === null ? null : canonicalIdentity(p.username);
    set.username_skeleton = p.username === null ? null : usernameSkeleton(p.username);
  }
  if (p.password !== undefined) set.password = p.password;
  if (p.active !== undefined) set.active = encodeBool(dialect, p.active);
  if (p.confirmedAt !== undefined) set.confirmed_at = toSqlDateTimeOrNull(p.confirmedAt);
  if (p.lastLoginAt !== undefined) set.last_login_at = toSqlDateTimeOrNull(p.lastLoginAt);
  if (p.currentLoginAt !== undefined) set.current_login_at = toSqlDateTimeOrNull(p.currentLoginAt);
  if (p.lastLoginIp !== undefined) set.last_login_ip = p.lastLoginIp;
  if (p.currentLoginIp !== undefined) set.current_login_ip = p.currentLoginIp;
  if (p.loginCount !== undefined) set.login_count = p.loginCount;
  if (p.tfPrimaryMethod !== undefined) set.tf_primary_method = p.tfPrimaryMethod;
  if (p.tfTotpSecret !== undefined) set.tf_totp_secret = p.tfTotpSecret;
  if (p.tfPhoneNumber !== undefined) set.tf_phone_number = p.tfPhoneNumber;
  if (p.usTotpSecrets !== undefined) set.us_totp_secrets = p.usTotpSecrets;
  if (p.usPhoneNumber !== undefined) set.us_phone_number = p.usPhoneNumber;
  if (p.mfRecoveryCodes !== undefined) set.mf_recovery_codes = p.mfRecoveryCodes;
  if (p.profile !== undefined) set.profile = p.profile === null ? null : JSON.stringify(p.profile);
  if (p.fsWebauthnUserHandle !== undefined) set.fs_webauthn_user_handle = p.fsWebauthnUserHandle;
  return set;
}

export class KyselyUserStore implements UserStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly q: UserQueries,
  ) {}

  private async one(query: PreparedQuery<UserRow>, value: unknown): Promise<UserRecord | null> {
    const row = await query.first(this.ctx.db, value);
    return row ? toUserRecord(row) : null;
  }

  findById(id: number): Promise<UserRecord | null> {
    return this.one(this.q.byId, id);
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.one(this.q.byEmail, canonicalIdentity(email));
  }

  findByUsername(username: string): Promise<UserRecord | null> {
    return this.one(this.q.byUsername, canonicalIdentity(username));
  }

  findByUniquifier(fsUniquifier: string): Promise<UserRecord | null> {
    return this.one(this.q.byUniquifier, fsUniquifier);
  }

  async findByTokenUniquifier(uniquifier: string): Promise<UserRecord | null> {
    return (await this.one(this.q.byTokenUniquifier, uniquifier)) ?? (await this.one(this.q.byUniquifier, uniquifier));
  }

  async create(input: NewUser): Promise<UserRecord> {
    const { db, dialect } = this.ctx;
    const now = toSqlDateTime(new Date());
    const username = input.username ?? null;
    const insert = db.insertInto("user").values({
      email: input.email,
      email_canonical: canonicalIdentity(input.email),
      username,
      username_canonical: username === null ? null : canonicalIdentity(username),
      username_skeleton: username === null ? null : usernameSkeleton(username),
      password: input.password ?? null,
      active: encodeBool(dialect, input.active ?? true),
      fs_uniquifier: newUniquifier(),
      confirmed_at: toSqlDateTimeOrNull(input.confirmedAt),
      profile: input.profile ? JSON.stringify(input.profile) : null,
      us_totp_secrets: input.usTotpSecrets ?? null,
      create_datetime: now,
      update_datetime: now,
    });
    let id: number;
    try {
      id = await confined(this.ctx, () => insertReturningId(dialect, insert));
    } catch (err) {
      rethrowDuplicate(err);
    }
    const created = await this.findById(id);
    if (!created) throw new Error(`user ${id} vanished after insert`);
    return created;
  }

  async update(id: number, patch: UserPatch): Promise<void> {
    const set = patchColumns(this.ctx.dialect, patch);
    set.update_datetime = toSqlDateTime(new Date());
    try {
      await confined(this.ctx, () => this.ctx.db.updateTable("user").set(set).where("id", "=", id).execute());
    } catch (err) {
      rethrowDuplicate(err);
    }
  }

  async recordLogin(id: number, at: Date, ip: string | null): Promise<void> {
    // Assignment order matters on MySQL, which evaluates SET left to right: read current_* before replacing it.
    await this.ctx.db
      .updateTable("user")
      .set({
        last_login_at: sql<string | null>`coalesce(current_login_at, ${toSqlDateTime(at)})`,
        last_login_ip: sql<string | null>`coalesce(current_login_ip, ${ip})`,
        current_login_at: toSqlDateTime(at) as string,
        current_login_ip: ip,
        login_count: sql<number>`coalesce(login_count, 0) + 1`,
      })
      .where("id", "=", id)
      .execute();
  }

  async markConfirmed(id: number, at: Date, expect: { fsUniquifier: string; email: string }): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("user")
      .set({ confirmed_at: toSqlDateTime(at), update_datetime: toSqlDateTime(new Date()) })
      .where("id", "=", id)
      .where("confirmed_at", "is", null)
      .where("fs_uniquifier", "=", expect.fsUniquifier)
      .where("email", "=", expect.email)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async replaceEmail(
    id: number,
    expect: { fsUniquifier: string; email: string },
    next: string,
    confirmedAt: Date,
  ): Promise<boolean> {
    try {
      const result = await confined(this.ctx, () =>
        this.ctx.db
          .updateTable("user")
          .set({
            email: next,
            email_canonical: canonicalIdentity(next),
            confirmed_at: toSqlDateTime(confirmedAt),
            update_datetime: toSqlDateTime(new Date()),
          })
          .where("id", "=", id)
          .where("fs_uniquifier", "=", expect.fsUniquifier)
          .where("email", "=", expect.email)
          .executeTakeFirst(),
      );
      return Number(result.numUpdatedRows) > 0;
    } catch (err) {
      rethrowDuplicate(err);
    }
  }

  async replacePasswordHash(id: number, expected: string | null, next: string): Promise<boolean> {
    const base = this.ctx.db
      .updateTable("user")
      .set({ password: next, update_datetime: toSqlDateTime(new Date()) })
      .where("id", "=", id);
    const result = await (
      expected === null ? base.where("password", "is", null) : base.where("password", "=", expected)
    ).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  private async rotate(id: number, column: "fs_uniquifier" | "fs_token_uniquifier"): Promise<string> {
    const value = newUniquifier();
    const result = await this.ctx.db
      .updateTable("user")
      .set({ [column]: value, update_datetime: toSqlDateTime(new Date()) })
      .where("id", "=", id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new Error(`no user with id ${id}`);
    return value;
  }

  rotateUniquifier(id: number): Promise<string> {
    return this.rotate(id, "fs_uniquifier");
  }

  rotateTokenUniquifier(id: number): Promise<string> {
    return this.rotate(id, "fs_token_uniquifier");
  }

  async list(options: { limit?: number; offset?: number } = {}): Promise<UserRecord[]> {
    let query = this.ctx.db.selectFrom("user").select(USER_COLUMNS).orderBy("id");
    // MySQL accepts OFFSET only after LIMIT.
    if (options.limit !== undefined || options.offset !== undefined) query = query.limit(options.limit ?? 2 ** 31 - 1);
    if (options.offset !== undefined) query = query.offset(options.offset);
    return (await query.execute()).map(toUserRecord);
  }

  async count(): Promise<number> {
    const row = await this.ctx.db
      .selectFrom("user")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(id: number): Promise<boolean> {
    // Explicit deletes: tables created by Flask-Security have no ON DELETE CASCADE on roles_users.
    return inTransaction(this.ctx.db, async (trx) => {
      await trx.deleteFrom("roles_users").where("user_id", "=", id).execute();
      await trx.deleteFrom("session").where("user_id", "=", id).execute();
      const result = await trx.deleteFrom("user").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}
