import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { revokeSessionsRoute, sessionsRoute } from "./sessions.js";

/** Server-side session listing and revocation for the caller. */
export const sessionsFeature: Feature = {
  name: "sessions",
  routes(rt) {
    const { urls } = rt.config;
    return [sessionsRoute(urls.sessions), revokeSessionsRoute(urls.revokeSessions)];
  },
};
