/**
 * Limits per source (the client IP, an IPv6 address by its /64) on credential checks, and the password-spray
 * detector across all accounts. verifyCredential calls `admitCredentialCheck` before it evaluates anything and
 * `countCredentialFailure` after a failure, for known and unknown accounts alike, so the answers say nothing
 * about who has an account.
 *
 * - failures per source per window: past the limit the source gets 429 + Retry-After before any evaluation;
 * - attempts per source (a looser cap), counted atomically before the evaluation: bounds a source whose
 *   guesses sometimes succeed, and bounds how far concurrent failures can overshoot the failure limit;
 * - spray: failures across every account and source per window; crossing the threshold emits
 *   `password_spray_detected`, writes a `password_spray` audit row (once per window) and divides the per-source
 *   limits while the window lasts.
 *
 * A request without a known address (no socket peer: an in-process call, a runtime that gives none) is not
 * limited per source: one shared bucket would let anyone lock everyone out. The spray detector still counts it.
 */
import { recordAudit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { RateLimitedError } from "../errors.js";
import { sourceGroup } from "../http/client-ip.js";
import type { Runtime } from "../runtime.js";
import type { LimitSpec } from "./limits.js";

declare module "../events.js" {
  interface RampartEvents {
    /** Failed credential checks across all accounts passed RATE_LIMIT_SPRAY_FAILURES within its window. */
    password_spray_detected: { failures: number; windowSeconds: number };
  }
}

declare module "../audit.js" {
  interface AuditEvents {
    /** A password spray was detected (see password_spray_detected). */
    password_spray: true;
  }
}

const SPRAY_KEY = "all";
/** How long an instance trusts what it last read of the spray state (one store read per second at most). */
const SPRAY_CACHE_MS = 1000;

function specs(rt: Runtime) {
  const c = rt.config.rateLimit;
  const window = c.sourceWindowSeconds;
  return {
    failures: { name: "source-failures", points: c.sourceFailures, durationSeconds: window } satisfies LimitSpec,
    attempts: { name: "source-attempts", points: c.sourceAttempts, durationSeconds: window } satisfies LimitSpec,
    spray: { name: "spray", points: c.sprayFailures, durationSeconds: c.sprayWindowSeconds } satisfies LimitSpec,
  };
}

const sprayCache = new WeakMap<Runtime, { active: boolean; readAt: number }>();

/** True while the current spray window has more failures than the threshold. */
async function sprayActive(rt: Runtime): Promise<boolean> {
  const cached = sprayCache.get(rt);
  if (cached && Date.now() - cached.readAt < SPRAY_CACHE_MS) return cached.active;
  const state = await rt.limits.peek(specs(rt).spray, SPRAY_KEY);
  const active = state !== null && state.consumed > rt.config.rateLimit.sprayFailures;
  sprayCache.set(rt, { active, readAt: Date.now() });
  return active;
}

const secondsLeft = (msBeforeReset: number, windowSeconds: number) =>
  msBeforeReset < 0 ? windowSeconds : msBeforeReset / 1000;

/** Refuses (throws RateLimitedError → 429) a credential check from a source past its limits. */
export async function admitCredentialCheck(ctx: RequestContext): Promise<void> {
  const ip = ctx.clientIp();
  if (ip === null) return;
  const { rt } = ctx;
  const s = specs(rt);
  const c = rt.config.rateLimit;
  const divisor = (await sprayActive(rt)) ? c.spraySourceDivisor : 1;
  const source = sourceGroup(ip);
  const failures = await rt.limits.peek(s.failures, source);
  if (failures && failures.consumed >= Math.max(1, Math.floor(c.sourceFailures / divisor)))
    throw new RateLimitedError(secondsLeft(failures.msBeforeReset, c.sourceWindowSeconds));
  const attempt = await rt.limits.consume(s.attempts, source);
  if (!attempt.allowed) throw new RateLimitedError(attempt.retryAfterSeconds);
  if (attempt.consumed > Math.max(1, Math.floor(c.sourceAttempts / divisor))) {
    const state = await rt.limits.peek(s.attempts, source);
    throw new RateLimitedError(secondsLeft(state?.msBeforeReset ?? -1, c.sourceWindowSeconds));
  }
}

/** Counts a failed credential check against its source and toward the spray detector. */
export async function countCredentialFailure(ctx: RequestContext): Promise<void> {
  const { rt } = ctx;
  const s = specs(rt);
  const ip = ctx.clientIp();
  if (ip !== null) await rt.limits.penalty(s.failures, sourceGroup(ip));
  const total = await rt.limits.penalty(s.spray, SPRAY_KEY);
  // The one request that crosses the threshold reports it (the count is atomic on every store).
  if (total !== rt.config.rateLimit.sprayFailures + 1) return;
  sprayCache.set(rt, { active: true, readAt: Date.now() });
  const details = { failures: total, windowSeconds: rt.config.rateLimit.sprayWindowSeconds };
  rt.logger.warn(`password spray: ${total} failed credential checks within ${details.windowSeconds} s`);
  await rt.events.emit("password_spray_detected", details);
  await recordAudit(ctx, { event: "password_spray", outcome: "info", details });
}

/** Who a password hash job is for, so the hash queue stays fair (round-robin by source). */
export function hashQueueKeys(ctx: RequestContext): string[] {
  return [`ip:${sourceGroup(ctx.clientIp())}`];
}
