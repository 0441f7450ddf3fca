import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";
import { totpRequirementIssues } from "../../kit/passcodes/config.js";

/**
 * Two-factor authentication (FS TWO_FACTOR, code-based methods). The resolved slice sits at
 * `config.twoFactor`; read it with `sliceOf(config, twoFactorSlice)`.
 */
const path = z.string().startsWith("/");
const method = z.enum(["email", "authenticator", "sms"]);

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_TWO_FACTOR",
    doc: "Two-factor authentication is available (FS TWO_FACTOR).",
  }),
  required: key(z.boolean().default(false), {
    env: "SECURITY_TWO_FACTOR_REQUIRED",
    doc: "Every user must set up a second factor at their next sign-in (FS TWO_FACTOR_REQUIRED).",
  }),
  enabledMethods: key(z.array(method).default(["email", "authenticator", "sms"]), {
    env: "SECURITY_TWO_FACTOR_ENABLED_METHODS",
    doc: "Second-factor methods users may choose (FS TWO_FACTOR_ENABLED_METHODS).",
  }),
  authenticatorWindowSteps: key(z.number().int().min(0).max(10).default(1), {
    env: "RAMPART_TWO_FACTOR_AUTHENTICATOR_WINDOW",
    doc: "Authenticator codes accepted this many 30-second steps either side of now (default 1 = ±30 s).",
  }),
  authenticatorValiditySeconds: key(z.number().int().positive().nullable().default(null), {
    env: "SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY",
    doc: "FS TWO_FACTOR_AUTHENTICATOR_VALIDITY: when set, the window becomes round(value / 30) steps.",
  }),
  mailValiditySeconds: key(z.number().int().positive().default(300), {
    env: "SECURITY_TWO_FACTOR_MAIL_VALIDITY",
    doc: "Lifetime (TOTP period) of codes sent by email (FS TWO_FACTOR_MAIL_VALIDITY).",
  }),
  smsValiditySeconds: key(z.number().int().positive().default(120), {
    env: "SECURITY_TWO_FACTOR_SMS_VALIDITY",
    doc: "Lifetime (TOTP period) of codes sent by SMS (FS TWO_FACTOR_SMS_VALIDITY).",
  }),
  setupUrl: key(path.default("/tf-setup"), {
    env: "SECURITY_TWO_FACTOR_SETUP_URL",
    doc: "Second-factor setup endpoint and page.",
  }),
  validateUrl: key(path.default("/tf-validate"), {
    env: "SECURITY_TWO_FACTOR_TOKEN_VALIDATION_URL",
    doc: "Second-factor code validation endpoint and page.",
  }),
  selectUrl: key(path.default("/tf-select"), {
    env: "SECURITY_TWO_FACTOR_SELECT_URL",
    doc: "Second-factor selection endpoint and page, for users with several second factors (FS TWO_FACTOR_SELECT_URL).",
  }),
  rescueUrl: key(path.default("/tf-rescue"), {
    env: "SECURITY_TWO_FACTOR_RESCUE_URL",
    doc: "Rescue endpoint and page: email code, help mail, recovery code (FS TWO_FACTOR_RESCUE_URL).",
  }),
  setupWithinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(30 * 60),
    {
      env: "SECURITY_TWO_FACTOR_SETUP_WITHIN",
      doc: "Lifetime of the tf_state_token of an authenticated setup (FS TWO_FACTOR_SETUP_WITHIN).",
    },
  ),
  pendingWithinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(10 * 60),
    {
      env: "RAMPART_TWO_FACTOR_PENDING_WITHIN",
      doc: "How long a password-verified, second-factor-pending sign-in stays open.",
    },
  ),
  rescueEmail: key(z.boolean().default(true), {
    env: "SECURITY_TWO_FACTOR_RESCUE_EMAIL",
    doc: "Rescue option: send a code by email (FS TWO_FACTOR_RESCUE_EMAIL).",
  }),
  rescueMail: key(z.string().default("no-reply@localhost"), {
    env: "SECURITY_TWO_FACTOR_RESCUE_MAIL",
    doc: "Address that receives rescue help requests (FS TWO_FACTOR_RESCUE_MAIL).",
  }),
  subject: key(z.string().min(1).default("Two-Factor Login"), {
    env: "SECURITY_EMAIL_SUBJECT_TWO_FACTOR",
    doc: "Subject of the mailed second-factor code (FS EMAIL_SUBJECT_TWO_FACTOR).",
  }),
  rescueSubject: key(z.string().min(1).default("Two-Factor Rescue"), {
    env: "SECURITY_EMAIL_SUBJECT_TWO_FACTOR_RESCUE",
    doc: "Subject of the rescue mail (FS EMAIL_SUBJECT_TWO_FACTOR_RESCUE).",
  }),
  noticeSubject: key(z.string().min(1).default("Two-factor authentication changed"), {
    env: "RAMPART_EMAIL_SUBJECT_TWO_FACTOR_CHANGED",
    doc: "Subject of the notice mailed when two-factor is disabled or its method changed (SECURITY I72).",
  }),
  alwaysValidate: key(z.boolean().default(true), {
    env: "SECURITY_TWO_FACTOR_ALWAYS_VALIDATE",
    doc: "Ask for the second factor at every sign-in; false allows the tf_validity cookie (FS TWO_FACTOR_ALWAYS_VALIDATE).",
  }),
  loginValiditySeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(30 * 24 * 60 * 60),
    {
      env: "SECURITY_TWO_FACTOR_LOGIN_VALIDITY",
      doc: "Lifetime of the tf_validity cookie (FS TWO_FACTOR_LOGIN_VALIDITY).",
    },
  ),
  /** Defaults to "__Host-tf_validity" (or "tf_validity" when cookies are not Secure). */
  validityCookieName: key(z.string().min(1).nullable().default(null), {
    env: "SECURITY_TWO_FACTOR_VALIDITY_COOKIE_NAME",
    doc: "Name of the tf_validity cookie (FS TWO_FACTOR_VALIDITY_COOKIE_NAME; default __Host-tf_validity, or tf_validity when cookies are not Secure).",
  }),
  recoveryCodes: key(z.boolean().default(false), {
    env: "SECURITY_MULTI_FACTOR_RECOVERY_CODES",
    doc: "Multi-factor recovery codes: /mf-recovery-codes and /mf-recovery (FS MULTI_FACTOR_RECOVERY_CODES); needs two-factor on.",
  }),
  recoveryCodesN: key(z.number().int().min(1).max(50).default(5), {
    env: "SECURITY_MULTI_FACTOR_RECOVERY_CODES_N",
    doc: "Recovery codes per generated set (FS MULTI_FACTOR_RECOVERY_CODES_N).",
  }),
  recoveryCodesUrl: key(path.default("/mf-recovery-codes"), {
    env: "SECURITY_MULTI_FACTOR_RECOVERY_CODES_URL",
    doc: "Generate/inspect recovery codes, fresh sign-in required (FS MULTI_FACTOR_RECOVERY_CODES_URL).",
  }),
  recoveryUrl: key(path.default("/mf-recovery"), {
    env: "SECURITY_MULTI_FACTOR_RECOVERY_URL",
    doc: "Complete a pending two-factor sign-in with a recovery code (FS MULTI_FACTOR_RECOVERY_URL).",
  }),
});

export type TwoFactorConfig = z.output<typeof schema>;

export const twoFactorSlice = defineSlice({
  key: "twoFactor",
  schema,
  validate(value, config): ConfigIssue[] {
    if (!value.enabled) return [];
    const issues = totpRequirementIssues(config, "two-factor");
    if (value.enabledMethods.length === 0)
      issues.push({ key: "twoFactor.enabledMethods", message: "at least one two-factor method must be enabled" });
    return issues;
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    twoFactor: typeof twoFactorSlice;
  }
}

/** Authenticator window in steps: FS's validity (seconds) when given, else the window setting. */
export function authenticatorWindow(cfg: TwoFactorConfig): number {
  if (cfg.authenticatorValiditySeconds !== null)
    return Math.min(10, Math.max(0, Math.round(cfg.authenticatorValiditySeconds / 30)));
  return cfg.authenticatorWindowSteps;
}
