import type { Compilable, Kysely, Selectable, Updateable } from "kysely";
import type { SessionRecord, SessionStore, UserRecord } from "../contracts.js";
import { decodeBool, encodeBool, fromMillis, fromMillisOrNull, parseJson, toMillis } from "./codec.js";
import type { StoreContext } from "./context.js";
import { PreparedQuery } from "./prepared.js";
import type { Database, SessionTable } from "./schema.js";
import { legacyStateJson, mfaProofFromColumns, withLegacyState } from "../mfa-proof.js";
import { toUserRecord, USER_COLUMNS, type UserRow } from "./users.js";

type SessionRow = Selectable<SessionTable>;
/** A session row with its user's columns prefixed `u_` (all null when the user row is missing). */
type SessionWithUserRow = SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] | null };

/** Explicit column list: a prepared `select *` would break when a later migration adds columns. */
const SESSION_COLUMNS = [
  "id",
  "token_hash",
  "user_id",
  "fs_uniquifier",
  "created_at",
  "last_active_at",
  "expires_at",
  "authenticated_at",
  "grace_expires_at",
  "remember",
  "ip",
  "user_agent",
  "csrf_secret",
  "authn_via",
  "mfa_kind",
  "mfa_method",
  "rotate_pending",
  "remember_id",
  "data",
] as const satisfies readonly (keyof SessionTable)[];

export class SessionQueries {
  readonly byTokenHash: PreparedQuery<SessionRow>;
  readonly byId: PreparedQuery<SessionRow>;
  /** Session by token hash LEFT JOIN its user: what every cookie-authenticated request reads, in one trip. */
  readonly withUserByTokenHash: PreparedQuery<SessionWithUserRow>;

  constructor(db: Kysely<Database>, preparedSql: Set<string>) {
    this.byTokenHash = new PreparedQuery(
      db.selectFrom("session").select(SESSION_COLUMNS).where("token_hash", "=", ""),
      preparedSql,
    );
    this.byId = new PreparedQuery(db.selectFrom("session").select(SESSION_COLUMNS).where("id", "=", ""), preparedSql);
    const columns = [
      ...SESSION_COLUMNS.map((c) => `session.${c}` as const),
      ...USER_COLUMNS.map((c) => `user.${c} as u_${c}` as const),
    ];
    const joined = db
      .selectFrom("session")
      .leftJoin("user", "user.id", "session.user_id")
      .select(columns)
      .where("session.token_hash", "=", "");
    this.withUserByTokenHash = new PreparedQuery(joined as unknown as Compilable<SessionWithUserRow>, preparedSql);
  }
}

function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: Number(row.user_id),
    fsUniquifier: row.fs_uniquifier,
    createdAt: fromMillis(row.created_at),
    lastActiveAt: fromMillis(row.last_active_at),
    expiresAt: fromMillis(row.expires_at),
    authenticatedAt: fromMillis(row.authenticated_at),
    graceExpiresAt: fromMillisOrNull(row.grace_expires_at),
    remember: decodeBool(row.remember),
    ip: row.ip ?? null,
    userAgent: row.user_agent ?? null,
    csrfSecret: row.csrf_secret,
    authnVia: parseJson<string[]>(row.authn_via, []),
    ...withLegacyState(
      {
        mfaProof: mfaProofFromColumns(row.mfa_kind, row.mfa_method),
        rotatePending: decodeBool(row.rotate_pending),
        rememberId: row.remember_id ?? null,
      },
      row.data,
    ),
  };
}

function userOf(row: SessionWithUserRow): UserRecord | null {
  if (row.u_id === null || row.u_id === undefined) return null;
  const user: Record<string, unknown> = {};
  for (const c of USER_COLUMNS) user[c] = row[`u_${c}`];
  return toUserRecord(user as UserRow);
}

export class KyselySessionStore implements SessionStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly q: SessionQueries,
  ) {}

  async create(s: SessionRecord): Promise<void> {
    await this.ctx.db
      .insertInto("session")
      .values({
        id: s.id,
        token_hash: s.tokenHash,
        user_id: s.userId,
        fs_uniquifier: s.fsUniquifier,
        created_at: toMillis(s.createdAt),
        last_active_at: toMillis(s.lastActiveAt),
        expires_at: toMillis(s.expiresAt),
        authenticated_at: toMillis(s.authenticatedAt),
        grace_expires_at: s.graceExpiresAt ? toMillis(s.graceExpiresAt) : null,
        remember: encodeBool(this.ctx.dialect, s.remember),
        ip: s.ip,
        user_agent: s.userAgent,
        csrf_secret: s.csrfSecret,
        authn_via: JSON.stringify(s.authnVia),
        data: legacyStateJson(s),
        mfa_kind: s.mfaProof?.kind ?? null,
        mfa_method: s.mfaProof?.method ?? null,
        rotate_pending: encodeBool(this.ctx.dialect, s.rotatePending),
        remember_id: s.rememberId,
      })
      .execute();
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    const row = await this.q.byTokenHash.first(this.ctx.db, tokenHash);
    return row ? toSessionRecord(row) : null;
  }

  async findWithUserByTokenHash(
    tokenHash: string,
  ): Promise<{ session: SessionRecord; user: UserRecord | null } | null> {
    const row = await this.q.withUserByTokenHash.first(this.ctx.db, tokenHash);
    return row ? { session: toSessionRecord(row), user: userOf(row) } : null;
  }

  async findById(id: string): Promise<SessionRecord | null> {
    const row = await this.q.byId.first(this.ctx.db, id);
    return row ? toSessionRecord(row) : null;
  }

  async touch(id: string, lastActiveAt: Date): Promise<void> {
    await this.ctx.db
      .updateTable("session")
      .set({ last_active_at: toMillis(lastActiveAt) })
      .where("id", "=", id)
      .execute();
  }

  async update(
    id: string,
    patch: Partial<Pick<SessionRecord, "authenticatedAt" | "graceExpiresAt" | "rotatePending" | "csrfSecret">>,
  ): Promise<void> {
    const set: Updateable<SessionTable> = {};
    if (patch.authenticatedAt !== undefined) set.authenticated_at = toMillis(patch.authenticatedAt);
    if (patch.graceExpiresAt !== undefined) {
      set.grace_expires_at = patch.graceExpiresAt === null ? null : toMillis(patch.graceExpiresAt);
    }
    if (patch.rotatePending !== undefined) {
      set.rotate_pending = encodeBool(this.ctx.dialect, patch.rotatePending);
      // An older instance reads the rotation from `data` (see legacyStateJson).
      const current = await this.findById(id);
      if (current) set.data = legacyStateJson({ ...current, rotatePending: patch.rotatePending });
    }
    if (patch.csrfSecret !== undefined) set.csrf_secret = patch.csrfSecret;
    if (Object.keys(set).length === 0) return;
    await this.ctx.db.updateTable("session").set(set).where("id", "=", id).execute();
  }

  async listForUser(userId: number): Promise<SessionRecord[]> {
    const rows = await this.ctx.db
      .selectFrom("session")
      .select(SESSION_COLUMNS)
      .where("user_id", "=", userId)
      .orderBy("created_at", "desc")
      .orderBy("id")
      .execute();
    return rows.map(toSessionRecord);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.ctx.db.deleteFrom("session").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    let query = this.ctx.db.deleteFrom("session").where("user_id", "=", userId);
    if (exceptId !== undefined) query = query.where("id", "<>", exceptId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(now: Date, idleBefore: Date): Promise<number> {
    const result = await this.ctx.db
      .deleteFrom("session")
      .where((eb) => eb.or([eb("expires_at", "<=", toMillis(now)), eb("last_active_at", "<", toMillis(idleBefore))]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
