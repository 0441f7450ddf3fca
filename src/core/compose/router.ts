import { Hono } from "hono";
import { RequestContext } from "../context.js";
import type { Feature } from "../feature.js";
import { emptyResponse, jsonResponse, textResponse } from "../http/respond.js";
import { preflightHeaders } from "../http/cors.js";
import { openApiFeature } from "../openapi.js";
import { renderError } from "../render.js";
import { runRoute, type RouteDef } from "../routes.js";
import type { Runtime } from "../runtime.js";

/**
 * The router over the enabled features' routes (and /openapi.json): each method and path served once (a route
 * marked `replaces` wins), ids unique, the contract's 404 and 405, and CORS preflights with an allow-list.
 */
export function mountRoutes(
  rt: Runtime,
  features: readonly Feature[],
): { fetch(request: Request): Promise<Response>; handles(method: string, pathname: string): boolean } {
  const { config } = rt;
  const app = new Hono();
  const patterns: { method: string; regex: RegExp }[] = [];
  const seen = new Set<string>();
  const ids = new Set<string>();
  const mounted: RouteDef[] = [];
  const declared = [...features, openApiFeature(() => mounted)].flatMap((feature) =>
    (feature.routes?.(rt) ?? []).map((route) => ({ feature, route, key: `${route.method} ${rt.url(route.path)}` })),
  );
  // A route marked `replaces` wins over other features' routes with the same method and path.
  const replaced = new Set(declared.filter((d) => d.route.replaces).map((d) => d.key));
  for (const { feature, route, key } of declared) {
    if (replaced.has(key) && !route.replaces) continue;
    const full = rt.url(route.path);
    if (seen.has(key)) throw new TypeError(`route ${key} declared twice (feature ${feature.name})`);
    seen.add(key);
    // The id is the operationId of /openapi.json: an app's feature must not reuse one.
    const id = (route as { id?: string }).id;
    if (id !== undefined && ids.has(id))
      throw new TypeError(`route id "${id}" declared twice (feature ${feature.name})`);
    if (id !== undefined) ids.add(id);
    mounted.push(route);
    patterns.push({
      method: route.method,
      regex: new RegExp("^" + full.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+") + "$"),
    });
    app.on(route.method, full, (c) =>
      runRoute(new RequestContext(rt, c.req.raw), route as RouteDef, c.req.param() as Record<string, string>),
    );
  }
  // Whatever escapes a route still gets the contract's error shape and the baseline headers.
  app.onError((error, c) => renderError(new RequestContext(rt, c.req.raw), error));
  app.notFound((c) => {
    const ctx = new RequestContext(rt, c.req.raw);
    return ctx.wantsJson
      ? jsonResponse(ctx, 404, { errors: ["Not found"], error_codes: ["NOT_FOUND"] })
      : textResponse(ctx, 404, "Not found");
  });
  const methodsOf = (pathname: string) => [
    ...new Set(patterns.filter((p) => p.regex.test(pathname)).map((p) => p.method)),
  ];
  // With a CORS allow-list, browsers preflight cross-origin calls: Rampart answers OPTIONS on its own paths.
  const preflights = config.cors.allowedOrigins.length > 0;
  const handles = (method: string, pathname: string) =>
    patterns.some(
      (p) =>
        (p.method === method || (method === "HEAD" && p.method === "GET") || (method === "OPTIONS" && preflights)) &&
        p.regex.test(pathname),
    );
  app.on(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"], "*", (c) => {
    const methods = methodsOf(new URL(c.req.url).pathname);
    if (!methods.length) return c.notFound();
    const ctx = new RequestContext(rt, c.req.raw);
    const allow = [...methods, ...(preflights ? ["OPTIONS"] : [])].join(", ");
    if (c.req.method === "OPTIONS" && preflights)
      return emptyResponse(ctx, 204, { allow, ...preflightHeaders(ctx, methods) });
    return jsonResponse(ctx, 405, { errors: ["Method not allowed"], error_codes: ["METHOD_NOT_ALLOWED"] }, { allow });
  });
  return { fetch: (request) => Promise.resolve(app.fetch(request)), handles };
}
