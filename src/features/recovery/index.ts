import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { DeclaredRoute } from "../../core/define-route.js";
import type { Feature } from "../../core/feature.js";
import { externalUrl } from "../../kit/http/links.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { recoverySlice } from "./config.js";
import { resetInstructions, resetNotice } from "./emails.js";
import { getForgotRoute, postForgotRoute } from "./forgot.js";
import { getResetRoute, postResetRoute } from "./reset.js";
import { resetLink } from "./token.js";

export { recoverySlice, type RecoveryConfig } from "./config.js";

/** Pages carrying a reset token in their URL must not leak it through the Referer header (every answer of the route). */
function noReferrer(route: DeclaredRoute): DeclaredRoute {
  return {
    ...route,
    async handler(ctx, caller, params) {
      const response = await route.handler(ctx, caller, params);
      response.headers.set("referrer-policy", "no-referrer");
      return response;
    },
  };
}

/**
 * Forgot / reset password (FS RECOVERABLE, default off): GET/POST /reset mails a single-use, expiring link;
 * GET/POST /reset/<token> sets the new password. Open to anonymous and signed-in callers alike (FS 5.7).
 * Offers `services.recovery` (a fresh link for a user, its lifetime, the forgot-password URL) to other features.
 */
export const recoveryFeature: Feature = {
  name: "recovery",
  config: recoverySlice,
  enabled: (config) => sliceOf(config, recoverySlice).enabled,
  emails: { reset_instructions: resetInstructions, reset_notice: resetNotice },
  provides(rt) {
    const cfg = sliceOf(rt.config, recoverySlice);
    return {
      recovery: {
        link: (ctx, user) => resetLink(ctx, cfg, user),
        within: humanizeSeconds(cfg.resetPasswordWithinSeconds),
        forgotUrl: (ctx) => externalUrl(ctx, cfg.resetUrl),
      },
    };
  },
  routes(rt) {
    const { resetUrl } = sliceOf(rt.config, recoverySlice);
    return [
      getForgotRoute(resetUrl),
      postForgotRoute(resetUrl),
      noReferrer(getResetRoute(`${resetUrl}/:token`)),
      noReferrer(postResetRoute(`${resetUrl}/:token`)),
    ];
  },
};
