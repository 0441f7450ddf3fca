import { recordAudit, type AuditEvent } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { fieldError, refused, type FormErrors, type Refused } from "../../core/outcome.js";
import type { Caller } from "../../core/identity.js";
import { verifyCredential } from "../../core/verify-credential.js";
import { codeCredential, tooManyAttempts } from "./codes.js";
import { primaryMethod, secretBox } from "./state.js";

/**
 * Proof of the current second factor (decision 44, SECURITY I72), asked before anything that is or replaces a
 * second factor changes: disabling or switching two-factor, adding a unified sign-in method, new recovery codes.
 * Freshness by password alone is not enough for these. Proof is either this session's own sign-in having proved
 * a second factor within the freshness window, or the current authenticator code in the request (`code`, for
 * auth-token callers). Users without a code method have nothing to prove (null). Offered to other features as
 * `services.twoFactor.proveCurrentFactor`; `event` names the audit event of the refused change.
 */
/** Null when proved (or nothing to prove), else the wrong code (a form error) or a refusal (401, or 429 when spent). */
export async function currentFactorRefusal(
  ctx: RequestContext,
  caller: Caller,
  code: string | undefined,
  event: AuditEvent,
): Promise<FormErrors<never> | Refused | null> {
  const { rt } = ctx;
  const user = caller.user;
  const current = primaryMethod(user);
  if (!current) return null;
  const within = rt.config.freshness.withinSeconds;
  // The latest authentication itself gave the second factor (a re-authentication by password alone does not: it
  // keeps the session's sign-in proof for remember-me, but not this one).
  const provedAtSignIn = caller.mechanism === "session" && !!caller.session?.authnVia.some((v) => v.startsWith("tf:"));
  if (provedAtSignIn && (within < 0 || ctx.nowSeconds() - caller.authenticatedAtSeconds <= within)) return null;
  if (code && current === "authenticator") {
    // An unreadable stored secret proves nothing (an empty secret matches no code).
    const secret = secretBox(rt).open(user.tfTotpSecret!) ?? "";
    // The current code is a credential like any other: the account's lockout first, a failure audited as `event`;
    // a signed-in user proving it completes an authentication (the account's failures are forgotten).
    const verdict = await verifyCredential(ctx, user, {
      ...codeCredential(ctx, user, { method: current, secret, code, nonce: 0, audit: event, setup: false }),
      details: { current },
      completes: true,
      dummy: async () => undefined,
    });
    if (verdict.ok) return null;
    return verdict.reason === "BUDGET_SPENT"
      ? tooManyAttempts(verdict)
      : fieldError("code", "TWO_FACTOR_INVALID_TOKEN");
  }
  await recordAudit(ctx, {
    event,
    outcome: "failure",
    user,
    details: { reason: "TWO_FACTOR_FRESH_REQUIRED", current },
  });
  return refused("TWO_FACTOR_FRESH_REQUIRED", 401, { extra: { tf_method: current } });
}
