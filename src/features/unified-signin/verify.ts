import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { readInput, str, text } from "../../core/input.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import { clearPasscodeAttempts, drawPasscodeAttempt, matchPasscode, sendSigninCode } from "./codes.js";
import { SENDING_METHODS } from "./config.js";
import { activeCodeMethods, usConfig } from "./methods.js";
import { verifyPage } from "./pages.js";
import { tooMany } from "./signin.js";

/**
 * GET/POST /us-verify and POST /us-verify/send-code: re-authentication ("freshness") with any passcode the
 * user can produce — password or a code. A session gets a new identifier and authentication time; a token
 * caller may ask for a new fresh token (?include_auth_token).
 */
const freshExtras = { has_webauthn_verify_credential: false, oauth_enabled: false, oauth_providers: [] as string[] };

function nextOf(ctx: RequestContext, raw: string | null | undefined): string | null {
  return raw ? safeRedirect(raw, ctx.appOrigin(), ctx.rt.config) : null;
}

export async function getVerify(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const methods = activeCodeMethods(rt, user);
  if (ctx.wantsJson) {
    return jsonResponse(ctx, 200, { available_methods: usConfig(rt).enabledMethods, code_methods: methods.filter((m) => SENDING_METHODS.includes(m)), csrf_token: await issueCsrfToken(ctx), ...freshExtras });
  }
  return htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken: await issueCsrfToken(ctx), next: nextOf(ctx, ctx.url.searchParams.get("next")), methods }));
}

export async function postVerify(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const input = await readInput(ctx, { passcode: text(), next: text() });
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const next = nextOf(ctx, rawNext);
  const fail = async (errors: FieldErrors, status = 400) =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken: await issueCsrfToken(ctx), next, methods: activeCodeMethods(rt, user), errors }));
  if (rawNext && !next) return fail({ next: [{ code: "INVALID_REDIRECT" }] });
  if (!input.passcode) return fail({ passcode: [{ code: "PASSCODE_NOT_PROVIDED" }] });
  const veto = await runBeforeHook(ctx, "us_verify", user);
  if (veto) return fail(vetoErrors(veto));
  if (!(await drawPasscodeAttempt(ctx, user))) return tooMany(ctx, user);
  const method = await matchPasscode(ctx, user, input.passcode);
  if (!method) {
    await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "us_verify", reason: "INVALID_PASSWORD_CODE" });
    await recordAudit(ctx, { event: "verify", outcome: "failure", user, details: { via: "us_verify" } });
    return fail({ passcode: [{ code: "INVALID_PASSWORD_CODE" }] });
  }
  await clearPasscodeAttempts(ctx, user);
  const authToken = await reauthenticate(ctx, caller!, [method]);
  await recordAudit(ctx, { event: "verify", outcome: "success", user, details: { via: "us_verify", method } });
  await runAfterHook(ctx, "us_verify", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, authToken));
  return redirectResponse(ctx, next ?? rt.config.urls.postVerifyView ?? rt.config.urls.postLoginView);
}

export async function postVerifySendCode(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const input = await readInput(ctx, { chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"), next: text() });
  const next = nextOf(ctx, input.next ?? ctx.url.searchParams.get("next"));
  const methods = activeCodeMethods(rt, user);
  const fail = async (errors: FieldErrors, status = 400) =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken: await issueCsrfToken(ctx), next, methods, errors }));
  const method = input.chosen_method ?? "";
  if (!SENDING_METHODS.includes(method) || !methods.includes(method)) return fail({ chosen_method: [{ code: "US_METHOD_NOT_AVAILABLE" }] });
  const outcome = await sendSigninCode(ctx, user, method, false);
  if (outcome === "failed") return fail({ "": [{ code: "FAILED_TO_SEND_CODE" }] }, 500);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  return htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken, next, methods, flashes: [{ category: "info", message: rt.message("CODE_HAS_BEEN_SENT") }] }));
}
