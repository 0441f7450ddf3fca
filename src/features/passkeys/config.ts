import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/**
 * Passkeys (Flask-Security WEBAUTHN, WAN_*): registration, sign-in as a first or second factor, re-authentication
 * and deletion of WebAuthn credentials. Resolved at `config.webauthn`; read it with `sliceOf(config, webauthnSlice)`.
 *
 * The relying party is only ever what is configured here: the RP ID and the accepted origins are never taken
 * from the request's Host (a forged Host must not let another site's assertions in).
 */
const path = z.string().startsWith("/");
const usage = z.enum(["first", "secondary"]);
const uv = z.enum(["required", "preferred", "discouraged"]);
/** Unicode general categories (and their one-letter classes) a passkey name's characters may be drawn from. */
const UNICODE_CATEGORIES = [
  ..."L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Co".split(" "),
] as [string, ...string[]];

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_WEBAUTHN",
    doc: "Passkeys are available (FS WEBAUTHN): /wan-register, /wan-signin, /wan-verify, /wan-delete.",
  }),
  registerUrl: key(path.default("/wan-register"), {
    env: "SECURITY_WAN_REGISTER_URL",
    doc: "Lists the user's passkeys and starts a registration; `<url>/<state>` completes it (FS WAN_REGISTER_URL).",
  }),
  signinUrl: key(path.default("/wan-signin"), {
    env: "SECURITY_WAN_SIGNIN_URL",
    doc: "Starts a passkey sign-in (first or second factor); `<url>/<state>` completes it (FS WAN_SIGNIN_URL).",
  }),
  deleteUrl: key(path.default("/wan-delete"), {
    env: "SECURITY_WAN_DELETE_URL",
    doc: "Deletes one of the user's passkeys by name (FS WAN_DELETE_URL).",
  }),
  verifyUrl: key(path.default("/wan-verify"), {
    env: "SECURITY_WAN_VERIFY_URL",
    doc: "Re-authentication with a passkey; `<url>/<state>` completes it (FS WAN_VERIFY_URL).",
  }),
  postRegisterView: key(z.string().nullable().default(null), {
    env: "SECURITY_WAN_POST_REGISTER_VIEW",
    doc: "Where the registration page goes after a passkey was added (FS WAN_POST_REGISTER_VIEW); null: back to the registration page.",
  }),
  rpName: key(z.string().min(1).max(64).default("My Flask App"), {
    env: "SECURITY_WAN_RP_NAME",
    doc: "The relying party's name authenticators show (FS WAN_RP_NAME).",
  }),
  rpId: key(z.string().min(1).max(253).nullable().default(null), {
    env: "RAMPART_WAN_RP_ID",
    doc: "The relying party ID passkeys are bound to: the site's registrable domain or host (app.example.com or example.com). null: the host of RAMPART_BASE_URL. Never taken from the request.",
  }),
  origins: key(z.array(z.url()).nullable().default(null), {
    env: "RAMPART_WAN_ORIGINS",
    doc: "Origins a ceremony may come from (https://app.example.com); null: the origin of RAMPART_BASE_URL. Never taken from the request.",
  }),
  registerTimeoutMs: key(z.number().int().positive().default(60000), {
    env: "SECURITY_WAN_REGISTER_TIMEOUT",
    doc: "The timeout (ms) a registration asks the browser for (FS WAN_REGISTER_TIMEOUT).",
  }),
  signinTimeoutMs: key(z.number().int().positive().default(60000), {
    env: "SECURITY_WAN_SIGNIN_TIMEOUT",
    doc: "The timeout (ms) a sign-in or verification asks the browser for (FS WAN_SIGNIN_TIMEOUT).",
  }),
  registerWithinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(30 * 60),
    {
      env: "SECURITY_WAN_REGISTER_WITHIN",
      doc: "How long a registration's state (and its challenge) is good for (FS WAN_REGISTER_WITHIN).",
    },
  ),
  signinWithinSeconds: key(z.number().int().positive().default(60), {
    env: "SECURITY_WAN_SIGNIN_WITHIN",
    doc: "How long a sign-in's or verification's state (and its challenge) is good for (FS WAN_SIGNIN_WITHIN).",
  }),
  allowAsFirstFactor: key(z.boolean().default(true), {
    env: "SECURITY_WAN_ALLOW_AS_FIRST_FACTOR",
    doc: "A passkey may sign in by itself (FS WAN_ALLOW_AS_FIRST_FACTOR); off: only as a second factor.",
  }),
  allowAsMultiFactor: key(z.boolean().default(true), {
    env: "SECURITY_WAN_ALLOW_AS_MULTI_FACTOR",
    doc: "A first-factor passkey sign-in with user verification (PIN, biometric) counts as multi-factor: no second factor is asked (FS WAN_ALLOW_AS_MULTI_FACTOR).",
  }),
  allowUserHints: key(z.boolean().default(true), {
    env: "SECURITY_WAN_ALLOW_USER_HINTS",
    doc: "A sign-in that names an identity is offered that user's credentials (FS WAN_ALLOW_USER_HINTS); unknown identities get the same shape. Off: discoverable credentials only.",
  }),
  allowAsVerify: key(z.array(usage).default(["first", "secondary"]), {
    env: "SECURITY_WAN_ALLOW_AS_VERIFY",
    doc: "Which passkeys may re-authenticate at WAN_VERIFY_URL (FS WAN_ALLOW_AS_VERIFY); empty: no such route.",
  }),
  nameAllowedChars: key(z.array(z.enum(UNICODE_CATEGORIES)).default(["L", "N", "Pc", "Pd", "Zs"]), {
    env: "SECURITY_WAN_NAME_ALLOWED_CHARS",
    doc: "Unicode general categories a passkey name's characters may belong to, as typed (FS WAN_NAME_ALLOWED_CHARS): a one-letter class (L) takes all its categories, a two-letter one (Zs) only itself.",
  }),
  nameMaxLength: key(z.number().int().positive().max(64).default(64), {
    env: "SECURITY_WAN_NAME_MAX_LENGTH",
    doc: "Longest passkey name, in characters after normalization (FS WAN_NAME_MAX_LENGTH).",
  }),
  challengeBytes: key(z.number().int().min(16).max(64).nullable().default(null), {
    env: "SECURITY_WAN_CHALLENGE_BYTES",
    doc: "Random bytes in each challenge (FS WAN_CHALLENGE_BYTES); null: 32.",
  }),
  userVerification: key(uv.nullable().default(null), {
    env: "RAMPART_WAN_USER_VERIFICATION",
    doc: "User verification asked of first-factor passkeys at registration, sign-in and verification: required refuses an assertion without it. null: preferred (as FS). Second-factor passkeys are never asked for it.",
  }),
  attestation: key(z.enum(["none", "direct"]).default("none"), {
    env: "RAMPART_WAN_ATTESTATION",
    doc: "Attestation conveyance asked at registration. Rampart records no attestation chain, so none (the default) is what it can use.",
  }),
  signup: key(z.boolean().default(false), {
    env: "RAMPART_WAN_SIGNUP",
    doc: "Passkey-first sign-up at RAMPART_WAN_SIGNUP_URL: an account with a passkey and no password, issued recovery codes at once; the email is still confirmed before anything else is mailed to it. Needs SECURITY_REGISTERABLE, SECURITY_TWO_FACTOR and SECURITY_MULTI_FACTOR_RECOVERY_CODES.",
  }),
  signupUrl: key(path.default("/wan-signup"), {
    env: "RAMPART_WAN_SIGNUP_URL",
    doc: "Starts a passkey-first sign-up (email, username when required, passkey name); `<url>/<state>` completes it.",
  }),
  registeredSubject: key(z.string().min(1).default("A passkey was added to your account"), {
    env: "RAMPART_WAN_EMAIL_SUBJECT_REGISTERED",
    doc: "Subject of the notice mailed when a passkey is added (FS sends none).",
  }),
  noticeSubject: key(z.string().min(1).default("A passkey was removed from your account"), {
    env: "RAMPART_WAN_EMAIL_SUBJECT_DELETED",
    doc: "Subject of the notice mailed when a passkey is deleted.",
  }),
});

export const webauthnSlice = defineSlice({
  key: "webauthn",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!value.enabled) return issues;
    const baseUrl = typeof config.baseUrl === "string" ? config.baseUrl : null;
    if (!value.rpId && !baseUrl)
      issues.push({
        key: "webauthn.rpId",
        message:
          "SECURITY_WEBAUTHN needs RAMPART_WAN_RP_ID (or RAMPART_BASE_URL): passkeys are bound to a configured site, never to the request's Host",
      });
    if (!value.origins && !baseUrl)
      issues.push({
        key: "webauthn.origins",
        message:
          "SECURITY_WEBAUTHN needs RAMPART_WAN_ORIGINS (or RAMPART_BASE_URL): the origins ceremonies may come from",
      });
    if (value.signup) issues.push(...signupIssues(config));
    const rpId = value.rpId ?? (baseUrl ? new URL(baseUrl).hostname : null);
    for (const origin of value.origins ?? []) {
      const host = new URL(origin).hostname;
      if (rpId && host !== rpId && !host.endsWith(`.${rpId}`))
        issues.push({
          key: "webauthn.origins",
          message: `RAMPART_WAN_ORIGINS: ${origin} is not on the RP ID ${rpId} (browsers refuse such ceremonies)`,
        });
    }
    return issues;
  },
});

/**
 * Passkey-first sign-up creates accounts (so registration must be open) and issues recovery codes at once (kept
 * and used by two-factor's recovery codes; without them the account would be one lost device from lock-out).
 */
function signupIssues(config: Record<string, unknown>): ConfigIssue[] {
  const on = (slice: unknown, key: string) => (slice as Record<string, unknown> | undefined)?.[key] === true;
  const issues: ConfigIssue[] = [];
  if (!on(config.registration, "enabled"))
    issues.push({
      key: "webauthn.signup",
      message: "RAMPART_WAN_SIGNUP creates accounts: it needs SECURITY_REGISTERABLE",
    });
  if (!on(config.twoFactor, "enabled") || !on(config.twoFactor, "recoveryCodes"))
    issues.push({
      key: "webauthn.signup",
      message:
        "RAMPART_WAN_SIGNUP issues recovery codes with the account: it needs SECURITY_TWO_FACTOR and SECURITY_MULTI_FACTOR_RECOVERY_CODES",
    });
  return issues;
}

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    webauthn: typeof webauthnSlice;
  }
}

export type WebauthnConfig = z.output<typeof schema>;
