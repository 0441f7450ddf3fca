import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { setFlash } from "../../core/http/flash.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import { redirectResponse } from "../../core/http/respond.js";
import { spaMode, spaRedirect } from "../../core/http/spa.js";
import type { MessageKey } from "../../core/messages.js";
import { clearPasscodeAttempts, drawPasscodeAttempt, matchMethodCode } from "./codes.js";
import { activeCodeMethods, usConfig } from "./methods.js";

/**
 * GET /us-verify-link?id=<fs_uniquifier>&code=<code>: the magic link mailed with a sign-in code. It signs in
 * through the pipeline like the code would (authn_via "email"); it is consumed once (the code's single use),
 * draws from the same per-account budget, never hands out a token, and proves the mailbox (core/mailbox-proof.ts).
 * Outcomes are redirects: to POST_LOGIN_VIEW, to the second-factor page, or back to sign-in with the error.
 */
export async function getVerifyLink(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const id = ctx.url.searchParams.get("id") ?? "";
  const code = (ctx.url.searchParams.get("code") ?? "").replace(/[\s-]+/g, "");
  const generic = rt.config.returnGenericResponses;
  if (!id || !code || id.length > 128 || code.length > 64) return linkError(ctx, "API_ERROR");
  const user = await rt.datastore.users.findByUniquifier(id);
  if (!user) return linkError(ctx, generic ? "GENERIC_AUTHN_FAILED" : "USER_DOES_NOT_EXIST");
  if (!(await drawPasscodeAttempt(ctx, user))) {
    await recordAudit(ctx, { event: "login", outcome: "failure", user, details: { reason: "LOCKED_OUT", via: "us_verify_link" } });
    return linkError(ctx, "LOCKED_OUT");
  }
  const valid = activeCodeMethods(rt, user).includes("email") && (await matchMethodCode(ctx, user, "email", code));
  if (!valid) {
    await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "us_verify_link", reason: "INVALID_CODE" });
    await recordAudit(ctx, { event: "login", outcome: "failure", user, details: { reason: "INVALID_CODE", via: "us_verify_link" } });
    return linkError(ctx, generic ? "GENERIC_AUTHN_FAILED" : "INVALID_CODE");
  }
  await clearPasscodeAttempts(ctx, user);
  const result = await rt.pipeline.signIn(ctx, {
    user,
    authnVia: ["email"],
    remember: false,
    kind: "session",
    includeAuthToken: false,
    firstFactorIsMultiFactor: !(cfg.mfaRequired as readonly string[]).includes("email"),
  });
  if (result.kind === "deny") return linkError(ctx, generic ? "GENERIC_AUTHN_FAILED" : result.code);
  if (result.kind === "interrupt") {
    // A second factor is still needed: the browser goes to it (its pending state is set); an SPA is told so.
    if (spaMode(ctx)) return spaRedirect(ctx, cfg.loginErrorView ?? rt.url(cfg.signinUrl), { tf_required: "1" });
    return interruptResponse(ctx, result);
  }
  const signed = result.user;
  if (spaMode(ctx)) return spaRedirect(ctx, rt.config.urls.postLoginView, { email: signed.email, identity: signed.username ?? signed.email });
  return redirectResponse(ctx, rt.config.urls.postLoginView);
}

function linkError(ctx: RequestContext, code: MessageKey): Response {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const text = rt.message(code);
  if (spaMode(ctx)) return spaRedirect(ctx, cfg.loginErrorView ?? rt.url(cfg.signinUrl), { error: text });
  setFlash(ctx, "error", text);
  return redirectResponse(ctx, rt.url(cfg.signinUrl));
}
