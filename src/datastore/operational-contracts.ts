/**
 * What the operational tables hold: rate-limit counters, revocations of sessions kept outside the database, and
 * the mail/SMS outbox (the Datastore in contracts.ts exposes them as `limits`, `revocations`, `outbox`).
 */
import type { UserRecord } from "./contracts.js";

/** A rate-limit counter as rate-limiter-flexible's store contract sees it: points in a window ending at `expire`. */
export interface LimitCounter {
  points: number;
  /** Epoch ms when the window (or block) ends; null for a counter that never expires. */
  expire: number | null;
}

/**
 * Rate-limit counters for the database limiter store (core/limits). `upsert` is atomic per key: add `points`
 * to a live counter, or start a new window ending at now + msDuration (`forceExpire`: replace the counter and
 * its end, as a block does). Every instance on the database shares the counters.
 */
export interface LimitStore {
  upsert(key: string, points: number, msDuration: number, forceExpire: boolean, nowMs: number): Promise<LimitCounter>;
  /** The live counter, or null (none or expired). */
  get(key: string, nowMs: number): Promise<LimitCounter | null>;
  delete(key: string): Promise<boolean>;
  /** Removes counters whose window is over; returns how many went. */
  deleteExpired(nowMs: number): Promise<number>;
}

/** A session kept outside the database that ended, recorded until its own expiry. */
export interface SessionRevocation {
  sessionId: string;
  userId: number;
  expiresAt: Date;
}

/**
 * Revocations of sessions kept outside the database (the Redis session store): there, deleting a session only
 * deletes it from Redis, which a restored snapshot or a lagging replica can undo, so the database keeps what ended
 * and every use of such a session is checked against it. (Sessions in the database need none of it: deleting the
 * row is the record.)
 */
export interface RevocationStore {
  /** Records these sessions as ended; recording one twice is not an error. */
  revokeSessions(entries: readonly SessionRevocation[]): Promise<void>;
  /**
   * Every session of the user made at or before `before` has ended, except `keepSessionId` (the caller's own,
   * for "sign out my other sessions"). Of two cut-offs the later one stands.
   */
  revokeUserSessionsBefore(userId: number, before: Date, keepSessionId: string | null): Promise<void>;
  /**
   * The user of a session (null when there is none) and whether the session was revoked (listed, or made at or
   * before the user's cut-off and not kept by it), in one round trip: the read every request makes anyway.
   */
  userForSession(
    userId: number,
    session: { id: string; createdAt: Date },
  ): Promise<{ user: UserRecord | null; revoked: boolean }>;
  /**
   * The users whose cut-off is later than `since`, with it: the sessions a recent revoke-all or credential change
   * ended, which the session store may still hold (see core/session-sweeps.ts).
   */
  cutOffSince(since: Date): Promise<{ userId: number; before: Date; keepSessionId: string | null }[]>;
  /** Sweeps listed sessions past their expiry and cut-offs older than `cutoffsBefore`; returns how many went. */
  deleteExpired(now: Date, cutoffsBefore: Date): Promise<number>;
}

export type OutboxKind = "mail" | "sms";
/**
 * pending: waiting to be sent (or for a retry); sending: a sender took it (recorded before the transport is
 * called); sent; failed: given up; unknown: its sender stopped after it started sending and before it recorded
 * the outcome, and the message is one that is not sent twice (a code or link), so nobody knows whether it went.
 */
export type OutboxStatus = "pending" | "sending" | "sent" | "failed" | "unknown";

/** One message of the outbox: metadata in clear, the message itself sealed in `payload` until it is sent. */
export interface OutboxRecord {
  id: string;
  /** Unique: adding the same key twice writes one row (see core/outbox/queue.ts for what it is made of). */
  idempotencyKey: string;
  kind: OutboxKind;
  /** The mail template name, or the SMS purpose. */
  template: string;
  recipient: string;
  userId: number | null;
  status: OutboxStatus;
  /** Delivery attempts started so far. */
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
  sentAt: Date | null;
  lastError: string | null;
  payload: string | null;
}

export type NewOutboxRecord = Pick<
  OutboxRecord,
  "id" | "idempotencyKey" | "kind" | "template" | "recipient" | "userId" | "createdAt" | "payload"
>;

/** A claimed row: the lease token proves the claim when the outcome is recorded. */
export interface OutboxClaim {
  record: OutboxRecord;
  token: string;
}

/**
 * The durable outbox. A sender claims a due row with a lease (one conditional UPDATE, so of several instances
 * exactly one gets it), sends, then records the outcome with its lease token; a row whose sender died is
 * claimable again once the lease runs out.
 */
export interface OutboxStore {
  /** Writes a pending row due now; false (nothing written) when the idempotency key is already there. */
  add(record: NewOutboxRecord): Promise<boolean>;
  findById(id: string): Promise<OutboxRecord | null>;
  findByIdempotencyKey(key: string): Promise<OutboxRecord | null>;
  /**
   * Gives a pending row that no sender holds a new sealed message (a repeated request's own), due at `now`.
   * False when the row is sent, being sent or given up.
   */
  replacePayload(id: string, payload: string, now: Date): Promise<boolean>;
  /** Frees the row's idempotency key (the row stays, under a key of its own) so a new message may take it. */
  releaseIdempotencyKey(id: string): Promise<void>;
  /** Ids of pending rows due at `now` and not leased, oldest first. */
  due(now: Date, limit: number): Promise<string[]>;
  /**
   * Marks the row `sending`, leased until `leaseUntil`, and counts an attempt, if it is pending, due and not
   * leased: one committed write before the message goes to the transport.
   */
  claim(id: string, now: Date, leaseUntil: Date): Promise<OutboxClaim | null>;
  /** Rows left `sending` whose lease ran out at `now` (their sender stopped mid-delivery), oldest first. */
  unsettled(now: Date, limit: number): Promise<OutboxRecord[]>;
  /**
   * A row left `sending` past its lease: `pending` (due at `now`, sent again) or `unknown` (never sent again
   * automatically; the body stays for a manual retry), with `note` as its last error. False when it is no longer
   * such a row (another instance settled it, or its sender recorded the outcome after all).
   */
  settle(id: string, now: Date, to: "pending" | "unknown", note: string): Promise<boolean>;
  /**
   * Sent: the payload is deleted, the metadata stays. False when the claim was lost (the row was settled by
   * another instance after its lease ran out); a late outcome with the claim's token still counts otherwise.
   */
  markSent(id: string, token: string, at: Date): Promise<boolean>;
  /** Back to pending, due at `nextAttemptAt`. False when the lease was lost. */
  reschedule(id: string, token: string, nextAttemptAt: Date, error: string): Promise<boolean>;
  /** Given up (the payload stays for a manual retry until the row is swept). False when the lease was lost. */
  markFailed(id: string, token: string, error: string): Promise<boolean>;
  /**
   * A failed or unknown (or pending, not leased) row with its payload: pending again, due at `now`, attempts
   * from zero.
   */
  retry(id: string, now: Date): Promise<boolean>;
  /** Newest first. */
  list(filter?: { status?: OutboxStatus; limit?: number }): Promise<OutboxRecord[]>;
  /** Deletes sent, failed and unknown rows created before `before`; returns how many went. */
  deleteFinishedBefore(before: Date): Promise<number>;
}
