import type { AuditWriter } from "./audit.js";
import { forgetUserRemember, rememberIdOf } from "./remember.js";
import type { Runtime } from "./runtime.js";
import { recordSessionEnds, recordUserSessionsEnd } from "./session-ends.js";
import type { SessionRecord, UserRecord } from "../datastore/contracts.js";

/**
 * Ending a user's sessions, the same whether the user asks (POST /sessions/revoke) or server code does
 * (`api.revokeSessions`): the sessions' remember records go first (in the database: they are what would let a
 * copy of the cookie back in), the ends are recorded in the database for an external session store (Redis), then
 * the sessions are
 * deleted; one audit row and one `session_revoked` event. In the core, not the sessions feature: the api offers it
 * whether or not the feature's routes are mounted. Refresh token families (when the feature is on) are ended with
 * the sessions: one by its listed id, or all of the user's ("others": but the caller's own).
 */
export type Revocation =
  | { scope: "one"; id: string }
  /** Every session but `keep` (the caller's own; null for a caller without a session, e.g. a token). */
  | { scope: "others"; keep: SessionRecord | null; keepFamily?: string | null }
  | { scope: "all" };

export interface Revoker {
  audit: AuditWriter;
  /** "self" for the user's own request, "admin" for server code. */
  by: "self" | "admin";
}

/** The ids of the sessions ended; null when `one` names no session of this user (unknown, or someone else's). */
export async function revokeSessions(
  rt: Runtime,
  user: UserRecord,
  which: Revocation,
  revoker: Revoker,
): Promise<string[] | null> {
  const now = rt.now();
  const families = rt.services.tokenFamilies;
  let revoked: string[] = [];
  // Families ended: counted in the answer, announced by the feature's own event (`refresh_tracker_revoked`).
  const familyIds: string[] = [];
  const family = which.scope === "one" && families ? await families.revoke(rt, user, which.id, revoker.audit) : null;
  if (which.scope === "one" && family !== null) {
    // Already ended (a second click, a concurrent revoke): nothing to count or announce.
    if (family === "already-ended") return [];
    familyIds.push(which.id);
  } else if (which.scope === "one") {
    const target = await rt.sessions.findById(which.id);
    if (!target || target.userId !== user.id) return null;
    const rememberId = rememberIdOf(target);
    if (rememberId) await rt.datastore.remember.delete(rememberId);
    await recordSessionEnds(rt, [target]);
    if (await rt.sessions.delete(target.id)) revoked = [target.id];
  } else {
    const keep = which.scope === "others" ? which.keep : null;
    // Every remember record of the user goes too, also those whose session already ended ("others": but ours).
    await forgetUserRemember(rt, user.id, rememberIdOf(keep));
    const ending = (await rt.sessions.listForUser(user.id)).filter((s) => s.id !== keep?.id);
    revoked = ending.map((s) => s.id);
    // The cut-off also ends sessions the store no longer lists but an old snapshot of it still holds; the
    // listed ones are recorded one by one too, in case their maker's clock ran ahead of this one's.
    await recordUserSessionsEnd(rt, user.id, now, keep);
    await recordSessionEnds(rt, ending);
    await rt.sessions.deleteForUser(user.id, keep?.id);
    if (families) {
      const keepFamily = which.scope === "others" ? (which.keepFamily ?? null) : null;
      // Listed first so the count is what GET /sessions showed the user.
      const listed = (await families.list(rt, user)).map((f) => f.id).filter((id) => !id.endsWith(`:${keepFamily}`));
      await families.revokeForUser(rt, user, "sign_out_everywhere", { keep: keepFamily, audit: revoker.audit });
      familyIds.push(...listed);
    }
  }
  await revoker.audit({
    event: "session_revoked",
    outcome: "success",
    user,
    details: { by: revoker.by, scope: which.scope, count: revoked.length + familyIds.length },
  });
  // One family ended by id: its event was `refresh_tracker_revoked`; session_revoked names sessions only.
  if (!(which.scope === "one" && familyIds.length))
    await rt.events.emit("session_revoked", { user, sessionIds: revoked, scope: which.scope });
  return [...revoked, ...familyIds];
}
