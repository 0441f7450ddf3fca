import type { RequestContext } from "./context.js";

/**
 * What can make a route answer 429 with Retry-After, declared on the route (`limits`) and read by both the
 * runner and /openapi.json, so the document cannot miss a route a limit can refuse:
 * - "credential": it checks a password, code or passcode (verifyCredential: the per-source limits, the
 *   account's lockout);
 * - "send": it mails or texts someone, itself or by signing someone in whose second factor sends a code
 *   (admitSend: per source, destination and account).
 * HTTP Basic checks a password on any route that allows it; the document adds 429 there from the mechanisms.
 */
export type RouteLimit = "credential" | "send";

/** The route whose handler is running, and the limits it declared (set by the runner once the caller is known). */
export interface RunningRoute {
  name: string;
  limits: readonly RouteLimit[];
}

/**
 * Called where a limit is drawn. Inside a route's handler, a limit the route did not declare is a programming
 * error (its 429 would be missing from the API document): it throws, so the route's tests fail loudly. Outside a
 * handler (authenticating a request, an app's guard, the server API) there is nothing to check.
 */
export function assertRouteLimit(ctx: RequestContext, limit: RouteLimit): void {
  const route = ctx.runningRoute;
  if (route && !route.limits.includes(limit))
    throw new TypeError(`route ${route.name} draws a "${limit}" limit: declare limits: ["${limit}"] on it`);
}
