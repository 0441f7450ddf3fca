import { recordAudit, type AuditEvent } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import type { Refused } from "../../core/outcome.js";
import { codeLimit, lockoutKey } from "../../core/lockout/lockout.js";
import { tooManyAttempts as lockedOut } from "../../core/lockout/refusal.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { matchAuthenticatorCode, matchSentCode, sendSms, sentCodeNow } from "../../kit/passcodes/index.js";
import type { FactorCredential } from "../../core/sign-in.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { authenticatorWindow } from "./config.js";
import { twoFactorStore } from "./store.js";
import { tfConfig } from "./state.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * Second-factor codes on top of kit/passcodes: authenticator codes within the configured window, email/SMS
 * codes derived from the user's secret, the mail/SMS validity period and a per-login-attempt nonce (kept in the
 * pending state), so every attempt gets its own code and a code works only for its own attempt.
 */

export { newCodeNonce } from "../../kit/passcodes/index.js";

/** Methods this build can serve. */
export const IMPLEMENTED_METHODS: readonly string[] = ["authenticator", "email", "sms"];

export function availableMethods(ctx: RequestContext): string[] {
  return tfConfig(ctx.rt).enabledMethods.filter((m) => IMPLEMENTED_METHODS.includes(m));
}

function periodFor(ctx: RequestContext, method: string): number {
  const cfg = tfConfig(ctx.rt);
  return method === "email" ? cfg.mailValiditySeconds : method === "sms" ? cfg.smsValiditySeconds : 30;
}

/** The answer when the account waits or is locked, or the set-up codes are spent (the code was not looked at). */
export function tooManyAttempts(result: { retryAfterSeconds?: number }): Refused {
  return lockedOut(result, "TWO_FACTOR_TOO_MANY_ATTEMPTS");
}

/**
 * A second-factor code as a credential for verifyCredential: the account's lockout is drawn first; a failure is
 * a failed authentication (`user_failed_authn`, type "tf", a lockout failure) unless the code confirms a secret
 * being set up, which draws from the set-up code limit instead.
 */
export function codeCredential(
  ctx: RequestContext,
  user: UserRecord,
  code: { method: string; secret: string; code: string; nonce: number; audit: AuditEvent; setup: boolean },
): FactorCredential {
  return {
    kind: "tf",
    audit: code.audit,
    identity: user.email,
    ...(code.setup ? { limit: codeLimit(ctx.rt, "setup-code", lockoutKey(ctx.rt, { user, identity: null })) } : {}),
    failure: "TWO_FACTOR_INVALID_TOKEN",
    details: { method: code.method, setup: code.setup },
    authenticates: !code.setup,
    verify: async (subject) => ({
      valid:
        code.secret !== "" &&
        (await checkCode(ctx, subject, code.method, code.secret, code.code.replace(/\s+/g, ""), code.nonce)),
    }),
  };
}

/** Checks `code` for `method` against the (plain) secret; a success consumes the code. */
export async function checkCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  secret: string,
  code: string,
  nonce = 0,
): Promise<boolean> {
  if (method === "authenticator")
    return matchAuthenticatorCode(ctx, user, secret, code, authenticatorWindow(tfConfig(ctx.rt)), (step) =>
      ctx.rt.datastore.store(twoFactorStore).claimTotpStep(user.id, step),
    );
  return matchSentCode(ctx, user, `tf:${method}`, secret, code, periodFor(ctx, method), nonce);
}

/** Sends a code by email or SMS (to `phone`). false when delivery failed (logged and audited). */
export async function sendCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  secret: string,
  phone: string | null,
  nonce: number,
): Promise<boolean> {
  const { rt } = ctx;
  // Login replays, /tf-select, setup and rescue all send through here, after the password was checked or for the
  // signed-in user: counted per account, so nobody without the password can use up the owner's codes.
  const destination = method === "sms" && phone ? phone : user.email;
  const own = destination === user.email || destination === user.tfPhoneNumber;
  await admitSend(ctx, method === "sms" ? "sms" : "mail", destination, { kind: "account", userId: user.id, own });
  const cfg = tfConfig(rt);
  const period = periodFor(ctx, method);
  const token = sentCodeNow(secret, ctx.now().getTime(), period, nonce);
  let sent = false;
  if (method === "email") {
    const context = {
      subject: cfg.subject,
      token,
      username: user.username ?? user.email,
      email: user.email,
      within: humanizeSeconds(period),
    };
    sent = await deliverMail(ctx, "two_factor_instructions", user.email, context, user);
  } else if (method === "sms" && phone) {
    sent = await sendSms(ctx, user, phone, `Your ${rt.config.appName} code is: ${token}`, "two-factor");
  }
  if (sent) {
    await recordAudit(ctx, { event: "tf_code_sent", outcome: "success", user, details: { method } });
    await rt.events.emit("tf_security_token_sent", {
      user,
      method,
      token,
      phoneNumber: method === "sms" ? phone : null,
    });
  }
  return sent;
}
