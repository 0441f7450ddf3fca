import type { RequestContext } from "./context.js";
import { crossSiteRefused, csrfRequired, isUnsafeMethod, verifyCsrf } from "./csrf.js";
import { authenticate, isFresh, type Caller, type Mechanism } from "./identity.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, redirectResponse } from "./http/respond.js";
import { reauthRequired, unauthenticated } from "./access.js";
import { DependencyUnavailableError, RefusalError, HashQueueFullError } from "./errors.js";
import { FieldLengthError } from "./input.js";
import { layout, html } from "../pages/kit.js";

/**
 * How a feature declares an endpoint. The runner enforces the declaration before the handler runs:
 * authentication and freshness, anonymous-only, the cross-site check and CSRF on unsafe methods.
 */
export type RouteAuth = "any" | "anonymous-only" | "authenticated" | "fresh";

export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below config.urlPrefix, e.g. "/login" or "/sessions/:id". */
  path: string;
  auth: RouteAuth;
  /** Mechanisms that authenticate the caller; default config.apiEnabledMethods. */
  mechanisms?: Mechanism[];
  /** This route takes the place of another feature's route with the same method and path (e.g. US_SIGNIN_REPLACES_LOGIN). */
  replaces?: boolean;
  /** Skip CSRF (only for endpoints that change nothing a third party could abuse). */
  csrfExempt?: boolean;
  handler(ctx: RequestContext, caller: Caller | null, params: Record<string, string>): Promise<Response>;
}

export async function runRoute(ctx: RequestContext, route: RouteDef, params: Record<string, string>): Promise<Response> {
  try {
    return await enforceAndRun(ctx, route, params);
  } catch (error) {
    return errorResponse(ctx, error);
  }
}

async function enforceAndRun(ctx: RequestContext, route: RouteDef, params: Record<string, string>): Promise<Response> {
  const { config } = ctx.rt;
  const mechanisms = route.mechanisms ?? config.apiEnabledMethods;
  const caller = await authenticate(ctx, mechanisms);
  if ((route.auth === "authenticated" || route.auth === "fresh") && !caller) return unauthenticated(ctx, mechanisms);
  if (route.auth === "fresh" && caller && !(await isFresh(ctx, caller))) return reauthRequired(ctx);
  if (route.auth === "anonymous-only" && caller && isUnsafeMethod(ctx.request.method)) {
    if (ctx.wantsJson) return plainErrorJson(ctx, 400, [{ code: "ANONYMOUS_USER_REQUIRED" }]);
    return redirectResponse(ctx, config.urls.postLoginView);
  }
  if (isUnsafeMethod(ctx.request.method) && !route.csrfExempt) {
    if (crossSiteRefused(ctx, caller)) return plainOrPage(ctx, 403, "CSRF_ORIGIN");
    const unauthEndpoint = route.auth === "any" || route.auth === "anonymous-only";
    if (csrfRequired(ctx, caller, unauthEndpoint)) {
      const failure = await verifyCsrf(ctx);
      if (failure) {
        if (ctx.wantsJson) {
          const text = ctx.rt.message(failure);
          return jsonResponse(ctx, 400, { errors: [text], field_errors: { csrf_token: [text] }, error_codes: [failure] });
        }
        return plainOrPage(ctx, 400, failure, ctx.url.pathname);
      }
    }
  }
  return route.handler(ctx, caller, params);
}

function plainOrPage(ctx: RequestContext, status: number, code: Parameters<RequestContext["rt"]["message"]>[0], back?: string): Response {
  if (ctx.wantsJson) return plainErrorJson(ctx, status, [{ code }]);
  const body = layout("Request refused", html`<p class="flash error">${ctx.rt.message(code)}</p>${back ? html`<p><a href="${back}">Back</a></p>` : ""}`, { appName: ctx.rt.config.appName });
  return htmlResponse(ctx, status, body);
}

/** Maps thrown errors to responses: RefusalError → its status; a full hash queue or a failing dependency → 503; else 500, no details. */
export function errorResponse(ctx: RequestContext, error: unknown): Response {
  if (error instanceof FieldLengthError && ctx.wantsJson) return formErrorJson(ctx, error.fieldErrors, error.status);
  if (error instanceof RefusalError) {
    return plainOrPage(ctx, error.status, error.code);
  }
  if (error instanceof HashQueueFullError) {
    const res = plainOrPage(ctx, 503, "SERVICE_BUSY");
    res.headers.set("retry-after", "1");
    return res;
  }
  if (error instanceof DependencyUnavailableError) {
    ctx.rt.logger.warn(`${ctx.request.method} ${ctx.url.pathname}: ${error.message}`);
    const res = plainOrPage(ctx, 503, "SERVICE_BUSY");
    res.headers.set("retry-after", "5");
    return res;
  }
  ctx.rt.logger.error(`unhandled error on ${ctx.request.method} ${ctx.url.pathname}`, error);
  if (ctx.wantsJson) return jsonResponse(ctx, 500, { errors: ["Internal error"], error_codes: ["INTERNAL_ERROR"] });
  return htmlResponse(ctx, 500, layout("Something went wrong", html`<p>Please try again later.</p>`));
}
