import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/**
 * Confirmation (FS CONFIRMABLE) settings, resolved at `config.confirmation`. Durations are seconds.
 */
const view = z.string().min(1).nullable().default(null);

export const confirmationSlice = defineSlice({
  key: "confirmation",
  schema: z.object({
    enabled: z.boolean().default(false),
    url: z.string().startsWith("/").default("/confirm"),
    withinSeconds: z.number().int().positive().default(2 * 24 * 60 * 60),
    loginWithoutConfirmation: z.boolean().default(false),
    autoLoginAfterConfirm: z.boolean().default(false),
    postConfirmView: view,
    confirmErrorView: view,
    linkView: view,
    emailSubject: z.string().min(1).default("Please confirm your email"),
  }),
  env: {
    SECURITY_CONFIRMABLE: ["enabled", "bool"],
    SECURITY_CONFIRM_URL: ["url", "string"],
    SECURITY_CONFIRM_EMAIL_WITHIN: ["withinSeconds", "int"],
    SECURITY_LOGIN_WITHOUT_CONFIRMATION: ["loginWithoutConfirmation", "bool"],
    SECURITY_AUTO_LOGIN_AFTER_CONFIRM: ["autoLoginAfterConfirm", "bool"],
    SECURITY_POST_CONFIRM_VIEW: ["postConfirmView", "nullable-string"],
    SECURITY_CONFIRM_ERROR_VIEW: ["confirmErrorView", "nullable-string"],
    RAMPART_CONFIRM_LINK_VIEW: ["linkView", "nullable-string"],
    SECURITY_EMAIL_SUBJECT_CONFIRM: ["emailSubject", "string"],
  },
  meanings: {
    enabled: "Users must confirm their email address (emailed link) before they can sign in (FS CONFIRMABLE).",
    url: "Resend-instructions endpoint and page; links are <url>/<token>.",
    withinSeconds: "How long a confirmation link stays valid (FS CONFIRM_EMAIL_WITHIN; default 2 days).",
    loginWithoutConfirmation: "Unconfirmed users may sign in anyway (registration then signs them in).",
    autoLoginAfterConfirm: "Following a valid confirmation link also signs the user in (through every sign-in check). Off by default (OWASP). Unless urls.signInLinksOnGet, the link's GET then answers a page whose button POSTs it (a GET signs nobody in).",
    postConfirmView: "Where a confirmation link leads on success (default: the login page, or postLoginView with auto-login); the SPA route in spa mode.",
    confirmErrorView: "Where a bad, expired or already-used confirmation link leads (default: the resend page); the SPA route in spa mode.",
    linkView: "SPA route an opened confirmation link redirects to with `token` when autoLoginAfterConfirm is on (SPA mode, unless urls.signInLinksOnGet); the SPA completes it with POST <url>/<token>. null: the server's own page with a button.",
    emailSubject: "Subject of the confirmation_instructions mail.",
  },
  validate(value, config): ConfigIssue[] {
    if (!value.enabled || config.development === true || config.baseUrl) return [];
    return [{ key: "baseUrl", message: "RAMPART_BASE_URL is required: emailed links must not be built from the Host header" }];
  },
});
