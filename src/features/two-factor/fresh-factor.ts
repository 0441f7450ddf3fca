import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { fieldError, refused, type FormErrors, type Refused } from "../../core/outcome.js";
import type { Caller } from "../../core/identity.js";
import { render } from "../../core/render.js";
import type { FactorRefusal } from "../../core/services.js";
import { checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { primaryMethod, secretBox } from "./state.js";

/**
 * Proof of the current second factor (decision 44, SECURITY I72), asked before anything that is or replaces a
 * second factor changes: disabling or switching two-factor, adding a unified sign-in method, new recovery codes.
 * Freshness by password alone is not enough for these. Proof is either this session's own sign-in having proved
 * a second factor within the freshness window, or the current authenticator code in the request (`code`, for
 * auth-token callers). Users without a code method have nothing to prove (null). Offered to other features as
 * `services.twoFactor`; `event` names the audit event of the refused change.
 */
export async function proveCurrentFactor(ctx: RequestContext, caller: Caller, code: string | undefined, event: string): Promise<FactorRefusal | null> {
  const refusal = await currentFactorRefusal(ctx, caller, code, event);
  if (!refusal) return null;
  const errors = refusal.kind === "form-errors" ? refusal.errors : { "": refusal.refs };
  const status = refusal.kind === "form-errors" ? 400 : refusal.status;
  // `json` serves handlers not yet returning outcomes (they use it for API callers only).
  return { status, errors, outcome: refusal, json: await render(ctx, refusal) };
}

/** The same check as an outcome: null when proved (or nothing to prove), else the wrong code or a refusal. */
export async function currentFactorRefusal(ctx: RequestContext, caller: Caller, code: string | undefined, event: string): Promise<FormErrors<never> | Refused | null> {
  const { rt } = ctx;
  const user = caller.user;
  const current = primaryMethod(user);
  if (!current) return null;
  const within = rt.config.freshness.withinSeconds;
  const provedAtSignIn = caller.mechanism === "session" && !!caller.session?.authnVia.some((v) => v.startsWith("tf:"));
  if (provedAtSignIn && (within < 0 || ctx.nowSeconds() - caller.authenticatedAtSeconds <= within)) return null;
  if (code && current === "authenticator") {
    const spent = await drawAttempt(ctx, user);
    if (spent) return spent;
    const secret = secretBox(rt).open(user.tfTotpSecret!);
    if (secret && (await checkCode(ctx, user, current, secret, code.replace(/\s+/g, "")))) {
      await clearAttempts(ctx, user);
      return null;
    }
    await recordAudit(ctx, { event, outcome: "failure", user, details: { reason: "TWO_FACTOR_INVALID_TOKEN", current } });
    return fieldError("code", "TWO_FACTOR_INVALID_TOKEN");
  }
  await recordAudit(ctx, { event, outcome: "failure", user, details: { reason: "TWO_FACTOR_FRESH_REQUIRED", current } });
  return refused("TWO_FACTOR_FRESH_REQUIRED", 401, { extra: { tf_method: current } });
}
