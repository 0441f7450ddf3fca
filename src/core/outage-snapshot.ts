import type { RoleRecord, SessionRecord, UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import { revocationQueue } from "./revocation-queue.js";
import { sessionSweeps } from "./session-sweeps.js";
import type { Runtime } from "./runtime.js";

/**
 * What a Redis session keeps of its user so that, while the database is down, the session store alone can prove
 * the caller to the app's guards for reading (GET/HEAD), and to a sign-out. Saved with the session from the last
 * database read (at sign-in, then at most every touch interval), and trusted only while younger than
 * `session.outageReadMaxAgeSeconds`: a Redis restored from an older snapshot proves nobody. Secrets (password
 * hash, authenticator secrets, recovery codes) are never copied into it.
 *
 * Stored as `<saved at, epoch ms>|<JSON>`, so its age is read without parsing the JSON on every request.
 */
export interface OutageRole {
  name: string;
  permissions: string[];
}

interface Snapshot {
  user: UserRecord;
  /** null: not read yet (a guard that needs roles cannot be answered from it). */
  roles: OutageRole[] | null;
}

const DATE_FIELDS = ["confirmedAt", "lastLoginAt", "currentLoginAt", "createDatetime", "updateDatetime"] as const;

export function encodeSnapshot(user: UserRecord, roles: readonly RoleRecord[] | null, at: Date): string {
  const kept: UserRecord = { ...user, password: null, tfTotpSecret: null, usTotpSecrets: null, mfRecoveryCodes: null };
  const json = JSON.stringify({
    user: kept,
    roles: roles ? roles.map((r) => ({ name: r.name, permissions: r.permissions })) : null,
  });
  return `${at.getTime()}|${json}`;
}

function savedAt(text: string | null | undefined): number | null {
  if (!text) return null;
  const at = Number(text.slice(0, text.indexOf("|")));
  return Number.isFinite(at) && at > 0 ? at : null;
}

function decode(text: string): Snapshot | null {
  try {
    const parsed = JSON.parse(text.slice(text.indexOf("|") + 1)) as Snapshot;
    const user = parsed.user as unknown as Record<string, unknown>;
    for (const f of DATE_FIELDS) user[f] = user[f] === null ? null : new Date(user[f] as string);
    return parsed;
  } catch {
    return null;
  }
}

/** The session's snapshot is missing, lacks roles, or is older than the touch interval: read it again. */
export function snapshotDue(rt: Runtime, record: SessionRecord, now: number): boolean {
  if (!rt.sessions.saveOutageSnapshot || rt.config.session.outageReadMaxAgeSeconds === 0) return false;
  const at = savedAt(record.outageSnapshot);
  // Roles come last in the JSON: a snapshot written at sign-in has none yet.
  if (at === null || record.outageSnapshot!.endsWith('"roles":null}')) return true;
  return now - at >= rt.config.session.touchIntervalSeconds * 1000;
}

/** Saves what the guards need of `user` (roles read now) with the session. */
export async function refreshSnapshot(rt: Runtime, record: SessionRecord, user: UserRecord, now: Date): Promise<void> {
  const roles = await rt.datastore.roles.rolesOfUser(user.id);
  const snapshot = encodeSnapshot(user, roles, now);
  await rt.sessions.saveOutageSnapshot?.(record.id, snapshot);
  record.outageSnapshot = snapshot;
}

export type OutageProof =
  | { kind: "proven"; user: UserRecord; roles: OutageRole[] | null }
  /** The session is known to be over (signed out during the outage, user inactive, uniquifier changed). */
  | { kind: "refused" }
  /** Nothing recent enough to go on: the answer is 503, never a sign-out. */
  | { kind: "unprovable" };

/**
 * The database is down: can the session store prove this (live, unexpired) session's caller? `anyAge` for a
 * sign-out, which ends the session whatever it proves.
 */
export async function proveDuringOutage(
  ctx: RequestContext,
  record: SessionRecord,
  options: { anyAge: boolean },
): Promise<OutageProof> {
  const { rt } = ctx;
  const at = savedAt(record.outageSnapshot);
  const maxAgeMs = rt.config.session.outageReadMaxAgeSeconds * 1000;
  if (at === null || (!options.anyAge && (maxAgeMs === 0 || ctx.now().getTime() - at > maxAgeMs)))
    return { kind: "unprovable" };
  const snapshot = decode(record.outageSnapshot!);
  if (!snapshot) return { kind: "unprovable" };
  if (!snapshot.user.active || snapshot.user.fsUniquifier !== record.fsUniquifier) return { kind: "refused" };
  // Signed out during this outage (here, or on another instance through the shared queue).
  if (revocationQueue(rt).hasSession(record.id)) return { kind: "refused" };
  // Ended by a change this instance committed while the store could not delete the session: the user data kept
  // with it predates that change.
  if (sessionSweeps(rt).covers(record)) return { kind: "refused" };
  try {
    if (await rt.sessions.pendingRevocations?.hasSession(record.id)) return { kind: "refused" };
  } catch {
    return { kind: "unprovable" };
  }
  // A role change marked it: the roles kept may be the old ones.
  if (record.rotatePending && !options.anyAge) return { kind: "unprovable" };
  return { kind: "proven", user: snapshot.user, roles: snapshot.roles };
}
