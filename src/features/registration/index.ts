import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { registrationSlice } from "./config.js";
import { welcome, welcomeExisting, welcomeExistingUsername } from "./emails.js";
import { tellTaken } from "./existing.js";
import { announceRegistered, getRegisterRoute, postRegisterRoute } from "./register.js";

/**
 * Self-service registration (FS REGISTERABLE): GET/POST /register and the welcome mails; `services.registration`
 * lets another way of creating accounts (passkey-first sign-up) announce them as /register does.
 */
export const registrationFeature: Feature = {
  name: "registration",
  config: registrationSlice,
  enabled: (config) => sliceOf(config, registrationSlice).enabled,
  emails: { welcome, welcome_existing: welcomeExisting, welcome_existing_username: welcomeExistingUsername },
  provides: () => ({ registration: { registered: announceRegistered, taken: tellTaken } }),
  routes(rt) {
    const { url } = sliceOf(rt.config, registrationSlice);
    return [getRegisterRoute(url), postRegisterRoute(url, rt)];
  },
};

export { registrationSlice } from "./config.js";
