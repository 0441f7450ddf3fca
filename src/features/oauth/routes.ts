import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";

/**
 * Every route of the feature, by flow. Each flow's file exports its routes; this list is the one place they are
 * gathered (sign-in start and callback; re-authentication; linked accounts).
 */
export function oauthRoutes(_rt: Runtime): RouteDef[] {
  return [];
}
