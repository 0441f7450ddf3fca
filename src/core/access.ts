import type { RequestContext } from "./context.js";
import * as refusals from "./enforce.js";
import type { Mechanism } from "./identity.js";
import { render } from "./render.js";

/**
 * The three refusals every protected resource can give, rendered: unauthenticated (401 / the login page),
 * unauthorized (403 / UNAUTHORIZED_VIEW) and reauthentication required (401 with reauth_required / the verify
 * page). The decisions live in enforce.ts; these are for handlers that still build Responses.
 */
export function unauthenticated(ctx: RequestContext, mechanisms: readonly Mechanism[]): Promise<Response> {
  return render(ctx, refusals.unauthenticated(ctx, mechanisms));
}

export function unauthorized(ctx: RequestContext): Promise<Response> {
  return render(ctx, refusals.unauthorized(ctx));
}

export function reauthRequired(ctx: RequestContext): Promise<Response> {
  return render(ctx, refusals.reauthRequired(ctx));
}
