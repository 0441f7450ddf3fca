import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";
import { getRegisterRoute, postRegisterResponseRoute, postRegisterRoute } from "./register.js";
import { getSigninRoute, postSigninRoute, postSigninStateRoute } from "./signin.js";
import { getWanDeleteRoute, postWanDeleteRoute } from "./delete.js";
import { getWanVerifyRoute, postWanVerifyResponseRoute, postWanVerifyRoute } from "./verify.js";
import { getSignupRoute, postSignupRoute } from "./signup.js";
import { postSignupFinishRoute } from "./signup-finish.js";

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
    // No passkey may re-authenticate (WAN_ALLOW_AS_VERIFY empty): no such route, as FS.
    ...(cfg.allowAsVerify.length
      ? [
          getWanVerifyRoute(cfg.verifyUrl),
          postWanVerifyRoute(cfg.verifyUrl),
          postWanVerifyResponseRoute(`${cfg.verifyUrl}/:state`),
        ]
      : []),
    getWanDeleteRoute(cfg.deleteUrl),
    postWanDeleteRoute(cfg.deleteUrl),
    ...(cfg.signup
      ? [getSignupRoute(cfg.signupUrl), postSignupRoute(cfg.signupUrl, rt), postSignupFinishRoute(cfg.signupUrl)]
      : []),
  ];
}
