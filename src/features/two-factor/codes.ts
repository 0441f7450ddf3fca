import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { plainErrorJson } from "../../core/http/respond.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { randomInt, timingSafeEqual } from "node:crypto";
import { HOTP } from "otpauth";
import { secretFromBase32, TOTP_ALGORITHM, TOTP_DIGITS, totpStep, verifyTotp } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Runtime } from "../../core/runtime.js";
import { smsSenderFromConfig, smsSlice, type SmsConfig, type SmsSender } from "../../sms/index.js";
import { authenticatorWindow } from "./config.js";
import { tfConfig } from "./state.js";

/**
 * Second-factor codes. Authenticator: TOTP (SHA1, 6 digits, 30 s) within ±window steps, each step accepted
 * once per user (users.claimTotpStep). Email/SMS: derived from the same user secret and the mail/SMS validity
 * period (like FS), plus a per-attempt nonce (see sentCode); each accepted once (attempts store, first hit wins).
 */

/** Methods this build can serve. */
export const IMPLEMENTED_METHODS: readonly string[] = ["authenticator", "email", "sms"];

const senders = new WeakMap<Runtime, SmsSender>();
function smsSender(rt: Runtime): SmsSender {
  let sender = senders.get(rt);
  if (!sender) {
    sender = smsSenderFromConfig(sliceOf(rt.config, smsSlice) as SmsConfig, rt.logger, rt.config.development);
    senders.set(rt, sender);
  }
  return sender;
}

export function availableMethods(ctx: RequestContext): string[] {
  return tfConfig(ctx.rt).enabledMethods.filter((m) => IMPLEMENTED_METHODS.includes(m));
}

function periodFor(ctx: RequestContext, method: string): number {
  const cfg = tfConfig(ctx.rt);
  return method === "email" ? cfg.mailValiditySeconds : method === "sms" ? cfg.smsValiditySeconds : 30;
}

/**
 * Draws one attempt from the account's budget (SECURITY A6/A8) BEFORE any code is evaluated. Returns the 429
 * response when the budget is spent (the code is then not looked at), else null.
 */
export async function drawAttempt(ctx: RequestContext, user: UserRecord): Promise<Response | null> {
  const cfg = tfConfig(ctx.rt);
  const count = await ctx.rt.datastore.attempts.hit(`tf:${user.id}`, cfg.attemptWindowSeconds, ctx.now());
  if (count <= cfg.maxAttempts) return null;
  await recordAudit(ctx, { event: "tf_validate", outcome: "failure", user, details: { reason: "TWO_FACTOR_TOO_MANY_ATTEMPTS" } });
  return plainErrorJson(ctx, 429, [{ code: "TWO_FACTOR_TOO_MANY_ATTEMPTS" }], {}, { "retry-after": String(cfg.attemptWindowSeconds) });
}

export async function clearAttempts(ctx: RequestContext, user: UserRecord): Promise<void> {
  await ctx.rt.datastore.attempts.clear(`tf:${user.id}`);
}

/**
 * A sent code: HOTP of the user's secret at counter step·2^20 + nonce, where step is the mail/SMS validity
 * period containing the send time and nonce is random per login attempt (kept in the pending state). So every
 * login attempt gets its own code, even twice within one period, and a code works only for its own attempt.
 */
const NONCE_SPACE = 2 ** 20;
export function newCodeNonce(): number {
  return randomInt(NONCE_SPACE);
}
function sentCode(secret: string, step: number, nonce: number): string {
  return HOTP.generate({ secret: secretFromBase32(secret), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, counter: step * NONCE_SPACE + nonce });
}

/** Checks `code` for `method` against the (plain) secret; a success consumes the code. */
export async function checkCode(ctx: RequestContext, user: UserRecord, method: string, secret: string, code: string, nonce = 0): Promise<boolean> {
  const nowMs = ctx.now().getTime();
  if (method === "authenticator") {
    const result = verifyTotp({ secret, code, nowMs, window: authenticatorWindow(tfConfig(ctx.rt)), period: 30 });
    return result.ok && (await ctx.rt.datastore.users.claimTotpStep(user.id, result.step));
  }
  if (!/^[0-9]{6}$/.test(code)) return false;
  const period = periodFor(ctx, method);
  const now = totpStep(nowMs, period);
  // The current and the previous period: a code lives between one and two periods.
  let matched: number | null = null;
  for (const step of [now - 1, now]) {
    if (step >= 0 && timingSafeEqual(Buffer.from(code), Buffer.from(sentCode(secret, step, nonce))) && matched === null) matched = step;
  }
  if (matched === null) return false;
  const uses = await ctx.rt.datastore.attempts.hit(`code:${user.id}:${method}:${matched}:${nonce}`, period * 2, ctx.now());
  return uses === 1;
}

/** Sends a code by email or SMS (to `phone`). false when delivery failed (logged and audited). */
export async function sendCode(ctx: RequestContext, user: UserRecord, method: string, secret: string, phone: string | null, nonce: number): Promise<boolean> {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const period = periodFor(ctx, method);
  const token = sentCode(secret, totpStep(ctx.now().getTime(), period), nonce);
  let sent = false;
  if (method === "email") {
    const context = { subject: cfg.subject, token, username: user.username ?? user.email, email: user.email, within: humanizeSeconds(period) };
    sent = await deliverMail(ctx, "two_factor_instructions", user.email, context, user);
  } else if (method === "sms" && phone) {
    try {
      await smsSender(rt).send(phone, `Your ${rt.config.appName} code is: ${token}`);
      sent = true;
    } catch (error) {
      rt.logger.error(`two-factor SMS for user ${user.id} failed: ${(error as Error).message}`);
      await recordAudit(ctx, { event: "sms_failed", outcome: "failure", user, details: { method } });
    }
  }
  if (sent) {
    await recordAudit(ctx, { event: "tf_code_sent", outcome: "success", user, details: { method } });
    await rt.events.emit("tf_security_token_sent", { user, method, token, phoneNumber: method === "sms" ? phone : null });
  }
  return sent;
}
