import { sliceOf } from "../../core/config/slice.js";
import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";
import { getAccountsRoute } from "./accounts.js";
import { oauthSlice } from "./config.js";
import { postLinkRoute } from "./link.js";
import { oauthResponseRoute } from "./signin-callback.js";
import { oauthProvidersRoute, oauthStartRoute } from "./start.js";
import { postUnlinkRoute } from "./unlink.js";
import { getVerifyResponseRoute, postVerifyStartRoute } from "./verify.js";

/**
 * Every route of the feature, by flow. Each flow's file exports its routes; this list is the one place they are
 * gathered (sign-in start and callback; re-authentication; linked accounts).
 */
export function oauthRoutes(rt: Runtime): RouteDef[] {
  const cfg = sliceOf(rt.config, oauthSlice);
  return [
    oauthProvidersRoute(cfg.startUrl),
    oauthStartRoute(cfg.startUrl),
    oauthResponseRoute(cfg.responseUrl),
    // Re-authentication exists only while freshness does (SECURITY_FRESHNESS >= 0), as FS.
    ...(rt.config.freshness.withinSeconds >= 0
      ? [postVerifyStartRoute(cfg.verifyStartUrl), getVerifyResponseRoute(cfg.verifyResponseUrl)]
      : []),
    getAccountsRoute(cfg.accountsUrl),
    postLinkRoute(cfg.accountsUrl),
    postUnlinkRoute(cfg.accountsUrl),
  ];
}
