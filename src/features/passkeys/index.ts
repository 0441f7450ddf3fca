import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { webauthnSlice } from "./config.js";
import { passkeysMessages } from "./messages.js";
import { passkeysMigrations } from "./migrations/index.js";
import { passkeyRoutes } from "./routes.js";
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
  emails: { wan_registered_notice: wanRegisteredNotice },
  migrations: passkeysMigrations,
  provides(rt) {
    return { passkeys: passkeysService(rt) };
  },
  routes: (rt) => passkeyRoutes(rt),
};

export { webauthnSlice, type WebauthnConfig } from "./config.js";
