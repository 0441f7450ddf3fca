import type { AuditOutcome, UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";

/**
 * Writes an audit event (who, what, when, IP, outcome) for a security-relevant action. Awaited before the
 * response goes out, so every 2xx has its event. Never pass secrets in `details`.
 */
export interface AuditEntry {
  event: string;
  outcome: AuditOutcome;
  user?: UserRecord | null;
  identity?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Where an operation that both routes and the api perform writes its audit rows: a request's writer records its
 * IP and agent, the api's records "api".
 */
export type AuditWriter = (entry: AuditEntry) => Promise<void>;

export function requestAudit(ctx: RequestContext): AuditWriter {
  return (entry) => recordAudit(ctx, entry);
}

export async function recordAudit(ctx: RequestContext, event: AuditEntry): Promise<void> {
  await ctx.rt.datastore.audit.append({
    at: ctx.now(),
    event: event.event,
    outcome: event.outcome,
    userId: event.user?.id ?? null,
    identity: event.identity?.slice(0, 255) ?? event.user?.email ?? null,
    ip: ctx.clientIp(),
    userAgent: ctx.userAgent(),
    details: event.details ?? null,
  });
}
