import type { RequestContext } from "./context.js";
import { enforce, type RouteAuth } from "./enforce.js";
import type { Caller, Mechanism } from "./identity.js";
import { render, renderError } from "./render.js";
import type { RouteLimit } from "./route-limits.js";

export type { RouteAuth } from "./enforce.js";

/**
 * An entry of the route table. Features declare theirs with `defineRoute` (define-route.ts), which adds the
 * input, output and page; the runner enforces the declaration before the handler runs: authentication and
 * freshness, anonymous-only, the cross-site check and CSRF on unsafe methods.
 */
export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below config.urlPrefix, e.g. "/login" or "/sessions/:id". */
  path: string;
  auth: RouteAuth;
  /** Mechanisms that authenticate the caller; default config.apiEnabledMethods. */
  mechanisms?: Mechanism[] | undefined;
  /** This route takes the place of another feature's route with the same method and path (e.g. US_SIGNIN_REPLACES_LOGIN). */
  replaces?: boolean | undefined;
  /** Skip CSRF (only for endpoints that change nothing a third party could abuse). */
  csrfExempt?: boolean | undefined;
  /** The route only ends the caller's session: it works during a database outage (see session-cookies.ts). */
  signsOut?: boolean | undefined;
  /** The limits that can refuse it with 429 (route-limits.ts): declared, checked where drawn, documented. */
  limits?: readonly RouteLimit[] | undefined;
  handler(ctx: RequestContext, caller: Caller | null, params: Record<string, string>): Promise<Response>;
}

export async function runRoute(
  ctx: RequestContext,
  route: RouteDef,
  params: Record<string, string>,
): Promise<Response> {
  try {
    const mechanisms = route.mechanisms ?? ctx.rt.config.apiEnabledMethods;
    if (route.signsOut) ctx.outageAccess = "sign-out";
    const enforced = await enforce(ctx, { auth: route.auth, mechanisms, csrfExempt: route.csrfExempt });
    if (!enforced.ok) return await render(ctx, enforced.refusal);
    ctx.runningRoute = { name: `${route.method} ${route.path}`, limits: route.limits ?? [] };
    return await route.handler(ctx, enforced.caller, params);
  } catch (error) {
    return renderError(ctx, error);
  }
}
