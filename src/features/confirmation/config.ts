import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/**
 * Confirmation (FS CONFIRMABLE) settings, resolved at `config.confirmation`. Durations are seconds.
 */
const view = z.string().min(1).nullable().default(null);

export const confirmationSlice = defineSlice({
  key: "confirmation",
  schema: z.strictObject({
    enabled: key(z.boolean().default(false), {
      env: "SECURITY_CONFIRMABLE",
      doc: "Users must confirm their email address (emailed link) before they can sign in (FS CONFIRMABLE).",
    }),
    url: key(z.string().startsWith("/").default("/confirm"), {
      env: "SECURITY_CONFIRM_URL",
      doc: "Resend-instructions endpoint and page; links are <url>/<token>.",
    }),
    withinSeconds: key(
      z
        .number()
        .int()
        .positive()
        .default(2 * 24 * 60 * 60),
      {
        env: "SECURITY_CONFIRM_EMAIL_WITHIN",
        doc: "How long a confirmation link stays valid (FS CONFIRM_EMAIL_WITHIN; default 2 days).",
      },
    ),
    loginWithoutConfirmation: key(z.boolean().default(false), {
      env: "SECURITY_LOGIN_WITHOUT_CONFIRMATION",
      doc: "Unconfirmed users may sign in anyway (registration then signs them in).",
    }),
    autoLoginAfterConfirm: key(z.boolean().default(false), {
      env: "SECURITY_AUTO_LOGIN_AFTER_CONFIRM",
      doc: "Following a valid confirmation link also signs the user in (through every sign-in check). Off by default (OWASP). Unless urls.signInLinksOnGet, the link's GET then answers a page whose button POSTs it (a GET signs nobody in).",
    }),
    postConfirmView: key(view, {
      env: "SECURITY_POST_CONFIRM_VIEW",
      doc: "Where a confirmation link leads on success (default: the login page, or postLoginView with auto-login); the SPA route in spa mode.",
    }),
    confirmErrorView: key(view, {
      env: "SECURITY_CONFIRM_ERROR_VIEW",
      doc: "Where a bad, expired or already-used confirmation link leads (default: the resend page); the SPA route in spa mode.",
    }),
    linkView: key(view, {
      env: "RAMPART_CONFIRM_LINK_VIEW",
      doc: "SPA route an opened confirmation link redirects to with `token` when autoLoginAfterConfirm is on (SPA mode, unless urls.signInLinksOnGet); the SPA completes it with POST <url>/<token>. null: the server's own page with a button.",
    }),
    emailSubject: key(z.string().min(1).default("Please confirm your email"), {
      env: "SECURITY_EMAIL_SUBJECT_CONFIRM",
      doc: "Subject of the confirmation_instructions mail.",
    }),
  }),
  validate(value, config): ConfigIssue[] {
    if (!value.enabled || config.development === true || config.baseUrl) return [];
    return [
      { key: "baseUrl", message: "RAMPART_BASE_URL is required: emailed links must not be built from the Host header" },
    ];
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    confirmation: typeof confirmationSlice;
  }
}
