import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { wanConfig } from "./ceremony.js";
import { webauthnSlice } from "./config.js";
import { wanDeleted } from "./emails.js";
import { passkeysMessages } from "./messages.js";
import { passkeysMigrations } from "./migrations/index.js";
import { passkeyRoutes } from "./routes.js";
import { passkeySecondFactor } from "./second-factor.js";
import { passkeysService } from "./service.js";
import { wanRegisteredNotice } from "./register-emails.js";

/**
 * Passkeys (FS WEBAUTHN): WebAuthn credentials registered at /wan-register, used to sign in at /wan-signin (as
 * the first factor, or as the second factor of a pending sign-in), to re-authenticate at /wan-verify, deleted at
 * /wan-delete; and passkey-first sign-up. Every sign-in goes through the one pipeline.
 */
export const passkeysFeature: Feature = {
  name: "passkeys",
  config: webauthnSlice,
  enabled: (config) => sliceOf(config, webauthnSlice).enabled,
  messages: passkeysMessages,
  emails: { wan_registered_notice: wanRegisteredNotice, wan_deleted: wanDeleted },
  migrations: passkeysMigrations,
  provides(rt) {
    const passkeys = passkeysService(rt);
    const verifyUrl = rt.url(wanConfig(rt).verifyUrl);
    return {
      passkeys,
      secondFactors: [passkeySecondFactor(rt)],
      // Whether the user holds a passkey that may re-authenticate: in the reauth answers, a link on the verify pages.
      reauthChoices: [
        {
          async forUser(user) {
            const has = await passkeys.hasVerifyCredential(user);
            return {
              keys: { has_webauthn_verify_credential: has },
              link: has ? { href: verifyUrl, label: "Use a passkey instead" } : null,
            };
          },
        },
      ],
    };
  },
  routes: (rt) => passkeyRoutes(rt),
};

export { webauthnSlice, type WebauthnConfig } from "./config.js";
