/**
 * Per-account lockout: one count of consecutive failed credential checks per account, kept on rt.limits (memory,
 * Redis or the database), drawn by the one credential check (core/verify-credential.ts) BEFORE a credential is
 * evaluated. Two counters per account key:
 *
 * - the count: attempts whose credential did not hold (each attempt takes a point before it is judged; a
 *   success gives it back or forgets the whole count);
 * - the gate: from the threshold on, an attempt must take the gate (one at a time) and a failure closes the
 *   gate for the wait the policy gives that count (doubling up to the longest wait; at the ceiling: for good).
 *
 * While the gate is closed, nothing is counted and nothing is judged, not even a right credential: the answer is
 * 429 with the time left. An identity that names no account is counted under a keyed hash of its canonical form,
 * with exactly the same steps, so status, Retry-After and work never tell whether an account exists.
 */
import { createHmac } from "node:crypto";
import type { UserRecord } from "../../datastore/contracts.js";
import { canonicalIdentity } from "../../datastore/canonical.js";
import type { AuditWriter } from "../audit.js";
import type { LimitSpec } from "../limits/limits.js";
import type { Runtime } from "../runtime.js";

/** Longest an attempt holds the gate while it is judged (only a crash mid-check leaves it held this long). */
const GATE_HOLD_SECONDS = 15;

type Policy = Runtime["config"]["lockout"];

/** The two counters of the policy (exported for tests that move time by opening a gate). */
export function specs(policy: Policy): { count: LimitSpec; gate: LimitSpec } {
  return {
    count: { name: "lockout", points: policy.maxFailures, durationSeconds: policy.windowSeconds },
    gate: { name: "lockout-gate", points: 1, durationSeconds: GATE_HOLD_SECONDS },
  };
}

/** Whose failures an attempt counts toward: the account, or the identity typed when it names no account. */
export interface LockoutSubject {
  user: UserRecord | null;
  identity: string | null;
}

/** The counter key: the account's id, else a keyed hash of the identity's canonical form (never the identity). */
export function lockoutKey(rt: Runtime, subject: LockoutSubject): string {
  if (subject.user) return `u:${subject.user.id}`;
  const canonical = canonicalIdentity((subject.identity ?? "").trim());
  return `i:${createHmac("sha256", rt.config.secretKey).update(`lockout\0${canonical}`).digest("base64url").slice(0, 32)}`;
}

/** An attempt allowed to be judged: which count it holds and whether it holds the gate. */
export interface LockoutClaim {
  key: string;
  /** This attempt's place in the count of consecutive failures (1 = none before it). */
  count: number;
  gate: boolean;
}

export type ClaimResult = { ok: true; claim: LockoutClaim } | { ok: false; retryAfterSeconds: number };

/** The wait after the `count`-th consecutive failure; 0 below the threshold; null at the ceiling (for good). */
export function waitAfter(policy: Policy, count: number): number | null {
  if (count >= policy.maxFailures) return null;
  if (count < policy.threshold) return 0;
  const doubled = policy.delaySeconds * 2 ** Math.min(count - policy.threshold, 30);
  return Math.min(doubled, policy.maxDelaySeconds);
}

/** What a refused attempt is told to wait: the time left, or the longest wait once locked for good. */
function retryAfter(policy: Policy, msBeforeReset: number): number {
  return msBeforeReset < 0 ? policy.maxDelaySeconds : Math.max(1, Math.ceil(msBeforeReset / 1000));
}

/**
 * Before a credential is judged: refused while the gate is closed; else the attempt takes its point of the count
 * and, from the threshold on, the gate (one attempt at a time). A refused attempt leaves the count as it was.
 */
export async function claimAttempt(rt: Runtime, key: string): Promise<ClaimResult> {
  const policy = rt.config.lockout;
  const { count, gate } = specs(policy);
  const closed = await rt.limits.peek(gate, key);
  if (closed && closed.consumed > gate.points)
    return { ok: false, retryAfterSeconds: retryAfter(policy, closed.msBeforeReset) };
  const taken = await rt.limits.consume(count, key);
  if (!taken.allowed) {
    // Past the ceiling only while concurrent attempts hold points (or the gate's record was lost): not judged.
    await rt.limits.penalty(count, key, -1);
    return { ok: false, retryAfterSeconds: policy.maxDelaySeconds };
  }
  if (taken.consumed < policy.threshold) return { ok: true, claim: { key, count: taken.consumed, gate: false } };
  const turn = await rt.limits.consume(gate, key);
  if (!turn.allowed) {
    // Another attempt holds the gate (it was open a moment ago): this one's point goes back, and it may try again
    // in a second, when that attempt has been judged (a failure then closes the gate for its wait).
    await rt.limits.penalty(count, key, -1);
    return { ok: false, retryAfterSeconds: 1 };
  }
  return { ok: true, claim: { key, count: taken.consumed, gate: true } };
}

/**
 * The credential held but the sign-in goes on (a second factor may follow): the attempt gives its point back and
 * the gate, if it held it; earlier failures stay counted until the sign-in completes (forgetFailures).
 */
export async function releaseAttempt(rt: Runtime, claim: LockoutClaim): Promise<void> {
  const { count, gate } = specs(rt.config.lockout);
  // Given back, never reset: a first factor known to an attacker must not wipe the failures of a second factor
  // guessed at the same time.
  await rt.limits.penalty(count, claim.key, -1);
  if (claim.gate) await rt.limits.reset(gate, claim.key);
}

export interface LockEvent {
  user: UserRecord | null;
  identity: string | null;
  failures: number;
  /** Seconds until the next guess is judged; null: refused until a password reset or an unlock. */
  retryAfterSeconds: number | null;
}

/**
 * The credential did not hold: the point stays. From the threshold on the gate closes for the policy's wait (for
 * good at the ceiling). The first wait and the lock for good are audited and emitted as `user_locked` (the waits
 * between are bounded by the policy, so nothing per refused attempt is written).
 */
export async function recordFailure(
  rt: Runtime,
  claim: LockoutClaim,
  subject: LockoutSubject,
  audit: AuditWriter,
): Promise<void> {
  const policy = rt.config.lockout;
  if (!claim.gate) return;
  const { count, gate } = specs(policy);
  // The count as it stands now: attempts refused meanwhile have given their points back, so a burst of
  // concurrent guesses does not stretch the wait beyond what the failures judged call for; a success meanwhile
  // forgot the count (none left: nothing waits).
  const failures = Math.min(claim.count, (await rt.limits.peek(count, claim.key))?.consumed ?? 0);
  const wait = waitAfter(policy, failures);
  // Below the threshold again (a success forgot the count meanwhile): the gate opens, nothing waits.
  if (wait === 0) return rt.limits.reset(gate, claim.key);
  // A block of 0 seconds never ends: at the ceiling the gate stays closed until an unlock.
  await rt.limits.block(gate, claim.key, wait ?? 0);
  // A success that forgot the count while this guess was judged wins: its reset of the count comes before its
  // reset of the gate, so whichever of the two this block followed, the gate ends open.
  if (((await rt.limits.peek(count, claim.key))?.consumed ?? 0) < policy.threshold)
    return rt.limits.reset(gate, claim.key);
  if (failures !== policy.threshold && wait !== null) return;
  const event: LockEvent = { ...subject, failures, retryAfterSeconds: wait };
  await audit({
    event: "user_locked",
    outcome: "success",
    user: subject.user,
    identity: subject.identity,
    details: { failures, seconds: wait, until_reset: wait === null },
  });
  await rt.events.emit("user_locked", event);
}

/** The account's lock state (api, CLI). */
export async function lockState(
  rt: Runtime,
  user: UserRecord,
): Promise<{ failures: number; locked: boolean; retryAfterSeconds: number | null }> {
  const policy = rt.config.lockout;
  const { count, gate } = specs(policy);
  const key = lockoutKey(rt, { user, identity: null });
  const [counted, closed] = await Promise.all([rt.limits.peek(count, key), rt.limits.peek(gate, key)]);
  const locked = closed !== null && closed.consumed > gate.points;
  return {
    failures: counted?.consumed ?? 0,
    locked,
    retryAfterSeconds: locked ? (closed.msBeforeReset < 0 ? null : retryAfter(policy, closed.msBeforeReset)) : null,
  };
}

/**
 * Forgets the account's failures and opens its gate: a completed sign-in or re-authentication, a new password
 * (reset link, /change, the api), an administrator's unlock. When the account was waiting or locked, the unlock is
 * audited and emitted as `user_unlocked`. Returns whether it was.
 */
export async function forgetFailures(
  rt: Runtime,
  user: UserRecord,
  how: { audit: AuditWriter; via: "sign_in" | "password" | "admin" },
): Promise<boolean> {
  const policy = rt.config.lockout;
  const { count, gate } = specs(policy);
  const key = lockoutKey(rt, { user, identity: null });
  // An administrator's unlock also forgets the account's code limits (set-up codes, magic-link codes).
  if (how.via === "admin")
    await Promise.all(CODE_LIMITS.map((kind) => rt.limits.reset(codeLimit(rt, kind, key).spec, key)));
  const [counted, closed] = await Promise.all([rt.limits.peek(count, key), rt.limits.peek(gate, key)]);
  if (!counted && !closed) return false;
  // The count first, then the gate (a failure judged meanwhile re-reads the count after closing the gate).
  await rt.limits.reset(count, key);
  await rt.limits.reset(gate, key);
  const wasLocked = (closed !== null && closed.consumed > gate.points) || (counted?.consumed ?? 0) >= policy.threshold;
  if (!wasLocked) return false;
  await how.audit({
    event: "user_unlocked",
    outcome: "success",
    user,
    details: { via: how.via, failures: counted?.consumed ?? 0 },
  });
  await rt.events.emit("user_unlocked", { user, via: how.via });
  return true;
}

/** The families of codes checked outside the account lock. */
const CODE_LIMITS = ["setup-code", "link-code"] as const;

/**
 * The limit of codes checked outside the account lock (LOCKOUT_CODE_ATTEMPTS per LOCKOUT_CODE_WINDOW): `kind`
 * names the family, `key` whose they are (lockoutKey: an account, or a hashed link id that names none).
 */
export function codeLimit(
  rt: Runtime,
  kind: (typeof CODE_LIMITS)[number],
  key: string,
): { spec: LimitSpec; key: string } {
  const policy = rt.config.lockout;
  return { spec: { name: kind, points: policy.codeAttempts, durationSeconds: policy.codeWindowSeconds }, key };
}
