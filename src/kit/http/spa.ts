import type { RequestContext } from "../../core/context.js";
import { redirect, type Redirect } from "../../core/outcome.js";

/**
 * REDIRECT_BEHAVIOR="spa": emailed-link endpoints answer with a redirect to a configured UI route carrying
 * the outcome as query parameters (`email`, `identity`, `success`/`error`/`info`, `token`). A path-only view is
 * placed on SECURITY_REDIRECT_HOST when set (a UI on another port in development).
 */
/** Where the browser goes (a path on the same origin, else the absolute URL). */
export function spaLocation(ctx: RequestContext, view: string, params: Record<string, string | undefined>): string {
  const host = ctx.rt.config.urls.redirectHost;
  let target: URL;
  if (/^https?:\/\//i.test(view)) target = new URL(view);
  else target = new URL(view, host ? `${ctx.url.protocol}//${host}` : ctx.url.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
  const sameOrigin = target.origin === ctx.url.origin;
  return sameOrigin ? target.pathname + target.search : target.toString();
}

/** The SPA redirect as an outcome. */
export function spaRedirectTo(ctx: RequestContext, view: string, params: Record<string, string | undefined>): Redirect {
  return redirect(spaLocation(ctx, view, params));
}

export function spaMode(ctx: RequestContext): boolean {
  return ctx.rt.config.urls.redirectBehavior === "spa";
}
