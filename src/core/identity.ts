import type { SessionRecord, UserRecord } from "../datastore/contracts.js";
import { verifyAccessToken } from "./tokens/access-token.js";
import { presentedToken } from "./tokens/presented.js";
import type { RequestContext } from "./context.js";
import type { OutageRole } from "./outage-snapshot.js";
import { loadSession } from "./session-cookies.js";
import { writtenCaller } from "./session-writer.js";
import { findUserByIdentity } from "./users.js";
import { passwordCredential, verifyCredential } from "./verify-credential.js";
import { requestAudit } from "./audit.js";
import { RefusalError } from "./errors.js";
import { forgetFailures } from "./lockout/lockout.js";

export type Mechanism = "session" | "token" | "basic";

/** What a verified access token told about its caller. */
export interface CallerToken {
  /** Rampart's own signed format, or a JWT. Both count as the "token" mechanism. */
  format: "opaque" | "jwt";
  /** Epoch seconds. */
  expiresAtSeconds: number;
  /** Authentication methods proved at sign-in (RFC 8176 names: "pwd", "otp", "mfa"…). */
  amr: readonly string[];
  /** The refresh token family the token was issued with, or null. */
  family: string | null;
}

/** Who is calling, and how they proved it. */
export interface Caller {
  user: UserRecord;
  mechanism: Mechanism;
  /** Present when mechanism is "session". */
  session: SessionRecord | null;
  /** Primary authentication time in epoch seconds (0 = not fresh, e.g. restored from remember cookie). */
  authenticatedAtSeconds: number;
  /** Present when mechanism is "token": what the access token said. */
  token?: CallerToken;
  /**
   * Set when the database is down and the session store proved this caller: `user` and `roles` come from the
   * snapshot kept with the session (no secrets in it), for reads through the guards and for a sign-out only.
   */
  outage?: { roles: OutageRole[] | null };
}

function cached(ctx: RequestContext, key: string, load: () => Promise<Caller | null>): Promise<Caller | null> {
  let p = ctx.identityCache.get(key);
  if (!p) {
    p = load();
    ctx.identityCache.set(key, p);
  }
  return p;
}

export function sessionCaller(ctx: RequestContext): Promise<Caller | null> {
  // A session begun or ended during this request replaces whatever its cookies said.
  const written = writtenCaller(ctx);
  if (written !== undefined) return Promise.resolve(written);
  return cached(ctx, "session", async () => {
    const live = await loadSession(ctx);
    if (!live) return null;
    return {
      user: live.user,
      mechanism: "session",
      session: live.record,
      authenticatedAtSeconds: Math.floor(live.record.authenticatedAt.getTime() / 1000),
      ...(live.outage ? { outage: live.outage } : {}),
    };
  });
}

export function tokenCaller(ctx: RequestContext): Promise<Caller | null> {
  return cached(ctx, "token", async () => {
    const presented = await presentedToken(ctx);
    if (presented.kind === "none") return null;
    // Two different tokens in one request: refuse rather than pick one the client may not have meant.
    if (presented.kind === "conflict")
      throw new RefusalError("UNAUTHENTICATED", 401, undefined, {
        "www-authenticate": 'Bearer error="invalid_request"',
      });
    const verified = await verifyAccessToken(ctx.rt, presented.token);
    if (!verified) return null;
    return {
      user: verified.user,
      mechanism: "token",
      session: null,
      authenticatedAtSeconds: verified.authenticatedAtSeconds,
      token: {
        format: verified.format,
        expiresAtSeconds: verified.expiresAtSeconds,
        amr: verified.amr,
        family: verified.family,
      },
    };
  });
}

/** HTTP basic: verifies the password (and runs the sign-in checks) on every request. Always "fresh". */
export function basicCaller(ctx: RequestContext): Promise<Caller | null> {
  return cached(ctx, "basic", async () => {
    const header = ctx.request.headers.get("authorization");
    if (!header || !/^basic /i.test(header)) return null;
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(header.slice(6).trim(), "base64"));
    } catch {
      return null;
    }
    const sep = decoded.indexOf(":");
    if (sep <= 0) return null;
    const identity = decoded.slice(0, sep);
    const password = decoded.slice(sep + 1);
    const { rt } = ctx;
    const found = await findUserByIdentity(rt, identity);
    const checked = await verifyCredential(ctx, found, {
      kind: "basic",
      audit: "login",
      identity,
      details: { via: "basic" },
      ...passwordCredential(ctx, password),
    });
    // The account (or this identity) waits or is locked: 429 with Retry-After, as at /login (nothing was judged).
    if (!checked.ok && checked.reason === "BUDGET_SPENT")
      throw new RefusalError("LOCKED_OUT", 429, undefined, { "retry-after": String(checked.retryAfterSeconds ?? 1) });
    if (!checked.ok) return null;
    const user = checked.user;
    const outcome = await rt.pipeline.check(ctx, { user, authnVia: ["basic"], remember: false, kind: "request" });
    if (outcome.kind !== "continue") return null;
    // Basic signs in on every request: failures before this one (if any) are forgotten once the checks pass.
    if (checked.failuresBefore > 0) await forgetFailures(rt, user, { audit: requestAudit(ctx), via: "sign_in" });
    return { user, mechanism: "basic", session: null, authenticatedAtSeconds: ctx.nowSeconds() };
  });
}

const resolvers: Record<Mechanism, (ctx: RequestContext) => Promise<Caller | null>> = {
  session: sessionCaller,
  token: tokenCaller,
  basic: basicCaller,
};

/** The first mechanism, in the given order, that authenticates the request. */
export async function authenticate(ctx: RequestContext, mechanisms: readonly Mechanism[]): Promise<Caller | null> {
  for (const m of mechanisms) {
    const caller = await resolvers[m](ctx);
    if (caller) return caller;
  }
  return null;
}

/**
 * Freshness (FS `auth_required(within=…)`, `check_and_update_authn_fresh`): a recent primary authentication, or a
 * live grace period. As FS: a session that passes either way gets a grace period (SECURITY_FRESHNESS_GRACE_PERIOD)
 * from now, so a user part-way through a series of sensitive steps is not asked to re-authenticate in between.
 * No primary authentication time (a session restored from a remember cookie) is never fresh. Tokens get no grace.
 */
export async function isFresh(ctx: RequestContext, caller: Caller, withinSeconds?: number): Promise<boolean> {
  const { config } = ctx.rt;
  const within = withinSeconds ?? config.freshness.withinSeconds;
  if (within < 0 || caller.mechanism === "basic") return true;
  if (caller.authenticatedAtSeconds <= 0) return false;
  const now = ctx.nowSeconds();
  // A little clock drift may put the authentication in the future, but never more than `within` (as FS).
  const age = now - caller.authenticatedAtSeconds;
  const recent = age <= within && age > -within;
  if (caller.mechanism === "token") return config.token.freshnessAllowAuthToken && recent;
  const session = caller.session;
  if (!session) return recent;
  const nowMs = ctx.now().getTime();
  const inGrace = session.graceExpiresAt !== null && session.graceExpiresAt.getTime() > nowMs;
  if (!inGrace && !recent) return false;
  const graceExpiresAt = new Date(nowMs + config.freshness.gracePeriodSeconds * 1000);
  await ctx.rt.sessions.update(session.id, { graceExpiresAt });
  session.graceExpiresAt = graceExpiresAt;
  return true;
}
