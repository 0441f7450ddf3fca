import { randomToken, sha256Hex } from "../crypto/random.js";
import type { SessionRecord, UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "./audit.js";
import type { RequestContext } from "./context.js";

/**
 * Server-side sessions: the cookie carries a random 256-bit token, the store keeps only its SHA-256.
 * A session is alive while: not past its absolute expiry, used within the idle timeout, its user active and
 * the user's fs_uniquifier unchanged since it was made.
 */
const REMEMBER_PURPOSE = "remember";

function cookieBase(ctx: RequestContext) {
  const s = ctx.rt.config.session;
  return { httpOnly: true, secure: s.cookieSecure, sameSite: s.cookieSameSite, path: "/" } as const;
}

export interface LiveSession {
  record: SessionRecord;
  user: UserRecord;
}

/** Reads the session cookie (or a remember cookie) and returns the live session, or null. */
export async function loadSession(ctx: RequestContext): Promise<LiveSession | null> {
  const { rt } = ctx;
  const token = ctx.cookie(rt.config.session.cookieName);
  if (token && token.length <= 128) {
    const live = await findLive(ctx, sha256Hex(token));
    if (live) return live;
  }
  return restoreFromRemember(ctx);
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
async function checkAlive(ctx: RequestContext, record: SessionRecord, joinedUser?: UserRecord | null): Promise<LiveSession | null> {
  const { rt } = ctx;
  const now = ctx.now().getTime();
  const idleLimit = record.lastActiveAt.getTime() + rt.config.session.idleTimeoutSeconds * 1000;
  if (record.expiresAt.getTime() <= now || idleLimit <= now) {
    await rt.sessions.delete(record.id);
    return null;
  }
  const user = joinedUser !== undefined ? joinedUser : await rt.datastore.users.findById(record.userId);
  if (!user || !user.active || user.fsUniquifier !== record.fsUniquifier) {
    await rt.sessions.delete(record.id);
    return null;
  }
  if (record.data.rotate === true) {
    // A privilege change (role grant/removal) happened since this token was issued: swap it for a new one.
    const rotated = await startSession(ctx, user, { remember: record.remember, authnVia: record.authnVia, authenticatedAt: record.authenticatedAt, secondFactorProof: secondFactorProof(record) });
    return { record: rotated, user };
  }
  if (now - record.lastActiveAt.getTime() >= rt.config.session.touchIntervalSeconds * 1000) {
    await rt.sessions.touch(record.id, new Date(now));
    record.lastActiveAt = new Date(now);
  }
  return { record, user };
}

/** A valid remember cookie (bound to fs_uniquifier) starts a new, non-fresh session. */
async function restoreFromRemember(ctx: RequestContext): Promise<LiveSession | null> {
  const { rt } = ctx;
  const cookie = ctx.cookie(rt.config.session.rememberCookieName);
  if (!cookie) return null;
  const verified = rt.signer.verify(REMEMBER_PURPOSE, cookie, {
    maxAgeSeconds: rt.config.session.rememberDurationSeconds,
    nowSeconds: ctx.nowSeconds(),
  });
  const uid = verified.ok ? verified.payload.uid : undefined;
  const user = typeof uid === "string" ? await rt.datastore.users.findByUniquifier(uid) : null;
  if (!user || !user.active) {
    ctx.deleteCookie(rt.config.session.rememberCookieName, cookieBase(ctx));
    return null;
  }
  // A remember cookie is a sign-in path too: the pipeline's checks (active, confirmed, locked, two-factor…) must
  // pass. It carries the multi-factor proof of the sign-in that issued it, if there was one.
  const sf = verified.ok && typeof verified.payload.sf === "string" ? verified.payload.sf : null;
  const outcome = await rt.pipeline.check(ctx, { user, authnVia: ["remember"], remember: true, kind: "session", ...(sf ? { secondFactor: sf } : {}) });
  if (outcome.kind !== "continue") {
    ctx.deleteCookie(rt.config.session.rememberCookieName, cookieBase(ctx));
    return null;
  }
  const record = await startSession(ctx, user, { remember: true, authnVia: ["remember"], authenticatedAt: new Date(0), secondFactorProof: sf });
  await recordAudit(ctx, { event: "login", outcome: "success", user, details: { via: ["remember"], session: record.id } });
  return { record, user };
}

/** Creates a session for the user, sets its cookie, and deletes the request's previous session (rotation). */
export async function startSession(
  ctx: RequestContext,
  user: UserRecord,
  options: {
    remember: boolean;
    authnVia: string[];
    authenticatedAt: Date;
    /**
     * How the sign-in behind this session satisfied multi-factor ("tf:<method>" second factor, "mf:<method>"
     * multi-factor first factor), kept in the session and its remember cookie: a remember cookie without it
     * cannot restore a session for a user who must give a second factor.
     */
    secondFactorProof?: string | null;
  },
): Promise<SessionRecord> {
  const { rt } = ctx;
  await endCurrentSession(ctx);
  const now = ctx.now();
  const token = randomToken(32);
  const record: SessionRecord = {
    id: randomToken(16),
    tokenHash: sha256Hex(token),
    userId: user.id,
    fsUniquifier: user.fsUniquifier,
    createdAt: now,
    lastActiveAt: now,
    expiresAt: new Date(now.getTime() + rt.config.session.absoluteTimeoutSeconds * 1000),
    authenticatedAt: options.authenticatedAt,
    graceExpiresAt: null,
    remember: options.remember,
    ip: ctx.clientIp(),
    userAgent: ctx.userAgent(),
    csrfSecret: randomToken(32),
    authnVia: options.authnVia,
    data: options.secondFactorProof ? { sf: options.secondFactorProof } : {},
  };
  await rt.sessions.create(record);
  // Session cookie without Max-Age: it ends with the browser; the server enforces idle/absolute limits.
  ctx.setCookie(rt.config.session.cookieName, token, cookieBase(ctx));
  if (options.remember) {
    const sf = options.secondFactorProof ? { sf: options.secondFactorProof } : {};
    const remember = rt.signer.sign(REMEMBER_PURPOSE, { uid: user.fsUniquifier, ...sf }, ctx.nowSeconds());
    ctx.setCookie(rt.config.session.rememberCookieName, remember, {
      ...cookieBase(ctx),
      maxAge: rt.config.session.rememberDurationSeconds,
    });
  }
  return record;
}

/** Deletes the session the request's cookie names (if any) and clears session and remember cookies. */
export async function endCurrentSession(ctx: RequestContext): Promise<string | null> {
  const { rt } = ctx;
  const token = ctx.cookie(rt.config.session.cookieName);
  let ended: string | null = null;
  if (token && token.length <= 128) {
    const record = await rt.sessions.findByTokenHash(sha256Hex(token));
    if (record) {
      await rt.sessions.delete(record.id);
      ended = record.id;
    }
  }
  return ended;
}

export function clearSessionCookies(ctx: RequestContext): void {
  const { rt } = ctx;
  ctx.deleteCookie(rt.config.session.cookieName, cookieBase(ctx));
  if (ctx.cookie(rt.config.session.rememberCookieName) !== undefined) {
    ctx.deleteCookie(rt.config.session.rememberCookieName, cookieBase(ctx));
  }
}

/** The multi-factor proof a session carries from the sign-in that made it (see startSession), or null. */
export function secondFactorProof(record: SessionRecord | null | undefined): string | null {
  return record && typeof record.data.sf === "string" ? record.data.sf : null;
}
