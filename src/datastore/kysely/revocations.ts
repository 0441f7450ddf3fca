import { sql, type Compilable, type Kysely } from "kysely";
import type { RevocationStore, SessionRevocation, UserRecord } from "../contracts.js";
import { toMillis } from "./codec.js";
import type { StoreContext } from "./context.js";
import { PreparedQuery } from "./prepared.js";
import type { Database } from "./schema.js";
import { toUserRecord, USER_COLUMNS, type UserRow } from "./users.js";

/** The user row with the user's cut-off and whether the session is listed as revoked. */
type UserWithRevocationRow = UserRow & {
  rv_before: number | string | null;
  rv_keep: string | null;
  rv_listed: number | string;
};

export class RevocationQueries {
  /** Parameters: the session id (the listed-revocation subquery), then the user id. */
  readonly userForSession: PreparedQuery<UserWithRevocationRow>;

  constructor(db: Kysely<Database>, preparedSql: Set<string>) {
    const query = db
      .selectFrom("user")
      .leftJoin("rampart_session_cutoff as c", "c.user_id", "user.id")
      .select(USER_COLUMNS.map((c) => `user.${c}` as const))
      .select(["c.revoked_before as rv_before", "c.keep_session_id as rv_keep"])
      .select((eb) =>
        eb
          .selectFrom("rampart_session_revocation as r")
          .select((e) => e.fn.countAll().as("n"))
          .where("r.session_id", "=", "")
          .as("rv_listed"),
      )
      .where("user.id", "=", 0);
    this.userForSession = new PreparedQuery(query as unknown as Compilable<UserWithRevocationRow>, preparedSql);
  }
}

/** Revocations of sessions kept outside the database, in `rampart_session_revocation` / `rampart_session_cutoff`. */
export class KyselyRevocationStore implements RevocationStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly q: RevocationQueries,
  ) {}

  async revokeSessions(entries: readonly SessionRevocation[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      session_id: e.sessionId,
      user_id: e.userId,
      expires_at: toMillis(e.expiresAt),
    }));
    const insert = this.ctx.db.insertInto("rampart_session_revocation").values(rows);
    // Recording an end twice (a retried queue, two instances) is no error; other errors still surface.
    if (this.ctx.dialect === "mysql") await insert.onDuplicateKeyUpdate({ session_id: sql`session_id` }).execute();
    else await insert.onConflict((oc) => oc.column("session_id").doNothing()).execute();
  }

  async revokeUserSessionsBefore(userId: number, before: Date, keepSessionId: string | null): Promise<void> {
    const at = toMillis(before);
    const insert = this.ctx.db
      .insertInto("rampart_session_cutoff")
      .values({ user_id: userId, revoked_before: at, keep_session_id: keepSessionId });
    if (this.ctx.dialect === "mysql") {
      // MySQL evaluates SET left to right: the kept id is decided before revoked_before is replaced.
      await insert
        .onDuplicateKeyUpdate({
          keep_session_id: sql`IF(revoked_before <= ${at}, ${keepSessionId}, keep_session_id)`,
          revoked_before: sql`GREATEST(revoked_before, ${at})`,
        })
        .execute();
      return;
    }
    await insert
      .onConflict((oc) =>
        oc
          .column("user_id")
          .doUpdateSet({ revoked_before: at, keep_session_id: keepSessionId })
          .where("rampart_session_cutoff.revoked_before", "<=", at),
      )
      .execute();
  }

  async userForSession(
    userId: number,
    session: { id: string; createdAt: Date },
  ): Promise<{ user: UserRecord | null; revoked: boolean }> {
    const row = await this.q.userForSession.first(this.ctx.db, session.id, userId);
    if (!row) return { user: null, revoked: false };
    const cutOff =
      row.rv_before !== null &&
      row.rv_before !== undefined &&
      session.createdAt.getTime() <= Number(row.rv_before) &&
      row.rv_keep !== session.id;
    return { user: toUserRecord(row), revoked: Number(row.rv_listed) > 0 || cutOff };
  }

  async cutOffSince(since: Date): Promise<{ userId: number; before: Date; keepSessionId: string | null }[]> {
    const rows = await this.ctx.db
      .selectFrom("rampart_session_cutoff")
      .select(["user_id", "revoked_before", "keep_session_id"])
      .where("revoked_before", ">", toMillis(since))
      .execute();
    return rows.map((r) => ({
      userId: Number(r.user_id),
      before: new Date(Number(r.revoked_before)),
      keepSessionId: r.keep_session_id ?? null,
    }));
  }

  async deleteExpired(now: Date, cutoffsBefore: Date): Promise<number> {
    const listed = await this.ctx.db
      .deleteFrom("rampart_session_revocation")
      .where("expires_at", "<=", toMillis(now))
      .executeTakeFirst();
    const cutoffs = await this.ctx.db
      .deleteFrom("rampart_session_cutoff")
      .where("revoked_before", "<", toMillis(cutoffsBefore))
      .executeTakeFirst();
    return Number(listed.numDeletedRows) + Number(cutoffs.numDeletedRows);
  }
}
