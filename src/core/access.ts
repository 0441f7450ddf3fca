import type { RequestContext } from "./context.js";
import type { Mechanism } from "./identity.js";
import { htmlResponse, plainErrorJson, redirectResponse } from "./http/respond.js";
import { layout, html } from "../pages/kit.js";

/**
 * The three refusals every protected resource can give, shared by Rampart's own routes and the guards:
 * unauthenticated (401 / redirect to login), unauthorized (403 / UNAUTHORIZED_VIEW) and reauthentication
 * required (401 with reauth_required / redirect to verify).
 */

/** The original URL made relative, for `next` (never an absolute URL). */
function relativeOriginal(ctx: RequestContext): string {
  return ctx.url.pathname + ctx.url.search;
}

export function unauthenticated(ctx: RequestContext, mechanisms: readonly Mechanism[]): Response {
  const { config } = ctx.rt;
  const basic = mechanisms.includes("basic");
  const headers: Record<string, string> = basic ? { "www-authenticate": `Basic realm="${config.httpAuthRealm.replace(/["\\]/g, "")}"` } : {};
  if (ctx.wantsJson || (basic && mechanisms.length === 1)) {
    return plainErrorJson(ctx, 401, [{ code: "UNAUTHENTICATED" }], {}, headers);
  }
  const login = ctx.rt.url(config.urls.login) + "?next=" + encodeURIComponent(relativeOriginal(ctx));
  return redirectResponse(ctx, login);
}

export function unauthorized(ctx: RequestContext): Response {
  const view = ctx.rt.config.urls.unauthorizedView;
  if (ctx.wantsJson) return plainErrorJson(ctx, 403, [{ code: "UNAUTHORIZED" }]);
  if (view) return redirectResponse(ctx, view);
  const body = layout("Forbidden", html`<p>${ctx.rt.message("UNAUTHORIZED")}</p>`, { appName: ctx.rt.config.appName });
  return htmlResponse(ctx, 403, body);
}

export function reauthRequired(ctx: RequestContext): Response {
  const unified = ctx.rt.services.unifiedSignin;
  if (ctx.wantsJson) {
    return plainErrorJson(ctx, 401, [{ code: "REAUTHENTICATION_REQUIRED" }], {
      reauth_required: true,
      unified_signin_enabled: unified !== undefined,
      has_webauthn_verify_credential: false,
      oauth_enabled: false,
      oauth_providers: [],
    });
  }
  const verify = ctx.rt.url(unified?.verifyUrl ?? ctx.rt.config.urls.verify) + "?next=" + encodeURIComponent(relativeOriginal(ctx));
  return redirectResponse(ctx, verify);
}
