import { randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import type { NewOutboxRecord, OutboxClaim, OutboxRecord, OutboxStatus, OutboxStore } from "../contracts.js";
import { fromMillis, fromMillisOrNull, toMillis } from "./codec.js";
import type { StoreContext } from "./context.js";
import type { OutboxTable } from "./schema.js";

const MAX_LIST = 1000;

function toRecord(row: Selectable<OutboxTable>): OutboxRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind as OutboxRecord["kind"],
    template: row.template,
    recipient: row.recipient,
    userId: row.user_id == null ? null : Number(row.user_id),
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    createdAt: fromMillis(row.created_at),
    nextAttemptAt: fromMillis(row.next_attempt_at),
    leaseUntil: fromMillisOrNull(row.lease_until),
    sentAt: fromMillisOrNull(row.sent_at),
    lastError: row.last_error ?? null,
    payload: row.payload ?? null,
  };
}

/** Error texts are bounded by the column (and never carry the payload: callers pass transport messages). */
const clip = (text: string) => text.slice(0, 500);

export class KyselyOutboxStore implements OutboxStore {
  constructor(private readonly ctx: StoreContext) {}

  async add(record: NewOutboxRecord): Promise<boolean> {
    const at = toMillis(record.createdAt);
    const insert = this.ctx.db.insertInto("rampart_outbox").values({
      id: record.id,
      idempotency_key: record.idempotencyKey,
      kind: record.kind,
      template: record.template,
      recipient: record.recipient,
      user_id: record.userId,
      status: "pending",
      attempts: 0,
      created_at: at,
      next_attempt_at: at,
      payload: record.payload,
    });
    // A duplicate key writes nothing and raises nothing (an error would abort a surrounding PostgreSQL transaction).
    const result =
      this.ctx.dialect === "mysql"
        ? await insert.ignore().executeTakeFirst()
        : await insert.onConflict((oc) => oc.column("idempotency_key").doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findById(id: string): Promise<OutboxRecord | null> {
    const row = await this.ctx.db.selectFrom("rampart_outbox").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findByIdempotencyKey(key: string): Promise<OutboxRecord | null> {
    const row = await this.ctx.db
      .selectFrom("rampart_outbox")
      .selectAll()
      .where("idempotency_key", "=", key)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async replacePayload(id: string, payload: string, now: Date): Promise<boolean> {
    const ms = toMillis(now);
    const result = await this.ctx.db
      .updateTable("rampart_outbox")
      .set({ payload, next_attempt_at: ms })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", ms)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async releaseIdempotencyKey(id: string): Promise<void> {
    // Ids are unique and at most 32 characters: the new key is unique and fits the column.
    await this.ctx.db
      .updateTable("rampart_outbox")
      .set({ idempotency_key: `released:${id}` })
      .where("id", "=", id)
      .execute();
  }

  async due(now: Date, limit: number): Promise<string[]> {
    const ms = toMillis(now);
    const rows = await this.ctx.db
      .selectFrom("rampart_outbox")
      .select("id")
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", ms)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", ms)]))
      .orderBy("next_attempt_at")
      .orderBy("id")
      .limit(Math.max(1, Math.trunc(limit)))
      .execute();
    return rows.map((r) => r.id);
  }

  async claim(id: string, now: Date, leaseUntil: Date): Promise<OutboxClaim | null> {
    const ms = toMillis(now);
    const token = randomBytes(12).toString("base64url");
    const result = await this.ctx.db
      .updateTable("rampart_outbox")
      .set({
        status: "sending",
        lease_until: toMillis(leaseUntil),
        lease_token: token,
        attempts: sql<number>`attempts + 1`,
      })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", ms)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", ms)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    const record = await this.findById(id);
    return record ? { record, token } : null;
  }

  async unsettled(now: Date, limit: number): Promise<OutboxRecord[]> {
    const rows = await this.ctx.db
      .selectFrom("rampart_outbox")
      .selectAll()
      .where("status", "=", "sending")
      .where("lease_until", "<=", toMillis(now))
      .orderBy("lease_until")
      .orderBy("id")
      .limit(Math.max(1, Math.trunc(limit)))
      .execute();
    return rows.map(toRecord);
  }

  async settle(id: string, now: Date, to: "pending" | "unknown", note: string): Promise<boolean> {
    const ms = toMillis(now);
    const result = await this.ctx.db
      .updateTable("rampart_outbox")
      .set({
        status: to,
        lease_until: null,
        lease_token: null,
        last_error: clip(note),
        ...(to === "pending" ? { next_attempt_at: ms } : {}),
      })
      .where("id", "=", id)
      .where("status", "=", "sending")
      .where("lease_until", "<=", ms)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private async finish(id: string, token: string, set: Partial<Record<keyof OutboxTable, unknown>>): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("rampart_outbox")
      .set({ ...set, lease_until: null, lease_token: null } as never)
      .where("id", "=", id)
      .where("lease_token", "=", token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  markSent(id: string, token: string, at: Date): Promise<boolean> {
    return this.finish(id, token, { status: "sent", sent_at: toMillis(at), payload: null, last_error: null });
  }

  reschedule(id: string, token: string, nextAttemptAt: Date, error: string): Promise<boolean> {
    return this.finish(id, token, {
      status: "pending",
      next_attempt_at: toMillis(nextAttemptAt),
      last_error: clip(error),
    });
  }

  markFailed(id: string, token: string, error: string): Promise<boolean> {
    return this.finish(id, token, { status: "failed", last_error: clip(error) });
  }

  async retry(id: string, now: Date): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("rampart_outbox")
      .set({ status: "pending", attempts: 0, next_attempt_at: toMillis(now), lease_until: null, lease_token: null })
      .where("id", "=", id)
      .where("payload", "is not", null)
      // Never a row a sender holds right now: it could go out twice.
      .where((eb) =>
        eb.or([
          eb("status", "in", ["failed", "unknown"]),
          eb.and([
            eb("status", "=", "pending"),
            eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", toMillis(now))]),
          ]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(filter: { status?: OutboxStatus; limit?: number } = {}): Promise<OutboxRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), MAX_LIST);
    let query = this.ctx.db.selectFrom("rampart_outbox").selectAll();
    if (filter.status !== undefined) query = query.where("status", "=", filter.status);
    const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toRecord);
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const result = await this.ctx.db
      .deleteFrom("rampart_outbox")
      .where("status", "in", ["sent", "failed", "unknown"])
      .where("created_at", "<", toMillis(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
