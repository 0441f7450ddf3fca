import type { RequestContext } from "../../core/context.js";
import type { Refused } from "../../core/outcome.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import { verifyCredential, type CredentialCheck } from "../../core/verify-credential.js";
import type { UserRecord } from "../../datastore/contracts.js";

/**
 * Every passcode unified sign-in evaluates (at /us-signin, the magic link, /us-verify, /us-setup/<state>) is one
 * credential check (core verifyCredential): the account's lockout is drawn before the passcode is looked at (a
 * magic link and a new method's first code draw from their own limit instead), an unknown identity gets `dummy`
 * work and a lockout count of its own, and a failure emits `user_failed_authn` and is audited.
 */
export interface PasscodeCheck<T> extends Pick<
  CredentialCheck,
  "kind" | "audit" | "identity" | "failure" | "details" | "limit" | "accountLock" | "completes" | "authenticates"
> {
  /** What the passcode proves for this user (e.g. the method it matched), or null when it is wrong. */
  match(user: UserRecord): Promise<T | null>;
  /** The same work for an unknown identity. */
  dummy(): Promise<void>;
}

export type PasscodeResult<T> =
  | { ok: true; user: UserRecord; value: T }
  | {
      ok: false;
      reason: "USER_DOES_NOT_EXIST" | "BUDGET_SPENT" | string;
      user: UserRecord | null;
      retryAfterSeconds?: number;
    };

export async function checkPasscode<T>(
  ctx: RequestContext,
  user: UserRecord | null,
  check: PasscodeCheck<T>,
): Promise<PasscodeResult<T>> {
  const { match, ...rest } = check;
  let value: T | null = null;
  const result = await verifyCredential(ctx, user, {
    ...rest,
    verify: async (u) => {
      value = await match(u);
      return { valid: value !== null };
    },
  });
  if (!result.ok) return result;
  return { ok: true, user: result.user, value: value! };
}

/** The answer when the account waits or is locked: 429 with Retry-After, for browsers too (a form cannot help). */
export function lockedOut(result: { retryAfterSeconds?: number }): Refused {
  return tooManyAttempts(result, "LOCKED_OUT", { json: true });
}
