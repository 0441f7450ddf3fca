import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";
import { totpRequirementIssues } from "../../core/passcodes/index.js";

/**
 * Two-factor authentication (FS TWO_FACTOR, code-based methods). The resolved slice sits at
 * `config.twoFactor`; read it with `sliceOf(config, twoFactorSlice)`.
 */
const path = z.string().startsWith("/");
const method = z.enum(["email", "authenticator", "sms"]);

const schema = z.object({
  enabled: z.boolean().default(false),
  required: z.boolean().default(false),
  enabledMethods: z.array(method).default(["email", "authenticator", "sms"]),
  authenticatorWindowSteps: z.number().int().min(0).max(10).default(1),
  authenticatorValiditySeconds: z.number().int().positive().nullable().default(null),
  mailValiditySeconds: z.number().int().positive().default(300),
  smsValiditySeconds: z.number().int().positive().default(120),
  setupUrl: path.default("/tf-setup"),
  validateUrl: path.default("/tf-validate"),
  selectUrl: path.default("/tf-select"),
  rescueUrl: path.default("/tf-rescue"),
  setupWithinSeconds: z.number().int().positive().default(30 * 60),
  pendingWithinSeconds: z.number().int().positive().default(10 * 60),
  maxAttempts: z.number().int().positive().default(5),
  attemptWindowSeconds: z.number().int().positive().default(15 * 60),
  rescueEmail: z.boolean().default(true),
  rescueMail: z.string().default("no-reply@localhost"),
  subject: z.string().min(1).default("Two-Factor Login"),
  rescueSubject: z.string().min(1).default("Two-Factor Rescue"),
  noticeSubject: z.string().min(1).default("Two-factor authentication changed"),
  alwaysValidate: z.boolean().default(true),
  loginValiditySeconds: z.number().int().positive().default(30 * 24 * 60 * 60),
  /** Defaults to "__Host-tf_validity" (or "tf_validity" when cookies are not Secure). */
  validityCookieName: z.string().min(1).nullable().default(null),
  recoveryCodes: z.boolean().default(false),
  recoveryCodesN: z.number().int().min(1).max(50).default(5),
  recoveryCodesUrl: path.default("/mf-recovery-codes"),
  recoveryUrl: path.default("/mf-recovery"),
});

export type TwoFactorConfig = z.output<typeof schema>;

export const twoFactorSlice = defineSlice({
  key: "twoFactor",
  schema,
  env: {
    SECURITY_TWO_FACTOR: ["enabled", "bool"],
    SECURITY_TWO_FACTOR_REQUIRED: ["required", "bool"],
    SECURITY_TWO_FACTOR_ENABLED_METHODS: ["enabledMethods", "list"],
    RAMPART_TWO_FACTOR_AUTHENTICATOR_WINDOW: ["authenticatorWindowSteps", "int"],
    SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY: ["authenticatorValiditySeconds", "int"],
    SECURITY_TWO_FACTOR_MAIL_VALIDITY: ["mailValiditySeconds", "int"],
    SECURITY_TWO_FACTOR_SMS_VALIDITY: ["smsValiditySeconds", "int"],
    SECURITY_TWO_FACTOR_SETUP_URL: ["setupUrl", "string"],
    SECURITY_TWO_FACTOR_TOKEN_VALIDATION_URL: ["validateUrl", "string"],
    SECURITY_TWO_FACTOR_SELECT_URL: ["selectUrl", "string"],
    SECURITY_TWO_FACTOR_RESCUE_URL: ["rescueUrl", "string"],
    SECURITY_TWO_FACTOR_SETUP_WITHIN: ["setupWithinSeconds", "int"],
    RAMPART_TWO_FACTOR_PENDING_WITHIN: ["pendingWithinSeconds", "int"],
    RAMPART_TWO_FACTOR_MAX_ATTEMPTS: ["maxAttempts", "int"],
    RAMPART_TWO_FACTOR_ATTEMPT_WINDOW: ["attemptWindowSeconds", "int"],
    SECURITY_TWO_FACTOR_RESCUE_EMAIL: ["rescueEmail", "bool"],
    SECURITY_TWO_FACTOR_RESCUE_MAIL: ["rescueMail", "string"],
    SECURITY_EMAIL_SUBJECT_TWO_FACTOR: ["subject", "string"],
    SECURITY_EMAIL_SUBJECT_TWO_FACTOR_RESCUE: ["rescueSubject", "string"],
    RAMPART_EMAIL_SUBJECT_TWO_FACTOR_CHANGED: ["noticeSubject", "string"],
    SECURITY_TWO_FACTOR_ALWAYS_VALIDATE: ["alwaysValidate", "bool"],
    SECURITY_TWO_FACTOR_LOGIN_VALIDITY: ["loginValiditySeconds", "int"],
    SECURITY_TWO_FACTOR_VALIDITY_COOKIE_NAME: ["validityCookieName", "string"],
    SECURITY_MULTI_FACTOR_RECOVERY_CODES: ["recoveryCodes", "bool"],
    SECURITY_MULTI_FACTOR_RECOVERY_CODES_N: ["recoveryCodesN", "int"],
    SECURITY_MULTI_FACTOR_RECOVERY_CODES_URL: ["recoveryCodesUrl", "string"],
    SECURITY_MULTI_FACTOR_RECOVERY_URL: ["recoveryUrl", "string"],
  },
  meanings: {
    enabled: "Two-factor authentication is available (FS TWO_FACTOR).",
    required: "Every user must set up a second factor at their next sign-in (FS TWO_FACTOR_REQUIRED).",
    enabledMethods: "Second-factor methods users may choose (FS TWO_FACTOR_ENABLED_METHODS).",
    authenticatorWindowSteps: "Authenticator codes accepted this many 30-second steps either side of now (default 1 = ±30 s).",
    authenticatorValiditySeconds: "FS TWO_FACTOR_AUTHENTICATOR_VALIDITY: when set, the window becomes round(value / 30) steps.",
    mailValiditySeconds: "Lifetime (TOTP period) of codes sent by email (FS TWO_FACTOR_MAIL_VALIDITY).",
    smsValiditySeconds: "Lifetime (TOTP period) of codes sent by SMS (FS TWO_FACTOR_SMS_VALIDITY).",
    setupUrl: "Second-factor setup endpoint and page.",
    validateUrl: "Second-factor code validation endpoint and page.",
    selectUrl: "Second-factor selection endpoint and page, for users with several second factors (FS TWO_FACTOR_SELECT_URL).",
    rescueUrl: "Rescue endpoint and page: email code, help mail, recovery code (FS TWO_FACTOR_RESCUE_URL).",
    setupWithinSeconds: "Lifetime of the tf_state_token of an authenticated setup (FS TWO_FACTOR_SETUP_WITHIN).",
    pendingWithinSeconds: "How long a password-verified, second-factor-pending sign-in stays open.",
    maxAttempts: "Second-factor codes evaluated per account within attemptWindowSeconds; more → 429.",
    attemptWindowSeconds: "Window of the per-account second-factor attempt budget.",
    rescueEmail: "Rescue option: send a code by email (FS TWO_FACTOR_RESCUE_EMAIL).",
    rescueMail: "Address that receives rescue help requests (FS TWO_FACTOR_RESCUE_MAIL).",
    subject: "Subject of the mailed second-factor code (FS EMAIL_SUBJECT_TWO_FACTOR).",
    rescueSubject: "Subject of the rescue mail (FS EMAIL_SUBJECT_TWO_FACTOR_RESCUE).",
    noticeSubject: "Subject of the notice mailed when two-factor is disabled or its method changed (SECURITY I72).",
    alwaysValidate: "Ask for the second factor at every sign-in; false allows the tf_validity cookie (FS TWO_FACTOR_ALWAYS_VALIDATE).",
    loginValiditySeconds: "Lifetime of the tf_validity cookie (FS TWO_FACTOR_LOGIN_VALIDITY).",
    validityCookieName: "Name of the tf_validity cookie (FS TWO_FACTOR_VALIDITY_COOKIE_NAME; default __Host-tf_validity, or tf_validity when cookies are not Secure).",
    recoveryCodes: "Multi-factor recovery codes: /mf-recovery-codes and /mf-recovery (FS MULTI_FACTOR_RECOVERY_CODES); needs two-factor on.",
    recoveryCodesN: "Recovery codes per generated set (FS MULTI_FACTOR_RECOVERY_CODES_N).",
    recoveryCodesUrl: "Generate/inspect recovery codes, fresh sign-in required (FS MULTI_FACTOR_RECOVERY_CODES_URL).",
    recoveryUrl: "Complete a pending two-factor sign-in with a recovery code (FS MULTI_FACTOR_RECOVERY_URL).",
  },
  validate(value, config): ConfigIssue[] {
    if (!value.enabled) return [];
    const issues = totpRequirementIssues(config, "two-factor");
    if (value.enabledMethods.length === 0) issues.push({ key: "twoFactor.enabledMethods", message: "at least one two-factor method must be enabled" });
    return issues;
  },
});

/** Authenticator window in steps: FS's validity (seconds) when given, else the window setting. */
export function authenticatorWindow(cfg: TwoFactorConfig): number {
  if (cfg.authenticatorValiditySeconds !== null) return Math.min(10, Math.max(0, Math.round(cfg.authenticatorValiditySeconds / 30)));
  return cfg.authenticatorWindowSteps;
}
