import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { sliceOf } from "../../core/config/slice.js";
import { getChangeEmailRoute, postChangeEmailRoute } from "./change-email.js";
import { changeEmailConfirmRoute } from "./confirm.js";
import { changeEmailSlice } from "./config.js";
import { changeEmailInstructions, changeEmailNotice } from "./emails.js";

/**
 * Change email (FS CHANGE_EMAIL): GET/POST /change-email (fresh authentication) mails a confirmation link to
 * the new address; GET /change-email/<token> (anyone holding the link) makes the change.
 */
export const changeEmailFeature: Feature = {
  name: "change-email",
  config: changeEmailSlice,
  enabled: (config) => sliceOf(config, changeEmailSlice).enable,
  emails: { change_email_instructions: changeEmailInstructions, change_email_notice: changeEmailNotice },
  routes(rt) {
    const { url } = sliceOf(rt.config, changeEmailSlice);
    return [getChangeEmailRoute(url), postChangeEmailRoute(url), changeEmailConfirmRoute(`${url}/:token`)];
  },
};

export { changeEmailSlice, type ChangeEmailConfig } from "./config.js";
