import type { SessionRecord } from "../datastore/contracts.js";
import { isDatabaseOutage } from "./outage.js";
import { revocationQueue } from "./revocation-queue.js";
import type { Runtime } from "./runtime.js";

/**
 * Ends of sessions kept outside the database (the Redis store). Deleting such a session only deletes it from
 * Redis, and a Redis restored from a snapshot or failed over to a lagging replica would bring it back. So every
 * deliberate end (logout, revoke, the rotation at a new sign-in) is written to the database first, and a session
 * read from Redis is refused when the database knows it ended (the same query that reads its user). Sessions in
 * the database need none of this: their deletion is the record.
 */
export function sessionsOutsideDatabase(rt: Runtime): boolean {
  return rt.sessions !== rt.datastore.sessions;
}

/** Writes the end of these sessions to the database (before they are deleted from the store). */
export async function recordSessionEnds(rt: Runtime, sessions: readonly SessionRecord[]): Promise<void> {
  if (!sessionsOutsideDatabase(rt) || sessions.length === 0) return;
  await rt.datastore.revocations.revokeSessions(
    sessions.map((s) => ({ sessionId: s.id, userId: s.userId, expiresAt: s.expiresAt })),
  );
}

/**
 * A sign-out's end of its session: written to the database, or, while the database is down, queued (in this
 * process and in Redis) and written once it is back. The session is deleted from Redis either way, so it is
 * refused at once; the queue is what keeps a restored Redis from bringing it back afterwards.
 */
export async function recordSignOut(rt: Runtime, session: SessionRecord): Promise<void> {
  try {
    await recordSessionEnds(rt, [session]);
  } catch (error) {
    if (!isDatabaseOutage(error)) throw error;
    const expiresAt = session.expiresAt.getTime();
    await revocationQueue(rt).add([{ kind: "session", sessionId: session.id, userId: session.userId, expiresAt }]);
  }
}

/**
 * Every session of the user made until `at` (this instance's clock) has ended, but `keep` (revoking all, or all
 * but the caller's own): also those the store no longer lists (an emptied Redis) but an old snapshot still holds.
 * The cut-off is kept on the database's clock, as sessions' creation times are (session-writer.ts), so an
 * instance whose clock runs ahead cannot make a session look newer than the revocation.
 */
export async function recordUserSessionsEnd(
  rt: Runtime,
  userId: number,
  at: Date,
  keep: SessionRecord | null,
): Promise<void> {
  if (!sessionsOutsideDatabase(rt)) return;
  await rt.datastore.revocations.revokeUserSessionsBefore(userId, rt.clockSkew.onDatabaseClock(at), keep?.id ?? null);
}

/** Sweeps revocations no session can need any more (the periodic clean-up). */
export function sweepSessionEnds(rt: Runtime, now: Date): Promise<number> {
  const oldestSession = new Date(now.getTime() - rt.config.session.absoluteTimeoutSeconds * 1000);
  return rt.datastore.revocations.deleteExpired(now, oldestSession);
}
