import type { Rampart } from "../create-rampart.js";
import type { Requirement } from "../core/authz.js";
import { baselineHeaders } from "../core/http/respond.js";

/**
 * The standalone server's app: Rampart's endpoints plus two demo protected routes,
 * GET /api/protected (any authenticated caller) and GET /api/admin (role "admin"), and a small home page.
 */
export function demoApp(rampart: Rampart): (request: Request) => Promise<Response> {
  const { guards } = rampart;
  const protectedRoutes: Record<string, Requirement> = {
    "/api/protected": guards.loginRequired(),
    "/api/admin": guards.rolesRequired("admin"),
  };
  return async (request) => {
    const pathname = pathOf(request.url);
    const requirement = protectedRoutes[pathname];
    if (requirement && request.method === "GET") {
      const outcome = await guards.check(request, requirement);
      if (!outcome.ok) return outcome.response;
      // A plain header record (no Headers object) keeps @hono/node-server on its fast response path.
      const base = { "content-type": "application/json", ...outcome.headers };
      const headers: HeadersInit = outcome.setCookies.length
        ? [...Object.entries(base), ...outcome.setCookies.map((c): [string, string] => ["set-cookie", c])]
        : base;
      const body = {
        meta: { code: 200 },
        response: { message: `Hello ${outcome.user.email}`, via: outcome.mechanism, roles: outcome.roles },
      };
      return new Response(JSON.stringify(body), { status: 200, headers });
    }
    if (pathname === "/" && request.method === "GET") return homePage(rampart, isHttps(rampart, request));
    return rampart.fetch(request);
  };
}

/** The path of an absolute request URL, without building a URL object on the hot path. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}

/** Served over https: the configured public URL says so, or else the request's own. */
function isHttps(rampart: Rampart, request: Request): boolean {
  return (rampart.config.baseUrl ?? request.url).startsWith("https:");
}

function homePage(rampart: Rampart, https: boolean): Response {
  const p = rampart.config.urlPrefix;
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${rampart.config.appName.replace(/[<>&"]/g, "")}</title></head>
<body><h1>Rampart</h1><ul><li><a href="${p}/login">Sign in</a></li><li><a href="${p}/sessions">Your sessions</a></li>
<li><a href="/api/protected">/api/protected</a> (any signed-in user)</li><li><a href="/api/admin">/api/admin</a> (role admin)</li>
<li><a href="${p}/logout">Sign out</a></li></ul></body></html>`;
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      ...baselineHeaders(https),
      "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      "x-frame-options": "DENY",
      "cross-origin-opener-policy": "same-origin",
    },
  });
}
