import type { Selectable } from "kysely";
import type { AuditEventRecord, AuditOutcome, AuditStore } from "../contracts.js";
import { fromMillis, parseJson, toMillis } from "./codec.js";
import type { StoreContext } from "./context.js";
import type { AuditEventTable } from "./schema.js";

/** Default and maximum page size of `list`. */
export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

function toAuditRecord(row: Selectable<AuditEventTable>): AuditEventRecord {
  return {
    id: Number(row.id),
    at: fromMillis(row.at),
    event: row.event,
    outcome: row.outcome as AuditOutcome,
    userId: row.user_id == null ? null : Number(row.user_id),
    identity: row.identity ?? null,
    ip: row.ip ?? null,
    userAgent: row.user_agent ?? null,
    details: parseJson<Record<string, unknown> | null>(row.details, null),
  };
}

export class KyselyAuditStore implements AuditStore {
  constructor(private readonly ctx: StoreContext) {}

  async append(event: Omit<AuditEventRecord, "id">): Promise<void> {
    await this.ctx.db
      .insertInto("audit_event")
      .values({
        at: toMillis(event.at),
        event: event.event,
        outcome: event.outcome,
        user_id: event.userId,
        identity: event.identity,
        ip: event.ip,
        user_agent: event.userAgent,
        details: event.details == null ? null : JSON.stringify(event.details),
      })
      .execute();
  }

  /** Newest first (by id, i.e. append order); `beforeId` pages backwards. */
  async list(
    filter: { userId?: number; event?: string; limit?: number; beforeId?: number } = {},
  ): Promise<AuditEventRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? AUDIT_DEFAULT_LIMIT), 1), AUDIT_MAX_LIMIT);
    let query = this.ctx.db.selectFrom("audit_event").selectAll();
    if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
    if (filter.event !== undefined) query = query.where("event", "=", filter.event);
    if (filter.beforeId !== undefined) query = query.where("id", "<", filter.beforeId);
    const rows = await query.orderBy("id", "desc").limit(limit).execute();
    return rows.map(toAuditRecord);
  }
}
