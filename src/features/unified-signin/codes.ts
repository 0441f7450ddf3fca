import type { AuthnMethod } from "../../core/methods.js";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { externalUrl } from "../../core/http/links.js";
import { deliverMail } from "../../core/mail-delivery.js";
import {
  drawFromBudget,
  matchAuthenticatorCode,
  matchSentCode,
  resealIfNeeded,
  sendSms,
  sentCodeNow,
} from "../../core/passcodes/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { activeCodeMethods, openSecret, sealedSecrets, usConfig } from "./methods.js";

/**
 * Sign-in codes. An emailed/texted code is derived from the method's secret, the validity period and the
 * number of the send within the send window (so each send has its own code and only the newest one works);
 * it is accepted once. The send counter doubles as the per-account send limit. Setup codes use a random
 * nonce kept in the setup state instead.
 */

const sentKey = (user: UserRecord, method: string) => `us:sent:${user.id}:${method}`;

export type SendOutcome = "sent" | "limited" | "failed";

/** Sends a sign-in code for `method` (email also carries the magic link when `magicLink`). */
export async function sendSigninCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  magicLink: boolean,
): Promise<SendOutcome> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const secret = openSecret(rt, user, method);
  if (!secret) return "failed";
  const n = await rt.datastore.attempts.hit(sentKey(user, method), cfg.sendWindowSeconds, ctx.now());
  if (n > cfg.sendLimit) {
    await recordAudit(ctx, {
      event: "us_code_sent",
      outcome: "failure",
      user,
      details: { method, reason: "send_limit" },
    });
    return "limited";
  }
  const code = sentCodeNow(secret, ctx.now().getTime(), cfg.tokenValiditySeconds, n);
  const link =
    magicLink && method === "email" ? externalUrl(ctx, cfg.verifyLinkUrl, { id: user.fsUniquifier, code }) : null;
  const sent = await deliver(ctx, user, method, code, link);
  if (!sent) return "failed";
  await recordAudit(ctx, {
    event: "us_code_sent",
    outcome: "success",
    user,
    details: { method, magic_link: link !== null },
  });
  await rt.events.emit("us_security_token_sent", {
    user,
    method,
    loginToken: code,
    phoneNumber: method === "sms" ? user.usPhoneNumber : null,
    sendMagicLink: link !== null,
  });
  return "sent";
}

/** Sends the code for a setup in progress (no magic link). */
export async function sendSetupCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  secret: string,
  phone: string | null,
  nonce: number,
): Promise<boolean> {
  const code = sentCodeNow(secret, ctx.now().getTime(), usConfig(ctx.rt).tokenValiditySeconds, nonce);
  const sent = await deliver(ctx, { ...user, usPhoneNumber: phone }, method, code, null);
  if (sent)
    await ctx.rt.events.emit("us_security_token_sent", {
      user,
      method,
      loginToken: code,
      phoneNumber: phone,
      sendMagicLink: false,
    });
  return sent;
}

async function deliver(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  code: string,
  link: string | null,
): Promise<boolean> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  if (method === "email") {
    const context = {
      subject: cfg.emailSubject,
      login_token: code,
      login_link: link,
      username: user.username ?? user.email,
      email: user.email,
      within: humanizeSeconds(cfg.tokenValiditySeconds),
    };
    return deliverMail(ctx, "us_instructions", user.email, context, user);
  }
  if (method === "sms" && user.usPhoneNumber)
    return sendSms(
      ctx,
      user,
      user.usPhoneNumber,
      `Use this code to sign in to ${rt.config.appName}: ${code}.`,
      "unified sign-in",
    );
  return false;
}

/** Checks a code for one of the user's methods; a match is consumed (one winner under concurrency). */
export async function matchMethodCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  code: string,
): Promise<boolean> {
  const { rt } = ctx;
  const secret = openSecret(rt, user, method);
  if (!secret) return false;
  const matched = await matchCurrentCode(ctx, user, method, secret, code);
  if (matched) await resealMethod(ctx, user, method, secret);
  return matched;
}

async function matchCurrentCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  secret: string,
  code: string,
): Promise<boolean> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  if (method === "authenticator")
    return matchAuthenticatorCode(ctx, user, secret, code, cfg.authenticatorWindowSteps, "us");
  // The newest send's number; the counter row outlives its window by two periods so a code sent late in a
  // window still works for its whole life. Sends over the limit were not sent: the last real one counts.
  const n = await rt.datastore.attempts.peek(
    sentKey(user, method),
    cfg.sendWindowSeconds + 2 * cfg.tokenValiditySeconds,
    ctx.now(),
  );
  if (n === 0) return false;
  return matchSentCode(ctx, user, `us:${method}`, secret, code, cfg.tokenValiditySeconds, Math.min(n, cfg.sendLimit));
}

/** A method secret in an older format (e.g. stored by Flask-Security) is sealed again after it proved itself. */
async function resealMethod(ctx: RequestContext, user: UserRecord, method: string, secret: string): Promise<void> {
  const sealed = sealedSecrets(user);
  const old = sealed[method];
  if (!old) return;
  await resealIfNeeded(ctx, old, secret, (next) =>
    ctx.rt.datastore.users.replaceUsMethods(
      user.id,
      { secrets: user.usTotpSecrets, phone: user.usPhoneNumber },
      { secrets: JSON.stringify({ ...sealed, [method]: next }), phone: user.usPhoneNumber },
    ),
  );
}

/** A setup code for the new secret (nonce from the setup state). */
export async function matchSetupCode(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  secret: string,
  code: string,
  nonce: number,
): Promise<boolean> {
  const cfg = usConfig(ctx.rt);
  if (method === "authenticator")
    return matchAuthenticatorCode(ctx, user, secret, code, cfg.authenticatorWindowSteps, "us");
  return matchSentCode(ctx, user, `us-setup:${method}`, secret, code, cfg.tokenValiditySeconds, nonce);
}

/**
 * The passcode against the password, then each active code method (FS order). Returns the matching method
 * or null. The caller draws from the attempt budget first.
 */
export async function matchPasscode(
  ctx: RequestContext,
  user: UserRecord,
  passcode: string,
): Promise<AuthnMethod | null> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  if (cfg.enabledMethods.includes("password")) {
    if (user.password) {
      if ((await rt.hasher.verify(passcode, user.password)).valid) return "password";
    } else {
      await rt.hasher.dummyVerify(passcode);
    }
  }
  const code = passcode.replace(/[\s-]+/g, "");
  for (const method of activeCodeMethods(rt, user)) {
    if (await matchMethodCode(ctx, user, method, code)) return method as AuthnMethod;
  }
  return null;
}

/** One attempt from the account's passcode budget; false when it is spent (then nothing is evaluated). */
export async function drawPasscodeAttempt(ctx: RequestContext, user: UserRecord): Promise<boolean> {
  const cfg = usConfig(ctx.rt);
  return drawFromBudget(ctx, `us:${user.id}`, cfg.maxAttempts, cfg.attemptWindowSeconds);
}

export async function clearPasscodeAttempts(ctx: RequestContext, user: UserRecord): Promise<void> {
  await ctx.rt.datastore.attempts.clear(`us:${user.id}`);
}
