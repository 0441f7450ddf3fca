import { randomInt, timingSafeEqual } from "node:crypto";
import { HOTP } from "otpauth";
import { sha256Hex } from "../../crypto/random.js";
import {
  createSecretBox,
  secretFromBase32,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  totpStep,
  verifyTotp,
  type SecretBox,
} from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { normalizePhone, smsSlice, type SmsConfig } from "../../sms/index.js";
import { queueMessage } from "../../core/outbox/queue.js";
import { recordAudit, type AuditEvent } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import type { Runtime } from "../../core/runtime.js";
import { drawFromBudget } from "../../core/attempt-budget.js";
import { totpSlice, type TotpConfig } from "./config.js";

/**
 * One-time passcodes shared by the code-based factors (two-factor, unified sign-in):
 * - authenticator codes: TOTP (SHA1, 6 digits, 30 s) within ±window steps; a step is accepted once per user
 *   (the authenticator's owner claims the step through a monotonic counter, so an older code is refused
 *   after a newer one; each authenticator has its own counter, in its feature's store);
 * - sent codes (email, SMS): HOTP of the user's secret at counter step·2^20 + nonce, where step is the
 *   validity period containing the send time and the nonce tells sends apart; each accepted once (attempt
 *   store, first hit wins), within the current and the previous period;
 * - send budgets for set-up texts (core/attempt-budget.ts, re-exported here). Guessing a code is bounded by the
 *   account's lockout (core/lockout), drawn by the one credential check before a code is evaluated.
 */

export { totpSlice, totpRequirementIssues, type TotpConfig } from "./config.js";
export { drawFromBudget };

export function totpConfig(rt: Runtime): TotpConfig {
  return sliceOf(rt.config, totpSlice) as TotpConfig;
}

const boxes = new WeakMap<Runtime, SecretBox>();
/** Seals/opens stored TOTP secrets with the TOTP_SECRETS keys (built once per runtime). */
export function secretBox(rt: Runtime): SecretBox {
  let box = boxes.get(rt);
  if (!box) {
    box = createSecretBox(totpConfig(rt).secrets);
    boxes.set(rt, box);
  }
  return box;
}

/**
 * Queues one SMS in the outbox (sent after the answer, retried when the gateway fails; a failure for good is
 * audited as sms_failed). False only when it could not be queued (logged, never thrown).
 */
export async function sendSms(
  ctx: RequestContext,
  user: UserRecord,
  phone: string,
  text: string,
  purpose: string,
): Promise<boolean> {
  return queueMessage(ctx, { kind: "sms", purpose, to: phone, body: text }, user);
}

const NONCE_SPACE = 2 ** 20;
/** A random nonce (per login attempt, per setup). */
export function newCodeNonce(): number {
  return randomInt(NONCE_SPACE);
}

/** The code to send now for `secret`, `period` seconds of validity and `nonce`. */
export function sentCodeNow(secret: string, nowMs: number, period: number, nonce: number): string {
  return sentCode(secret, totpStep(nowMs, period), nonce);
}

function sentCode(secret: string, step: number, nonce: number): string {
  return HOTP.generate({
    secret: secretFromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    counter: step * NONCE_SPACE + (nonce % NONCE_SPACE),
  });
}

/**
 * An authenticator code for `secret`: valid within ±window steps, then claimed once through `claimStep` (the
 * owning feature's replay counter: two-factor and unified sign-in each keep their own secret and counter).
 */
export async function matchAuthenticatorCode(
  ctx: RequestContext,
  user: UserRecord,
  secret: string,
  code: string,
  window: number,
  claimStep: (step: number) => Promise<boolean>,
): Promise<boolean> {
  // Judged on the database's time when this instance's clock is known to be off (core/clock-skew.ts).
  const nowMs = ctx.rt.clockSkew.trustedNow().getTime();
  const result = verifyTotp({ secret, code, nowMs, window, period: 30 });
  return result.ok && (await claimStep(result.step));
}

/**
 * A sent code for `secret` (sent within the current or the previous period, with `nonce`); a match is
 * consumed: of any number of concurrent submissions exactly one gets true. `scope` separates uses ("tf:email").
 */
export async function matchSentCode(
  ctx: RequestContext,
  user: UserRecord,
  scope: string,
  secret: string,
  code: string,
  period: number,
  nonce: number,
): Promise<boolean> {
  if (!/^[0-9]{6}$/.test(code)) return false;
  const nowStep = totpStep(ctx.now().getTime(), period);
  let matched: number | null = null;
  for (const step of [nowStep - 1, nowStep]) {
    // Both candidates are always compared (constant work whichever matches).
    if (step >= 0 && timingSafeEqual(Buffer.from(code), Buffer.from(sentCode(secret, step, nonce))) && matched === null)
      matched = step;
  }
  if (matched === null) return false;
  const uses = await ctx.rt.datastore.attempts.hit(
    `code:${scope}:${user.id}:${matched}:${nonce}`,
    period * 2,
    ctx.now(),
  );
  return uses === 1;
}

/**
 * A text to a number the user typed during setup (two-factor or unified sign-in) draws from three budgets, in
 * order: the account's, the number's, the deployment's (`sms.setup*`). False at the first spent one: the caller
 * then sends nothing and answers as if it had, like sign-in sends beyond their limit. `event` names the audit.
 */
export async function drawSetupSmsBudget(
  ctx: RequestContext,
  user: UserRecord,
  phone: string,
  event: AuditEvent,
): Promise<boolean> {
  const cfg = sliceOf(ctx.rt.config, smsSlice) as SmsConfig;
  const budgets: [string, string, number][] = [
    ["account", `sms-setup:user:${user.id}`, cfg.setupLimitPerAccount],
    ["number", `sms-setup:to:${sha256Hex(phone).slice(0, 32)}`, cfg.setupLimitPerNumber],
    ["global", "sms-setup:all", cfg.setupLimitGlobal],
  ];
  for (const [budget, key, max] of budgets) {
    if (await drawFromBudget(ctx, key, max, cfg.setupWindowSeconds)) continue;
    await recordAudit(ctx, {
      event,
      outcome: "failure",
      user,
      details: { method: "sms", reason: "send_limit", budget },
    });
    return false;
  }
  return true;
}

/** A typed phone number in E.164 (the configured default region for numbers without +country), or null. */
export function phoneE164(rt: Runtime, raw: string): string | null {
  return normalizePhone(raw, (sliceOf(rt.config, smsSlice) as SmsConfig).phoneRegionDefault);
}

/**
 * A secret sealed in an older format (Flask-Security's passlib JSON, or an older TOTP_SECRETS key) is sealed
 * again with the current key after it proved itself; `store` writes it by compare-and-set. Failures are
 * logged, never fatal: the old value still opens.
 */
export async function resealIfNeeded(
  ctx: RequestContext,
  sealed: string,
  secret: string,
  store: (next: string) => Promise<boolean>,
): Promise<void> {
  const box = secretBox(ctx.rt);
  if (!box.needsReseal(sealed)) return;
  try {
    await store(box.seal(secret));
  } catch (error) {
    ctx.rt.logger.warn(`resealing a TOTP secret failed: ${(error as Error).message}`);
  }
}
