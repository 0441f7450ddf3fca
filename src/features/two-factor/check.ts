import type { RequestContext } from "../../core/context.js";
import type { SignInCheck } from "../../core/sign-in.js";
import { newCodeNonce, sendCode } from "./codes.js";
import { hasValidityCookie, primaryMethod, secretBox, setPending, tfConfig } from "./state.js";

/**
 * Pipeline check "two-factor": a user with a second factor (or everyone, when required) is not signed in by
 * the first factor alone. The check sets the pending cookie and interrupts with FS's payloads; /tf-validate
 * completes the sign-in through the pipeline again with `secondFactor` set, so every other check reruns.
 */
export const twoFactorCheck: SignInCheck = {
  name: "two-factor",
  async run(ctx, attempt) {
    const cfg = tfConfig(ctx.rt);
    if (!cfg.enabled || attempt.secondFactor || attempt.firstFactorIsMultiFactor || attempt.authnVia.includes("remember")) return { kind: "continue" };
    const { user } = attempt;
    const method = primaryMethod(user);
    if (!method && !cfg.required) return { kind: "continue" };
    if (method && !cfg.alwaysValidate && hasValidityCookie(ctx, user)) return { kind: "continue" };
    if (attempt.kind === "request") return { kind: "deny", code: "TWO_FACTOR_PERMISSION_DENIED", field: "email", status: 401 };
    const base = { u: user.fsUniquifier, r: attempt.remember, v: [...attempt.authnVia] };
    if (!method) {
      setPending(ctx, { ...base, s: "setup_from_login", m: null });
      return { kind: "interrupt", response: { tf_required: true, tf_state: "setup_from_login", ...pageRedirect(ctx, cfg.setupUrl) } };
    }
    const n = newCodeNonce();
    setPending(ctx, { ...base, s: "ready", m: method, n });
    if (method === "email" || method === "sms") {
      const secret = secretBox(ctx.rt).open(user.tfTotpSecret!);
      if (!secret || !(await sendCode(ctx, user, method, secret, user.tfPhoneNumber, n))) {
        return { kind: "interrupt", status: 500, response: { errors: [ctx.rt.message("FAILED_TO_SEND_CODE")], error_codes: ["FAILED_TO_SEND_CODE"] } };
      }
    }
    return { kind: "interrupt", response: { tf_required: true, tf_state: "ready", tf_primary_method: method, tf_method: method, ...pageRedirect(ctx, cfg.validateUrl) } };
  },
};

/** Browsers (form posts) are sent on to the next page; JSON clients get FS's payload only. */
function pageRedirect(ctx: RequestContext, path: string): { redirect?: string } {
  return ctx.wantsJson ? {} : { redirect: ctx.rt.url(path) };
}
