import type { AuditOutcome, UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";

/**
 * Every audit event name: the core's own below, and each feature's, which it adds from its folder (registry.ts,
 * declaration merging on this interface). An app's feature adds its names the same way on "rampart/feature", so
 * a misspelt name is a type error. The names are the values stored in the audit log (unchanged).
 */
export interface AuditEvents {
  /** A sign-in succeeded or a sign-in check refused it (the pipeline); a first factor failed (credential check). */
  login: true;
  /** The outbox: a mail or SMS was queued, sent, or given up (no more attempts, or refused for good). */
  mail_queued: true;
  mail_sent: true;
  mail_failed: true;
  sms_queued: true;
  sms_sent: true;
  sms_failed: true;
  /** Work after the answer failed. */
  deferred_failed: true;
  /** A remember cookie was presented again after it had been rotated (possible theft). */
  remember_reused: true;
  /** A first sign-in by an emailed code proved the mailbox. */
  email_proved: true;
  /** What an administrator (CLI, `rampart.api`) changed. */
  user_created: true;
  user_activated: true;
  user_deactivated: true;
  user_confirmed: true;
  user_deleted: true;
  access_reset: true;
  role_created: true;
  role_added: true;
  role_removed: true;
  role_permissions_added: true;
  role_permissions_removed: true;
  /** Shared operations the api performs too (change-password's and sessions' own entries name them again). */
  password_changed: true;
  session_revoked: true;
  /** The lockout: an account began to wait between guesses or was locked until reset (core/lockout); unlocked. */
  user_locked: true;
  user_unlocked: true;
}

export type AuditEvent = keyof AuditEvents & string;

/**
 * Writes an audit event (who, what, when, IP, outcome) for a security-relevant action. Awaited before the
 * response goes out, so every 2xx has its event. Never pass secrets in `details`.
 */
export interface AuditEntry {
  event: AuditEvent;
  outcome: AuditOutcome;
  /** Whom it concerns (only the id, and the email when no identity is given, are recorded). */
  user?: (Pick<UserRecord, "id"> & { email?: string }) | null;
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
