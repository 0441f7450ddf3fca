import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { setFlash } from "../../core/http/flash.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import { linkLanding, linkSignsInOnGet } from "../../core/http/link-landing.js";
import { formErrorJson, jsonResponse, plainErrorJson, redirectResponse } from "../../core/http/respond.js";
import { spaMode, spaRedirect } from "../../core/http/spa.js";
import { userPayload } from "../../core/http/user-payload.js";
import { readInput, text } from "../../core/input.js";
import type { MessageKey } from "../../core/messages.js";
import { clearPasscodeAttempts, drawPasscodeAttempt, matchMethodCode } from "./codes.js";
import { activeCodeMethods, usConfig } from "./methods.js";

/**
 * /us-verify-link?id=<fs_uniquifier>&code=<code>: the magic link mailed with a sign-in code. Completing it signs
 * in through the pipeline like the code would (authn_via "email"); it is consumed once (the code's single use),
 * draws from the same per-account budget, and proves the mailbox (core/mailbox-proof.ts).
 *
 * GET signs nobody in unless `urls.signInLinksOnGet` (FS's behaviour): it answers a page whose button POSTs the
 * link (SPA mode with US_VERIFY_LINK_VIEW: a redirect there with `id` and `code`, and the SPA POSTs them as
 * JSON). A form POST (or the GET when allowed) is answered with redirects: to POST_LOGIN_VIEW, to the
 * second-factor page, or back to sign-in with the error. A JSON POST answers like /us-signin.
 */
// Lengths are judged by linkParams (a bad link answers like a wrong code), so the fields are read uncapped.
const LINK_FIELDS = { id: text(), code: text() };

function linkParams(id: string | null | undefined, code: string | null | undefined): { id: string; code: string } | null {
  const cleaned = (code ?? "").replace(/[\s-]+/g, "");
  if (!id || !cleaned || id.length > 128 || cleaned.length > 64) return null;
  return { id, code: cleaned };
}

export async function getVerifyLink(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const params = linkParams(ctx.url.searchParams.get("id"), ctx.url.searchParams.get("code"));
  if (!params) return linkError(ctx, "API_ERROR");
  if (linkSignsInOnGet(ctx)) return completeLink(ctx, params, false);
  return linkLanding(ctx, {
    title: "Sign in",
    text: `Sign in to ${rt.config.appName} with the link you were sent.`,
    submit: "Sign in",
    action: rt.url(cfg.verifyLinkUrl),
    fields: params,
    spaView: cfg.verifyLinkView,
  });
}

export async function postVerifyLink(ctx: RequestContext): Promise<Response> {
  const input = await readInput(ctx, LINK_FIELDS);
  const params = linkParams(input.id ?? ctx.url.searchParams.get("id"), input.code ?? ctx.url.searchParams.get("code"));
  if (!params) return linkError(ctx, "API_ERROR");
  return completeLink(ctx, params, ctx.wantsJson);
}

async function completeLink(ctx: RequestContext, params: { id: string; code: string }, json: boolean): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const generic = rt.config.returnGenericResponses;
  const refuse = (code: MessageKey, status = 400) => (json ? formErrorJson(ctx, { "": [{ code }] }, status) : linkError(ctx, code));
  const user = await rt.datastore.users.findByUniquifier(params.id);
  if (!user) return refuse(generic ? "GENERIC_AUTHN_FAILED" : "USER_DOES_NOT_EXIST");
  if (!(await drawPasscodeAttempt(ctx, user))) {
    await recordAudit(ctx, { event: "login", outcome: "failure", user, details: { reason: "LOCKED_OUT", via: "us_verify_link" } });
    // JSON callers get /us-signin's answer: 429 with Retry-After.
    if (json) return plainErrorJson(ctx, 429, [{ code: "LOCKED_OUT" }], {}, { "retry-after": String(cfg.attemptWindowSeconds) });
    return refuse("LOCKED_OUT", 429);
  }
  const valid = activeCodeMethods(rt, user).includes("email") && (await matchMethodCode(ctx, user, "email", params.code));
  if (!valid) {
    await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "us_verify_link", reason: "INVALID_CODE" });
    await recordAudit(ctx, { event: "login", outcome: "failure", user, details: { reason: "INVALID_CODE", via: "us_verify_link" } });
    return refuse(generic ? "GENERIC_AUTHN_FAILED" : "INVALID_CODE");
  }
  await clearPasscodeAttempts(ctx, user);
  const result = await rt.pipeline.signIn(ctx, {
    user,
    authnVia: ["email"],
    remember: false,
    kind: "session",
    includeAuthToken: json && ctx.includeAuthToken(),
    firstFactorIsMultiFactor: !(cfg.mfaRequired as readonly string[]).includes("email"),
  });
  if (result.kind === "deny") return refuse(generic ? "GENERIC_AUTHN_FAILED" : result.code, result.status ?? 400);
  if (result.kind === "interrupt") {
    // A second factor is still needed: the browser goes to it (its pending state is set); an SPA is told so.
    if (!json && spaMode(ctx)) return spaRedirect(ctx, cfg.loginErrorView ?? rt.url(cfg.signinUrl), { tf_required: "1" });
    return interruptResponse(ctx, result);
  }
  const signed = result.user;
  if (json) return jsonResponse(ctx, 200, await userPayload(ctx, signed, result.authToken, { tf_required: false }));
  if (spaMode(ctx)) return spaRedirect(ctx, rt.config.urls.postLoginView, { email: signed.email, identity: signed.username ?? signed.email });
  return redirectResponse(ctx, rt.config.urls.postLoginView);
}

function linkError(ctx: RequestContext, code: MessageKey): Response {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const text = rt.message(code);
  if (ctx.wantsJson && ctx.request.method === "POST") return formErrorJson(ctx, { "": [{ code }] });
  if (spaMode(ctx)) return spaRedirect(ctx, cfg.loginErrorView ?? rt.url(cfg.signinUrl), { error: text });
  setFlash(ctx, "error", text);
  return redirectResponse(ctx, rt.url(cfg.signinUrl));
}
