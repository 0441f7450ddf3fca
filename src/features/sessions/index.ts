import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { getSessions, postRevoke } from "./sessions.js";

/** Server-side session listing and revocation for the caller. */
export const sessionsFeature: Feature = {
  name: "sessions",
  routes(rt) {
    const { urls } = rt.config;
    return [
      { method: "GET", path: urls.sessions, auth: "authenticated", handler: getSessions },
      { method: "POST", path: urls.revokeSessions, auth: "authenticated", handler: postRevoke },
    ];
  },
};
