import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/** Forgot / reset password settings (FS "Recoverable"), resolved at `config.recovery`. */
const path = z.string().startsWith("/");

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_RECOVERABLE",
    doc: "Forgot-password (/reset) and reset-link (/reset/<token>) endpoints (FS RECOVERABLE)",
  }),
  resetUrl: key(path.default("/reset"), {
    env: "SECURITY_RESET_URL",
    doc: "Path of the forgot-password form; reset links are <resetUrl>/<token>",
  }),
  /** How long an emailed reset link works. */
  resetPasswordWithinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(24 * 60 * 60),
    { env: "SECURITY_RESET_PASSWORD_WITHIN", doc: "How long an emailed reset link stays valid, in seconds (1 day)" },
  ),
  sendPasswordResetEmail: key(z.boolean().default(true), {
    env: "SECURITY_SEND_PASSWORD_RESET_EMAIL",
    doc: "Mail the reset link when a reset is requested",
  }),
  sendPasswordResetNoticeEmail: key(z.boolean().default(true), {
    env: "SECURITY_SEND_PASSWORD_RESET_NOTICE_EMAIL",
    doc: "Mail a notice after a password was reset",
  }),
  autoLoginAfterReset: key(z.boolean().default(false), {
    env: "SECURITY_AUTO_LOGIN_AFTER_RESET",
    doc: "Sign the user in (through the sign-in pipeline, so a second factor still applies) after a reset",
  }),
  passwordConfirmRequired: key(z.boolean().default(true), {
    doc: "POST /reset/<token> needs password_confirm equal to password",
  }),
  resetView: key(z.string().nullable().default(null), {
    env: "SECURITY_RESET_VIEW",
    doc: "SPA mode: where a valid reset link redirects (?token=…)",
  }),
  resetErrorView: key(z.string().nullable().default(null), {
    env: "SECURITY_RESET_ERROR_VIEW",
    doc: "SPA mode: where an invalid or expired reset link redirects (?error=…)",
  }),
  postResetView: key(z.string().nullable().default(null), {
    env: "SECURITY_POST_RESET_VIEW",
    doc: "Where the HTML form goes after a reset (default: the login page, or POST_LOGIN_VIEW with auto-login)",
  }),
  emailSubjectPasswordReset: key(z.string().min(1).default("Password reset instructions"), {
    env: "SECURITY_EMAIL_SUBJECT_PASSWORD_RESET",
    doc: "Subject of the reset_instructions mail",
  }),
  emailSubjectPasswordNotice: key(z.string().min(1).default("Your password has been reset"), {
    env: "SECURITY_EMAIL_SUBJECT_PASSWORD_NOTICE",
    doc: "Subject of the reset_notice mail",
  }),
});

export type RecoveryConfig = z.output<typeof schema>;

export const recoverySlice = defineSlice({
  key: "recovery",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!value.enabled) return issues;
    if (!config.development && !config.baseUrl) {
      issues.push({
        key: "baseUrl",
        message:
          "is required when SECURITY_RECOVERABLE is on: reset links are mailed with this origin, never the request's Host",
      });
    }
    const urls = config.urls as { redirectBehavior?: string | null } | undefined;
    if (urls?.redirectBehavior === "spa") {
      if (!value.resetView)
        issues.push({ key: "recovery.resetView", message: 'is required when SECURITY_REDIRECT_BEHAVIOR is "spa"' });
      if (!value.resetErrorView)
        issues.push({
          key: "recovery.resetErrorView",
          message: 'is required when SECURITY_REDIRECT_BEHAVIOR is "spa"',
        });
    }
    return issues;
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    recovery: typeof recoverySlice;
  }
}
