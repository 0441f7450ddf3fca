import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";
import { getSignupRoute, postSignupRoute } from "./signup.js";
import { postSignupFinishRoute } from "./signup-finish.js";

/**
 * Every route of the feature, by ceremony. Each ceremony's file exports its routes; this list is the one place
 * they are gathered (registration, sign-in, verify, delete, pages' script).
 */
export function passkeyRoutes(rt: Runtime): RouteDef[] {
  const cfg = wanConfig(rt);
  return [
    ...(cfg.signup
      ? [getSignupRoute(cfg.signupUrl), postSignupRoute(cfg.signupUrl), postSignupFinishRoute(cfg.signupUrl)]
      : []),
  ];
}
