import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";
import { totpRequirementIssues } from "../../core/passcodes/index.js";

/**
 * Unified sign-in (FS UNIFIED_SIGNIN): one form, an identity and a passcode that is the password or a code
 * from any method the user set up (email, SMS, authenticator), plus magic links. Resolved at
 * `config.unifiedSignin`; read it with `sliceOf(config, unifiedSigninSlice)`.
 */
const path = z.string().startsWith("/");
const method = z.enum(["password", "email", "authenticator", "sms"]);

const schema = z.object({
  enabled: z.boolean().default(false),
  enabledMethods: z.array(method).default(["password", "email", "authenticator", "sms"]),
  mfaRequired: z.array(method).default(["password", "email"]),
  tokenValiditySeconds: z.number().int().positive().default(120),
  setupWithinSeconds: z.number().int().positive().default(30 * 60),
  emailSubject: z.string().min(1).default("Verification Code"),
  noticeSubject: z.string().min(1).default("Your sign-in methods changed"),
  signinReplacesLogin: z.boolean().default(false),
  passwordRequired: z.boolean().default(true),
  postSetupView: z.string().nullable().default(null),
  loginErrorView: z.string().nullable().default(null),
  verifyLinkView: z.string().nullable().default(null),
  signinUrl: path.default("/us-signin"),
  signinSendCodeUrl: path.default("/us-signin/send-code"),
  setupUrl: path.default("/us-setup"),
  verifyUrl: path.default("/us-verify"),
  verifySendCodeUrl: path.default("/us-verify/send-code"),
  verifyLinkUrl: path.default("/us-verify-link"),
  authenticatorWindowSteps: z.number().int().min(0).max(10).default(1),
  maxAttempts: z.number().int().positive().default(10),
  attemptWindowSeconds: z.number().int().positive().default(15 * 60),
  sendLimit: z.number().int().positive().default(3),
  sendWindowSeconds: z.number().int().positive().default(15 * 60),
});

export type UnifiedSigninConfig = z.output<typeof schema>;

export const unifiedSigninSlice = defineSlice({
  key: "unifiedSignin",
  schema,
  env: {
    SECURITY_UNIFIED_SIGNIN: ["enabled", "bool"],
    SECURITY_US_ENABLED_METHODS: ["enabledMethods", "list"],
    SECURITY_US_MFA_REQUIRED: ["mfaRequired", "list"],
    SECURITY_US_TOKEN_VALIDITY: ["tokenValiditySeconds", "int"],
    SECURITY_US_SETUP_WITHIN: ["setupWithinSeconds", "int"],
    SECURITY_US_EMAIL_SUBJECT: ["emailSubject", "string"],
    RAMPART_US_EMAIL_SUBJECT_METHODS_CHANGED: ["noticeSubject", "string"],
    SECURITY_US_SIGNIN_REPLACES_LOGIN: ["signinReplacesLogin", "bool"],
    SECURITY_PASSWORD_REQUIRED: ["passwordRequired", "bool"],
    SECURITY_US_POST_SETUP_VIEW: ["postSetupView", "nullable-string"],
    SECURITY_LOGIN_ERROR_VIEW: ["loginErrorView", "nullable-string"],
    RAMPART_US_VERIFY_LINK_VIEW: ["verifyLinkView", "nullable-string"],
    SECURITY_US_SIGNIN_URL: ["signinUrl", "string"],
    SECURITY_US_SIGNIN_SEND_CODE_URL: ["signinSendCodeUrl", "string"],
    SECURITY_US_SETUP_URL: ["setupUrl", "string"],
    SECURITY_US_VERIFY_URL: ["verifyUrl", "string"],
    SECURITY_US_VERIFY_SEND_CODE_URL: ["verifySendCodeUrl", "string"],
    SECURITY_US_VERIFY_LINK_URL: ["verifyLinkUrl", "string"],
    RAMPART_US_AUTHENTICATOR_WINDOW: ["authenticatorWindowSteps", "int"],
    RAMPART_US_MAX_ATTEMPTS: ["maxAttempts", "int"],
    RAMPART_US_ATTEMPT_WINDOW: ["attemptWindowSeconds", "int"],
    RAMPART_US_SEND_LIMIT: ["sendLimit", "int"],
    RAMPART_US_SEND_WINDOW: ["sendWindowSeconds", "int"],
  },
  meanings: {
    enabled: "Unified sign-in is available (FS UNIFIED_SIGNIN); needs TOTP_SECRETS and TOTP_ISSUER.",
    enabledMethods: "Ways a passcode may be proved: password, email, authenticator, sms (FS US_ENABLED_METHODS).",
    mfaRequired: "Methods that still require the second factor when two-factor applies (FS US_MFA_REQUIRED).",
    tokenValiditySeconds: "Lifetime (TOTP period) of emailed/texted sign-in codes and magic links (FS US_TOKEN_VALIDITY).",
    setupWithinSeconds: "Lifetime of the /us-setup state token (FS US_SETUP_WITHIN).",
    emailSubject: "Subject of the mailed code and magic link (FS US_EMAIL_SUBJECT).",
    noticeSubject: "Subject of the notice mailed when a sign-in method is added or removed.",
    signinReplacesLogin: "Serve unified sign-in at the login URL instead of the password form (FS US_SIGNIN_REPLACES_LOGIN).",
    passwordRequired: "Registration requires a password (FS PASSWORD_REQUIRED); false needs unified sign-in with the email method, which is then set up for an account registered without a password.",
    postSetupView: "Where the setup page goes after a method was added (FS US_POST_SETUP_VIEW); null: back to the setup page.",
    loginErrorView: "SPA route magic-link errors redirect to (FS LOGIN_ERROR_VIEW); null: the sign-in page.",
    verifyLinkView: "SPA route an opened magic link redirects to with `id` and `code` (SPA mode, unless urls.signInLinksOnGet); the SPA completes it with a JSON POST to verifyLinkUrl. null: the server's own page with a sign-in button.",
    signinUrl: "Unified sign-in endpoint and page (FS US_SIGNIN_URL).",
    signinSendCodeUrl: "Sends a sign-in code (FS US_SIGNIN_SEND_CODE_URL).",
    setupUrl: "Set up or remove sign-in methods, fresh sign-in required (FS US_SETUP_URL); + /<state> to finish.",
    verifyUrl: "Re-authentication by passcode (FS US_VERIFY_URL).",
    verifySendCodeUrl: "Sends a code for re-authentication (FS US_VERIFY_SEND_CODE_URL).",
    verifyLinkUrl: "Magic link endpoint (FS US_VERIFY_LINK_URL): GET opens it, POST (form or JSON `{id, code}`) completes it.",
    authenticatorWindowSteps: "Authenticator codes accepted this many 30-second steps either side of now.",
    maxAttempts: "Passcodes (password or code) evaluated per account within attemptWindowSeconds; more → 429.",
    attemptWindowSeconds: "Window of the per-account passcode attempt budget.",
    sendLimit: "Codes sent per account and method within sendWindowSeconds (mail bombing, SMS toll fraud); more are silently not sent.",
    sendWindowSeconds: "Window of the per-account send limit.",
  },
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!value.passwordRequired && !value.enabled) {
      issues.push({ key: "unifiedSignin.passwordRequired", message: "SECURITY_PASSWORD_REQUIRED=false is only allowed with SECURITY_UNIFIED_SIGNIN" });
    }
    if (!value.enabled) return issues;
    issues.push(...totpRequirementIssues(config, "unified sign-in"));
    if (value.enabledMethods.length === 0) issues.push({ key: "unifiedSignin.enabledMethods", message: "at least one unified sign-in method must be enabled" });
    if (!value.passwordRequired && !value.enabledMethods.includes("email")) {
      issues.push({ key: "unifiedSignin.passwordRequired", message: 'SECURITY_PASSWORD_REQUIRED=false needs "email" in SECURITY_US_ENABLED_METHODS' });
    }
    return issues;
  },
});

/** Methods that send a code (FS "code_methods"). */
export const SENDING_METHODS: readonly string[] = ["email", "sms"];
export const CODE_METHODS: readonly string[] = ["email", "authenticator", "sms"];
