import { timingSafeEqual } from "node:crypto";
import { HOTP, TOTP } from "otpauth";
import { secretFromBase32, TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD } from "./secret.js";

/**
 * TOTP codes (RFC 6238 over otpauth's HOTP). Verification accepts a step within ±window of now, never one
 * at or before the last accepted step (replay protection, SECURITY 64–65), and compares in constant time.
 */

const CODE = /^[0-9]{6}$/;

export type TotpVerifyResult = { ok: true; step: number } | { ok: false; reason: "invalid" | "replayed" };

export interface VerifyTotpOptions {
  /** Base32 secret. */
  secret: string;
  /** What the user typed: exactly 6 ASCII digits, else refused without computing anything. */
  code: string;
  /** Current time in milliseconds (runtime.now().getTime()). */
  nowMs: number;
  /** Steps of clock skew accepted either side of now (default 1: ±30 s at period 30). */
  window?: number;
  /** Seconds per step (default 30; FS mail codes use 300, SMS 120 through their validity settings). */
  period?: number;
  /**
   * The step the last accepted code had for this secret, if any. A code for this step or an earlier one is
   * refused as "replayed". The caller stores the returned step (only moving forward, atomically).
   */
  lastUsedStep?: number | null;
}

export interface GenerateTotpCodeOptions {
  secret: string;
  nowMs: number;
  /** Seconds per step (default 30). */
  period?: number;
}

function checkPeriod(period: number): void {
  if (!Number.isInteger(period) || period < 1)
    throw new TypeError("TOTP period must be a positive whole number of seconds");
}

/** The time step containing `nowMs`. */
export function totpStep(nowMs: number, period = TOTP_PERIOD): number {
  checkPeriod(period);
  if (!Number.isFinite(nowMs)) throw new TypeError("nowMs must be a finite number");
  return TOTP.counter({ period, timestamp: nowMs });
}

function codeAt(secret: ReturnType<typeof secretFromBase32>, step: number): string {
  return HOTP.generate({ secret, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, counter: step });
}

/** The 6-digit code for the step containing `nowMs` (email and SMS codes; tests). */
export function generateTotpCode({ secret, nowMs, period = TOTP_PERIOD }: GenerateTotpCodeOptions): string {
  return codeAt(secretFromBase32(secret), totpStep(nowMs, period));
}

/**
 * Checks `code` against every step in [now − window, now + window] (all of them, so the time taken does not
 * depend on which one matches). The earliest matching step after lastUsedStep is accepted; a code that only
 * matches used steps is "replayed".
 */
export function verifyTotp({
  secret,
  code,
  nowMs,
  window = 1,
  period = TOTP_PERIOD,
  lastUsedStep = null,
}: VerifyTotpOptions): TotpVerifyResult {
  if (!Number.isInteger(window) || window < 0 || window > 100)
    throw new TypeError("TOTP window must be a whole number of steps from 0 to 100");
  if (lastUsedStep !== null && !Number.isInteger(lastUsedStep))
    throw new TypeError("lastUsedStep must be a whole number");
  const now = totpStep(nowMs, period);
  if (typeof code !== "string" || !CODE.test(code)) return { ok: false, reason: "invalid" };
  const key = secretFromBase32(secret);
  const given = Buffer.from(code, "ascii");
  let accepted: number | null = null;
  let replayed = false;
  for (let step = now - window; step <= now + window; step++) {
    if (step < 0) continue;
    const matches = timingSafeEqual(given, Buffer.from(codeAt(key, step), "ascii"));
    if (!matches) continue;
    if (lastUsedStep !== null && step <= lastUsedStep) replayed = true;
    else if (accepted === null) accepted = step;
  }
  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? "replayed" : "invalid" };
}
