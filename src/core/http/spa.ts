import type { RequestContext } from "../context.js";
import { redirectResponse } from "./respond.js";

/**
 * REDIRECT_BEHAVIOR="spa": emailed-link endpoints answer with a redirect to a configured UI route carrying
 * the outcome as query parameters (`email`, `identity`, `success`/`error`/`info`, `token`). A path-only view is
 * placed on SECURITY_REDIRECT_HOST when set (a UI on another port in development).
 */
export function spaRedirect(ctx: RequestContext, view: string, params: Record<string, string | undefined>): Response {
  return redirectResponse(ctx, spaLocation(ctx, view, params));
}

/** Where spaRedirect sends the browser (for handlers that return outcomes). */
export function spaLocation(ctx: RequestContext, view: string, params: Record<string, string | undefined>): string {
  const host = ctx.rt.config.urls.redirectHost;
  let target: URL;
  if (/^https?:\/\//i.test(view)) target = new URL(view);
  else target = new URL(view, host ? `${ctx.url.protocol}//${host}` : ctx.url.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
  const sameOrigin = target.origin === ctx.url.origin;
  return sameOrigin ? target.pathname + target.search : target.toString();
}

export function spaMode(ctx: RequestContext): boolean {
  return ctx.rt.config.urls.redirectBehavior === "spa";
}
