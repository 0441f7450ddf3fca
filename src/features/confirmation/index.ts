import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { signInProvesMailbox } from "../../core/mailbox-proof.js";
import { confirmationSlice } from "./config.js";
import { getConfirmLinkRoute, getConfirmRoute, postConfirmLinkRoute, postConfirmRoute } from "./confirm.js";
import { confirmationInstructions } from "./emails.js";
import { confirmationLink } from "./links.js";

/**
 * Email confirmation (FS CONFIRMABLE): the resend form, the emailed link, the "confirmed" sign-in check, and
 * `services.confirmation` for registration (pending / link / within).
 */
export const confirmationFeature: Feature = {
  name: "confirmation",
  config: confirmationSlice,
  enabled: (config) => sliceOf(config, confirmationSlice).enabled,
  emails: { confirmation_instructions: confirmationInstructions },
  provides(rt) {
    const cfg = sliceOf(rt.config, confirmationSlice);
    return {
      confirmation: {
        pending: (user) => !cfg.loginWithoutConfirmation && user.confirmedAt === null,
        link: confirmationLink,
        within: humanizeSeconds(cfg.withinSeconds),
        withinSeconds: cfg.withinSeconds,
      },
    };
  },
  routes(rt) {
    const { url } = sliceOf(rt.config, confirmationSlice);
    return [
      getConfirmRoute(url),
      postConfirmRoute(url),
      getConfirmLinkRoute(`${url}/:token`),
      postConfirmLinkRoute(`${url}/:token`),
    ];
  },
  signInChecks(rt) {
    const cfg = sliceOf(rt.config, confirmationSlice);
    return [
      {
        name: "confirmed",
        async run(_ctx, attempt) {
          // An emailed sign-in code proves the mailbox itself (the pipeline confirms the account as it signs in).
          if (cfg.loginWithoutConfirmation || attempt.user.confirmedAt || signInProvesMailbox(attempt.authnVia))
            return { kind: "continue" };
          return { kind: "deny", code: "CONFIRMATION_REQUIRED", field: "email" };
        },
      },
    ];
  },
};

export { confirmationSlice } from "./config.js";
