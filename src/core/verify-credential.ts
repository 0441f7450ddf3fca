import type { UserRecord } from "../datastore/contracts.js";
import { recordAudit, requestAudit, type AuditEvent } from "./audit.js";
import type { RequestContext } from "./context.js";
import type { LimitSpec } from "./limits/limits.js";
import { assertRouteLimit } from "./route-limits.js";
import { admitCredentialCheck, countCredentialFailure, hashQueueKeys } from "./limits/sources.js";
import {
  claimAttempt,
  lockoutKey,
  recordFailure,
  releaseAttempt,
  settleSuccess,
  type LockoutClaim,
} from "./lockout/lockout.js";

/**
 * The one check of a credential someone presents — a password at sign-in, HTTP basic, re-authentication or
 * password change, a second-factor code, a recovery code, a unified sign-in passcode. In this order, for every kind:
 * 1. BEFORE the credential is evaluated, the account's lockout (core/lockout) and the check's own limit, if any:
 *    while the account waits or is locked nothing is judged, not even a right credential (429 + Retry-After);
 * 2. an unknown subject gets the same work as a known one (its identity has a lockout count of its own and a
 *    dummy verification), so neither timing nor lock state tells who has an account;
 * 3. a failure emits `user_failed_authn`, is audited, and counts toward the lockout; a success gives its attempt
 *    back, or forgets the account's failures when it completes the authentication (`completes`; the sign-in
 *    pipeline does it when it signs someone in).
 */
export interface CredentialCheck {
  /** The authentication type in `user_failed_authn` ("password", "verify", "change", "tf", "us", "recovery_code"…). */
  kind: string;
  /** The audit event a failure is recorded under ("login", "verify", "change_password"…). */
  audit: AuditEvent;
  /** What the user typed to name themselves (audits and events of unknown subjects; their lockout count). */
  identity?: string | null;
  /**
   * A limit of this kind of check drawn before it is evaluated, on rt.limits, given back on success: a new
   * secret's first code, a magic link's code, an app step's own budget. Required when the lockout does not apply.
   */
  limit?: { spec: LimitSpec; key: string } | null;
  /**
   * false: the account's lockout does not apply (a magic link: it holds the account's secret uniquifier and a
   * mailed code, so a lock caused by someone guessing elsewhere must not keep its owner out). Default true.
   */
  accountLock?: boolean;
  /**
   * true: a success completes an authentication by itself (re-authentication, the current password at /change,
   * the current second factor of a signed-in user): the account's failures are forgotten. Otherwise a success
   * only gives its attempt back: another factor may follow, and the pipeline forgets the failures once it signs in.
   */
  completes?: boolean;
  /** Evaluates the credential against the user. */
  verify(user: UserRecord): Promise<{ valid: boolean; needsRehash?: boolean }>;
  /** The same work for an unknown subject (or one without this credential). */
  dummy(): Promise<void>;
  /** The code a wrong credential reports (default INVALID_PASSWORD). */
  failure?: string;
  /** Extra audit details (never the credential). */
  details?: Record<string, unknown>;
  /**
   * false: the code confirms a NEW secret being set up, which says nothing about who is signing in: a failure is
   * audited but emits no `user_failed_authn` (as FS, which does not track those) and is no lockout failure; the
   * check's `limit` bounds it instead.
   */
  authenticates?: boolean;
}

export type CredentialResult =
  | {
      ok: true;
      user: UserRecord;
      needsRehash: boolean;
      /** Consecutive failures the account had before this success (0 when none, or the lockout did not apply). */
      failuresBefore: number;
    }
  | {
      ok: false;
      /** BUDGET_SPENT: the account waits or is locked, or the check's limit is spent (nothing was evaluated). */
      reason: "USER_DOES_NOT_EXIST" | "BUDGET_SPENT" | string;
      user: UserRecord | null;
      /** With BUDGET_SPENT: when the next guess will be judged (the Retry-After to answer). */
      retryAfterSeconds?: number;
    };

export async function verifyCredential(
  ctx: RequestContext,
  subject: UserRecord | null,
  check: CredentialCheck,
): Promise<CredentialResult> {
  const { rt } = ctx;
  // The route can answer 429 from here on: it must say so (and /openapi.json with it).
  assertRouteLimit(ctx, "credential");
  // Per-source limits first: a source over its budget gets 429 before anything about the account is read.
  await admitCredentialCheck(ctx);
  const locks = check.authenticates !== false && check.accountLock !== false;
  // A credential is never guessed without a limit.
  if (!locks && !check.limit) throw new TypeError(`credential check "${check.kind}" has neither lockout nor limit`);
  const who = { user: subject, identity: check.identity ?? null };
  const spent = (retryAfterSeconds: number): CredentialResult => ({
    ok: false,
    reason: "BUDGET_SPENT",
    user: subject,
    retryAfterSeconds,
  });

  // 1. Before anything is judged: the account's lockout, then the check's own limit.
  let claim: LockoutClaim | null = null;
  if (locks) {
    const turn = await claimAttempt(rt, lockoutKey(rt, who));
    if (!turn.ok) return spent(turn.retryAfterSeconds);
    claim = turn.claim;
  }
  if (check.limit) {
    let drawn: Awaited<ReturnType<typeof rt.limits.consume>>;
    try {
      drawn = await rt.limits.consume(check.limit.spec, check.limit.key);
    } catch (error) {
      // Nothing was judged: the attempt is given back (a held turn would keep the account waiting).
      if (claim) await releaseAttempt(rt, claim).catch(() => undefined);
      throw error;
    }
    if (!drawn.allowed) {
      if (claim) await releaseAttempt(rt, claim);
      return spent(drawn.retryAfterSeconds);
    }
  }

  // 2. Judged (an unknown subject: the same work on a dummy); a failure counts toward the lockout. A check that
  // could not run (a full hash queue, a dependency down: 503) judged nothing and gives its attempt back.
  let verdict: Awaited<ReturnType<CredentialCheck["verify"]>> | null;
  try {
    verdict = subject ? await check.verify(subject) : (await check.dummy(), null);
  } catch (error) {
    if (claim) await releaseAttempt(rt, claim).catch(() => undefined);
    throw error;
  }
  // Whatever fails on the way (a store that stops answering: 503), a judged attempt settles its claim: a held
  // turn would keep the account's next attempts waiting.
  if (!subject || !verdict?.valid) {
    try {
      return await fail(ctx, subject, check, subject ? (check.failure ?? "INVALID_PASSWORD") : "USER_DOES_NOT_EXIST");
    } finally {
      if (claim) await recordFailure(rt, claim, who, requestAudit(ctx));
    }
  }

  // 3. A success: the limit starts over; the lockout forgets the failures, or takes back only this attempt.
  try {
    if (check.limit) await rt.limits.reset(check.limit.spec, check.limit.key);
  } finally {
    if (claim)
      await settleSuccess(rt, claim, subject, { completes: check.completes === true, audit: requestAudit(ctx) });
  }
  return {
    ok: true,
    user: subject,
    needsRehash: verdict.needsRehash === true,
    failuresBefore: claim ? claim.count - 1 : 0,
  };
}

async function fail(
  ctx: RequestContext,
  user: UserRecord | null,
  check: CredentialCheck,
  reason: string,
): Promise<CredentialResult> {
  await countCredentialFailure(ctx);
  if (check.authenticates !== false)
    await ctx.rt.events.emit("user_failed_authn", {
      user,
      identity: check.identity ?? user?.email ?? null,
      authType: check.kind,
      reason,
    });
  await recordAudit(ctx, {
    event: check.audit,
    outcome: "failure",
    user,
    identity: check.identity ?? null,
    details: { ...check.details, reason },
  });
  return { ok: false, reason, user };
}

/** A password as a credential: the stored hash verified, or the same hashing work when there is none. */
export function passwordCredential(ctx: RequestContext, password: string): Pick<CredentialCheck, "verify" | "dummy"> {
  const { hasher } = ctx.rt;
  // Queued fairly by source. Not by account: a per-account cap would refuse known accounts sooner than unknown
  // identities (an oracle), and the lockout already bounds the guesses on one account judged at once.
  const job = { keys: hashQueueKeys(ctx) };
  return {
    verify: async (user) => {
      if (!user.password) {
        await hasher.dummyVerify(password, job);
        return { valid: false };
      }
      return hasher.verify(password, user.password, job);
    },
    dummy: () => hasher.dummyVerify(password, job),
  };
}
