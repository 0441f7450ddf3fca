import type { AuthnMethod } from "../../core/methods.js";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { externalUrl } from "../../kit/http/links.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import {
  matchAuthenticatorCode,
  matchSentCode,
  resealIfNeeded,
  secretBox,
  sendSms,
  sentCodeNow,
} from "../../kit/passcodes/index.js";
import type { Runtime } from "../../core/runtime.js";
import { passwordCredential } from "../../core/verify-credential.js";
import { generateTotpSecret } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { activeCodeMethods, openSecret, sealedSecrets, usConfig } from "./methods.js";
import { unifiedSigninStore } from "./store.js";

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
    return matchAuthenticatorCode(ctx, user, secret, code, cfg.authenticatorWindowSteps, (step) =>
      ctx.rt.datastore.store(unifiedSigninStore).claimTotpStep(user.id, step),
    );
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
    ctx.rt.datastore
      .store(unifiedSigninStore)
      .replaceMethods(
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
    return matchAuthenticatorCode(ctx, user, secret, code, cfg.authenticatorWindowSteps, (step) =>
      ctx.rt.datastore.store(unifiedSigninStore).claimTotpStep(user.id, step),
    );
  return matchSentCode(ctx, user, `us-setup:${method}`, secret, code, cfg.tokenValiditySeconds, nonce);
}

/**
 * The passcode against the password, then each active code method (FS order). Returns the matching method
 * or null. Called through verifyCredential (passcode-check.ts), which draws the attempt budget first.
 */
export async function matchPasscode(
  ctx: RequestContext,
  user: UserRecord,
  passcode: string,
): Promise<AuthnMethod | null> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  // The password as /login checks it (someone without one costs the same hashing).
  if (cfg.enabledMethods.includes("password") && (await passwordCredential(ctx, passcode).verify(user)).valid)
    return "password";
  const code = passcode.replace(/[\s-]+/g, "");
  const methods = activeCodeMethods(rt, user);
  // Someone without code methods costs one code check, like an unknown identity (dummyPasscode).
  if (methods.length === 0) await dummyCodeCheck(ctx, code);
  for (const method of methods) {
    if (await matchMethodCode(ctx, user, method, code)) return method as AuthnMethod;
  }
  return null;
}

/**
 * What checking `passcode` costs for someone who has an account with one code method, spent on nobody (an unknown
 * identity): the password method's hashing when it is enabled, and one code check. So the answer's timing does
 * not tell whether the identity has an account.
 */
export async function dummyPasscode(ctx: RequestContext, passcode: string): Promise<void> {
  if (usConfig(ctx.rt).enabledMethods.includes("password")) await passwordCredential(ctx, passcode).dummy();
  await dummyCodeCheck(ctx, passcode.replace(/[\s-]+/g, ""));
}

/** The key of the send counter a dummy code check reads (no user has it). */
export const DUMMY_SENT_KEY = "us:sent:nobody:email";
const dummySecrets = new WeakMap<Runtime, string>();

/**
 * The work of one sent-code check spent on a throwaway secret: the secret unsealed, the send counter read, both
 * candidate codes computed and compared. Its verdict is thrown away.
 */
export async function dummyCodeCheck(ctx: RequestContext, code: string): Promise<void> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  let sealed = dummySecrets.get(rt);
  if (!sealed) {
    sealed = secretBox(rt).seal(generateTotpSecret());
    dummySecrets.set(rt, sealed);
  }
  const secret = secretBox(rt).open(sealed)!;
  const now = ctx.now().getTime();
  const n = await rt.datastore.attempts.peek(DUMMY_SENT_KEY, cfg.sendWindowSeconds, ctx.now());
  for (const at of [now - cfg.tokenValiditySeconds * 1000, now])
    void (sentCodeNow(secret, at, cfg.tokenValiditySeconds, n + 1) === code);
}
