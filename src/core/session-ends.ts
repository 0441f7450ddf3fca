import type { Runtime } from "./runtime.js";

/**
 * Ends of sessions kept outside the database (the Redis store). Deleting such a session only deletes it from
 * Redis, and a Redis restored from a snapshot or failed over to a lagging replica would bring it back. So every
 * deliberate end (logout, revoke, the rotation at a new sign-in) is also written to the database first, and a
 * session read from Redis is refused when the database knows it ended. Sessions in the database need none of
 * this: their deletion is the record. A marker lives as long as the longest session could.
 */
const PREFIX = "session-ended:";

function external(rt: Runtime): boolean {
  return rt.sessions !== rt.datastore.sessions;
}

/** Writes the end of these sessions to the database (before they are deleted from the store). */
export async function recordSessionEnds(rt: Runtime, ids: readonly string[], now: Date): Promise<void> {
  if (!external(rt)) return;
  for (const id of ids) await rt.datastore.attempts.hit(PREFIX + id, rt.config.session.absoluteTimeoutSeconds, now);
}

/** True when the database recorded the end of this externally kept session. */
export async function sessionEnded(rt: Runtime, id: string, now: Date): Promise<boolean> {
  if (!external(rt)) return false;
  return (await rt.datastore.attempts.peek(PREFIX + id, rt.config.session.absoluteTimeoutSeconds, now)) > 0;
}

/** Sweeps the markers older than any session could be (the periodic clean-up). */
export function sweepSessionEnds(rt: Runtime, now: Date): Promise<number> {
  return rt.datastore.attempts.deleteExpired(PREFIX, rt.config.session.absoluteTimeoutSeconds, now);
}
