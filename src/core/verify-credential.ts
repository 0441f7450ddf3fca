import type { UserRecord } from "../datastore/contracts.js";
import { recordAudit, type AuditEvent } from "./audit.js";
import type { RequestContext } from "./context.js";
import { drawFromBudget } from "./attempt-budget.js";
import { admitCredentialCheck, countCredentialFailure, hashQueueKeys } from "./limits/sources.js";

/**
 * The one check of a credential someone presents — a password at sign-in, re-authentication or password change,
 * a one-time code, a recovery code. In this order, for every kind:
 * 1. the attempt budget is drawn BEFORE the credential is evaluated, so a guess past the limit is never judged;
 * 2. an unknown subject gets the same work as a known one (dummy verification), so timing does not tell who has
 *    an account;
 * 3. a failure emits `user_failed_authn` and is audited; a success is not audited here (the caller's action is).
 * Lockout hangs on the same place.
 */
export interface CredentialCheck {
  /** The authentication type in `user_failed_authn` ("password", "verify", "change", "tf", "us", "recovery_code"…). */
  kind: string;
  /** The audit event a failure is recorded under ("login", "verify", "change_password"…). */
  audit: AuditEvent;
  /** What the user typed to name themselves (audits and events of unknown subjects). */
  identity?: string | null;
  /** The attempt budget this check draws from, if any. */
  budget?: { key: string; max: number; windowSeconds: number } | null;
  /** Evaluates the credential against the user. */
  verify(user: UserRecord): Promise<{ valid: boolean; needsRehash?: boolean }>;
  /** The same work for an unknown subject (or one without this credential). */
  dummy(): Promise<void>;
  /** The code a wrong credential reports (default INVALID_PASSWORD). */
  failure?: string;
  /** Extra audit details (never the credential). */
  details?: Record<string, unknown>;
  /**
   * false: a failure is audited but emits no `user_failed_authn` — the code confirms a NEW secret being set up,
   * which says nothing about who is signing in (as FS, which does not track those).
   */
  authenticates?: boolean;
}

export type CredentialResult =
  | { ok: true; user: UserRecord; needsRehash: boolean }
  | { ok: false; reason: "USER_DOES_NOT_EXIST" | "BUDGET_SPENT" | string; user: UserRecord | null };

export async function verifyCredential(
  ctx: RequestContext,
  subject: UserRecord | null,
  check: CredentialCheck,
): Promise<CredentialResult> {
  await admitCredentialCheck(ctx); // per-source limits: 429 before anything is evaluated
  if (check.budget && !(await drawFromBudget(ctx, check.budget.key, check.budget.max, check.budget.windowSeconds))) {
    return fail(ctx, subject, check, "BUDGET_SPENT");
  }
  if (!subject) {
    await check.dummy();
    return fail(ctx, null, check, "USER_DOES_NOT_EXIST");
  }
  const verdict = await check.verify(subject);
  if (!verdict.valid) return fail(ctx, subject, check, check.failure ?? "INVALID_PASSWORD");
  return { ok: true, user: subject, needsRehash: verdict.needsRehash === true };
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
  return {
    verify: async (user) => {
      const job = { keys: hashQueueKeys(ctx, user.id) };
      if (!user.password) {
        await hasher.dummyVerify(password, job);
        return { valid: false };
      }
      return hasher.verify(password, user.password, job);
    },
    dummy: () => hasher.dummyVerify(password, { keys: hashQueueKeys(ctx) }),
  };
}
