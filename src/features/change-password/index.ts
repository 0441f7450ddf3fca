import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { getChangeRoute, postChangeRoute } from "./change.js";
import { changePasswordSlice } from "./config.js";
import { changeNotice } from "./emails.js";

export { changePasswordSlice, type ChangePasswordConfig } from "./config.js";

/**
 * Change password (FS CHANGEABLE, default off): GET/POST /change for a signed-in caller (session or token).
 * Freshness is demanded only of accounts without a password (FS behaviour), by the handler.
 */
export const changePasswordFeature: Feature = {
  name: "change-password",
  config: changePasswordSlice,
  enabled: (config) => sliceOf(config, changePasswordSlice).enabled,
  emails: { change_notice: changeNotice },
  routes(rt) {
    const { changeUrl } = sliceOf(rt.config, changePasswordSlice);
    return [getChangeRoute(changeUrl), postChangeRoute(changeUrl)];
  },
};
