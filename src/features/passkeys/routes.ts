import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";
import { getRegisterRoute, postRegisterResponseRoute, postRegisterRoute } from "./register.js";
import { getSigninRoute, postSigninRoute, postSigninStateRoute } from "./signin.js";

/**
 * Every route of the feature, by ceremony. Each ceremony's file exports its routes; this list is the one place
 * they are gathered (registration, sign-in, verify, delete, pages' script).
 */
export function passkeyRoutes(rt: Runtime): RouteDef[] {
  const cfg = wanConfig(rt);
  return [
    getRegisterRoute(cfg.registerUrl),
    postRegisterRoute(cfg.registerUrl),
    postRegisterResponseRoute(`${cfg.registerUrl}/:state`),
    getSigninRoute(cfg.signinUrl),
    postSigninRoute(cfg.signinUrl),
    postSigninStateRoute(`${cfg.signinUrl}/:state`),
  ];
}
