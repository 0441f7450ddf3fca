import type { RequestContext } from "../../core/context.js";

/**
 * Absolute URLs for emailed links. They use the configured public origin (RAMPART_BASE_URL), never the
 * request's Host or X-Forwarded-Host (host-header injection); only development falls back to the request.
 */
export function externalUrl(ctx: RequestContext, path: string, query?: Record<string, string>): string {
  const origin = ctx.rt.config.baseUrl ? new URL(ctx.rt.config.baseUrl).origin : ctx.url.origin;
  const url = new URL(ctx.rt.url(path), origin);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}
