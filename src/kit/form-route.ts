import { defineRoute } from "../core/define-route.js";
import type { RouteAuth } from "../core/enforce.js";
import { ok } from "../core/outcome.js";
import type { PageRenderer } from "../core/render.js";
import { formPayload } from "./schemas.js";

/**
 * The GET of a form that needs nothing but a CSRF token to be posted (forgot password, resend confirmation,
 * recover username): browsers get the page, API callers `{ csrf_token }`.
 */
export function formRoute(spec: {
  id: string;
  summary: string;
  path: string;
  auth: Extract<RouteAuth, "any" | "anonymous-only">;
  page: PageRenderer;
}) {
  return defineRoute({
    ...spec,
    method: "GET",
    output: formPayload,
    handle: async () => ok({}, { csrf: true }),
  });
}
