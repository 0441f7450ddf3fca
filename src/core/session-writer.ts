import { randomToken, sha256Hex } from "../crypto/random.js";
import type { MfaProof, RememberRecord, SessionRecord, UserRecord } from "../datastore/contracts.js";
import { afterCommit } from "./after-commit.js";
import { recordAudit } from "./audit.js";
import type { RequestContext } from "./context.js";
import type { Caller } from "./identity.js";
import {
  authCookieOptions,
  clearRememberCookie,
  forgetPresentedRemember,
  issueRemember,
  rememberIdOf,
} from "./remember.js";
import { isDatabaseOutage } from "./outage.js";
import { encodeSnapshot } from "./outage-snapshot.js";
import { revocationQueue } from "./revocation-queue.js";
import { recordSignOut, sessionsOutsideDatabase } from "./session-ends.js";

/**
 * The one session writer. Every session begins (a sign-in the pipeline allowed), continues (a remember cookie's
 * restore, a rotation after a privilege change), is re-issued (re-authentication, a password change) or ends
 * (sign-out) through an operation of this module, and only this module changes who a request's caller is. So one
 * place decides what a new session carries over (remember-me, the multi-factor proof, the authentication time),
 * and no path can forget to end the request's old session. Reading a session stays in ./session-cookies.ts.
 */

/** A caller signed in by the session just written. */
type SessionCaller = Caller & { session: SessionRecord };

/** The caller set by a session written in this request (null: signed out). Written only by this module. */
const written = new WeakMap<RequestContext, Caller | null>();

/** The caller this request signed in or out, ahead of its incoming cookies; undefined when it wrote no session. */
export function writtenCaller(ctx: RequestContext): Caller | null | undefined {
  return written.get(ctx);
}

/**
 * Begins the session of a sign-in the pipeline allowed (called by the pipeline only): the request's old session
 * and remember record end, remember-me issues a new remember record.
 */
export function beginSignInSession(
  ctx: RequestContext,
  user: UserRecord,
  signIn: { remember: boolean; authnVia: string[]; mfaProof: MfaProof | null },
): Promise<SessionCaller> {
  return switchSession(ctx, user, { ...signIn, authenticatedAt: ctx.now() });
}

/** A live remember cookie signs its user in again: a new session, never fresh, carrying the cookie's proof. */
export async function restoreSession(ctx: RequestContext, user: UserRecord, remember: RememberRecord) {
  const { session } = await switchSession(ctx, user, {
    remember: true,
    continues: { rememberId: remember.id },
    authnVia: ["remember"],
    authenticatedAt: new Date(0),
    mfaProof: remember.mfaProof,
  });
  return session;
}

/** A privilege change (role grant/removal) marked this session: the same sign-in goes on under a new id. */
export async function rotateSession(ctx: RequestContext, user: UserRecord, from: SessionRecord) {
  return (await switchSession(ctx, user, continued(from, from.authnVia, from.authenticatedAt))).session;
}

/**
 * After a session caller proved themselves again (/verify, /us-verify): a new session id carrying the new
 * authentication time. The remember record and the multi-factor proof of the original sign-in stay (proving the
 * password again proves no second factor). Callers by token or basic auth have no session to re-issue.
 */
export async function reissueAfterReauthentication(ctx: RequestContext, caller: Caller, authnVia: string[]) {
  if (caller.mechanism !== "session" || !caller.session) return;
  await switchSession(ctx, caller.user, continued(caller.session, authnVia, ctx.now()));
}

/**
 * After the caller changed their password (every session and remember record of the user died with the rotated
 * uniquifiers): a session caller goes on in a new session for `user` (the updated record), remember-me and the
 * multi-factor proof kept. The change is committed: if the session store fails, the caller is signed out rather
 * than told the change failed.
 */
export async function reissueAfterPasswordChange(ctx: RequestContext, caller: Caller, user: UserRecord) {
  const from = caller.mechanism === "session" ? caller.session : null;
  if (!from) return;
  const remember = from.remember || ctx.cookie(ctx.rt.config.session.rememberCookieName) !== undefined;
  const start: SessionStart = { remember, authnVia: ["change"], authenticatedAt: ctx.now(), mfaProof: from.mfaProof };
  if (!(await afterCommit(ctx.rt, "the new session", () => switchSession(ctx, user, start)))) forgetEndedSession(ctx);
}

/**
 * Signs out: ends the session the request's cookie names and its remember records in the store, clears the
 * cookies, and the rest of the request sees nobody signed in. A caller gets the `logout` audit row (with
 * `reason` when given) and `user_unauthenticated`. `onlyIfSessionCaller`: leave the store alone when the caller
 * came by token or basic auth (a stray /tf-validate submission).
 */
export async function signOut(
  ctx: RequestContext,
  caller: Caller | null,
  options: { reason?: string; onlyIfSessionCaller?: boolean } = {},
): Promise<void> {
  const endStored = !options.onlyIfSessionCaller || caller?.mechanism === "session";
  const ended = endStored ? await endCurrentSession(ctx) : null;
  forgetEndedSession(ctx);
  // A sign-in half done in this browser (waiting for a second factor) ends with it.
  await ctx.rt.pipeline.abandonPending(ctx);
  if (!caller) return;
  const details = { session: ended, ...(options.reason ? { reason: options.reason } : {}) };
  try {
    await recordAudit(ctx, { event: "logout", outcome: "success", user: caller.user, details });
  } catch (error) {
    // Signed out during a database outage: the sign-out stands, only its audit row is lost (and logged).
    if (!isDatabaseOutage(error)) throw error;
    ctx.rt.logger.warn(`logout of user ${caller.user.id} not audited (database unavailable)`);
  }
  await ctx.rt.events.emit("user_unauthenticated", { user: caller.user });
}

/**
 * The caller's session already ended in the store (revoked, or dead with the user's rotated uniquifier): its
 * cookies are cleared and the rest of the request sees nobody signed in.
 */
export function forgetEndedSession(ctx: RequestContext): void {
  const { rt } = ctx;
  ctx.deleteCookie(rt.config.session.cookieName, authCookieOptions(ctx));
  if (ctx.cookie(rt.config.session.rememberCookieName) !== undefined) clearRememberCookie(ctx);
  written.set(ctx, null);
}

interface SessionStart {
  remember: boolean;
  authnVia: string[];
  authenticatedAt: Date;
  /**
   * How the sign-in behind this session satisfied multi-factor, kept in the session and its remember cookie:
   * a remember cookie without it cannot restore a session for a user who must give a second factor.
   */
  mfaProof: MfaProof | null;
  /**
   * Set when the new session continues the caller's sign-in (a restore from a remember cookie, a rotation of
   * the session id) rather than being a new sign-in: the remember record it names (if any) and the remember
   * cookie stay as they are. A new sign-in ends the request's old remember record and, when `remember`,
   * issues a new one.
   */
  continues?: { rememberId: string | null };
}

/** The same sign-in under a new session id: remember-me, its remember record and the multi-factor proof stay. */
function continued(from: SessionRecord, authnVia: string[], authenticatedAt: Date): SessionStart {
  const continues = { rememberId: rememberIdOf(from) };
  return { remember: from.remember, continues, authnVia, authenticatedAt, mfaProof: from.mfaProof };
}

/** Every operation's new session replaces the request's old one and becomes the request's caller. */
async function switchSession(ctx: RequestContext, user: UserRecord, start: SessionStart): Promise<SessionCaller> {
  const session = await startSession(ctx, user, start);
  const authenticatedAtSeconds = Math.floor(session.authenticatedAt.getTime() / 1000);
  const caller: SessionCaller = { user, mechanism: "session", session, authenticatedAtSeconds };
  written.set(ctx, caller);
  return caller;
}

/** Creates a session for the user, sets its cookie, and deletes the request's previous session (rotation). */
async function startSession(ctx: RequestContext, user: UserRecord, options: SessionStart): Promise<SessionRecord> {
  const { rt } = ctx;
  const carried = options.remember ? (options.continues?.rememberId ?? null) : null;
  await endCurrentSession(ctx, { keepRemember: options.continues !== undefined });
  const now = ctx.now();
  const token = randomToken(32);
  const record: SessionRecord = {
    id: randomToken(16),
    tokenHash: sha256Hex(token),
    userId: user.id,
    fsUniquifier: user.fsUniquifier,
    // On the database's clock: revoke-all cut-offs made by other instances are compared with it.
    createdAt: rt.clockSkew.onDatabaseClock(now),
    lastActiveAt: now,
    expiresAt: new Date(now.getTime() + rt.config.session.absoluteTimeoutSeconds * 1000),
    authenticatedAt: options.authenticatedAt,
    graceExpiresAt: null,
    remember: options.remember,
    ip: ctx.clientIp(),
    userAgent: ctx.userAgent(),
    csrfSecret: randomToken(32),
    authnVia: options.authnVia,
    mfaProof: options.mfaProof,
    rotatePending: false,
    rememberId: null,
  };
  // A Redis session keeps what the guards need of its user, for reads while the database is down.
  if (sessionsOutsideDatabase(rt)) record.outageSnapshot = encodeSnapshot(user, null, now);
  record.rememberId = options.remember ? (carried ?? (await issueRemember(ctx, user, record.mfaProof))) : null;
  await rt.sessions.create(record);
  // Session cookie without Max-Age: it ends with the browser; the server enforces idle/absolute limits.
  ctx.setCookie(rt.config.session.cookieName, token, authCookieOptions(ctx));
  return record;
}

/**
 * Deletes the session the request's cookie names (if any) and, unless `keepRemember`, the remember record of
 * that session and of the request's remember cookie: signing out ends the remember cookie, copies included.
 */
async function endCurrentSession(
  ctx: RequestContext,
  options: { keepRemember?: boolean } = {},
): Promise<string | null> {
  const { rt } = ctx;
  const token = ctx.cookie(rt.config.session.cookieName);
  let ended: SessionRecord | null = null;
  if (token && token.length <= 128) {
    ended = await rt.sessions.findByTokenHash(sha256Hex(token));
    if (ended) {
      await recordSignOut(rt, ended);
      await rt.sessions.delete(ended.id);
    }
  }
  if (!options.keepRemember) await forgetRemember(ctx, ended);
  return ended?.id ?? null;
}

/**
 * The remember records of the ended session and of the request's remember cookie end too. While the database is
 * down, the session's own record is queued (the cookie is cleared from the browser either way; a presented
 * cookie's record cannot be verified without the database, so it is left alone).
 */
async function forgetRemember(ctx: RequestContext, ended: SessionRecord | null): Promise<void> {
  try {
    await forgetPresentedRemember(ctx, ended);
  } catch (error) {
    if (!isDatabaseOutage(error)) throw error;
    const rememberId = rememberIdOf(ended);
    if (rememberId) await revocationQueue(ctx.rt).add([{ kind: "remember", rememberId }]);
  }
}
