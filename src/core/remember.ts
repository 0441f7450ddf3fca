import { constantTimeEqual, randomToken, sha256Hex } from "../crypto/random.js";
import type { MfaProof, RememberRecord, SessionRecord, UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import type { Runtime } from "./runtime.js";

/**
 * Remember-me cookies bound to a database record (`rampart_remember`). The cookie is `<id>.<secret>`; the
 * record keeps only the secret's SHA-256. The record is the credential: logout, revoking sessions, deactivation
 * and a new password delete it, so a copied cookie dies with it. A restore swaps the secret but keeps the
 * record's absolute expiry (issue time + REMEMBER_COOKIE_DURATION): remembering never extends itself.
 */

/** How long the secret a restore replaced still restores: parallel requests of one browser all carry it. */
const PREVIOUS_SECRET_GRACE_MS = 30_000;

/** Attributes of the session and remember cookies. */
export function authCookieOptions(ctx: RequestContext) {
  const s = ctx.rt.config.session;
  return { httpOnly: true, secure: s.cookieSecure, sameSite: s.cookieSameSite, path: "/" } as const;
}

/** The remember record a session continues, or null. */
export function rememberIdOf(session: SessionRecord | null | undefined): string | null {
  return session?.rememberId ?? null;
}

function parseCookie(value: string | undefined): { id: string; secret: string } | null {
  if (!value || value.length > 128) return null;
  const dot = value.indexOf(".");
  if (dot <= 0) return null;
  const id = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) && /^[A-Za-z0-9_-]{1,64}$/.test(secret) ? { id, secret } : null;
}

function setCookie(ctx: RequestContext, id: string, secret: string, expiresAt: Date): void {
  // The lifetime left (the server enforces expiresAt whatever the browser does).
  const maxAge = Math.max(1, Math.ceil((expiresAt.getTime() - ctx.now().getTime()) / 1000));
  ctx.setCookie(ctx.rt.config.session.rememberCookieName, `${id}.${secret}`, { ...authCookieOptions(ctx), maxAge });
}

export function clearRememberCookie(ctx: RequestContext): void {
  ctx.deleteCookie(ctx.rt.config.session.rememberCookieName, authCookieOptions(ctx));
}

/** Creates a remember record for a sign-in that asked for it and sets its cookie; returns the record id. */
export async function issueRemember(ctx: RequestContext, user: UserRecord, mfaProof: MfaProof | null): Promise<string> {
  const now = ctx.now();
  const id = randomToken(16);
  const secret = randomToken(32);
  const record: RememberRecord = {
    id,
    userId: user.id,
    secretHash: sha256Hex(secret),
    previousHash: null,
    rotatedAt: null,
    fsUniquifier: user.fsUniquifier,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + ctx.rt.config.session.rememberDurationSeconds * 1000),
    mfaProof,
  };
  await ctx.rt.datastore.remember.create(record);
  setCookie(ctx, id, secret, record.expiresAt);
  return id;
}

export type PresentedRemember =
  /** The current secret: a restore may proceed (after `rotateRemember`). */
  | { kind: "current"; record: RememberRecord; secret: string }
  /** The secret a restore replaced moments ago (a parallel request): restores without rotating again. */
  | { kind: "previous"; record: RememberRecord }
  /**
   * A secret replaced longer ago: two holders of one cookie (the browser and a copy) have both used it, so one of
   * them is a thief. The record and its sessions are to be ended.
   */
  | { kind: "reused"; record: RememberRecord };

/**
 * The record the request's remember cookie names, when the cookie's secret matches it and it is alive for this
 * user (not expired, uniquifier unchanged). A dead record is deleted. Null: no usable remember cookie.
 */
export async function presentedRemember(ctx: RequestContext): Promise<PresentedRemember | null> {
  const parsed = parseCookie(ctx.cookie(ctx.rt.config.session.rememberCookieName));
  if (!parsed) return null;
  const { remember } = ctx.rt.datastore;
  const record = await remember.findById(parsed.id);
  if (!record) return null;
  const now = ctx.now().getTime();
  if (record.expiresAt.getTime() <= now) {
    await remember.delete(record.id);
    return null;
  }
  const hash = sha256Hex(parsed.secret);
  if (constantTimeEqual(hash, record.secretHash)) return { kind: "current", record, secret: parsed.secret };
  if (record.previousHash !== null && constantTimeEqual(hash, record.previousHash)) {
    const recent = record.rotatedAt !== null && now - record.rotatedAt.getTime() < PREVIOUS_SECRET_GRACE_MS;
    return { kind: recent ? "previous" : "reused", record };
  }
  return null;
}

/**
 * Swaps the record's secret and sets the new cookie (same absolute expiry). False when a concurrent restore
 * rotated it first; then nothing is set, so this answer does not overwrite the winner's cookie.
 */
export async function rotateRemember(ctx: RequestContext, record: RememberRecord, secret: string): Promise<boolean> {
  const next = randomToken(32);
  if (!(await ctx.rt.datastore.remember.rotate(record.id, sha256Hex(secret), sha256Hex(next), ctx.now()))) return false;
  setCookie(ctx, record.id, next, record.expiresAt);
  return true;
}

/** Deletes the remember record of the request's cookie (when its secret matches) and of `session`. */
export async function forgetPresentedRemember(ctx: RequestContext, session: SessionRecord | null): Promise<void> {
  const presented = await presentedRemember(ctx);
  const ids = new Set([presented?.record.id, rememberIdOf(session)].filter((id): id is string => !!id));
  for (const id of ids) await ctx.rt.datastore.remember.delete(id);
}

/** Deletes the user's remember records, all or all but `exceptId` (revoking sessions, deactivation). */
export function forgetUserRemember(rt: Runtime, userId: number, exceptId?: string | null): Promise<number> {
  return rt.datastore.remember.deleteForUser(userId, exceptId ?? undefined);
}
