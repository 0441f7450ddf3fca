import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import type { RouteDef } from "../../core/routes.js";
import { getChangeUsernameRoute, postChangeUsernameRoute } from "./change-username.js";
import { usernameFeaturesSlice } from "./config.js";
import { changeUsernameNotice, usernameRecovery } from "./emails.js";
import { getRecoverUsernameRoute, postRecoverUsernameRoute } from "./recover-username.js";

/**
 * Username self-service: CHANGE_USERNAME (GET/POST /change-username, fresh authentication) and
 * USERNAME_RECOVERY (GET/POST /recover-username, anonymous only). Both need usernames (USERNAME_ENABLE).
 */
export const usernameFeature: Feature = {
  name: "username",
  config: usernameFeaturesSlice,
  enabled(config) {
    const cfg = sliceOf(config, usernameFeaturesSlice);
    return config.username.enable && (cfg.changeUsername || cfg.recovery);
  },
  emails: { change_username_notice: changeUsernameNotice, username_recovery: usernameRecovery },
  routes(rt) {
    const cfg = sliceOf(rt.config, usernameFeaturesSlice);
    const routes: RouteDef[] = [];
    if (cfg.changeUsername) {
      routes.push(getChangeUsernameRoute(cfg.changeUsernameUrl), postChangeUsernameRoute(cfg.changeUsernameUrl));
    }
    if (cfg.recovery) {
      routes.push(getRecoverUsernameRoute(cfg.recoveryUrl), postRecoverUsernameRoute(cfg.recoveryUrl));
    }
    return routes;
  },
};

export { usernameFeaturesSlice, type UsernameFeaturesConfig } from "./config.js";
