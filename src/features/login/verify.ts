import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { readInput, text } from "../../core/input.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import { verifyPage } from "./pages.js";
import { userPayload } from "../../core/http/user-payload.js";

/**
 * GET/POST /verify: re-authentication ("freshness"). The caller proves their own password again; a session
 * gets a new identifier and a new authentication time, a token caller may ask for a new fresh token.
 */
const freshExtras = { has_webauthn_verify_credential: false, oauth_enabled: false, oauth_providers: [] as string[] };

export async function getVerify(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const user = caller!.user;
  if (ctx.wantsJson) {
    return jsonResponse(ctx, 200, { user: await ctx.rt.serializeUser(user), csrf_token: await issueCsrfToken(ctx), ...freshExtras });
  }
  const next = safeRedirect(ctx.url.searchParams.get("next"), ctx.appOrigin(), ctx.rt.config);
  return htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken: await issueCsrfToken(ctx), next }));
}

export async function postVerify(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const input = await readInput(ctx, { password: text(), next: text() });
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const next = rawNext ? safeRedirect(rawNext, ctx.appOrigin(), rt.config) : null;
  const fail = async (errors: FieldErrors) =>
    ctx.wantsJson ? formErrorJson(ctx, errors) : htmlResponse(ctx, 200, verifyPage(ctx, { csrfToken: await issueCsrfToken(ctx), next, errors }));

  if (rawNext && !next) return fail({ next: [{ code: "INVALID_REDIRECT" }] });
  if (!input.password) return fail({ password: [{ code: "PASSWORD_NOT_PROVIDED" }] });
  const veto = await runBeforeHook(ctx, "verify", user);
  if (veto) return fail(vetoErrors(veto));
  const verdict = user.password ? await rt.hasher.verify(input.password, user.password) : (await rt.hasher.dummyVerify(input.password), { valid: false });
  if (!verdict.valid) {
    await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "verify", reason: "INVALID_PASSWORD" });
    await recordAudit(ctx, { event: "verify", outcome: "failure", user });
    return fail({ password: [{ code: "INVALID_PASSWORD" }] });
  }
  const authToken = await reauthenticate(ctx, caller!, ["password"]);
  await recordAudit(ctx, { event: "verify", outcome: "success", user });
  await runAfterHook(ctx, "verify", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, authToken));
  return redirectResponse(ctx, next ?? rt.config.urls.postVerifyView ?? rt.config.urls.postLoginView);
}
