import { sha256Hex } from "../crypto/random.js";
import type { RememberRecord, MfaProof, SessionRecord, UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "./audit.js";
import type { SecondFactorMethod } from "./methods.js";
import type { RequestContext } from "./context.js";
import type { Runtime } from "./runtime.js";
import { DependencyUnavailableError } from "./errors.js";
import { isUnsafeMethod } from "./csrf.js";
import { asUnavailable, isDatabaseOutage, isDatabaseUnreachable } from "./outage.js";
import { proveDuringOutage, refreshSnapshot, snapshotDue, type OutageRole } from "./outage-snapshot.js";
import { revocationQueue } from "./revocation-queue.js";
import { sessionSweeps } from "./session-sweeps.js";
import { recordSessionEnds, recordUserSessionsEnd, sessionsOutsideDatabase } from "./session-ends.js";
import { clearRememberCookie, presentedRemember, rememberIdOf, rotateRemember } from "./remember.js";
import { restoreSession, rotateSession } from "./session-writer.js";

/**
 * Server-side sessions: the cookie carries a random 256-bit token, the store keeps only its SHA-256.
 * A session is alive while: not past its absolute expiry, used within the idle timeout, its user active and
 * the user's fs_uniquifier unchanged since it was made. Remember-me cookies live in ./remember.ts. This module
 * reads sessions; every new or ended session is written by ./session-writer.ts.
 */

export interface LiveSession {
  record: SessionRecord;
  user: UserRecord;
  /** Set when the database is down and the session store proved the caller (see outage-snapshot.ts). */
  outage?: { roles: OutageRole[] | null };
}

/**
 * Reads the session cookie (or a remember cookie) and returns the live session, or null. While the database is
 * down, the answer is 503, except where the session store alone may prove the caller (`ctx.outageAccess`).
 */
export async function loadSession(ctx: RequestContext): Promise<LiveSession | null> {
  const { rt } = ctx;
  // Sign-outs this instance queued during an outage go to the database before anything is read from it again.
  const queue = revocationQueue(rt);
  if (queue.size > 0) await queue.flush();
  try {
    const token = ctx.cookie(rt.config.session.cookieName);
    if (token && token.length <= 128) {
      const live = await findLive(ctx, sha256Hex(token));
      if (live) return live;
    }
    return await restoreFromRemember(ctx);
  } catch (error) {
    // Redis itself failing is its own 503; only the database's absence has a fallback.
    if (error instanceof DependencyUnavailableError && error.dependency.startsWith("session store")) throw error;
    if (!isDatabaseOutage(error)) throw error;
    revocationQueue(rt).watch();
    // A sign-out goes on without a caller: it ends whatever session the cookie names.
    if (ctx.outageAccess === "sign-out") return null;
    throw asUnavailable(error);
  }
}

/**
 * The session and its user in one round trip when the session store lives in the datastore and can join them
 * (SQL); otherwise (Redis, or a store from elsewhere) the session, then the user.
 */
async function findLive(ctx: RequestContext, tokenHash: string): Promise<LiveSession | null> {
  const { rt } = ctx;
  if (rt.sessions.findWithUserByTokenHash && rt.sessions === rt.datastore.sessions) {
    const found = await rt.sessions.findWithUserByTokenHash(tokenHash);
    return found ? checkAlive(ctx, found.session, found.user) : null;
  }
  const record = await rt.sessions.findByTokenHash(tokenHash);
  return record ? checkAlive(ctx, record) : null;
}

/** `joinedUser`: the user already read with the session (null: none); undefined reads it here. */
async function checkAlive(
  ctx: RequestContext,
  record: SessionRecord,
  joinedUser?: UserRecord | null,
): Promise<LiveSession | null> {
  const { rt } = ctx;
  const now = ctx.now().getTime();
  const idleLimit = record.lastActiveAt.getTime() + rt.config.session.idleTimeoutSeconds * 1000;
  if (record.expiresAt.getTime() <= now || idleLimit <= now) {
    await rt.sessions.delete(record.id);
    return null;
  }
  // A session from Redis is also checked against the database's revocations, in the read of its user.
  let user: UserRecord | null;
  let revoked = false;
  if (joinedUser !== undefined) user = joinedUser;
  else if (!sessionsOutsideDatabase(rt)) user = await rt.datastore.users.findById(record.userId);
  else {
    try {
      ({ user, revoked } = await rt.datastore.revocations.userForSession(record.userId, record));
    } catch (error) {
      if (!isDatabaseOutage(error)) throw error;
      return duringOutage(ctx, record, error);
    }
  }
  if (!user || !user.active || user.fsUniquifier !== record.fsUniquifier || revoked) {
    await rt.sessions.delete(record.id);
    return null;
  }
  if (record.rotatePending) {
    // A privilege change (role grant/removal) happened since this token was issued: swap it for a new one.
    return { record: await rotateSession(ctx, user, record), user };
  }
  if (now - record.lastActiveAt.getTime() >= rt.config.session.touchIntervalSeconds * 1000) {
    await rt.sessions.touch(record.id, new Date(now));
    record.lastActiveAt = new Date(now);
  }
  if (snapshotDue(rt, record, now)) await refreshSnapshot(rt, record, user, new Date(now));
  return { record, user };
}

/**
 * The database is unavailable while a Redis session is read. A sign-out, and — only when the database cannot be
 * reached at all, never when it is merely busy — reads through the app's guards (GET/HEAD) may go on when the
 * session store proves the caller; anything else, or a session it cannot prove, answers 503 (the session may
 * well be valid: it is never signed out for this). A session known to be over is refused.
 */
async function duringOutage(ctx: RequestContext, record: SessionRecord, error: unknown): Promise<LiveSession | null> {
  revocationQueue(ctx.rt).watch();
  const signOut = ctx.outageAccess === "sign-out";
  const read = ctx.outageAccess === "read" && !isUnsafeMethod(ctx.request.method) && isDatabaseUnreachable(error);
  if (!signOut && !read) throw asUnavailable(error);
  const proof = await proveDuringOutage(ctx, record, { anyAge: signOut });
  if (proof.kind === "proven") return { record, user: proof.user, outage: { roles: proof.roles } };
  if (proof.kind === "refused" || signOut) return null;
  throw asUnavailable(error);
}

/**
 * A remember cookie whose database record is alive starts a new, non-fresh session. The record's secret is
 * swapped (a copy of the old cookie stops working) but its expiry stays: the cookie set back carries only the
 * lifetime left.
 */
async function restoreFromRemember(ctx: RequestContext): Promise<LiveSession | null> {
  const { rt } = ctx;
  if (ctx.cookie(rt.config.session.rememberCookieName) === undefined) return null;
  const presented = await presentedRemember(ctx);
  const record = presented?.record;
  if (presented?.kind === "reused") return endReusedRemember(ctx, presented.record);
  const user = record ? await rt.datastore.users.findById(record.userId) : null;
  // Signed out during a database outage, and its deletion not written yet (it may be on another instance).
  const queued =
    record !== undefined && sessionsOutsideDatabase(rt) && (await revocationQueue(rt).hasRemember(record.id));
  if (!presented || !record || !user || !user.active || user.fsUniquifier !== record.fsUniquifier || queued) {
    if (record) await rt.datastore.remember.delete(record.id);
    clearRememberCookie(ctx);
    return null;
  }
  // A remember cookie is a sign-in path too: the pipeline's checks (active, confirmed, locked, two-factor…) must
  // pass. It carries the multi-factor proof of the sign-in that issued it, if there was one.
  const proof = record.mfaProof;
  const outcome = await rt.pipeline.check(
    ctx,
    { user, authnVia: ["remember"], remember: true, kind: "session" },
    proof,
  );
  if (outcome.kind !== "continue") {
    await rt.datastore.remember.delete(record.id);
    clearRememberCookie(ctx);
    return null;
  }
  // Of parallel restores with the same cookie one rotates; the others (their secret was current when read, or
  // is the one replaced moments ago) get a session without touching the cookie, so their answers never
  // overwrite the new secret.
  if (presented.kind === "current") await rotateRemember(ctx, record, presented.secret);
  const session = await restoreSession(ctx, user, record);
  await recordAudit(ctx, {
    event: "login",
    outcome: "success",
    user,
    details: { via: ["remember"], session: session.id },
  });
  return { record: session, user };
}

/**
 * A remember cookie presented with a secret that a restore replaced (past the grace for parallel requests): the
 * cookie was copied and both copies were used. Whichever this is, the record and every session restored from it
 * end, so the thief's session goes too; the owner signs in again.
 */
async function endReusedRemember(ctx: RequestContext, record: RememberRecord): Promise<null> {
  const { rt } = ctx;
  await rt.datastore.remember.delete(record.id);
  const restored = (await rt.sessions.listForUser(record.userId)).filter((s) => rememberIdOf(s) === record.id);
  // Recorded in the database first, so a Redis restored from a snapshot cannot bring these sessions back.
  await recordSessionEnds(rt, restored);
  for (const { id } of restored) await rt.sessions.delete(id);
  clearRememberCookie(ctx);
  const user = await rt.datastore.users.findById(record.userId);
  await recordAudit(ctx, { event: "remember_reused", outcome: "failure", user, details: { remember: record.id } });
  return null;
}

/**
 * Frees the session store of a user's sessions after a committed change that already made them dead in the
 * database (rotated fs_uniquifier, inactive user): every use re-checks the user. A failure (the store, e.g.
 * Redis, is down) is logged, never thrown: the change stands and is not reported as an error. The sweep is then
 * retried until the store answers, because while the database cannot be reached the user data kept with those
 * sessions would still prove them for reads (see session-sweeps.ts).
 */
export async function sweepUserSessions(rt: Runtime, userId: number): Promise<void> {
  // Sessions' creation times are on the database's clock (session-writer.ts).
  const started = rt.now();
  const at = rt.clockSkew.onDatabaseClock(started);
  try {
    await rt.sessions.deleteForUser(userId);
  } catch (error) {
    sessionSweeps(rt).add(userId, at);
    // Also as the user's cut-off in the database: an instance that starts later takes it up if this one stops
    // before the store answers (session-sweeps.ts).
    await recordUserSessionsEnd(rt, userId, started, null).catch((e: unknown) => {
      rt.logger.warn(`could not record the end of the sessions of user ${userId}: ${(e as Error).message}`);
    });
    rt.logger.warn(
      `could not delete the sessions of user ${userId} (they are dead already; retried until the session store answers): ${(error as Error).message}`,
    );
  }
}
