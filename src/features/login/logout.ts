import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse } from "../../core/http/respond.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { clearSessionCookies, endCurrentSession } from "../../core/session-cookies.js";
import { logoutConfirmPage } from "./pages.js";

/**
 * POST /logout: deletes the server-side session and clears session, remember and CSRF cookies.
 * Auth tokens are stateless and stay valid until they expire (as in Flask-Security).
 */
export async function postLogout(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const veto = await runBeforeHook(ctx, "logout", caller?.user ?? null);
  if (veto) return formErrorJson(ctx, vetoErrors(veto));
  const ended = await endCurrentSession(ctx);
  clearSessionCookies(ctx);
  if (rt.config.csrf.cookieName) ctx.deleteCookie(rt.config.csrf.cookieName, { secure: rt.config.session.cookieSecure, sameSite: "Strict" });
  ctx.sessionOverride = { caller: null };
  if (caller) {
    await recordAudit(ctx, { event: "logout", outcome: "success", user: caller.user, details: { session: ended } });
    await rt.events.emit("user_unauthenticated", { user: caller.user });
    await runAfterHook(ctx, "logout", caller.user);
  }
  if (ctx.wantsJson) return jsonResponse(ctx, 200, {});
  const next = safeRedirect(ctx.url.searchParams.get("next"), ctx.appOrigin(), rt.config);
  return redirectResponse(ctx, next ?? rt.config.urls.postLogoutView);
}

/** GET /logout when GET is not a logout method but a page is wanted: a confirm form (never logs out on GET). */
export async function getLogoutConfirm(ctx: RequestContext): Promise<Response> {
  return htmlResponse(ctx, 200, logoutConfirmPage(ctx, await issueCsrfToken(ctx)));
}
