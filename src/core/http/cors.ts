import type { RequestContext } from "../context.js";
import { csrfHeaderNames } from "../csrf.js";

/**
 * CORS for single-page apps served from another origin, by an exact allow-list (CORS_ALLOWED_ORIGINS): an
 * allowed Origin is echoed as it came, with credentials when configured; any other origin ("null" included)
 * gets no Access-Control-Allow-Origin, so the browser keeps the answer from its script. With a list configured
 * every answer says `Vary: Origin`, so a cache never hands one origin's answer to another.
 */
export function corsHeaders(ctx: RequestContext): Record<string, string> {
  const { allowedOrigins, allowCredentials } = ctx.rt.config.cors;
  if (!allowedOrigins.length) return {};
  // "*" is accepted by the config only without credentials.
  if (allowedOrigins.includes("*")) return { "access-control-allow-origin": "*" };
  const origin = ctx.request.headers.get("origin");
  if (origin === null || !allowedOrigins.includes(origin)) return { vary: "Origin" };
  return {
    vary: "Origin",
    "access-control-allow-origin": origin,
    ...(allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
  };
}

/** Whether the request comes from an origin on the allow-list (it then passes the cross-site Origin check). */
export function corsAllowedOrigin(ctx: RequestContext, origin: string): boolean {
  return origin !== "null" && ctx.rt.config.cors.allowedOrigins.includes(origin);
}

/**
 * The answer to a preflight (OPTIONS with Access-Control-Request-Method) for a path serving `methods`: the
 * grant for an allowed origin, only `Vary: Origin` for any other.
 */
export function preflightHeaders(ctx: RequestContext, methods: string[]): Record<string, string> {
  const base = corsHeaders(ctx);
  if (!base["access-control-allow-origin"]) return base;
  const { config } = ctx.rt;
  return {
    ...base,
    "access-control-allow-methods": methods.join(", "),
    "access-control-allow-headers": [
      "content-type",
      "accept",
      config.token.header.toLowerCase(),
      ...csrfHeaderNames(config),
    ].join(", "),
    "access-control-max-age": String(config.cors.maxAgeSeconds),
  };
}
