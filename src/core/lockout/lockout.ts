/**
 * Per-account lockout: one count of consecutive failed credential checks per account, kept on rt.limits (memory,
 * Redis or the database), drawn by the one credential check (core/verify-credential.ts) BEFORE a credential is
 * evaluated. Two counters per account key:
 *
 * - the count: attempts whose credential did not hold (each attempt takes a point before it is judged; a
 *   success gives it back or forgets the whole count);
 * - the turn: from the threshold on, one attempt at a time is judged; the others wait for it to settle (in
 *   waiting-room.ts, a few seconds at most) instead of being refused because a sibling is in flight;
 * - the gate: a failure from the threshold on closes it for the wait the policy gives that count (doubling up
 *   to the longest wait; at the ceiling: for good).
 *
 * While the gate is closed, nothing is counted and nothing is judged, not even a right credential: the answer is
 * 429 with the time left. An identity that names no account is counted under a keyed hash of its canonical form,
 * with exactly the same steps, so status, Retry-After and work never tell whether an account exists.
 */
import { createHmac } from "node:crypto";
import type { UserRecord } from "../../datastore/contracts.js";
import { canonicalIdentity } from "../../datastore/canonical.js";
import type { AuditWriter } from "../audit.js";
import type { LimitSpec, LimitState } from "../limits/limits.js";
import type { Runtime } from "../runtime.js";
import { startWaiting, waitTurn, wakeNext } from "./waiting-room.js";

/** Longest an attempt holds the turn while it is judged (only a crash mid-check leaves it held this long). */
const TURN_HOLD_SECONDS = 15;

type Policy = Runtime["config"]["lockout"];

/** The counters of the policy (exported for tests that move time by opening a gate). */
export function specs(policy: Policy): { count: LimitSpec; gate: LimitSpec; turn: LimitSpec; locks: LimitSpec } {
  return {
    count: { name: "lockout", points: policy.maxFailures, durationSeconds: policy.windowSeconds },
    // How many times this run of failures closed the gate: the first is reported, and only an account that was
    // closed is reported unlocked (the count alone cannot tell: it also holds the points of attempts in flight).
    locks: { name: "lockout-locks", points: policy.maxFailures, durationSeconds: policy.windowSeconds },
    // Only ever blocked (closed) or absent (open): a block's length is the wait.
    gate: { name: "lockout-gate", points: 1, durationSeconds: 1 },
    turn: { name: "lockout-turn", points: 1, durationSeconds: TURN_HOLD_SECONDS },
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

/** An attempt allowed to be judged: which count it holds and whether it holds the turn. */
export interface LockoutClaim {
  key: string;
  /** This attempt's place in the count of consecutive failures (1 = none before it). */
  count: number;
  turn: boolean;
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

/** The gate is closed (a failure's wait, or locked for good): the answer to give, else null. */
function closedGate(policy: Policy, closed: LimitState | null): ClaimResult | null {
  if (!closed || closed.consumed <= specs(policy).gate.points) return null;
  return { ok: false, retryAfterSeconds: retryAfter(policy, closed.msBeforeReset) };
}

/** Refused only because other attempts on the key are in flight: what to answer if it cannot wait for them. */
type Busy = { busy: number };

/** One try at a claim; Busy when attempts in flight stand in the way (nothing of this one stays counted). */
async function tryClaim(rt: Runtime, key: string): Promise<ClaimResult | Busy> {
  const policy = rt.config.lockout;
  const { count, gate, turn } = specs(policy);
  const [closed, held] = await Promise.all([rt.limits.peek(gate, key), rt.limits.peek(turn, key)]);
  const refused = closedGate(policy, closed);
  if (refused) return refused;
  // Someone is being judged past the threshold: wait without taking a point, so the count that failure reads
  // (and the wait it sets) is not swollen by siblings passing through.
  if (held && held.consumed >= turn.points) return { busy: 1 };
  const taken = await rt.limits.consume(count, key);
  if (!taken.allowed) {
    // Past the ceiling only while concurrent attempts hold points (or the gate's record was lost): not judged.
    await giveBack(rt, key);
    return { busy: policy.maxDelaySeconds };
  }
  if (taken.consumed < policy.threshold) return { ok: true, claim: { key, count: taken.consumed, turn: false } };
  if (!(await rt.limits.consume(turn, key)).allowed) {
    // Another attempt took the turn first: this one's point goes back until its turn.
    await giveBack(rt, key);
    return { busy: 1 };
  }
  // The attempt before closes the gate before it lets go of the turn: look again now that this one holds it.
  const closedMeanwhile = closedGate(policy, await rt.limits.peek(gate, key));
  if (!closedMeanwhile) return { ok: true, claim: { key, count: taken.consumed, turn: true } };
  await giveBack(rt, key);
  await letGo(rt, key);
  return closedMeanwhile;
}

/**
 * Gives an attempt's point back, never below none: a success may have forgotten the count meanwhile, and a
 * count below zero would let the next guesses past the threshold be judged all at once.
 */
async function giveBack(rt: Runtime, key: string): Promise<void> {
  const { count } = specs(rt.config.lockout);
  if ((await rt.limits.penalty(count, key, -1)) >= 0) return;
  // Back to none as the count stands now, not by the one point seen: two attempts that both went below none
  // would otherwise each add one back and leave a failure nobody made.
  const now = (await rt.limits.peek(count, key))?.consumed ?? 0;
  if (now < 0) await rt.limits.penalty(count, key, -now);
}

/**
 * Before a credential is judged: refused while the gate is closed; else the attempt takes its point of the count
 * and, from the threshold on, the turn (one attempt at a time). While another attempt holds the turn it waits
 * for it to settle, then tries again from the top (a failure meanwhile may have closed the gate). A refused
 * attempt leaves the count as it was.
 */
export async function claimAttempt(rt: Runtime, key: string): Promise<ClaimResult> {
  const waiting = startWaiting();
  for (;;) {
    const result = await tryClaim(rt, key);
    if ("busy" in result && (await waitTurn(rt, key, waiting))) continue;
    // A waiter that leaves without the turn passes its wake on, so the next waiter of this process looks now.
    if (waiting.looks > 0 && !("ok" in result && result.ok && result.claim.turn)) wakeNext(rt, key);
    return "busy" in result ? { ok: false, retryAfterSeconds: result.busy } : result;
  }
}

/** An attempt holding the turn lets go of it; the next waiter looks again. */
async function letGo(rt: Runtime, key: string): Promise<void> {
  await rt.limits.reset(specs(rt.config.lockout).turn, key);
  wakeNext(rt, key);
}

/**
 * The credential held: an attempt that completes an authentication forgets the account's failures and lets go of
 * its own turn (never another attempt's); otherwise it gives back only its own attempt (releaseAttempt).
 */
export async function settleSuccess(
  rt: Runtime,
  claim: LockoutClaim,
  user: UserRecord,
  how: { completes: boolean; audit: AuditWriter },
): Promise<void> {
  if (!how.completes) return releaseAttempt(rt, claim);
  try {
    await forgetFailures(rt, user, { audit: how.audit, via: "sign_in" });
  } finally {
    if (claim.turn) await letGo(rt, claim.key);
  }
}

/**
 * The credential held but the sign-in goes on (a second factor may follow): the attempt gives its point back and
 * the turn, if it held it; earlier failures stay counted until the sign-in completes (forgetFailures).
 */
export async function releaseAttempt(rt: Runtime, claim: LockoutClaim): Promise<void> {
  // Given back, never reset: a first factor known to an attacker must not wipe the failures of a second factor
  // guessed at the same time.
  await giveBack(rt, claim.key);
  if (claim.turn) await letGo(rt, claim.key);
  // A point given back may be what a waiter past the ceiling waits for.
  else wakeNext(rt, claim.key);
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
 * good at the ceiling) before the turn is let go. The first wait and the lock for good are audited and emitted as
 * `user_locked` (the waits between are bounded by the policy, so nothing per refused attempt is written).
 */
export async function recordFailure(
  rt: Runtime,
  claim: LockoutClaim,
  subject: LockoutSubject,
  audit: AuditWriter,
): Promise<void> {
  if (!claim.turn) return;
  const closed = await closeGate(rt, claim);
  await letGo(rt, claim.key);
  if (!closed) return;
  const policy = rt.config.lockout;
  const { failures, wait } = closed;
  const nth = await rt.limits.penalty(specs(policy).locks, claim.key);
  if (nth !== 1 && wait !== null) return;
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

/** Closes the gate for the wait this failure calls for; null when it stays open. */
async function closeGate(rt: Runtime, claim: LockoutClaim): Promise<{ failures: number; wait: number | null } | null> {
  const policy = rt.config.lockout;
  const { count, gate } = specs(policy);
  // The count as it stands now: attempts refused meanwhile have given their points back, so a burst of
  // concurrent guesses does not stretch the wait beyond what the failures judged call for; a success meanwhile
  // forgot the count (none left: nothing waits).
  const failures = Math.min(claim.count, (await rt.limits.peek(count, claim.key))?.consumed ?? 0);
  const wait = waitAfter(policy, failures);
  // Below the threshold again (a success forgot the count meanwhile): nothing waits.
  if (wait === 0) return null;
  // A block of 0 seconds never ends: at the ceiling the gate stays closed until an unlock.
  await rt.limits.block(gate, claim.key, wait ?? 0);
  // A success that forgot the count while this guess was judged wins: its reset of the count comes before its
  // reset of the gate, so whichever of the two this block followed, the gate ends open.
  if (((await rt.limits.peek(count, claim.key))?.consumed ?? 0) < policy.threshold) {
    await rt.limits.reset(gate, claim.key);
    return null;
  }
  return { failures, wait };
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
  const { count, gate, locks } = specs(policy);
  const key = lockoutKey(rt, { user, identity: null });
  // An administrator's unlock also forgets the account's code limits (set-up codes, magic-link codes).
  if (how.via === "admin")
    await Promise.all(CODE_LIMITS.map((kind) => rt.limits.reset(codeLimit(rt, kind, key).spec, key)));
  const [counted, closed] = await Promise.all([rt.limits.peek(count, key), rt.limits.peek(gate, key)]);
  if (!counted && !closed) return false;
  // A run that closed the gate holds at least `threshold` failures until it is forgotten: only then can it have.
  const closures = (counted?.consumed ?? 0) >= policy.threshold || closed ? await rt.limits.peek(locks, key) : null;
  // The count first, then the gate (a failure judged meanwhile re-reads the count after closing the gate).
  await rt.limits.reset(count, key);
  await rt.limits.reset(gate, key);
  if (closures) await rt.limits.reset(locks, key);
  // Attempts waiting for their turn may now be judged at once.
  wakeNext(rt, key);
  const wasLocked = (closed !== null && closed.consumed > gate.points) || (closures?.consumed ?? 0) > 0;
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
