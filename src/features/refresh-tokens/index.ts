import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { sliceOf } from "../../core/config/slice.js";
import { refreshTokensSlice } from "./config.js";
import { refreshTokensMessages } from "./messages.js";
import { refreshTokensMigrations } from "./migrations/index.js";
import { refreshTokenRoute } from "./route.js";
import { tokenFamilies } from "./service.js";

/**
 * Refresh tokens (FS 5.9 REFRESH_TOKEN): every authenticating answer that issues an auth token starts a family
 * (core/tokens/issue.ts asks `services.tokenFamilies`); POST /refresh-token rotates it; an older generation
 * presented revokes the family; sign-out, a new password, deactivation, reset-access and "sign out everywhere"
 * revoke it; GET /sessions lists the live ones.
 */
export const refreshTokensFeature: Feature = {
  name: "refresh-tokens",
  config: refreshTokensSlice,
  messages: refreshTokensMessages,
  enabled: (config) => sliceOf(config, refreshTokensSlice).enabled,
  migrations: refreshTokensMigrations,
  provides: () => ({ tokenFamilies: tokenFamilies() }),
  routes(rt) {
    const s = sliceOf(rt.config, refreshTokensSlice);
    return [refreshTokenRoute(s.url, s.cookieName !== null)];
  },
};
