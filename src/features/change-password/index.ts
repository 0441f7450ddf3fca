import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { getChange, postChange } from "./change.js";
import { changePasswordSlice } from "./config.js";
import { changeNotice } from "./emails.js";

export { changePasswordSlice, type ChangePasswordConfig } from "./config.js";

/**
 * Change password (FS CHANGEABLE, default off): GET/POST /change for a signed-in caller (session or token).
 * Freshness is demanded in the handler, only for accounts without a password (FS behaviour).
 */
export const changePasswordFeature: Feature = {
  name: "change-password",
  config: changePasswordSlice,
  enabled: (config) => sliceOf(config, changePasswordSlice).enabled,
  emails: { change_notice: changeNotice },
  routes(rt) {
    const { changeUrl } = sliceOf(rt.config, changePasswordSlice);
    return [
      { method: "GET", path: changeUrl, auth: "authenticated", handler: (ctx, caller) => getChange(ctx, caller) },
      { method: "POST", path: changeUrl, auth: "authenticated", handler: (ctx, caller) => postChange(ctx, caller) },
    ];
  },
};
