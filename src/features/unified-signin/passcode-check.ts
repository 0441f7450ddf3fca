import type { RequestContext } from "../../core/context.js";
import { refused, type Refused } from "../../core/outcome.js";
import { verifyCredential, type CredentialCheck } from "../../core/verify-credential.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { clearPasscodeAttempts } from "./codes.js";
import { usConfig } from "./methods.js";

/**
 * Every passcode unified sign-in evaluates (at /us-signin, the magic link, /us-verify, /us-setup/<state>) is one
 * credential check (core verifyCredential): one attempt is drawn from the account's passcode budget before the
 * passcode is looked at, an unknown identity gets `dummy` work instead, and a failure emits `user_failed_authn`
 * and is audited. A success clears the budget.
 */
export interface PasscodeCheck<T> extends Pick<CredentialCheck, "kind" | "audit" | "identity" | "failure" | "details"> {
  /** What the passcode proves for this user (e.g. the method it matched), or null when it is wrong. */
  match(user: UserRecord): Promise<T | null>;
  /** The same work for an unknown identity. */
  dummy(): Promise<void>;
}

export type PasscodeResult<T> =
  | { ok: true; user: UserRecord; value: T }
  | { ok: false; reason: "USER_DOES_NOT_EXIST" | "BUDGET_SPENT" | string; user: UserRecord | null };

/** The counter an unknown identity reads in place of an account's budget (no one draws from it). */
export const NOBODY_BUDGET_KEY = "us:nobody";

export async function checkPasscode<T>(
  ctx: RequestContext,
  user: UserRecord | null,
  check: PasscodeCheck<T>,
): Promise<PasscodeResult<T>> {
  const { match, dummy, ...rest } = check;
  let value: T | null = null;
  const result = await verifyCredential(ctx, user, {
    ...rest,
    budget: user ? passcodeBudget(ctx, user) : null,
    verify: async (u) => {
      value = await match(u);
      return { valid: value !== null };
    },
    dummy: async () => {
      // An account's budget draw is a database round trip: an unknown identity makes one too.
      await ctx.rt.datastore.attempts.peek(NOBODY_BUDGET_KEY, usConfig(ctx.rt).attemptWindowSeconds, ctx.now());
      await dummy();
    },
  });
  if (!result.ok) return result;
  await clearPasscodeAttempts(ctx, result.user);
  return { ok: true, user: result.user, value: value! };
}

/** The account's passcode budget (its key is kept from before: counts survive an upgrade). */
function passcodeBudget(ctx: RequestContext, user: UserRecord) {
  const cfg = usConfig(ctx.rt);
  return { key: `us:${user.id}`, max: cfg.maxAttempts, windowSeconds: cfg.attemptWindowSeconds };
}

/** The answer once the budget is spent: 429 with Retry-After, for browsers too (a form cannot help). */
export function lockedOut(ctx: RequestContext): Refused {
  return refused("LOCKED_OUT", 429, {
    headers: { "retry-after": String(usConfig(ctx.rt).attemptWindowSeconds) },
    browser: { json: true },
  });
}
