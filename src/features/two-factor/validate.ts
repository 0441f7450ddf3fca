import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { htmlResponse, formErrorJson, jsonResponse, plainErrorJson, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { readInput, str } from "../../core/input.js";
import { clearSessionCookies, endCurrentSession } from "../../core/session-cookies.js";
import { resealIfNeeded, totpConfig } from "../../core/passcodes/index.js";
import { qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import { checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { validatePage } from "./pages.js";
import { recoveryOptions } from "./rescue.js";
import { getChangeValidate, postChangeValidate } from "./setup-changing.js";
import { clearPending, consumePending, readPending, secretBox, setValidityCookie, tfConfig, type PendingState } from "./state.js";

/**
 * GET/POST /tf-validate: the second step of a pending sign-in (state `ready`) or of a setup started during
 * login (state `validating_profile`). A correct code completes the sign-in through the pipeline. A signed-in
 * user's change (validating_profile with `c`) is completed by setup-changing.ts instead.
 */
export function permissionDenied(ctx: RequestContext): Response {
  if (ctx.wantsJson) return plainErrorJson(ctx, 400, [{ code: "TWO_FACTOR_PERMISSION_DENIED" }]);
  return redirectResponse(ctx, ctx.rt.url(ctx.rt.config.urls.login));
}

export async function getValidate(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const pending = await readPending(ctx);
  if (!pending || !VALIDATING.includes(pending.state.s)) return permissionDenied(ctx);
  if (pending.state.c) return caller && ownsChange(caller, pending.state) ? getChangeValidate(ctx, caller, pending.state) : permissionDenied(ctx);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) {
    const extra = pending.state.s === "ready" ? { recovery_options: recoveryOptions(ctx, pending.user) } : {};
    return jsonResponse(ctx, 200, { csrf_token: csrfToken, ...extra });
  }
  return htmlResponse(ctx, 200, validatePage(ctx, { csrfToken, method: pending.state.m ?? "" }));
}

/** States in which /tf-validate accepts a code. */
const VALIDATING: readonly string[] = ["ready", "validating_profile"];

export async function postValidate(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const input = await readInput(ctx, { code: str(64, "TWO_FACTOR_INVALID_TOKEN") });
  const pending = await readPending(ctx);
  if (!pending || !VALIDATING.includes(pending.state.s)) return caller ? signOutDenied(ctx, caller) : permissionDenied(ctx);
  const { state } = pending;
  if (state.c) {
    // A signed-in user's change: only that user, still signed in, completes it (anyone else is treated as a
    // stray code submission).
    if (!caller || !ownsChange(caller, state)) {
      clearPending(ctx);
      return caller ? signOutDenied(ctx, caller) : permissionDenied(ctx);
    }
    return postChangeValidate(ctx, caller, pending, input.code ?? "", () => permissionDenied(ctx));
  }
  let user = pending.user;
  let retryQr: { dataUrl: string; key: string } | null = null;
  const fail = async (errors: FieldErrors, status = 400): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, validatePage(ctx, { csrfToken: await issueCsrfToken(ctx), method: state.m ?? "", errors, qr: retryQr }));

  const veto = await runBeforeHook(ctx, "tf_validate", user);
  if (veto) return fail(vetoErrors(veto));
  const setup = state.s === "validating_profile";
  // "ready" validates the factor the login started (a plugin's factor is not a code: refused here).
  const method = setup || (state.e && state.m === "email") || state.m === user.tfPrimaryMethod ? state.m : null;
  const sealed = setup ? state.t : user.tfTotpSecret;
  const secret = method && sealed ? secretBox(rt).open(sealed) : null;
  if (!method || !secret) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const code = (input.code ?? "").replace(/\s+/g, "");
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  if (!(await checkCode(ctx, user, method, secret, code, state.n ?? 0))) {
    if (!setup) await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "tf", reason: "TWO_FACTOR_INVALID_TOKEN" });
    await recordAudit(ctx, { event: "tf_validate", outcome: "failure", user, details: { method, setup } });
    // Setting up an authenticator: the page shows the QR code again (the user may not have scanned it yet).
    if (setup && method === "authenticator" && !ctx.wantsJson) {
      retryQr = { dataUrl: await qrCodeDataUrl(totpUri({ secret, issuer: totpConfig(rt).issuer!, account: user.username ?? user.email })), key: secret };
    }
    return fail({ code: [{ code: "TWO_FACTOR_INVALID_TOKEN" }] });
  }
  await clearAttempts(ctx, user);
  if (!setup && sealed && sealed === user.tfTotpSecret) {
    // A secret in an older format (e.g. stored by Flask-Security) is sealed again now that it proved itself.
    const stored = sealed;
    await resealIfNeeded(ctx, stored, secret, (next) => rt.datastore.users.replaceTfTotpSecret(user.id, stored, next));
  }
  if (!(await consumePending(ctx, pending))) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  if (setup) {
    // Only now, after a correct code for the pending secret, does the new method become the user's.
    await rt.datastore.users.update(user.id, { tfPrimaryMethod: method, tfTotpSecret: sealed!, tfPhoneNumber: method === "sms" ? (state.p ?? null) : null });
    user = (await rt.datastore.users.findById(user.id)) ?? user;
    await recordAudit(ctx, { event: "tf_setup", outcome: "success", user, details: { method, via: "login" } });
    await rt.events.emit("tf_profile_changed", { user, method });
  }
  const result = await rt.pipeline.signIn(ctx, { user, authnVia: [...state.v], remember: state.r, kind: "session", includeAuthToken: ctx.includeAuthToken(), secondFactor: method });
  clearPending(ctx);
  if (result.kind === "deny") return fail({ "": [{ code: result.code, params: result.params }] }, result.status ?? 400);
  if (result.kind === "interrupt") return jsonResponse(ctx, result.status ?? 200, { ...result.response, csrf_token: await issueCsrfToken(ctx) });
  const cfg = tfConfig(rt);
  if (state.r && !cfg.alwaysValidate) setValidityCookie(ctx, user);
  await recordAudit(ctx, { event: "tf_validate", outcome: "success", user, details: { method } });
  await rt.events.emit("tf_code_confirmed", { user, method });
  await runAfterHook(ctx, "tf_validate", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, result.authToken));
  return redirectResponse(ctx, rt.config.urls.postLoginView);
}

function ownsChange(caller: Caller, state: PendingState): boolean {
  return caller.user.fsUniquifier === state.u;
}

/**
 * FS: a signed-in caller posting /tf-validate with no pending setup or login is signed out (session ended,
 * cookies cleared) and denied — a stray code submission must not leave a session behind it.
 */
async function signOutDenied(ctx: RequestContext, caller: Caller): Promise<Response> {
  const { rt } = ctx;
  const ended = caller.mechanism === "session" ? await endCurrentSession(ctx) : null;
  clearSessionCookies(ctx);
  ctx.sessionOverride = { caller: null };
  await recordAudit(ctx, { event: "logout", outcome: "success", user: caller.user, details: { session: ended, reason: "TWO_FACTOR_PERMISSION_DENIED" } });
  await rt.events.emit("user_unauthenticated", { user: caller.user });
  return permissionDenied(ctx);
}
