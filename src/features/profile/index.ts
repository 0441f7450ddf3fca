import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { profileSlice } from "./config.js";
import { getProfileRoute, putProfileRoute } from "./profile.js";

/**
 * Profile (Rampart addition): GET /profile (the caller's serialized user) and PUT /profile (the app-declared
 * updatable fields). Serves routes when the app declares user fields or PROFILE_ENABLE is set.
 */
export const profileFeature: Feature = {
  name: "profile",
  config: profileSlice,
  routes(rt) {
    const cfg = sliceOf(rt.config, profileSlice);
    if (!cfg.enable && Object.keys(rt.userFields).length === 0) return [];
    return [getProfileRoute(cfg.url), putProfileRoute(cfg.url)];
  },
};

export { profileSlice, type ProfileConfig } from "./config.js";
