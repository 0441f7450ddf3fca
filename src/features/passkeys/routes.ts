import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";

/**
 * Every route of the feature, by ceremony. Each ceremony's file exports its routes; this list is the one place
 * they are gathered (registration, sign-in, verify, delete, pages' script).
 */
export function passkeyRoutes(_rt: Runtime): RouteDef[] {
  return [];
}
