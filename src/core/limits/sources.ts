/**
 * Limits per source (the client IP, an IPv6 address by its /64 and, with a larger budget, its /48) on credential
 * checks, and the password-spray detector across all accounts. verifyCredential calls `admitCredentialCheck`
 * before it evaluates anything and `countCredentialFailure` after a failure, for known and unknown accounts
 * alike, so the answers say nothing about who has an account.
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
import { sourceGroup, sourcePrefix48 } from "../http/client-ip.js";
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

/** One counter of a source: its key, and for an IPv6 /48 how many times the per-source budget it gets. */
export interface SourceScope {
  key: string;
  /** 1 for the source itself; RATE_LIMIT_IPV6_PREFIX_FACTOR for its /48. */
  factor: number;
  prefix48: boolean;
}

/**
 * The counters a source is limited by: its own key (an IPv4 address, an IPv6 /64) with the budgets as configured
 * and, for IPv6, its /48 with the budgets × RATE_LIMIT_IPV6_PREFIX_FACTOR — rotating through the /64s of one
 * delegation would otherwise multiply the budget by up to 65,536.
 */
export function sourceScopes(rt: Runtime, ip: string): SourceScope[] {
  const scopes: SourceScope[] = [{ key: sourceGroup(ip), factor: 1, prefix48: false }];
  const factor = rt.config.rateLimit.ipv6PrefixFactor;
  const prefix = sourcePrefix48(ip);
  if (prefix !== null && factor > 0) scopes.push({ key: prefix, factor, prefix48: true });
  return scopes;
}

/** A per-source spec for one scope: the /48's counters have their own name and the larger budget. */
export function scopedSpec(spec: LimitSpec, scope: SourceScope): LimitSpec {
  return scope.prefix48 ? { ...spec, name: `${spec.name}-48`, points: spec.points * scope.factor } : spec;
}

/** Refuses (throws RateLimitedError → 429) a credential check from a source past its limits. */
export async function admitCredentialCheck(ctx: RequestContext): Promise<void> {
  const ip = ctx.clientIp();
  if (ip === null) return;
  const { rt } = ctx;
  const s = specs(rt);
  const c = rt.config.rateLimit;
  const divisor = (await sprayActive(rt)) ? c.spraySourceDivisor : 1;
  const scopes = sourceScopes(rt, ip);
  for (const scope of scopes) {
    const failures = await rt.limits.peek(scopedSpec(s.failures, scope), scope.key);
    if (failures && failures.consumed >= Math.max(1, Math.floor((c.sourceFailures * scope.factor) / divisor)))
      throw new RateLimitedError(secondsLeft(failures.msBeforeReset, c.sourceWindowSeconds));
  }
  for (const scope of scopes) {
    const spec = scopedSpec(s.attempts, scope);
    const attempt = await rt.limits.consume(spec, scope.key);
    if (!attempt.allowed) throw new RateLimitedError(attempt.retryAfterSeconds);
    if (attempt.consumed > Math.max(1, Math.floor(spec.points / divisor))) {
      const state = await rt.limits.peek(spec, scope.key);
      throw new RateLimitedError(secondsLeft(state?.msBeforeReset ?? -1, c.sourceWindowSeconds));
    }
  }
}

/** Counts a failed credential check against its source and toward the spray detector. */
export async function countCredentialFailure(ctx: RequestContext): Promise<void> {
  const { rt } = ctx;
  const s = specs(rt);
  const ip = ctx.clientIp();
  if (ip !== null)
    for (const scope of sourceScopes(rt, ip)) await rt.limits.penalty(scopedSpec(s.failures, scope), scope.key);
  const total = await rt.limits.penalty(s.spray, SPRAY_KEY);
  // The one request that crosses the threshold reports it (the count is atomic on every store).
  if (total !== rt.config.rateLimit.sprayFailures + 1) return;
  sprayCache.set(rt, { active: true, readAt: Date.now() });
  const details = { failures: total, windowSeconds: rt.config.rateLimit.sprayWindowSeconds };
  rt.logger.warn(`password spray: ${total} failed credential checks within ${details.windowSeconds} s`);
  await rt.events.emit("password_spray_detected", details);
  await recordAudit(ctx, { event: "password_spray", outcome: "info", details });
}

/**
 * Who a password hash job is for, so the hash queue stays fair (round-robin by source): an IPv6 source by its /48,
 * so one delegation's many /64s share one place in the round instead of crowding out everyone else.
 */
export function hashQueueKeys(ctx: RequestContext): string[] {
  const ip = ctx.clientIp();
  return [`ip:${sourcePrefix48(ip) ?? sourceGroup(ip)}`];
}
