import { z } from "zod";
import { constantTimeEqual, randomToken, sha256Hex } from "../../crypto/random.js";
import { requestAudit, type AuditWriter } from "../../core/audit.js";
import { defineCodec } from "../../core/codec.js";
import { hostCookieName } from "../../core/cookie-names.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import type { Caller } from "../../core/identity.js";
import { isDatabaseOutage } from "../../core/outage.js";
import { revocationQueue } from "../../core/revocation-queue.js";
import type { Runtime } from "../../core/runtime.js";
import type { FamilyRevocationReason, TokenFamilies, TokenFamilyView } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { refreshTokensSlice } from "./config.js";
import { refreshFamilyStore, type FamilyRecord } from "./store.js";

/**
 * A refresh token is `{fam, gen, s}` signed for its own purpose ("refresh-token": an auth token, a CSRF token or
 * an emailed link never opens as one), with `s` a random secret of that generation. The database keeps the
 * family (its generation, the SHA-256 of the current secret, its expiry and revocation) and decides everything
 * else: the signature has no age limit. The signature tells an older generation of a real family (reuse: the
 * family is revoked) from a made-up token (INVALID, nothing revoked).
 */
const refreshCodec = defineCodec({
  purpose: "refresh-token",
  maxAgeSeconds: () => undefined,
  wire: z.object({ fam: z.string().min(1).max(64), gen: z.number().int().min(0), s: z.string().min(1).max(128) }),
  encode: (t: RefreshClaims) => ({ fam: t.family, gen: t.gen, s: t.secret }),
  decode: (w): RefreshClaims => ({ family: w.fam, gen: w.gen, secret: w.s }),
});

interface RefreshClaims {
  family: string;
  gen: number;
  secret: string;
}

/** FS's RefreshTokenErrors, the reason named in the error message. */
export type RefreshError = "INVALID" | "EXPIRED" | "NOT_FOUND" | "GEN_MISMATCH" | "REVOKED";

export const settings = (rt: Runtime) => sliceOf(rt.config, refreshTokensSlice);
const familiesOf = (rt: Runtime) => rt.datastore.store(refreshFamilyStore);

/** Attributes of the refresh cookie: the configured ones, path "/" (it is sent to the refresh URL and logout). */
export function cookieOptions(rt: Runtime) {
  const { cookie } = settings(rt);
  return {
    httpOnly: cookie.httpOnly,
    secure: cookie.secure ?? rt.config.session.cookieSecure,
    sameSite: cookie.sameSite,
    path: "/",
  } as const;
}

/**
 * The refresh cookie's name; null in JSON mode. By default `__Host-fs_refresh` when the cookie is Secure (as the
 * session cookie: no sibling subdomain can plant one), else `fs_refresh`; a configured name is used as given.
 */
export function refreshCookieName(rt: Runtime): string | null {
  const { cookieName } = settings(rt);
  if (cookieName !== undefined) return cookieName;
  return hostCookieName({ session: { cookieSecure: cookieOptions(rt).secure } }, "fs_refresh");
}

/** Sets the refresh cookie (cookie mode) or returns the token for the JSON answer. */
function deliver(ctx: RequestContext, token: string, expiresAt: Date): string | null {
  const name = refreshCookieName(ctx.rt);
  if (name === null) return token;
  const maxAge = Math.max(1, Math.ceil((expiresAt.getTime() - ctx.now().getTime()) / 1000));
  ctx.setCookie(name, token, { ...cookieOptions(ctx.rt), maxAge });
  return null;
}

function clearCookie(ctx: RequestContext): void {
  const name = refreshCookieName(ctx.rt);
  if (name !== null && ctx.cookie(name) !== undefined) ctx.deleteCookie(name, cookieOptions(ctx.rt));
}

const idleSince = (rt: Runtime, now: Date) => new Date(now.getTime() - settings(rt).maxIdleSeconds * 1000);

function seal(rt: Runtime, family: string, gen: number): { token: string; secretHash: string } {
  const secret = randomToken(32);
  return { token: refreshCodec.seal(rt, { family, gen, secret }), secretHash: sha256Hex(secret) };
}

/** Starts a family for an authenticating answer: prunes the user's old ones (as FS), stores, delivers, audits. */
async function begin(
  ctx: RequestContext,
  user: UserRecord,
  proof: { authenticatedAtSeconds: number; amr: readonly string[] },
): Promise<{ familyId: string; refreshToken: string | null; expiresAt: Date }> {
  const { rt } = ctx;
  const s = settings(rt);
  const store = familiesOf(rt);
  const now = ctx.now();
  await store.cleanup(user.id, now, idleSince(rt, now), { expired: s.cleanupExpired, revoked: s.cleanupRevoked });
  const id = randomToken(16);
  const gen = 1;
  const { token, secretHash } = seal(rt, id, gen);
  const expiresAt = new Date(now.getTime() + s.maxAgeSeconds * 1000);
  await store.create({
    id,
    userId: user.id,
    gen,
    secretHash,
    fsUniquifier: user.fsUniquifier,
    name: "default",
    authenticatedAt: new Date(proof.authenticatedAtSeconds * 1000),
    amr: [...proof.amr],
    createdAt: now,
    lastUsedAt: now,
    expiresAt,
    revokedAt: null,
    revokedReason: null,
    ip: ctx.clientIp(),
    userAgent: ctx.userAgent(),
  });
  await requestAudit(ctx)({ event: "refresh_tracker_created", outcome: "success", user, details: { family: id } });
  await rt.events.emit("refresh_tracker_created", { user, familyId: id });
  return { familyId: id, refreshToken: deliver(ctx, token, expiresAt), expiresAt };
}

export type Exchange<R> =
  | { ok: true; user: UserRecord; family: FamilyRecord; refreshToken: string | null }
  | { ok: false; reason: RefreshError; user: UserRecord | null }
  | { ok: false; refusal: R };

/** Opens a presented refresh token and finds its family; `current` when it is the family's current generation. */
async function presented(
  rt: Runtime,
  token: unknown,
): Promise<{ claims: RefreshClaims; family: FamilyRecord | null; current: boolean } | null> {
  const opened = refreshCodec.open(rt, token);
  if (!opened.ok) return null;
  const claims = opened.value;
  const family = await familiesOf(rt).find(claims.family);
  const current =
    family !== null && family.gen === claims.gen && constantTimeEqual(family.secretHash, sha256Hex(claims.secret));
  return { claims, family, current };
}

/**
 * Exchanges a refresh token, in FS's order: a bad signature is INVALID; an unknown family NOT_FOUND; an older
 * generation (or a secret that is not the current one) GEN_MISMATCH — the whole family is revoked, once; then
 * EXPIRED (absolute or idle), REVOKED, and REVOKED too when the user is inactive or has a new fs_uniquifier since
 * the family began (a password change or reset, reset-access, deactivation). The rotation itself is a
 * compare-and-set: of concurrent uses of one token exactly one wins, and the others count as reuse. `admit` runs
 * the account checks before the rotation (its refusal leaves the family as it was).
 */
export async function exchange<R>(
  ctx: RequestContext,
  token: unknown,
  admit: (user: UserRecord, family: FamilyRecord) => Promise<R | null>,
): Promise<Exchange<R>> {
  const { rt } = ctx;
  const found = await presented(rt, token);
  if (!found) return { ok: false, reason: "INVALID", user: null };
  const { family } = found;
  if (!family) return { ok: false, reason: "NOT_FOUND", user: null };
  // Ended by a sign-out during a database outage, not yet written to its row.
  if (await revocationQueue(rt).hasFamily(family.id))
    return { ok: false, reason: "REVOKED", user: await rt.datastore.users.findById(family.userId) };
  const user = await rt.datastore.users.findById(family.userId);
  if (!found.current) {
    await revokeOnReuse(ctx, family, user);
    return { ok: false, reason: "GEN_MISMATCH", user };
  }
  const now = ctx.now();
  if (family.expiresAt <= now || family.lastUsedAt <= idleSince(rt, now)) return { ok: false, reason: "EXPIRED", user };
  if (family.revokedAt) return { ok: false, reason: "REVOKED", user };
  if (!user || !user.active || user.fsUniquifier !== family.fsUniquifier) return { ok: false, reason: "REVOKED", user };
  const refusal = await admit(user, family);
  if (refusal !== null) return { ok: false, refusal };
  const next = seal(rt, family.id, family.gen + 1);
  if (!(await familiesOf(rt).rotate(family.id, family.gen, family.secretHash, next.secretHash, now))) {
    // Revoked meanwhile (a sign-out, a password change…): nobody used a copy, so it is REVOKED.
    const after = await familiesOf(rt).find(family.id);
    if (after?.revokedAt && after.revokedReason !== "GEN_MISMATCH") return { ok: false, reason: "REVOKED", user };
    // Another request with this very token rotated first: this one is a replay of an older generation now.
    await revokeOnReuse(ctx, family, user);
    return { ok: false, reason: "GEN_MISMATCH", user };
  }
  family.gen += 1;
  family.secretHash = next.secretHash;
  family.lastUsedAt = now;
  return { ok: true, user, family, refreshToken: deliver(ctx, next.token, family.expiresAt) };
}

/** An older generation was presented: the family ends (audited and announced by the one request that ended it). */
async function revokeOnReuse(ctx: RequestContext, family: FamilyRecord, user: UserRecord | null): Promise<void> {
  if (!(await familiesOf(ctx.rt).revoke(family.id, ctx.now(), "GEN_MISMATCH"))) return;
  await requestAudit(ctx)({
    event: "refresh_token_reuse",
    outcome: "failure",
    user: user ?? { id: family.userId },
    details: { family: family.id },
  });
  await ctx.rt.events.emit("refresh_tracker_revoked", { user, familyIds: [family.id], reason: "GEN_MISMATCH" });
}

async function revoked(
  rt: Runtime,
  user: UserRecord,
  ids: string[] | number,
  reason: string,
  audit: AuditWriter,
): Promise<void> {
  const count = typeof ids === "number" ? ids : ids.length;
  if (!count) return;
  await audit({ event: "refresh_tracker_revoked", outcome: "success", user, details: { reason, count } });
  await rt.events.emit("refresh_tracker_revoked", { user, familyIds: typeof ids === "number" ? [] : ids, reason });
}

/** The refresh token a sign-out presents: the cookie in cookie mode (the body is ignored), else the body field. */
async function presentedAtSignOut(ctx: RequestContext): Promise<unknown> {
  const name = refreshCookieName(ctx.rt);
  if (name !== null) return ctx.cookie(name);
  const body = await ctx.body().catch(() => null);
  return body?.fields.refresh_token;
}

/** Ends the family the sign-out presents (its current generation) and the caller's access token's family. */
async function endPresented(ctx: RequestContext, caller: Caller | null, token: unknown): Promise<void> {
  const { rt } = ctx;
  const ids = new Set<string>();
  const found = await presented(rt, token);
  // Holding the current generation is the right to end the family, with or without a caller.
  if (found?.family && found.current && (!caller || found.family.userId === caller.user.id)) ids.add(found.family.id);
  if (caller?.token?.family) ids.add(caller.token.family);
  const user = caller?.user ?? (found?.family ? await rt.datastore.users.findById(found.family.userId) : null);
  if (!user) return;
  const ended: string[] = [];
  for (const id of ids) if (await familiesOf(rt).revoke(id, ctx.now(), "logout", user.id)) ended.push(id);
  await revoked(rt, user, ended, "logout", requestAudit(ctx));
}

/**
 * The database is down: the families the sign-out names (the presented token's, by its signature alone, and the
 * caller's access token's) are queued as revoked; they are refused from now on and revoked once the database is
 * back. Any signed generation may end its family (presenting an older one would revoke it as reuse anyway).
 */
async function queueSignOut(ctx: RequestContext, caller: Caller | null, token: unknown): Promise<void> {
  const ids = new Set<string>();
  const opened = refreshCodec.open(ctx.rt, token);
  if (opened.ok) ids.add(opened.value.family);
  if (caller?.token?.family) ids.add(caller.token.family);
  if (ids.size === 0) return;
  const userId = caller?.user.id ?? null;
  await revocationQueue(ctx.rt).add([...ids].map((familyId) => ({ kind: "family" as const, familyId, userId })));
  ctx.rt.logger.warn(`logout: ${ids.size} refresh token family(ies) queued as revoked (database unavailable)`);
}

/** The listed id of a family: prefixed, so it never collides with a session id (base64url has no ':'). */
export const FAMILY_ID_PREFIX = "rt:";

export function tokenFamilies(): TokenFamilies {
  return {
    begin,
    cookieName: (rt) => refreshCookieName(rt),
    async ownFamily(ctx, caller) {
      if (caller.token?.family) return caller.token.family;
      const name = refreshCookieName(ctx.rt);
      if (name === null || ctx.cookie(name) === undefined) return null;
      const found = await presented(ctx.rt, ctx.cookie(name));
      const family = found?.current ? found.family : null;
      return family && family.userId === caller.user.id && !family.revokedAt ? family.id : null;
    },
    async isLive(rt, familyId, user) {
      if (await revocationQueue(rt).hasFamily(familyId)) return false;
      const now = rt.now();
      return familiesOf(rt).isLive(familyId, user.id, user.fsUniquifier, now, idleSince(rt, now));
    },
    async revokeForUser(rt, user, reason: FamilyRevocationReason, options) {
      const count = await familiesOf(rt).revokeForUser(user.id, rt.now(), reason, options.keep ?? null);
      await revoked(rt, user, count, reason, options.audit);
      return count;
    },
    async signOut(ctx: RequestContext, caller: Caller | null) {
      const token = await presentedAtSignOut(ctx);
      // Cleared first: the browser forgets the cookie even if the database cannot be reached to revoke it.
      clearCookie(ctx);
      try {
        await endPresented(ctx, caller, token);
      } catch (error) {
        if (!isDatabaseOutage(error)) throw error;
        await queueSignOut(ctx, caller, token);
      }
    },
    async revokeQueued(rt, familyId, userId) {
      await familiesOf(rt).revoke(familyId, rt.now(), "logout", userId ?? undefined);
    },
    async sweep(rt) {
      const now = rt.now();
      const idle = idleSince(rt, now);
      return familiesOf(rt).sweep(now, idle, idle);
    },
    async list(rt, user): Promise<TokenFamilyView[]> {
      const now = rt.now();
      const idle = idleSince(rt, now);
      return (await familiesOf(rt).listForUser(user.id))
        .filter((f) => !f.revokedAt && f.expiresAt > now && f.lastUsedAt > idle && f.fsUniquifier === user.fsUniquifier)
        .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
        .map((f) => ({
          id: FAMILY_ID_PREFIX + f.id,
          created_at: f.createdAt.toISOString(),
          last_used_at: f.lastUsedAt.toISOString(),
          expires_at: f.expiresAt.toISOString(),
          ip: f.ip,
          user_agent: f.userAgent,
        }));
    },
    async revoke(rt, user, id, audit) {
      if (!id.startsWith(FAMILY_ID_PREFIX)) return null;
      const familyId = id.slice(FAMILY_ID_PREFIX.length);
      const family = await familiesOf(rt).find(familyId);
      if (!family || family.userId !== user.id) return null;
      if (!(await familiesOf(rt).revoke(familyId, rt.now(), "revoked_by_user", user.id))) return "already-ended";
      await revoked(rt, user, [familyId], "revoked_by_user", audit);
      return "ended";
    },
  };
}
