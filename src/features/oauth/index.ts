import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { oauthOn, oauthSlice } from "./config.js";
import { oauthEmails } from "./emails.js";
import { oauthMessages } from "./messages.js";
import { oauthMigrations } from "./migrations/index.js";
import { oauthRoutes } from "./routes.js";
import { oauthService } from "./service.js";
import { reauthByProvider } from "./reauth-choice.js";
import { oauthPageExtras } from "./buttons.js";

/**
 * Social and enterprise sign-in (FS OAUTH_*): sign in with Google, GitHub or any OpenID Connect provider at
 * /login/oauthstart/<name> → the provider → /login/oauthresponse/<name>, through the one sign-in pipeline;
 * re-authenticate the same way (/login/oauth-verify-start/<name>); list, link and unlink identities at
 * /oauth-accounts. Identities are linked by the provider's subject, never looked up by email.
 */
export const oauthFeature: Feature = {
  name: "oauth",
  config: oauthSlice,
  enabled: (config) => oauthOn(sliceOf(config, oauthSlice)),
  messages: oauthMessages,
  emails: oauthEmails,
  migrations: oauthMigrations,
  provides(rt) {
    return { oauth: oauthService(rt), reauthChoices: [reauthByProvider(rt)], pageExtras: oauthPageExtras(rt) };
  },
  routes: (rt) => oauthRoutes(rt),
};

export { oauthSlice, type OauthConfig } from "./config.js";
