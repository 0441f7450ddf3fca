import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";
import { totpRequirementIssues } from "../../kit/passcodes/config.js";

/**
 * Unified sign-in (FS UNIFIED_SIGNIN): one form, an identity and a passcode that is the password or a code
 * from any method the user set up (email, SMS, authenticator), plus magic links. Resolved at
 * `config.unifiedSignin`; read it with `sliceOf(config, unifiedSigninSlice)`.
 */
const path = z.string().startsWith("/");
const method = z.enum(["password", "email", "authenticator", "sms"]);

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_UNIFIED_SIGNIN",
    doc: "Unified sign-in is available (FS UNIFIED_SIGNIN); needs TOTP_SECRETS and TOTP_ISSUER.",
  }),
  enabledMethods: key(z.array(method).default(["password", "email", "authenticator", "sms"]), {
    env: "SECURITY_US_ENABLED_METHODS",
    doc: "Ways a passcode may be proved: password, email, authenticator, sms (FS US_ENABLED_METHODS).",
  }),
  mfaRequired: key(z.array(method).default(["password", "email"]), {
    env: "SECURITY_US_MFA_REQUIRED",
    doc: "Methods that still require the second factor when two-factor applies (FS US_MFA_REQUIRED).",
  }),
  tokenValiditySeconds: key(z.number().int().positive().default(120), {
    env: "SECURITY_US_TOKEN_VALIDITY",
    doc: "Lifetime (TOTP period) of emailed/texted sign-in codes and magic links (FS US_TOKEN_VALIDITY).",
  }),
  setupWithinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(30 * 60),
    { env: "SECURITY_US_SETUP_WITHIN", doc: "Lifetime of the /us-setup state token (FS US_SETUP_WITHIN)." },
  ),
  emailSubject: key(z.string().min(1).default("Verification Code"), {
    env: "SECURITY_US_EMAIL_SUBJECT",
    doc: "Subject of the mailed code and magic link (FS US_EMAIL_SUBJECT).",
  }),
  noticeSubject: key(z.string().min(1).default("Your sign-in methods changed"), {
    env: "RAMPART_US_EMAIL_SUBJECT_METHODS_CHANGED",
    doc: "Subject of the notice mailed when a sign-in method is added or removed.",
  }),
  signinReplacesLogin: key(z.boolean().default(false), {
    env: "SECURITY_US_SIGNIN_REPLACES_LOGIN",
    doc: "Serve unified sign-in at the login URL instead of the password form (FS US_SIGNIN_REPLACES_LOGIN).",
  }),
  passwordRequired: key(z.boolean().default(true), {
    env: "SECURITY_PASSWORD_REQUIRED",
    doc: "Registration requires a password (FS PASSWORD_REQUIRED); false needs unified sign-in with the email method, which is then set up for an account registered without a password.",
  }),
  postSetupView: key(z.string().nullable().default(null), {
    env: "SECURITY_US_POST_SETUP_VIEW",
    doc: "Where the setup page goes after a method was added (FS US_POST_SETUP_VIEW); null: back to the setup page.",
  }),
  loginErrorView: key(z.string().nullable().default(null), {
    env: "SECURITY_LOGIN_ERROR_VIEW",
    doc: "SPA route that magic-link and social sign-in errors redirect to, with ?error (FS LOGIN_ERROR_VIEW); null: the sign-in page.",
  }),
  verifyLinkView: key(z.string().nullable().default(null), {
    env: "RAMPART_US_VERIFY_LINK_VIEW",
    doc: "SPA route an opened magic link redirects to with `id` and `code` (SPA mode, unless urls.signInLinksOnGet); the SPA completes it with a JSON POST to verifyLinkUrl. null: the server's own page with a sign-in button.",
  }),
  signinUrl: key(path.default("/us-signin"), {
    env: "SECURITY_US_SIGNIN_URL",
    doc: "Unified sign-in endpoint and page (FS US_SIGNIN_URL).",
  }),
  signinSendCodeUrl: key(path.default("/us-signin/send-code"), {
    env: "SECURITY_US_SIGNIN_SEND_CODE_URL",
    doc: "Sends a sign-in code (FS US_SIGNIN_SEND_CODE_URL).",
  }),
  setupUrl: key(path.default("/us-setup"), {
    env: "SECURITY_US_SETUP_URL",
    doc: "Set up or remove sign-in methods, fresh sign-in required (FS US_SETUP_URL); + /<state> to finish.",
  }),
  verifyUrl: key(path.default("/us-verify"), {
    env: "SECURITY_US_VERIFY_URL",
    doc: "Re-authentication by passcode (FS US_VERIFY_URL).",
  }),
  verifySendCodeUrl: key(path.default("/us-verify/send-code"), {
    env: "SECURITY_US_VERIFY_SEND_CODE_URL",
    doc: "Sends a code for re-authentication (FS US_VERIFY_SEND_CODE_URL).",
  }),
  verifyLinkUrl: key(path.default("/us-verify-link"), {
    env: "SECURITY_US_VERIFY_LINK_URL",
    doc: "Magic link endpoint (FS US_VERIFY_LINK_URL): GET opens it, POST (form or JSON `{id, code}`) completes it.",
  }),
  authenticatorWindowSteps: key(z.number().int().min(0).max(10).default(1), {
    env: "RAMPART_US_AUTHENTICATOR_WINDOW",
    doc: "Authenticator codes accepted this many 30-second steps either side of now.",
  }),
  sendLimit: key(z.number().int().positive().default(3), {
    env: "RAMPART_US_SEND_LIMIT",
    doc: "Codes sent per account and method within sendWindowSeconds (mail bombing, SMS toll fraud); more are silently not sent.",
  }),
  sendWindowSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(15 * 60),
    { env: "RAMPART_US_SEND_WINDOW", doc: "Window of the per-account send limit." },
  ),
});

export type UnifiedSigninConfig = z.output<typeof schema>;

export const unifiedSigninSlice = defineSlice({
  key: "unifiedSignin",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!value.passwordRequired && !value.enabled) {
      issues.push({
        key: "unifiedSignin.passwordRequired",
        message: "SECURITY_PASSWORD_REQUIRED=false is only allowed with SECURITY_UNIFIED_SIGNIN",
      });
    }
    if (!value.enabled) return issues;
    issues.push(...totpRequirementIssues(config, "unified sign-in"));
    if (value.enabledMethods.length === 0)
      issues.push({
        key: "unifiedSignin.enabledMethods",
        message: "at least one unified sign-in method must be enabled",
      });
    if (!value.passwordRequired && !value.enabledMethods.includes("email")) {
      issues.push({
        key: "unifiedSignin.passwordRequired",
        message: 'SECURITY_PASSWORD_REQUIRED=false needs "email" in SECURITY_US_ENABLED_METHODS',
      });
    }
    return issues;
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    unifiedSignin: typeof unifiedSigninSlice;
  }
}

/** Methods that send a code (FS "code_methods"). */
export const SENDING_METHODS: readonly string[] = ["email", "sms"];
export const CODE_METHODS: readonly string[] = ["email", "authenticator", "sms"];
