import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/** Forgot / reset password settings (FS "Recoverable"), resolved at `config.recovery`. */
const path = z.string().startsWith("/");

const schema = z.object({
  enabled: z.boolean().default(false),
  resetUrl: path.default("/reset"),
  /** How long an emailed reset link works. */
  resetPasswordWithinSeconds: z.number().int().positive().default(24 * 60 * 60),
  sendPasswordResetEmail: z.boolean().default(true),
  sendPasswordResetNoticeEmail: z.boolean().default(true),
  autoLoginAfterReset: z.boolean().default(false),
  passwordConfirmRequired: z.boolean().default(true),
  resetView: z.string().nullable().default(null),
  resetErrorView: z.string().nullable().default(null),
  postResetView: z.string().nullable().default(null),
  emailSubjectPasswordReset: z.string().min(1).default("Password reset instructions"),
  emailSubjectPasswordNotice: z.string().min(1).default("Your password has been reset"),
});

export type RecoveryConfig = z.output<typeof schema>;

export const recoverySlice = defineSlice({
  key: "recovery",
  schema,
  env: {
    SECURITY_RECOVERABLE: ["enabled", "bool"],
    SECURITY_RESET_URL: ["resetUrl", "string"],
    SECURITY_RESET_PASSWORD_WITHIN: ["resetPasswordWithinSeconds", "int"],
    SECURITY_SEND_PASSWORD_RESET_EMAIL: ["sendPasswordResetEmail", "bool"],
    SECURITY_SEND_PASSWORD_RESET_NOTICE_EMAIL: ["sendPasswordResetNoticeEmail", "bool"],
    SECURITY_AUTO_LOGIN_AFTER_RESET: ["autoLoginAfterReset", "bool"],
    SECURITY_RESET_VIEW: ["resetView", "nullable-string"],
    SECURITY_RESET_ERROR_VIEW: ["resetErrorView", "nullable-string"],
    SECURITY_POST_RESET_VIEW: ["postResetView", "nullable-string"],
    SECURITY_EMAIL_SUBJECT_PASSWORD_RESET: ["emailSubjectPasswordReset", "string"],
    SECURITY_EMAIL_SUBJECT_PASSWORD_NOTICE: ["emailSubjectPasswordNotice", "string"],
  },
  meanings: {
    enabled: "Forgot-password (/reset) and reset-link (/reset/<token>) endpoints (FS RECOVERABLE)",
    resetUrl: "Path of the forgot-password form; reset links are <resetUrl>/<token>",
    resetPasswordWithinSeconds: "How long an emailed reset link stays valid, in seconds (1 day)",
    sendPasswordResetEmail: "Mail the reset link when a reset is requested",
    sendPasswordResetNoticeEmail: "Mail a notice after a password was reset",
    autoLoginAfterReset: "Sign the user in (through the sign-in pipeline, so a second factor still applies) after a reset",
    passwordConfirmRequired: "POST /reset/<token> needs password_confirm equal to password",
    resetView: "SPA mode: where a valid reset link redirects (?token=…)",
    resetErrorView: "SPA mode: where an invalid or expired reset link redirects (?error=…)",
    postResetView: "Where the HTML form goes after a reset (default: the login page, or POST_LOGIN_VIEW with auto-login)",
    emailSubjectPasswordReset: "Subject of the reset_instructions mail",
    emailSubjectPasswordNotice: "Subject of the reset_notice mail",
  },
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!value.enabled) return issues;
    if (!config.development && !config.baseUrl) {
      issues.push({ key: "baseUrl", message: "is required when SECURITY_RECOVERABLE is on: reset links are mailed with this origin, never the request's Host" });
    }
    const urls = config.urls as { redirectBehavior?: string | null } | undefined;
    if (urls?.redirectBehavior === "spa") {
      if (!value.resetView) issues.push({ key: "recovery.resetView", message: 'is required when SECURITY_REDIRECT_BEHAVIOR is "spa"' });
      if (!value.resetErrorView) issues.push({ key: "recovery.resetErrorView", message: 'is required when SECURITY_REDIRECT_BEHAVIOR is "spa"' });
    }
    return issues;
  },
});
