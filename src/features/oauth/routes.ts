import { sliceOf } from "../../core/config/slice.js";
import type { RouteDef } from "../../core/routes.js";
import type { Runtime } from "../../core/runtime.js";
import { oauthSlice } from "./config.js";
import { oauthResponseRoute } from "./signin-callback.js";
import { oauthProvidersRoute, oauthStartRoute } from "./start.js";

/**
 * Every route of the feature, by flow. Each flow's file exports its routes; this list is the one place they are
 * gathered (sign-in start and callback; re-authentication; linked accounts).
 */
export function oauthRoutes(rt: Runtime): RouteDef[] {
  const cfg = sliceOf(rt.config, oauthSlice);
  return [oauthProvidersRoute(cfg.startUrl), oauthStartRoute(cfg.startUrl), oauthResponseRoute(cfg.responseUrl)];
}
