import { recordAudit } from "../../core/audit.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { takeFlashes } from "../../core/http/flash.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { flag, readInput, str, text } from "../../core/input.js";
import { findUserByIdentity, identityAttributes } from "../../core/users.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { clearPasscodeAttempts, drawPasscodeAttempt, matchPasscode, sendSigninCode } from "./codes.js";
import { activeCodeMethods, sendingMethods, usConfig } from "./methods.js";
import { signinPage } from "./pages.js";

/**
 * GET/POST /us-signin and POST /us-signin/send-code. The passcode is tried against the password, then each
 * method the user set up; the matching method becomes authn_via and the sign-in goes through the pipeline,
 * where the two-factor check applies only when that method is listed in US_MFA_REQUIRED. Every passcode
 * draws from a per-account budget before it is evaluated. Unknown identities cost a dummy hash.
 */
export async function getSignin(ctx: RequestContext, caller: Caller | null, action: string): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  if (ctx.wantsJson) {
    const response: Record<string, unknown> = {
      available_methods: cfg.enabledMethods,
      code_methods: sendingMethods(rt),
      identity_attributes: identityAttributes(rt),
      csrf_token: await issueCsrfToken(ctx),
    };
    if (caller) response.user = await rt.serializeUser(caller.user);
    return jsonResponse(ctx, 200, response);
  }
  if (caller) return redirectResponse(ctx, rt.config.urls.postLoginView);
  const next = safeRedirect(ctx.url.searchParams.get("next"), ctx.appOrigin(), rt.config);
  return htmlResponse(ctx, 200, signinPage(ctx, { csrfToken: await issueCsrfToken(ctx), action, next, flashes: takeFlashes(ctx) }));
}

const signinInput = { identity: str(320, "US_SPECIFY_IDENTITY"), passcode: text(), remember: flag, next: text() };

export async function postSignin(ctx: RequestContext, action: string): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const input = await readInput(ctx, signinInput);
  const identity = input.identity?.trim() ?? "";
  const remember = input.remember ?? rt.config.defaultRememberMe;
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const next = rawNext ? safeRedirect(rawNext, ctx.appOrigin(), rt.config) : null;
  const generic = rt.config.returnGenericResponses;
  const fail = async (errors: FieldErrors, status = 400): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, 200, signinPage(ctx, { csrfToken: await issueCsrfToken(ctx), action, identity, next, remember, errors }));

  const shape: FieldErrors = {};
  if (rawNext && !next) shape.next = [{ code: "INVALID_REDIRECT" }];
  if (!identity) shape.identity = [{ code: "US_SPECIFY_IDENTITY" }];
  if (!input.passcode) shape.passcode = [{ code: "PASSCODE_NOT_PROVIDED" }];
  if (Object.keys(shape).length) return fail(shape);
  const passcode = input.passcode!;

  const user = await findUserByIdentity(rt, identity);
  const veto = await runBeforeHook(ctx, "us_signin", user);
  if (veto) return fail(vetoErrors(veto));
  const failed = async (field: string, code: "US_SPECIFY_IDENTITY" | "INVALID_PASSWORD_CODE", u: UserRecord | null) => {
    await rt.events.emit("user_failed_authn", { user: u, identity, authType: "us_signin", reason: code });
    await recordAudit(ctx, { event: "login", outcome: "failure", user: u, identity, details: { reason: code, via: "us_signin" } });
    return fail(generic ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { [field]: [{ code }] });
  };
  if (!user) {
    await rt.hasher.dummyVerify(passcode);
    // FS: an identity that names nobody is "specify a valid identity" (generic mode hides it, see `failed`).
    return failed("identity", "US_SPECIFY_IDENTITY", null);
  }
  if (!(await drawPasscodeAttempt(ctx, user))) return tooMany(ctx, user);
  const method = await matchPasscode(ctx, user, passcode);
  if (!method) return failed("passcode", "INVALID_PASSWORD_CODE", user);
  await clearPasscodeAttempts(ctx, user);

  // An emailed code also proves the mailbox: the pipeline handles that once the sign-in is allowed.
  const result = await rt.pipeline.signIn(ctx, {
    user,
    authnVia: [method],
    remember,
    kind: "session",
    includeAuthToken: ctx.includeAuthToken(),
    firstFactorIsMultiFactor: !(cfg.mfaRequired as readonly string[]).includes(method),
  });
  if (result.kind === "deny") return fail(generic ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { identity: [{ code: result.code, params: result.params }] }, result.status ?? 400);
  if (result.kind === "interrupt") return interruptResponse(ctx, result);
  const signedUser = result.user;
  await runAfterHook(ctx, "us_signin", signedUser);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, signedUser, result.authToken, { tf_required: false }));
  return redirectResponse(ctx, next ?? rt.config.urls.postLoginView);
}

export async function tooMany(ctx: RequestContext, user: UserRecord): Promise<Response> {
  const cfg = usConfig(ctx.rt);
  await recordAudit(ctx, { event: "login", outcome: "failure", user, details: { reason: "LOCKED_OUT", via: "us_signin" } });
  return plainErrorJson(ctx, 429, [{ code: "LOCKED_OUT" }], {}, { "retry-after": String(cfg.attemptWindowSeconds) });
}

const sendInput = { identity: str(320, "US_SPECIFY_IDENTITY"), chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"), next: text() };

/**
 * POST /us-signin/send-code: mails (with the magic link) or texts a code. With generic responses (the default)
 * the answer is the same whether or not the identity exists, has that method, or is active.
 */
export async function postSendCode(ctx: RequestContext, action: string): Promise<Response> {
  const { rt } = ctx;
  const input = await readInput(ctx, sendInput);
  const identity = input.identity?.trim() ?? "";
  const method = input.chosen_method ?? "";
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const next = rawNext ? safeRedirect(rawNext, ctx.appOrigin(), rt.config) : null;
  const generic = rt.config.returnGenericResponses;
  const fail = async (errors: FieldErrors, status = 400): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, signinPage(ctx, { csrfToken: await issueCsrfToken(ctx), action, identity, next, errors }));

  const shape: FieldErrors = {};
  if (!sendingMethods(rt).includes(method)) shape.chosen_method = [{ code: "US_METHOD_NOT_AVAILABLE" }];
  if (!identity) shape.identity = [{ code: "US_SPECIFY_IDENTITY" }];
  if (Object.keys(shape).length) return fail(shape);

  const user = await findUserByIdentity(rt, identity);
  const veto = await runBeforeHook(ctx, "us_signin", user);
  if (veto) return fail(vetoErrors(veto));
  if (!user || !user.active || !activeCodeMethods(rt, user).includes(method)) {
    const refusal = () => recordAudit(ctx, { event: "us_code_sent", outcome: "failure", user, identity, details: { method, reason: !user ? "unknown" : !user.active ? "inactive" : "method_not_set_up" } });
    if (!generic) {
      await refusal();
      if (!user) return fail({ identity: [{ code: "US_SPECIFY_IDENTITY" }] });
      if (!user.active) return fail({ identity: [{ code: "DISABLED_ACCOUNT" }] });
      return fail({ chosen_method: [{ code: "US_METHOD_NOT_AVAILABLE" }] });
    }
    // Generic: both branches answer after the same work (lookup, hook); the rest — here the audit row, there
    // the send counter, the code, the mail or SMS — runs after the answer (core/deferred.ts).
    await nowOrAfterAnswer(ctx, true, "us_code_refused", user, refusal);
    return codeSentAnswer(ctx, action, identity, next);
  }
  if (generic) {
    await nowOrAfterAnswer(ctx, true, "us_signin_code", user, () => sendSigninCode(ctx, user, method, true));
    return codeSentAnswer(ctx, action, identity, next);
  }
  const outcome = await sendSigninCode(ctx, user, method, true);
  if (outcome === "failed") return fail({ "": [{ code: "FAILED_TO_SEND_CODE" }] }, 500);
  return codeSentAnswer(ctx, action, identity, next);
}

async function codeSentAnswer(ctx: RequestContext, action: string, identity: string, next: string | null): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  // Generic mode answers the same whether or not a code went out, so it must not claim one was sent (as FS).
  const message = ctx.rt.message(ctx.rt.config.returnGenericResponses ? "GENERIC_US_SIGNIN" : "CODE_HAS_BEEN_SENT");
  return htmlResponse(ctx, 200, signinPage(ctx, { csrfToken, action, identity, next, flashes: [{ category: "info", message }] }));
}
